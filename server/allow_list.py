"""Which servers a page may choose (``--allow-target``), decided on addresses.

websockify's maintainers refused a free ``host:port`` chosen by the browser: that turns a
bridge into an open proxy into the network (novnc/websockify#3, #587; novnc/noVNC#1044).
Here a page may only use targets the operator allowed, and the decision is made on the
*addresses* a target resolves to, never on how it is spelled: ``127.1``, ``2130706433``,
``0x7f.0.0.1``, ``[::ffff:127.0.0.1]`` and ``localhost`` are all 127.0.0.1 and are allowed
or refused as it is. A name must resolve only to allowed addresses, and the bridge then
connects to one of the addresses that were checked (no second lookup: no DNS rebinding).

Sans-I/O: parsing specs and class files and deciding are pure functions over values. Name
resolution is the caller's (:mod:`server.targets`), passed in as resolved addresses.

Spec forms: ``HOST:PORT``, ``HOST:LOW-HIGH``, ``CIDR:PORT``, ``CIDR:LOW-HIGH`` (IPv6 in
brackets: ``[fd00::/64]:12345``). HOST may be a name (resolved once, at start).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from server.class_file import (
    ClassEntry,
    ClassFileError,
    join_host_port,
    parse_class_file,
    split_host_port,
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

CLOSE_POLICY = 1008  # RFC 6455: policy violation


class SpecError(ValueError):
    """An ``--allow-target`` spec (or class file) that cannot be understood; says why."""


# -- spellings of an address ----------------------------------------------------------------
def _inet_aton_part(text: str) -> int | None:
    """One part of a classic IPv4 spelling: decimal, ``0x`` hex or ``0`` octal."""
    if not text or not text.isascii():
        return None
    try:
        if text[:2].lower() == "0x":
            return int(text[2:], 16) if text[2:] else 0
        if len(text) > 1 and text[0] == "0":
            return int(text[1:], 8)
        return int(text, 10) if text.isdigit() else None
    except ValueError:
        return None


def _inet_aton(text: str) -> ipaddress.IPv4Address | None:
    """``inet_aton(3)``'s reading of ``text`` (what ``ping 127.1`` and browsers accept):
    1 to 4 parts, the last one filling the remaining bytes. Strict: no trailing text."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = [_inet_aton_part(p) for p in parts]
    if any(v is None for v in values):
        return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number << 8 | v
    number = number << 8 * (4 - len(head)) | last
    return ipaddress.IPv4Address(number)


