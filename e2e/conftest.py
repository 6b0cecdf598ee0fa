"""Browser tests of the page against the real server.

The server runs as a subprocess on free ports (``--tcp-port 0 --http-port 0``; the ports are
read from its "listening" lines). One server serves the whole session; tests that need
their own (``--single``, ``--backend``, a backend to kill) start it with ``start``.
Every page is watched: a console error or an uncaught exception fails the test.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.support import CHROMIUM_ARGS, ROOT, RunningServer, start_server

sys.path.insert(0, str(ROOT / "scripts"))
from ensure_chromium import find_chromium  # noqa: E402

CONSOLE_ERRORS = pytest.StashKey[list[str]]()

expect.set_options(timeout=10_000)


# --- browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    executable = find_chromium()
    assert executable, "no Chromium: run scripts/ensure_chromium.py"
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


def watch_console(page: Page, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))


@pytest.fixture
def console_errors(request: pytest.FixtureRequest) -> list[str]:
    errors: list[str] = []
    request.node.stash[CONSOLE_ERRORS] = errors
    return errors


@pytest.fixture
def context(new_context: Callable[..., BrowserContext],
            console_errors: list[str]) -> BrowserContext:
    """pytest-playwright's context, with every page opened in it watched."""
    ctx = new_context()
    ctx.on("page", lambda p: watch_console(p, console_errors))
    return ctx


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test whose pages logged a console error while it ran. Checked when the test
    body ends, before fixtures stop servers under still-open pages."""
    result = yield
    errors = item.stash.get(CONSOLE_ERRORS, [])
    if errors:
        raise AssertionError("console errors on the page:\n" + "\n".join(errors))
    return result


# --- servers


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    """The service and web app with default options, shared by the session."""
    running = start_server()
    yield running
    running.stop()


@pytest.fixture
def start() -> Iterator[Callable[..., RunningServer]]:
    """Start servers of the test's own (``start("--single")``); all stopped afterwards."""
    started: list[RunningServer] = []

    def _start(*args: str) -> RunningServer:
        running = start_server(*args)
        started.append(running)
        return running

    yield _start
    for running in reversed(started):
        running.stop()



@pytest.fixture
def module_page(page: Page, server: RunningServer) -> Page:
    """A page of the server, for unit tests that import the page's ES modules (same origin)."""
    page.goto(server.url + "?lang=en")
    return page
