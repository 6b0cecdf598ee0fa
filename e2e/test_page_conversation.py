"""Sending in each handler mode, replies in the page's language, errors, history, clear."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import (
    NAMES,
    conversation,
    entry,
    message_box,
    open_page,
    reply,
    request,
    send,
)
from e2e.support import RunningServer

TIME = re.compile(r"\d\d:\d\d:\d\d\.\d{3}")
WORDS = {
    "en": {"even42": "42 is even", "odd29": "29 is odd", "even100": "100 is even",
           "since": "ms since the previous message", "family": "Emoji family",
           "odd": "Odd: -7", "million": "A million digits",
           "utf8": "Bad UTF-8 cannot be sent from a browser", "all": "1,000,000 characters in all",
           "command": "Command", "copied": "Command copied", "jump": "Jump to latest (2 new)",
           "open": "WebSocket open", "connected": "Backend connected"},
    "id": {"even42": "angka 42 merupakan genap", "odd29": "angka 29 merupakan ganjil",
           "even100": "angka 100 merupakan genap", "since": "ms sejak pesan sebelumnya",
           "family": "Emoji keluarga", "odd": "Ganjil: -7", "million": "Sejuta digit",
           "utf8": "UTF-8 yang rusak tidak bisa dikirim dari browser",
           "all": "seluruhnya 1.000.000 karakter", "command": "Perintah",
           "copied": "Perintah tersalin", "jump": "Ke yang terbaru (2 baru)",
           "open": "WebSocket terbuka", "connected": "Terhubung ke server"},
}


@pytest.mark.parametrize(("lang", "even", "length"), [
    ("en", "42 is even", "10 characters"),
    ("id", "angka 42 merupakan genap", "jumlah karakter: 10"),
])
def test_auto_mode_answers_in_the_pages_language(page: Page, server: RunningServer, lang: str,
                                                 even: str, length: str) -> None:
    open_page(page, server, lang)
    expect(page.get_by_role("radio", name=NAMES[lang]["auto"])).to_be_checked()

    send(page, "42", lang)
    send(page, "halo dunia", lang)

    expect(reply(page, even, lang)).to_have_count(1)
    expect(reply(page, length, lang)).to_have_count(1)


@pytest.mark.parametrize(("lang", "odd", "error"), [
    ("en", "-7 is odd", "not_an_integer"),
    ("id", "angka -7 merupakan ganjil", "not_an_integer"),
])
def test_parity_mode_answers_odd_and_marks_non_numbers_as_errors(
        page: Page, server: RunningServer, lang: str, odd: str, error: str) -> None:
    open_page(page, server, lang)

    send(page, "-7", lang, handler="parity")
    send(page, "halo", lang)

    expect(reply(page, odd, lang)).to_have_count(1)
    failed = reply(page, error, lang)
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("error")
    expect(failed).to_have_class(re.compile(r"\bis-error\b"))
    expect(reply(page, odd, lang)).not_to_have_class(re.compile(r"\bis-error\b"))


@pytest.mark.parametrize(("lang", "counts"), [
    ("en", "characters 7 · bytes 25 · graphemes 1"),
    ("id", "karakter 7 · byte 25 · grafem 1"),
])
def test_length_mode_shows_characters_bytes_and_graphemes(page: Page, server: RunningServer,
                                                          lang: str, counts: str) -> None:
    open_page(page, server, lang)

    send(page, "👨‍👩‍👧‍👦", lang, handler="length")

    expect(reply(page, counts, lang)).to_have_count(1)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_raw_mode_sends_exactly_what_was_typed(page: Page, server: RunningServer,
                                               lang: str) -> None:
    open_page(page, server, lang)

    send(page, "parity 42", lang, handler="raw")
    send(page, "PARITY x", lang)
    send(page, '{"id": "mine", "handler": "length", "text": "abc"}', lang)

    # Plain lines are answered in the service's language (Indonesian by default), as they came.
    expect(reply(page, "angka 42 merupakan genap", lang)).to_have_count(1)
    expect(reply(page, re.compile(r"^.*ERR not_an_integer"), lang)).to_have_class(
        re.compile(r"\bis-error\b"))
    expect(reply(page, "jumlah karakter: 3", lang)).to_have_count(1)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_each_message_shows_time_direction_and_round_trip_time(page: Page, server: RunningServer,
                                                               lang: str) -> None:
    open_page(page, server, lang)

    send(page, "42", lang)

    request_entry = request(page, "42", lang)
    answer = reply(page, WORDS[lang]["even42"], lang)
    expect(request_entry).to_contain_text(TIME)
    expect(answer).to_contain_text(TIME)
    expect(answer).to_contain_text(re.compile(r"RTT \d+([.,]\d+)? ms"))
    expect(answer).to_contain_text(re.compile(rf"\+\d+([.,]\d+)? {WORDS[lang]['since']}"))


@pytest.mark.parametrize("lang", ["en", "id"])
def test_json_reply_is_pretty_printed_on_demand(page: Page, server: RunningServer,
                                                lang: str) -> None:
    open_page(page, server, lang)
    send(page, "42", lang, handler="parity")
    answer = reply(page, WORDS[lang]["even42"], lang)

    toggle = answer.get_by_role("button", name="JSON")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()

    expect(answer.get_by_role("button", name="JSON")).to_have_attribute("aria-expanded", "true")
    expect(answer).to_contain_text('"handler": "parity"')
    expect(answer).to_contain_text('"parity": "even"')


def test_bridge_rejection_is_an_error_and_the_connection_stays(page: Page,
                                                               server: RunningServer) -> None:
    open_page(page, server)
    long_number = "7" * 70000  # over the 64 KiB line limit

    send(page, long_number, handler="parity")
    send(page, "8")

    expect(reply(page, "line_too_long")).to_have_class(re.compile(r"\bis-error\b"))
    expect(reply(page, "8 is even")).to_have_count(1)


def test_up_and_down_recall_messages_also_after_reload(page: Page,
                                                       server: RunningServer) -> None:
    open_page(page, server)
    box = message_box(page)
    for text in ["first", "second", "third"]:
        send(page, text)
    expect(reply(page, "5 characters")).to_have_count(2)  # "first" and "third"

    box.fill("draft")
    box.press("ArrowUp")
    expect(box).to_have_value("third")
    box.press("ArrowUp")
    box.press("ArrowUp")
    expect(box).to_have_value("first")
    box.press("ArrowDown")
    expect(box).to_have_value("second")
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(box).to_have_value("draft")

    page.reload()
    box = message_box(page)
    box.press("ArrowUp")
    expect(box).to_have_value("third")
    box.press("ArrowUp")
    expect(box).to_have_value("second")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_clear_empties_the_conversation(page: Page, server: RunningServer, lang: str) -> None:
    open_page(page, server, lang)
    send(page, "12", lang)
    log = conversation(page, lang)
    expect(log.get_by_role("listitem").filter(has_text="12")).not_to_have_count(0)

    page.get_by_role("button", name=NAMES[lang]["clear"]).click()

    expect(log.get_by_role("listitem")).to_have_count(0)
    send(page, "13", lang)
    expect(log.get_by_role("listitem")).to_have_count(2)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_examples_fill_the_message_box(page: Page, server: RunningServer, lang: str) -> None:
    open_page(page, server, lang)
    box = message_box(page, lang)
    words = WORDS[lang]

    page.get_by_role("button", name=words["family"]).click()
    expect(box).to_have_value("👨‍👩‍👧‍👦")
    expect(box).to_be_focused()
    page.get_by_role("button", name=words["odd"]).click()
    expect(box).to_have_value("-7")
    page.get_by_role("button", name=words["million"]).click()
    assert len(box.input_value()) == 1_000_000
    expect(page.get_by_text(words["utf8"])).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_million_digits_are_answered_with_a_raised_line_limit(page: Page, start,
                                                                lang: str) -> None:
    big = start("--max-line", "2000000")
    open_page(page, big, lang)
    page.get_by_role("radio", name="Parity").check()

    page.get_by_role("button", name=WORDS[lang]["million"]).click()
    message_box(page, lang).press("Enter")

    expect(reply(page, "is even" if lang == "en" else "merupakan genap", lang)
           ).to_have_count(1, timeout=20_000)
    expect(entry(page, WORDS[lang]["all"], lang)).to_have_count(1)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_copy_as_command_gives_the_terminal_client_command(page: Page, server: RunningServer,
                                                           lang: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_page(page, server, lang)
    send(page, "it's 42", lang, handler="length")
    request_entry = request(page, "it's 42", lang)

    request_entry.get_by_role("button", name=WORDS[lang]["command"]).click()

    expected = (f"python -m server client --host 127.0.0.1 --port {server.tcp_port} "
                "--once 'length it'\\''s 42'")
    expect(page.get_by_text(f"{WORDS[lang]['copied']}: {expected}")).to_be_attached()
    assert page.evaluate("navigator.clipboard.readText()") == expected


def test_long_words_wrap_and_never_widen_the_page(page: Page, server: RunningServer) -> None:
    page.set_viewport_size({"width": 800, "height": 900})
    open_page(page, server)

    send(page, "9" * 3000, handler="length")
    send(page, "x" * 500, handler="raw")

    expect(reply(page, "3000 characters")).to_have_count(1)
    expect(reply(page, "jumlah karakter: 500")).to_have_count(1)  # a plain line: Indonesian
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_autoscroll_pauses_while_the_reader_scrolls_up(page: Page, server: RunningServer,
                                                       lang: str) -> None:
    page.set_viewport_size({"width": 1000, "height": 700})
    open_page(page, server, lang)
    log = conversation(page, lang)
    for n in range(30):
        send(page, str(n), lang)
    expect(reply(page, WORDS[lang]["odd29"], lang)).to_have_count(1)
    at_bottom = "el => el.scrollTop + el.clientHeight >= el.scrollHeight - 2"
    page.wait_for_function(f"({at_bottom})(document.querySelector('[role=log]'))")

    log.hover()
    page.mouse.wheel(0, -20000)
    page.wait_for_function("document.querySelector('[role=log]').scrollTop < 100")
    scrolled_to = log.evaluate("el => el.scrollTop")
    send(page, "100", lang)
    expect(reply(page, WORDS[lang]["even100"], lang)).to_have_count(1)

    jump = page.get_by_role("button", name=WORDS[lang]["jump"])
    expect(jump).to_be_visible()
    assert log.evaluate("el => el.scrollTop") == scrolled_to
    jump.click()
    expect(jump).to_be_hidden()
    assert log.evaluate(at_bottom)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_lifecycle_entries_say_websocket_open_and_backend_connected(page: Page,
                                                                    server: RunningServer,
                                                                    lang: str) -> None:
    open_page(page, server, lang)

    expect(entry(page, WORDS[lang]["open"], lang)).to_have_count(1)
    expect(entry(page, f"{WORDS[lang]['connected']}: 127.0.0.1:{server.tcp_port}", lang)
           ).to_have_count(1)