def canonical(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (``::ffff:127.0.0.1``) is the IPv4 address it maps."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def ip_literal(host: str) -> IPAddress | None:
    """The address ``host`` spells without any lookup (brackets allowed around IPv6), or
    None for a name. Every numeric IPv4 spelling counts, IPv4-mapped IPv6 is IPv4, and
    ``localhost`` is 127.0.0.1 (the contract's list of spellings of that address)."""
    text = host.strip()
    if text.lower().rstrip(".") == "localhost":  # RFC 6761: loopback, never looked up
        return ipaddress.IPv4Address("127.0.0.1")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return canonical(ipaddress.IPv6Address(text))
        except ValueError:
            return None
    return _inet_aton(text)


# -- specs ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Rule:
    """Addresses in ``network`` on ports ``low``..``high`` are allowed."""

    network: IPNetwork
    low: int
    high: int
    source: str = ""  # the spec (or class-file line) it came from, for messages

    def allows(self, address: IPAddress, port: int) -> bool:
        return (self.low <= port <= self.high and address.version == self.network.version
                and address in self.network)


@dataclass(frozen=True, slots=True)
class NamedHost:
    """A spec whose host is a name (``lab-pc-07:12345``): allowed are the addresses it
    resolves to when the server starts (:func:`rules_for_names`)."""

    host: str
    low: int
    high: int
    source: str = ""


def _ports(text: str) -> tuple[int, int]:
    low_text, dash, high_text = text.partition("-")
    bounds = []
    for part in (low_text, high_text) if dash else (low_text,):
        part = part.strip()
        if not part.isascii() or not part.isdigit():
            raise SpecError(f"not a port number: {part!r}")
        value = int(part)
        if not 1 <= value <= 65535:
            raise SpecError(f"port out of range 1-65535: {value}")
        bounds.append(value)
    low, high = bounds[0], bounds[-1]
    if low > high:
        raise SpecError(f"empty port range: {text}")
    return low, high


def _network(host: str) -> IPNetwork | None:
    """The network a spec's host names: a CIDR, or one address (any spelling); None for a
    name."""
    if "/" in host:
        address_part, _, prefix = host.partition("/")
        if ":" in address_part:  # IPv6, maybe IPv4-mapped: the prefix counts 128 bits
            address: IPAddress | None = ipaddress.IPv6Address(address_part) if _is_ipv6(
                address_part) else None
        else:
            address = _inet_aton(address_part)
        if address is None or not prefix.isascii() or not prefix.isdigit():
            raise SpecError(f"not a CIDR network: {host!r}")
        try:
            return _mapped_network(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
        except ValueError as exc:
            raise SpecError(f"not a CIDR network: {host!r} ({exc})") from None
    address = ip_literal(host)
    return None if address is None else ipaddress.ip_network(address)


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _mapped_network(network: IPNetwork) -> IPNetwork:
    """``[::ffff:10.0.0.0/120]`` is the IPv4 network 10.0.0.0/24."""
    if isinstance(network, ipaddress.IPv6Network):
        mapped = canonical(network.network_address)
        if mapped.version == 4 and network.prefixlen >= 96:
            return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}", strict=False)
    return network


def split_spec(text: str) -> tuple[str, str]:
    """``HOST:PORTS`` or ``[IPv6(/N)]:PORTS`` into (host, ports) text."""
    text = text.strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise SpecError(f"expected [IPv6]:PORT, got {text!r}")
        return host, rest[1:]
    host, sep, ports = text.rpartition(":")
    if not sep or not host:
        raise SpecError(f"expected HOST:PORT, HOST:LOW-HIGH, CIDR:PORT or CIDR:LOW-HIGH, "
                        f"got {text!r}")
    if ":" in host:
        raise SpecError(f"an IPv6 address needs brackets: [{host}]:{ports}")
    return host, ports


def parse_spec(text: str) -> Rule | NamedHost:
    """One ``--allow-target`` spec (not ``@FILE``: reading files is the caller's)."""
    host, port_text = split_spec(text)
    low, high = _ports(port_text)
    network = _network(host)
    if network is None:
        if not host or any(c.isspace() or c in "/[]@" for c in host):
            raise SpecError(f"not a host name or address: {host!r}")
        return NamedHost(host.lower(), low, high, text.strip())
    return Rule(network, low, high, text.strip())


def parse_class_targets(text: str, source: str) -> list[ClassEntry]:
    """A class file's entries; names must be unique (a page chooses by name)."""
    try:
        entries = parse_class_file(text)
    except ClassFileError as exc:
        raise SpecError(f"{source}: {exc}") from None
    seen: dict[str, ClassEntry] = {}
    for entry in entries:
        key = name_key(entry.name)
        if key and key in seen:
            raise SpecError(f"{source}: line {entry.line}: the name {entry.name!r} is also on "
                            f"line {seen[key].line}; a page chooses by name, so names must differ")
        if key:
            seen[key] = entry
    return entries


def name_key(name: str) -> str:
    """Names are matched without regard to case or surrounding blanks."""
    return " ".join(name.split()).casefold()


def entry_spec(entry: ClassEntry, source: str) -> Rule | NamedHost:
    parsed = parse_spec(entry.address)
    where = f"{source}:{entry.line}"
    if isinstance(parsed, Rule):
        return Rule(parsed.network, parsed.low, parsed.high, where)
    return NamedHost(parsed.host, parsed.low, parsed.high, where)


def rules_for_names(named: NamedHost, addresses: Iterable[IPAddress]) -> list[Rule]:
    """The rules a named host stands for, once it has been resolved (at start)."""
    return [Rule(ipaddress.ip_network(canonical(a)), named.low, named.high, named.source)
            for a in addresses]


# -- the allow-list and its decisions -----------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClassTarget:
    """A class file's target, chosen by name."""

    name: str
    host: str
    port: int


@dataclass(frozen=True)
class AllowList:
    rules: tuple[Rule, ...] = ()
    names: dict[str, ClassTarget] = field(default_factory=dict)  # name_key -> target

    @property
    def enabled(self) -> bool:
        return bool(self.rules or self.names)

    def class_names(self) -> list[str]:
        return [target.name for target in self.names.values()]

    def named(self, text: str) -> ClassTarget | None:
        return self.names.get(name_key(text))

    def port_possible(self, port: int) -> bool:
        """Whether any rule allows ``port`` at all: if not, no lookup is worth making."""
        return any(rule.low <= port <= rule.high for rule in self.rules)

    def allows(self, address: IPAddress, port: int) -> bool:
        address = canonical(address)
        return any(rule.allows(address, port) for rule in self.rules)

    def decide(self, addresses: Sequence[IPAddress], port: int) -> list[IPAddress] | None:
        """The addresses to connect to (canonical, in order, duplicates removed), or None
        when any of them is not allowed: a name is allowed only if *every* address it
        resolves to is, so a name cannot mix an allowed address with a forbidden one."""
        checked: list[IPAddress] = []
        for address in addresses:
            address = canonical(address)
            if not self.allows(address, port):
                return None
            if address not in checked:
                checked.append(address)
        return checked or None


def build_allow_list(rules: Iterable[Rule], entries: Iterable[ClassEntry]) -> AllowList:
    names = {name_key(e.name): ClassTarget(e.name, e.host, e.port) for e in entries if e.name}
    return AllowList(tuple(rules), names)


# -- a request's target text ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TargetText:
    """What ``?target=`` asked for: a host and port as given, and the class name if any."""

    host: str
    port: int
    name: str = ""

    @property
    def shown(self) -> str:
        if self.name:
            return self.name
        return join_host_port(self.host, self.port)


def read_target(text: str, allow: AllowList) -> TargetText | None:
    """``NAME`` (a class file's) or ``HOST:PORT`` / ``[IPv6]:PORT``; None when it is neither."""
    text = text.strip()
    target = allow.named(text)
    if target is not None:
        return TargetText(target.host, target.port, target.name)
    try:
        host, port = split_host_port(text)
    except ValueError:
        return None
    if any(c.isspace() or c in "/[]@" for c in host):
        return None
    return TargetText(host, port)
