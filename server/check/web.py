"""``GET /check``: the page's "Check server" button, over a WebSocket.

The web app runs the checks itself, against the page's own backend only (never any other
address, never a program: ``--run`` is the command line's alone), one check at a time per
web app; a second one asked meanwhile is told so. Which target a request may check is
decided in one place, :func:`check_target_for`.

Messages, server to page (JSON text, one per message):

* ``{"type": "start", "target": "HOST:PORT", "timeout": 2.0}``
* ``{"type": "exercise", "exercise": "parity", "cases": ["even", ...]}``: the ids to come
* ``{"type": "case", "case": {...}}``: as each case finishes; the report's JSON fields
  (``id``, ``verdict``, ``sent``, ``received``, ``ended``, ``ms``, ``explanation``) plus
  ``explanations`` (``{"en": ..., "id": ...}``), ``sent_hex`` and ``received_hex``
* ``{"type": "done", "target": ..., "exercise": ..., "summary": {...}, "stopped_after": ...}``
* ``{"type": "busy", "message": ...}``: another check is running (then close 1013)
* ``{"type": "error", "message": ...}``: the backend could not be reached (then close 1000)

The page sends nothing; closing the WebSocket cancels the check.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import WSCloseCode, WSMsgType, web

from server.check.cases import case_ids
from server.check.explain import LANGS
from server.check.reports import case_json, explanation
from server.check.results import CaseResult, Report
from server.check.runner import Runner

CHECK_LOCK = web.AppKey("check_lock", asyncio.Lock)
EXERCISES = ("auto", "parity", "length")


def add_check_routes(app: web.Application) -> None:
    """Register ``/check`` (one line in :func:`server.web_app.make_app`)."""
    app[CHECK_LOCK] = asyncio.Lock()
    app.router.add_get("/check", handle_check)


async def check_target_for(request: web.Request) -> tuple[str, int]:
    """The one place that decides what a page may check: the page's own target, decided as
    ``/ws`` decides it (:func:`server.web_app.allowed_address_for`): the configured backend,
    or with ``--allow-target`` the target the page chose (``?target=``). Anything else is
    refused (403) before any connection."""
    from server.web_app import allowed_address_for  # the app module imports this one

    return await allowed_address_for(request)


def case_message(case: CaseResult) -> dict:
    body = case_json(case, "en")
    body["explanations"] = {lang: explanation(case, lang) for lang in LANGS}
    body["sent_hex"] = case.sent.hex()
    body["received_hex"] = case.received.hex()
    return {"type": "case", "case": body}


async def handle_check(request: web.Request) -> web.StreamResponse:
    from server.web_app import VIEWERS, _refuse_foreign

    _refuse_foreign(request)
    host, port = await check_target_for(request)
    exercise = request.query.get("exercise", "auto")
    if exercise not in EXERCISES:
        raise web.HTTPBadRequest(text="exercise must be auto, parity or length\n")
    ws = web.WebSocketResponse(heartbeat=20.0, compress=False)
    await ws.prepare(request)
    lock = request.app[CHECK_LOCK]
    if lock.locked():
        await ws.send_json({"type": "busy", "message": "another check is running on this "
                                                       "web app; try again when it is done"})
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"check already running")
        return ws
    request.app[VIEWERS].add(ws)  # closed with 1001 when the web app shuts down
    try:
        async with lock:
            await _stream_check(ws, Runner(host, port, exercise=exercise))
    finally:
        request.app[VIEWERS].discard(ws)
        if not ws.closed:
            await ws.close()
    return ws


async def _stream_check(ws: web.WebSocketResponse, runner: Runner) -> None:
    """Run the check, sending a message as each case finishes; stop if the page leaves."""
    outbox: asyncio.Queue[dict | None] = asyncio.Queue()

    def on_exercise(report: Report) -> None:
        outbox.put_nowait({"type": "exercise", "exercise": report.exercise,
                           "cases": case_ids(report.exercise)})

    runner.on_case = lambda case: outbox.put_nowait(case_message(case))
    runner.on_exercise = on_exercise

    async def run() -> Report:
        try:
            return await runner.run()
        finally:
            outbox.put_nowait(None)

    await ws.send_json({"type": "start", "target": runner.target, "timeout": runner.timeout})
    checking = asyncio.create_task(run())
    listening = asyncio.create_task(_until_closed(ws))
    try:
        while (message := await _next(outbox, listening)) is not None:
            await ws.send_str(json.dumps(message, ensure_ascii=False))
        if listening.done():
            return
        report = await checking
        if report.unreachable:
            await ws.send_json({"type": "error", "message": report.unreachable})
        else:
            await ws.send_json({"type": "done", "target": report.target,
                                "exercise": report.exercise, "summary": report.summary(),
                                "stopped_after": report.stopped_after})
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        for task in (checking, listening):
            await _cancel_for_sure(task)


async def _cancel_for_sure(task: asyncio.Task) -> None:
    """Cancel ``task`` and wait for its end. Python 3.11's ``wait_for`` swallows a
    cancellation that arrives as the awaited operation completes (a connect, under uvloop:
    the check then ran on for its whole 40 s, holding the lock), so cancel until it ends."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.05)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()


async def _next(outbox: asyncio.Queue, listening: asyncio.Task) -> dict | None:
    """The next message to send, or None when the check is over or the page has left."""
    getting = asyncio.create_task(outbox.get())
    await asyncio.wait({getting, listening}, return_when=asyncio.FIRST_COMPLETED)
    if getting.done():
        return getting.result()
    getting.cancel()
    return None


async def _until_closed(ws: web.WebSocketResponse) -> None:
    async for message in ws:
        if message.type == WSMsgType.ERROR:
            break
