"""The aiohttp application: the page, the bridge, the server view's feed, health and metrics.

:func:`make_app` is the application factory. What the app owns is opened and closed in
``cleanup_ctx``: the in-process TCP service (unless ``--backend``) starts with the app and
is shut down with it, after every WebSocket has been closed with 1001 in ``on_shutdown``.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web
from prometheus_client import CollectorRegistry

from server import __version__
from server.bridge import SUBPROTOCOL, Bridge, text_frames
from server.check.web import add_check_routes
from server.classroom import (
    SessionCap,
    client_address,
    viewer_key,
)
from server.config import Config
from server.events import EventHub, now_ms
from server.host_check import host_allowed
from server.metrics import CONTENT_TYPE, make_registry, render
from server.request_log import RequestLog
from server.resources import web_root
from server.stats import ServiceStats
from server.targets import Refusal, ResolvedTarget, resolve_target
from server.tcp_service import TcpService

CONFIG = web.AppKey("config", Config)
SERVICE = web.AppKey("service", TcpService)
BRIDGE = web.AppKey("bridge", Bridge)
HUB = web.AppKey("hub", EventHub)
STATS = web.AppKey("stats", ServiceStats)
VIEWERS = web.AppKey("viewers", set)
WEB_ROOT = web.AppKey("web_root", Path)
REGISTRY = web.AppKey("registry", CollectorRegistry)
SESSION_CAP = web.AppKey("session_cap", SessionCap)
HEALTH_TIMEOUT = 1.0
VIEWER_HIGH_WATER = 64 * 1024  # unsent bytes past which a viewer is slow: it falls behind


def make_app(config: Config, *, request_log: RequestLog | None = None,
             tcp_sock: socket.socket | None = None) -> web.Application:
    """The web app; with no ``config.backend`` it also runs the TCP service.

    ``tcp_sock``: an already bound listening socket for the service (``--workers``)."""
    app = web.Application(middlewares=[_refuse_foreign_host])
    app[CONFIG] = config
    app[HUB] = EventHub(max_viewers=config.max_viewers)
    app[STATS] = ServiceStats()
    app[VIEWERS] = set()
    app[REGISTRY] = make_registry(app[STATS])
    app[SESSION_CAP] = SessionCap(config.session_cap)
    app[HUB].private = config.private_view  # the server view's privacy (server.classroom)
    app.cleanup_ctx.append(_run_service(request_log, tcp_sock))
    app.on_shutdown.append(_close_websockets)
    root = web_root()
    app.router.add_get("/", _index)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/config", _config)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/ws", _bridge)
    app.router.add_get("/events", _events)
    add_check_routes(app)  # /check: the lab checks against this page's own backend
    app.router.add_static("/static/", root, append_version=False)
    app[WEB_ROOT] = root
    return app


def _run_service(request_log: RequestLog | None, tcp_sock: socket.socket | None):
    async def run_service(app: web.Application) -> AsyncIterator[None]:
        config = app[CONFIG]
        if config.backend is None:
            service = TcpService(config.service_options, hub=app[HUB], stats=app[STATS],
                                 request_log=request_log)
            await service.start(config.host, config.tcp_port, sock=tcp_sock,
                                reuse_port=config.reuse_port)
            app[SERVICE] = service
            backend = service.bridge_address
        else:
            service = None
            backend = config.backend
        app[BRIDGE] = Bridge(config, backend, app[HUB], app[STATS], service)
        app[HUB].snapshot = partial(_snapshot_event, app)
        app[BRIDGE].request_log = request_log
        yield
        if service is not None:
            await service.shutdown()
        if request_log is not None:
            request_log.close()
    return run_service


async def _close_websockets(app: web.Application) -> None:
    """Shutdown, first step: the service answers what it has received (held requests
    too), the bridge relays those replies for a moment, then every WebSocket gets 1001."""
    service = app.get(SERVICE)
    if service is not None:
        service.answer_received()
    await app[BRIDGE].close_all()
    for ws in list(app[VIEWERS]):
        await ws.close(code=1001, message=b"server shutting down")


# -- host check ---------------------------------------------------------------------------
@web.middleware
async def _refuse_foreign_host(request: web.Request, handler) -> web.StreamResponse:
    """Every path, the page included: a Host that does not name the web app (DNS
    rebinding) gets 403, whatever its Origin (see :mod:`server.host_check`)."""
    host = request.headers.get("Host")
    if not host_allowed(host, request.app[CONFIG].allow_hosts):
        raise web.HTTPForbidden(text=f"host not allowed: {host!r} does not name this server; "
                                     "start it with --allow-host NAME to answer that name\n")
    return await handler(request)


# -- origin check -------------------------------------------------------------------------
def origin_allowed(origin: str | None, host: str | None, allowed: tuple[str, ...]) -> bool:
    """Same-origin pages and clients without an Origin (scripts) are served; other sites'
    pages only if listed with ``--allow-origin`` (``*`` allows any)."""
    if origin is None:
        return True
    if "*" in allowed or origin.rstrip("/") in {a.rstrip("/") for a in allowed}:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and host is not None and parts.netloc == host


def _refuse_foreign(request: web.Request) -> None:
    if not origin_allowed(request.headers.get("Origin"), request.host,
                          request.app[CONFIG].allow_origins):
        raise web.HTTPForbidden(text="origin not allowed: start the server with --allow-origin "
                                     f"{request.headers.get('Origin')} to allow it\n")


# -- handlers -----------------------------------------------------------------------------
async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(request.app[WEB_ROOT] / "index.html",
                            headers={"Cache-Control": "no-cache"})


async def _bridge(request: web.Request) -> web.StreamResponse:
    """``/ws``: the session cap and the target's allow-list decide before the bridge
    connects anywhere; a refused WebSocket is closed (1013, 1008) with the reason."""
    _refuse_foreign(request)
    if not web.WebSocketResponse(protocols=(SUBPROTOCOL,)).can_prepare(request).ok:
        raise web.HTTPBadRequest(text="this is a WebSocket endpoint\n")
    cap = request.app[SESSION_CAP]
    address = client_address(request.remote)
    if not cap.take(address):
        return await _close_at_once(request, WSCloseCode.TRY_AGAIN_LATER, cap.refusal_reason())
    try:
        target = await target_for_request(request)
        if isinstance(target, Refusal):
            return await _close_at_once(request, target.code, target.reason)
        return await request.app[BRIDGE].handle(request, target)
    finally:
        cap.give_back(address)


async def target_for_request(request: web.Request) -> ResolvedTarget | Refusal:
    """Where this request's page is bridged to (``?target=``, else the configured backend):
    the one decision ``/ws`` and the page's check share."""
    bridge = request.app[BRIDGE]
    backends = [bridge.backend]
    service = request.app.get(SERVICE)
    if service is not None and service.address != bridge.backend:
        backends.append(service.address)
    return await resolve_target(request.app[CONFIG].allow, backends,
                                request.query.get("target"))


