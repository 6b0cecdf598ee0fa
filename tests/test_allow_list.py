"""The allow-list as pure functions: spellings of an address, specs, class files, decisions.

Addresses like 10.0.0.0/24 are only parsed here, never connected to."""

from __future__ import annotations

import ipaddress

import pytest

from server.allow_list import (
    AllowList,
    NamedHost,
    Rule,
    SpecError,
    build_allow_list,
    entry_spec,
    ip_literal,
    parse_class_targets,
    parse_spec,
    read_target,
    rules_for_names,
)

LOOPBACK = ipaddress.ip_address("127.0.0.1")


@pytest.mark.parametrize("spelling", [
    "127.0.0.1", "127.1", "127.0.1", "2130706433", "0x7f.0.0.1", "0x7f000001", "0177.0.0.1",
    "0177.0.0.01", "[::ffff:127.0.0.1]", "::ffff:127.0.0.1", "::ffff:7f00:1", " 127.0.0.1 ",
    "localhost", "LocalHost", "localhost.",
])
def test_every_spelling_of_loopback_is_that_address(spelling: str) -> None:
    assert ip_literal(spelling) == LOOPBACK


@pytest.mark.parametrize("spelling, address", [
    ("10.0.0.7", "10.0.0.7"), ("10.7", "10.0.0.7"), ("167772167", "10.0.0.7"),
    ("0xa.0.0.7", "10.0.0.7"), ("012.0.0.07", "10.0.0.7"), ("::1", "::1"), ("[::1]", "::1"),
    ("[fd00::1]", "fd00::1"), ("0", "0.0.0.0"),
])
def test_numeric_spellings(spelling: str, address: str) -> None:
    assert ip_literal(spelling) == ipaddress.ip_address(address)


@pytest.mark.parametrize("name", [
    "lab-pc-07", "example.com", "localhost.example", "127.0.0.1.evil", "256.0.0.1", "1.2.3.4.5",
    "08.0.0.1", "0x.0.0.1g", "1.2.3.256", "4294967296", "127.0.0.1 x", "", "[::1", "-1",
])
def test_names_and_nonsense_are_not_addresses(name: str) -> None:
    assert ip_literal(name) is None


@pytest.mark.parametrize("spec, network, low, high", [
    ("127.0.0.1:12345", "127.0.0.1/32", 12345, 12345),
    ("127.1:12345", "127.0.0.1/32", 12345, 12345),
    ("10.0.0.0/24:12345", "10.0.0.0/24", 12345, 12345),
    ("10.0.0.0/24:12000-12999", "10.0.0.0/24", 12000, 12999),
    ("10.0.0.9/24:1-2", "10.0.0.0/24", 1, 2),
    ("[::1]:8000", "::1/128", 8000, 8000),
    ("[fd00::/64]:12345-12350", "fd00::/64", 12345, 12350),
    ("[::ffff:10.0.0.0/120]:12345", "10.0.0.0/24", 12345, 12345),
    ("[::ffff:127.0.0.1]:12345", "127.0.0.1/32", 12345, 12345),
])
def test_specs(spec: str, network: str, low: int, high: int) -> None:
    assert parse_spec(spec) == Rule(ipaddress.ip_network(network), low, high, spec)


def test_a_name_in_a_spec_is_resolved_later() -> None:
    assert parse_spec("Lab-PC-07:12345") == NamedHost("lab-pc-07", 12345, 12345,
                                                      "Lab-PC-07:12345")


@pytest.mark.parametrize("spec, words", [
    ("12345", "expected HOST:PORT"), ("10.0.0.1", "expected HOST:PORT"),
    ("10.0.0.1:", "not a port"), ("10.0.0.1:0", "out of range"),
    ("10.0.0.1:70000", "out of range"), ("10.0.0.1:200-100", "empty port range"),
    ("10.0.0.1:1-", "not a port"), ("10.0.0.0/33:1", "not a CIDR"),
    ("10.0.0.0/x:1", "not a CIDR"), ("::1:12345", "needs brackets"),
    ("[::1:12345", r"expected \[IPv6\]:PORT"), ("a b:1", "not a host"), (":12345", "expected"),
])
def test_bad_specs_say_why(spec: str, words: str) -> None:
    with pytest.raises(SpecError, match=words):
        parse_spec(spec)


