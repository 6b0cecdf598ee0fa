"""Unit tests of the byte rendering (web/bytes.js), run as an ES module in Chromium.

The page's byte view is checked end to end in test_page_bytes.py; these pin the rendering
rules themselves: escapes for CR, LF and tab, printable ASCII as is, anything else as UTF-8
hex, the raw bytes of a reply that was not UTF-8, and the display limit.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

RENDER = """async ([wire, hex, limit]) => {
  const m = await import('/static/bytes.js');
  const bytes = m.wireBytes(wire, hex);
  return {text: m.wireText(bytes, limit), size: bytes.length};
}"""


@pytest.fixture
def module_page(page: Page, server) -> Page:
    page.goto(server.url + "?lang=en")  # same origin for the import
    return page


@pytest.mark.parametrize(("wire", "hex_", "text", "size"), [
    ("parity 42\n", None, "parity 42\\n", 10),
    ("a\r\n", None, "a\\r\\n", 3),
    ("tab\there", None, "tab\\there", 8),
    ("héllo\n", None, "h<c3 a9>llo\\n", 7),
    ("👍", None, "<f0 9f 91 8d>", 4),
    ("", None, "", 0),
    ("ignored", "ff fe 41 0a", "<ff fe>A\\n", 4),
])
def test_wire_rendering(module_page: Page, wire, hex_, text, size) -> None:
    got = module_page.evaluate(RENDER, [wire, hex_, 4096])
    assert got == {"text": text, "size": size}


def test_past_the_display_limit_the_rest_is_counted(module_page: Page) -> None:
    got = module_page.evaluate(RENDER, ["x" * 10, None, 4])
    assert got == {"text": "xxxx… (+6)", "size": 10}
