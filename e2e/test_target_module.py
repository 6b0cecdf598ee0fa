"""Unit tests of web/target.js's pure helpers, run as an ES module in Chromium: the page's
?target= in its URL, and the host a command hint names (never 0.0.0.0 or ::)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

CALL = """async ([name, args]) => {
  const m = await import('/static/target.js');
  return m[name](...args);
}"""

# module_page: e2e/conftest.py


@pytest.mark.parametrize(("href", "target"), [
    ("http://10.0.0.1:8080/?target=Budi%20Santoso&lang=id", "Budi Santoso"),
    ("http://10.0.0.1:8080/?target=%5B%3A%3A1%5D%3A12345", "[::1]:12345"),
    ("http://10.0.0.1:8080/?lang=id", ""),
])
def test_target_of(module_page: Page, href: str, target: str) -> None:
    assert module_page.evaluate(CALL, ["targetOf", [href]]) == target


@pytest.mark.parametrize(("href", "target", "result"), [
    ("http://10.0.0.1:8080/?lang=id", "Ani", "http://10.0.0.1:8080/?lang=id&target=Ani"),
    ("http://10.0.0.1:8080/?target=Ani&lang=id", "", "http://10.0.0.1:8080/?lang=id"),
    ("http://10.0.0.1:8080/", "10.0.0.7:12345", "http://10.0.0.1:8080/?target=10.0.0.7%3A12345"),
])
def test_with_target(module_page: Page, href: str, target: str, result: str) -> None:
    assert module_page.evaluate(CALL, ["withTarget", [href, target]]) == result


@pytest.mark.parametrize(("backend", "page_host", "parts"), [
    ("0.0.0.0:12345", "10.0.0.1", ["10.0.0.1", "12345"]),
    ("[::]:12345", "10.0.0.1", ["10.0.0.1", "12345"]),
    ("[::]:12345", "[fd00::1]", ["fd00::1", "12345"]),
    ("10.0.0.7:12346", "10.0.0.1", ["10.0.0.7", "12346"]),
    ("[::1]:8000", "localhost", ["::1", "8000"]),
])
def test_split_backend_names_a_reachable_host(module_page: Page, backend: str, page_host: str,
                                             parts: list[str]) -> None:
    assert module_page.evaluate(CALL, ["splitBackend", [backend, page_host]]) == parts