def class_list(*lines: str) -> AllowList:
    entries = parse_class_targets("\n".join(lines), "class.txt")
    rules = [entry_spec(e, "class.txt") for e in entries]
    return build_allow_list([r for r in rules if isinstance(r, Rule)], entries)


def test_a_class_file_names_its_targets() -> None:
    allow = class_list("# lab 3", "10.0.0.7:12345 Budi Santoso", "[fd00::8]:12345 Ani",
                       "10.0.0.9:12345")
    assert allow.class_names() == ["Budi Santoso", "Ani"]
    assert read_target("budi  santoso", allow).shown == "Budi Santoso"
    assert (read_target("Budi Santoso", allow).host, read_target("Ani", allow).port) == (
        "10.0.0.7", 12345)
    assert allow.allows(ipaddress.ip_address("10.0.0.9"), 12345)
    assert not allow.allows(ipaddress.ip_address("10.0.0.10"), 12345)


def test_class_file_names_must_differ() -> None:
    with pytest.raises(SpecError, match="line 3.*also on line 1"):
        parse_class_targets("10.0.0.7:1 Budi\n\n10.0.0.8:1 budi\n", "class.txt")


def test_a_bad_class_file_line_is_named() -> None:
    with pytest.raises(SpecError, match="class.txt: line 2"):
        parse_class_targets("10.0.0.7:1 Budi\nnonsense\n", "class.txt")


CLASS = AllowList((parse_spec("10.0.0.0/24:12345"), parse_spec("127.0.0.1:9000-9010"),
                   parse_spec("[fd00::/64]:12345")))


@pytest.mark.parametrize("addresses, port, allowed", [
    (["10.0.0.7"], 12345, True),
    (["10.0.0.255"], 12345, True),
    (["10.0.1.7"], 12345, False),
    (["10.0.0.7"], 22, False),
    (["::ffff:10.0.0.7"], 12345, True),  # IPv4-mapped IPv6 is IPv4
    (["127.0.0.1"], 9005, True),
    (["::ffff:127.0.0.1"], 9010, True),
    (["127.0.0.1"], 9011, False),
    (["127.0.0.2"], 9005, False),
    (["::1"], 9005, False),  # IPv6 loopback is another address
    (["fd00::1234"], 12345, True),
    (["10.0.0.7", "10.0.0.8"], 12345, True),
    (["10.0.0.7", "192.168.1.1"], 12345, False),  # every address must be allowed
    (["192.168.1.1", "10.0.0.7"], 12345, False),
    ([], 12345, False),
])
def test_decisions(addresses: list[str], port: int, allowed: bool) -> None:
    decided = CLASS.decide([ipaddress.ip_address(a) for a in addresses], port)
    assert (decided is not None) is allowed


def test_decide_gives_the_checked_addresses_canonical_and_once() -> None:
    decided = CLASS.decide([ipaddress.ip_address("::ffff:10.0.0.7"),
                            ipaddress.ip_address("10.0.0.7")], 12345)
    assert decided == [ipaddress.ip_address("10.0.0.7")]


def test_port_possible_needs_no_address() -> None:
    assert CLASS.port_possible(9003) and not CLASS.port_possible(22)


def test_rules_for_a_resolved_name() -> None:
    named = parse_spec("lab-pc-07:5000")
    rules = rules_for_names(named, [LOOPBACK, ipaddress.ip_address("::ffff:127.0.0.1")])
    assert AllowList(tuple(rules)).decide([ip_literal("127.1")], 5000)


@pytest.mark.parametrize("text, host, port", [
    ("10.0.0.7:12345", "10.0.0.7", 12345), ("[::1]:80", "::1", 80),
    ("localhost:12345", "localhost", 12345), (" 127.1:9 ", "127.1", 9),
])
def test_read_target(text: str, host: str, port: int) -> None:
    target = read_target(text, CLASS)
    assert (target.host, target.port, target.name) == (host, port, "")


@pytest.mark.parametrize("text", ["", "12345", "host", "::1:80", "a b:1", "10.0.0.7:0",
                                  "10.0.0.7:99999", "10.0.0.0/24:12345", "[::1]"])
def test_read_target_refuses_what_is_not_host_port(text: str) -> None:
    assert read_target(text, CLASS) is None
