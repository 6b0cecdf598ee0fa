"""Keyboard alone, a phone-sized screen, wide screens, light and dark, both languages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from e2e.pages import (
    CONNECTED,
    NAMES,
    conversation,
    message_box,
    open_page,
    reply,
    send,
    server_view,
)


def focused(locator: Locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page: Page, locator: Locator, key: str = "Tab", limit: int = 40) -> None:
    """Press Tab (or Shift+Tab) until ``locator`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if focused(locator):
            return
        page.keyboard.press(key)
    raise AssertionError(f"Tab never reached {locator}")


def focus_is_visible(page: Page) -> bool:
    return page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    }""")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_keyboard_alone_sends_chooses_handler_toggles_bytes_and_exports(page: Page, server,
                                                                        lang: str) -> None:
    open_page(page, server, lang)
    names = NAMES[lang]
    box = message_box(page, lang)

    page.keyboard.press("Tab")
    skip = page.get_by_role("link")
    expect(skip).to_be_focused()
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(box).to_be_focused()
    assert focus_is_visible(page)
    page.keyboard.type("42")
    page.keyboard.press("Enter")
    expect(reply(page, "42", lang)).to_have_count(1)

    auto = page.get_by_role("radio", name=names["auto"])
    tab_to(page, auto)
    assert focus_is_visible(page)
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name=names["parity"])).to_be_checked()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(box).to_be_focused()
    page.keyboard.type("-7")
    page.keyboard.press("Enter")
    odd = "-7 is odd" if lang == "en" else "angka -7 merupakan ganjil"
    expect(reply(page, odd, lang)).to_have_count(1)

    log = conversation(page, lang)
    tab_to(page, log, "Shift+Tab")  # the log scrolls, so it takes the focus too
    assert focus_is_visible(page)
    bytes_toggle = page.get_by_role("button", name=names["bytes"])
    tab_to(page, bytes_toggle, "Shift+Tab")
    assert focus_is_visible(page)
    page.keyboard.press("Space")
    expect(bytes_toggle).to_have_attribute("aria-pressed", "true")

    export = page.get_by_role("button", name=names["export"])
    tab_to(page, export)
    page.keyboard.press("Enter")
    expect(export).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("button", name="Markdown")).to_be_focused()
    page.keyboard.press("Escape")
    expect(export).to_have_attribute("aria-expanded", "false")
    expect(export).to_be_focused()


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.browser_context_args(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True)
def test_phone_screen_has_no_horizontal_scroll(page: Page, server, lang: str) -> None:
    open_page(page, server, lang)

    send(page, "1" * 400, lang, handler="length")
    send(page, "a-very-long-word-" * 40, lang, handler="raw")
    page.get_by_role("button", name=NAMES[lang]["bytes"]).click()
    expect(reply(page, "400", lang)).to_have_count(1)
    expect(reply(page, "680", lang)).to_have_count(1)

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    # The server view comes below the conversation.
    log_box = conversation(page, lang).bounding_box()
    view_box = server_view(page, lang).bounding_box()
    assert log_box and view_box and view_box["y"] >= log_box["y"] + log_box["height"]


@pytest.mark.browser_context_args(viewport={"width": 1280, "height": 900})
def test_wide_screen_puts_the_server_view_beside_the_conversation(page: Page, server) -> None:
    open_page(page, server)

    log_box = conversation(page).bounding_box()
    view_box = server_view(page).bounding_box()

    assert log_box and view_box and view_box["x"] >= log_box["x"] + log_box["width"]


def test_dark_colour_scheme_changes_the_colour_variables(page: Page, server) -> None:
    colours = "() => [getComputedStyle(document.documentElement).getPropertyValue('--bg')," \
              " getComputedStyle(document.body).backgroundColor]"
    page.emulate_media(color_scheme="light")
    open_page(page, server)
    light = page.evaluate(colours)

    page.emulate_media(color_scheme="dark")
    dark = page.evaluate(colours)

    assert light[0].strip() != dark[0].strip()
    assert light[1] != dark[1]
    expect(page.get_by_role("status")).to_contain_text(CONNECTED["en"])


def test_language_switch_keeps_the_conversation(page: Page, server) -> None:
    open_page(page, server, "en")
    send(page, "42")
    expect(reply(page, "42 is even")).to_have_count(1)

    page.get_by_role("combobox", name="Language").select_option("id")

    expect(page).to_have_url(re.compile(r"[?&]lang=id"))
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(message_box(page, "id")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(CONNECTED["id"])
    expect(reply(page, "42 is even", "id")).to_have_count(1)
    expect(server_view(page, "id")).to_be_visible()
    for name in ("Bita", "Ekspor", "Salin", "Bersihkan", "Percobaan antrean", "Kirim"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()


@pytest.mark.browser_context_args(locale="id-ID")
def test_browser_language_chooses_indonesian(page: Page, server) -> None:
    page.goto(server.url)

    expect(page.get_by_role("status")).to_contain_text(CONNECTED["id"])
    expect(message_box(page, "id")).to_be_visible()
    expect(conversation(page, "id")).to_be_attached()
    send(page, "42", "id")
    expect(reply(page, "angka 42 merupakan genap", "id")).to_have_count(1)


@pytest.mark.browser_context_args(locale="id-ID")
def test_lang_parameter_wins_over_the_browser_language(page: Page, server) -> None:
    page.goto(server.page_url("en"))

    expect(message_box(page, "en")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(CONNECTED["en"])


@pytest.mark.parametrize("lang", ["en", "id"])
def test_contract_names_each_find_exactly_one_element(page: Page, server, lang: str) -> None:
    """Outside tests find the page's parts by role and name (substring, any case): no other
    element may answer to the same name, also once the log is full of buttons."""
    open_page(page, server, lang)
    send(page, "42", lang)
    send(page, "halo", lang, handler="raw")
    expect(page.get_by_role("listitem").filter(has_text="halo")).not_to_have_count(0)
    names = NAMES[lang]

    expect(page.get_by_role("textbox", name=names["message"])).to_have_count(1)
    expect(page.get_by_role("log", name=names["conversation"])).to_have_count(1)
    expect(page.get_by_role("log")).to_have_count(1)
    expect(page.get_by_role("status")).to_have_count(1)
    expect(page.get_by_role("region", name=re.compile(names["server"], re.I))).to_have_count(1)
    for key in ("bytes", "export", "copy", "clear", "queue"):
        expect(page.get_by_role("button", name=names[key])).to_have_count(1)
    for key in ("auto", "parity", "length", "raw"):
        expect(page.get_by_role("radio", name=names[key])).to_have_count(1)
