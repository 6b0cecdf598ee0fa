"""Screenshots of the page for the docs, taken against a real server.

Starts ``python -m server`` on free ports (and a ``--single`` one for the queue experiment),
drives the page with Playwright and Chromium, and writes PNGs into ``docs/screenshots/``:

* ``conversation.png`` - a few requests in each handler mode, a raw TCP client in the server view
* ``bytes.png``        - the same with the byte view on
* ``queue-single.png`` - the queue experiment under ``--single``, while connections wait
* ``queue-single-done.png`` - the same once all are answered
* ``phone.png`` / ``dark.png`` / ``indonesian.png`` - a 375 px screen, the dark scheme, ``?lang=id``
* ``student-server.png`` - ``--backend`` to a student's single-threaded server
  (``tests/lab_server.py``): line endings chosen, the server's crash named

Run: ``python scripts/screenshot.py [--out DIR]`` (``make screenshot``).
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from ensure_chromium import find_chromium  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from e2e.pages import CONNECTED, NAMES, READY, entry, reply, send, server_view  # noqa: E402
from e2e.support import CHROMIUM_ARGS, RunningServer, start_server  # noqa: E402
from tests.support import LabServer  # noqa: E402

WIDE = {"width": 1360, "height": 1000}


def open_connected(page: Page, server: RunningServer, lang: str = "en") -> None:
    page.goto(server.page_url(lang))
    expect(page.get_by_role("status")).to_contain_text(CONNECTED[lang])


def converse(page: Page, lang: str = "en") -> None:
    """A short session: auto, parity, length, raw, and an error."""
    send(page, "42", lang)
    send(page, "-7", lang, handler="parity")
    send(page, "👨‍👩‍👧‍👦", lang, handler="length")
    send(page, "parity 12", lang, handler="raw")
    send(page, "parity abc", lang)
    page.get_by_role("radio", name=NAMES[lang]["auto"]).check()
    expect(reply(page, "ERR not_an_integer", lang)).to_have_count(1)


def student_server(browser, out: Path) -> None:
    """The page in front of a lab-sheet-style server: a reply without LF, a line ending
    chosen, a crash named."""
    with LabServer("parity") as lab:
        front = start_server("--backend", lab.address)
        try:
            context = browser.new_context(viewport=WIDE, color_scheme="light")
            page = context.new_page()
            page.goto(front.page_url("en"))
            expect(page.get_by_role("status")).to_contain_text(READY["en"])
            send(page, "42")
            expect(reply(page, "angka 42 merupakan genap")).to_have_count(1)
            page.get_by_label("Line ending").select_option("lf")
            send(page, "7")
            expect(reply(page, "angka 7 merupakan ganjil")).to_have_count(1)
            send(page, "tujuh")
            expect(entry(page, "without replying").first).to_be_visible()
            page.get_by_role("button", name="Bytes").click()
            page.screenshot(path=out / "student-server.png", full_page=True)
            context.close()
        finally:
            front.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    executable = find_chromium()
    if not executable:
        print("no Chromium found: run scripts/ensure_chromium.py", file=sys.stderr)
        return 1

    server = start_server()
    single = start_server("--single", "--turn-idle", "1.5")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=WIDE, color_scheme="light")
            page = context.new_page()

            with socket.create_connection(("127.0.0.1", server.tcp_port)) as tcp_client:
                open_connected(page, server)
                tcp_client.sendall(b"length halo dunia\n")
                tcp_client.recv(1024)
                converse(page)
                page.screenshot(path=args.out / "conversation.png", full_page=True)
                page.get_by_role("button", name="Bytes").click()
                page.screenshot(path=args.out / "bytes.png", full_page=True)

                dark = browser.new_context(viewport=WIDE, color_scheme="dark")
                dark_page = dark.new_page()
                open_connected(dark_page, server)
                converse(dark_page)
                dark_page.screenshot(path=args.out / "dark.png", full_page=True)
                dark.close()

            phone = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True,
                                        has_touch=True, device_scale_factor=2)
            phone_page = phone.new_page()
            open_connected(phone_page, server, "id")
            converse(phone_page, "id")
            phone_page.evaluate("window.scrollTo(0, 0)")
            phone_page.screenshot(path=args.out / "phone.png")
            phone.close()

            indonesian = browser.new_context(viewport=WIDE)
            id_page = indonesian.new_page()
            open_connected(id_page, server, "id")
            converse(id_page, "id")
            id_page.screenshot(path=args.out / "indonesian.png", full_page=True)
            indonesian.close()

            queue_page = context.new_page()
            open_connected(queue_page, single)
            send(queue_page, "42")
            expect(reply(queue_page, "42 is even")).to_have_count(1)
            queue_page.get_by_role("button", name="Queue experiment").click()
            view = server_view(queue_page)
            expect(view.get_by_role("listitem").filter(has_text="queue-2").filter(
                has_text="waiting").first).to_be_visible()
            view.screenshot(path=args.out / "queue-single.png")
            expect(view).to_contain_text("Done: 3 of 3 answered", timeout=30_000)
            view.screenshot(path=args.out / "queue-single-done.png")
            student_server(browser, args.out)
            browser.close()
    finally:
        single.stop()
        server.stop()
    for png in sorted(args.out.glob("*.png")):
        print(png.relative_to(ROOT) if png.is_relative_to(ROOT) else png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
