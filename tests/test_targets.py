"""``--allow-target`` as the server reads it (class files, names resolved at start) and
:func:`server.targets.resolve_target`, the one decision about a request's target. Names are
resolved by a table here, so nothing is looked up or connected to."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from server.allow_list import SpecError, ip_literal
from server.targets import Refusal, ResolvedTarget, load_allow_list, resolve_target

NAMES = {
    "budi-pc": ["10.0.0.7"],
    "two-faced": ["10.0.0.8", "192.168.1.1"],  # one allowed address, one not
    "dual": ["10.0.0.9", "::ffff:10.0.0.10"],
    "lab-pc-07": ["10.0.0.7"],
}


def table_lookup(host: str) -> list:
    return [ip_literal(a) for a in NAMES.get(host, [])]


async def table_resolve(host: str) -> list:
    asked.append(host)
    literal = ip_literal(host)
    return [literal] if literal is not None else table_lookup(host)


asked: list[str] = []
BACKEND = [("127.0.0.1", 12345)]


def decide(allow, text, backends=BACKEND):
    asked.clear()
    return asyncio.run(resolve_target(allow, backends, text, table_resolve))


@pytest.fixture(scope="module")
def allow():
    return load_allow_list(["10.0.0.0/24:12345", "[fd00::/64]:12000-12099"], table_lookup)


def test_no_target_is_the_configured_backend(allow) -> None:
    for text in (None, "", "  "):
        target = decide(allow, text)
        assert target.default and target.address == ("127.0.0.1", 12345)


@pytest.mark.parametrize("text, address", [
    ("10.0.0.7:12345", ("10.0.0.7", 12345)),
    ("10.7:12345", ("10.0.0.7", 12345)),
    ("167772167:12345", ("10.0.0.7", 12345)),
    ("[::ffff:10.0.0.7]:12345", ("10.0.0.7", 12345)),
    ("budi-pc:12345", ("10.0.0.7", 12345)),
    ("dual:12345", ("10.0.0.9", 12345)),
    ("[fd00::5]:12050", ("fd00::5", 12050)),
])
def test_allowed_targets_connect_to_a_checked_address(allow, text: str, address) -> None:
    target = decide(allow, text)
    assert isinstance(target, ResolvedTarget) and not target.default
    assert target.address == address


@pytest.mark.parametrize("text, why", [
    ("10.0.1.7:12345", "not in --allow-target"),
    ("two-faced:12345", "not in --allow-target"),  # every address must be allowed
    ("nowhere:12345", "cannot resolve"),
    ("budi-pc", "expected HOST:PORT"),
    ("10.0.0.7:99999", "expected HOST:PORT"),
    ("[fd00::5]:12345", "not in --allow-target"),
])
def test_refusals_say_not_allowed(allow, text: str, why: str) -> None:
    refused = decide(allow, text)
    assert isinstance(refused, Refusal) and refused.code == 1008
    assert "not allowed" in refused.reason and why in refused.reason
    assert len(refused.reason.encode()) <= 123


def test_a_port_no_rule_allows_is_refused_without_a_lookup(allow) -> None:
    refused = decide(allow, "budi-pc:22")
    assert isinstance(refused, Refusal)
    assert asked == []


def test_the_configured_backend_is_always_allowed() -> None:
    none = load_allow_list([])
    assert decide(none, "127.0.0.1:12345").default
    assert decide(none, "localhost:12345").default
    assert decide(none, "127.1:12345").default
    assert isinstance(decide(none, "127.0.0.1:12346"), Refusal)
    # a service listening on every address is reached through loopback
    assert decide(none, "127.0.0.1:9000", [("0.0.0.0", 9000)]).default


def test_class_file_names_and_addresses(tmp_path: Path) -> None:
    class_file = tmp_path / "class.txt"
    class_file.write_text("# kelas A\n10.0.0.7:12345 Budi\nlab-pc-07:12346 Ani Lestari\n"
                          "[fd00::8]:12345\n")
    allow = load_allow_list([f"@{class_file}"], table_lookup)
    assert allow.class_names() == ["Budi", "Ani Lestari"]
    budi = decide(allow, "budi")
    assert budi.address == ("10.0.0.7", 12345) and budi.shown == "Budi"
    assert decide(allow, "Ani Lestari").address == ("10.0.0.7", 12346)
    assert decide(allow, "[fd00::8]:12345").address == ("fd00::8", 12345)
    assert isinstance(decide(allow, "10.0.0.7:12346"), ResolvedTarget)  # lab-pc-07's address
    assert isinstance(decide(allow, "10.0.0.8:12345"), Refusal)
    assert isinstance(decide(allow, "Citra"), Refusal)


@pytest.mark.parametrize("specs, words", [
    (["10.0.0.0/24"], "--allow-target 10.0.0.0/24: expected HOST:PORT"),
    (["nowhere:12345"], "cannot resolve nowhere"),
    (["@/nonexistent/class.txt"], "cannot read class file /nonexistent/class.txt"),
])
def test_bad_specs_say_what_is_wrong(specs: list[str], words: str) -> None:
    with pytest.raises(SpecError, match=words):
        load_allow_list(specs, table_lookup)


def test_bad_class_files_say_where(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("10.0.0.7:12345 Budi\n10.0.0.8 Ani\n")
    with pytest.raises(SpecError, match=r"bad.txt: line 2"):
        load_allow_list([f"@{bad}"], table_lookup)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nobody yet\n")
    with pytest.raises(SpecError, match="lists no targets"):
        load_allow_list([f"@{empty}"], table_lookup)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(SpecError, match="cannot read class file"):
        load_allow_list([f"@{binary}"], table_lookup)


def test_resolve_host_reads_numbers_and_localhost_without_a_lookup() -> None:
    from server.targets import resolve_host
    assert asyncio.run(resolve_host("0x7f.1")) == [ip_literal("127.0.0.1")]
    assert asyncio.run(resolve_host("localhost")) == [ip_literal("127.0.0.1")]
    assert asyncio.run(resolve_host("[::ffff:10.0.0.7]")) == [ip_literal("10.0.0.7")]


def test_allowed_address_for_a_request_of_the_pages_check() -> None:
    """The page's check asks the same question as /ws, with an HTTP answer."""
    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from server.bridge import Bridge
    from server.config import Config
    from server.events import EventHub
    from server.stats import ServiceStats
    from server.web_app import BRIDGE, CONFIG, allowed_address_for

    app = web.Application()
    config = Config(backend=("127.0.0.1", 12345),
                    allow=load_allow_list(["10.0.0.0/24:12345"], table_lookup))
    app[CONFIG] = config
    app[BRIDGE] = Bridge(config, ("127.0.0.1", 12345), EventHub(), ServiceStats())

    async def ask(query: str):
        return await allowed_address_for(make_mocked_request("GET", "/check" + query, app=app))

    assert asyncio.run(ask("")) == ("127.0.0.1", 12345)
    assert asyncio.run(ask("?target=10.7:12345")) == ("10.0.0.7", 12345)
    with pytest.raises(web.HTTPForbidden) as refused:
        asyncio.run(ask("?target=10.0.1.7:12345"))
    assert "not allowed" in refused.value.text