async def allowed_address_for(request: web.Request) -> tuple[str, int]:
    """For the page's other endpoints (its check): the address this page's target stands
    for, or 403 with the reason it is not allowed. Decided like ``/ws`` (one function)."""
    target = await target_for_request(request)
    if isinstance(target, Refusal):
        raise web.HTTPForbidden(text=target.reason + "\n")
    return target.address


async def _close_at_once(request: web.Request, code: int, reason: str) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,))
    await ws.prepare(request)
    await ws.close(code=code, message=reason.encode()[:123])
    return ws


async def _healthz(request: web.Request) -> web.Response:
    bridge = request.app[BRIDGE]
    body: dict[str, object] = {"backend": bridge.backend_text}
    service = request.app.get(SERVICE)
    if service is not None:
        ok = service.serving
        body["connections"] = len(service.connections)
        if not ok:
            body["error"] = "service not accepting"
    else:
        started = time.perf_counter()
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(*bridge.backend),
                                               HEALTH_TIMEOUT)
            writer.close()
            ok = True
            body["connect_ms"] = round((time.perf_counter() - started) * 1000, 2)
        except (OSError, TimeoutError) as exc:
            ok = False
            body["error"] = "timed out" if isinstance(exc, TimeoutError) else (
                exc.strerror or str(exc)).lower()
    return web.json_response({"ok": ok, **body}, status=200 if ok else 503)


async def _config(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    return web.json_response({
        "version": __version__, "lang": config.lang, "default": config.default,
        "single": config.single, "max_line": config.max_line,
        "idle_flush_ms": round(config.idle_flush * 1000), "idle_timeout_s": config.idle_timeout,
        "send_timeout_s": config.send_timeout, "turn_idle_s": config.turn_idle,
        "reply_timeout_s": config.reply_timeout,
        "ws_max_message": config.ws_message_limit, "heartbeat_s": config.heartbeat,
        "time_slice_ms": round(config.time_slice * 1000, 3),
        "header_timeout_s": config.header_timeout, "max_viewers": config.max_viewers,
        "ws_compress": config.ws_compress,
        "backend": request.app[BRIDGE].backend_text,
        "external_backend": config.backend is not None,
        "start_mode": "raw" if config.backend is not None else "auto",
        "targets_allowed": config.allow.enabled, "class_names": config.allow.class_names(),
        "server_view": "own" if config.private_view else "all",
        "max_sessions_per_address": config.session_cap,
    })


async def _metrics(request: web.Request) -> web.Response:
    return web.Response(body=render(request.app[REGISTRY]),
                        headers={"Content-Type": CONTENT_TYPE})


def _snapshot_event(app: web.Application) -> dict[str, object]:
    """The ``snapshot`` event: the connections as they are now."""
    config = app[CONFIG]
    service = app.get(SERVICE)
    return {"type": "snapshot", "single": config.single,
            "external_backend": config.backend is not None,
            "backend": app[BRIDGE].backend_text, "private": config.private_view,
            "connections": service.snapshot() if service is not None else [],
            "t": now_ms()}


async def _events(request: web.Request) -> web.StreamResponse:
    """The server view's feed: a snapshot, then events as they happen (see
    :mod:`server.events` for the bounds). Each wake-up's events go out in one write of
    text frames; a viewer whose unsent bytes pass :data:`VIEWER_HIGH_WATER` is not written
    to until they drain, and gets a summary if it fell too far behind meanwhile."""
    _refuse_foreign(request)
    ws = web.WebSocketResponse(heartbeat=request.app[CONFIG].heartbeat, compress=False)
    await ws.prepare(request)
    hub = request.app[HUB]
    viewer = hub.subscribe()
    if viewer is None:
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=(
            f"too many viewers of the server view (at most {hub.max_viewers}, "
            "--max-viewers)").encode())
        return ws
    viewer.key = viewer_key(request.query.get("viewer"))  # whose requests it may read
    request.app[VIEWERS].add(ws)
    transport = request.transport
    reader = asyncio.create_task(_drain_viewer_messages(ws))
    try:
        texts = [hub.snapshot_entry().text_for(viewer.key)]
        while transport is not None and not transport.is_closing() and not reader.done():
            if texts:
                transport.write(text_frames([text.encode() for text in texts]))
            if transport.get_write_buffer_size() > VIEWER_HIGH_WATER:
                await asyncio.sleep(0.05)  # a slow viewer: let it drain, it may fall behind
            else:
                waiter = asyncio.create_task(hub.wait(viewer))
                await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
            texts = viewer.take()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        reader.cancel()
        hub.unsubscribe(viewer)
        request.app[VIEWERS].discard(ws)
        if not ws.closed:
            await ws.close()
    return ws


async def _drain_viewer_messages(ws: web.WebSocketResponse) -> None:
    """Viewers send nothing; reading is still needed to see their close."""
    async for msg in ws:
        if msg.type == WSMsgType.ERROR:
            break
