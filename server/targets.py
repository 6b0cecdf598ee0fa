"""The I/O around :mod:`server.allow_list`: reading class files, resolving names, and the one
decision every part asks about a request's target (:func:`resolve_target`).

``/ws?target=`` and the page's check both call :func:`resolve_target` (or
:func:`target_for_request` with the aiohttp request), so what a page may reach is decided in
one place. A refusal comes before any connection: a target whose port no rule allows is
refused without even a lookup, and a name is looked up once and the connection then goes to
one of the addresses that were checked.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from server.allow_list import (
    CLOSE_POLICY,
    AllowList,
    IPAddress,
    NamedHost,
    Rule,
    SpecError,
    build_allow_list,
    canonical,
    entry_spec,
    ip_literal,
    parse_class_targets,
    parse_spec,
    read_target,
    rules_for_names,
)
from server.class_file import join_host_port

Resolver = Callable[[str], Awaitable[list[IPAddress]]]
REASON_LIMIT = 120  # a WebSocket close reason is at most 123 bytes
LOOKUP_TIMEOUT = 5.0  # a name that takes longer to resolve is refused as unresolvable


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    """Where a session goes. ``default``: the configured backend (as with no target);
    otherwise a foreign server at one of ``addresses`` (checked, in order) on ``port``."""

    addresses: tuple[IPAddress, ...]
    port: int
    shown: str  # as the page shows it: the class name, or HOST:PORT as asked
    default: bool = False
    default_host: str = ""  # the configured backend's host, for ``default``

    @property
    def address(self) -> tuple[str, int]:
        """Where to connect: the configured backend, or the first checked address (a
        number, not a name: no second lookup)."""
        if self.default:
            return self.default_host, self.port
        return str(self.addresses[0]), self.port

    @property
    def text(self) -> str:
        return (join_host_port(str(self.addresses[0]), self.port) if self.addresses
                else self.shown)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A target the page may not use: close the WebSocket with ``code`` and ``reason``."""

    reason: str
    code: int = CLOSE_POLICY


def refusal(target: str, why: str) -> Refusal:
    shown = target if len(target) <= 40 else target[:39] + "…"
    return Refusal(f"target {shown} not allowed: {why}".encode()[:REASON_LIMIT]
                   .decode("utf-8", "ignore"))


# -- start-up: specs and class files ------------------------------------------------------
def resolve_now(host: str) -> list[IPAddress]:
    """Blocking lookup, for start-up only; [] when the name does not resolve."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return _addresses(infos)


def _addresses(infos: Sequence[tuple]) -> list[IPAddress]:
    found: list[IPAddress] = []
    for family, *_, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ip_literal(sockaddr[0].partition("%")[0])
        if address is not None and address not in found:
            found.append(address)
    return found


def load_allow_list(specs: Sequence[str],
                    lookup: Callable[[str], list[IPAddress]] = resolve_now) -> AllowList:
    """Every ``--allow-target`` (``@FILE`` read here) as one :class:`AllowList`; raises
    :class:`SpecError` with one line saying what is wrong."""
    rules: list[Rule] = []
    entries = []
    for spec in specs:
        if spec.startswith("@"):
            path = Path(spec[1:])
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                raise SpecError(f"cannot read class file {path}: {reason.lower()}") from None
            file_entries = parse_class_targets(text, str(path))
            if not file_entries:
                raise SpecError(f"class file {path} lists no targets")
            entries += file_entries
            parsed = [entry_spec(e, str(path)) for e in file_entries]
        else:
            try:
                parsed = [parse_spec(spec)]
            except SpecError as exc:
                raise SpecError(f"--allow-target {spec}: {exc}") from None
        for item in parsed:
            if isinstance(item, NamedHost):
                addresses = lookup(item.host)
                if not addresses:
                    raise SpecError(f"--allow-target {item.source}: cannot resolve {item.host}")
                rules += rules_for_names(item, addresses)
            else:
                rules.append(item)
    return build_allow_list(rules, entries)


# -- a request's target ----------------------------------------------------------------------
async def resolve_host(host: str) -> list[IPAddress]:
    """Every address ``host`` stands for, looked up once (numeric spellings need none)."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(
            host, None, type=socket.SOCK_STREAM), LOOKUP_TIMEOUT)
    except (socket.gaierror, UnicodeError, OSError, TimeoutError):
        return []
    return _addresses(infos)


def default_rules(backend: tuple[str, int]) -> list[Rule]:
    """The configured backend is always allowed. A service listening on every address
    (``0.0.0.0``) is reached through loopback, so loopback on its port is that backend."""
    host, port = backend
    address = ip_literal(host)
    if address is None:
        return []
    if address.is_unspecified:
        found = [ip_literal("127.0.0.1"), ip_literal("::1")]
    else:
        found = [canonical(address)]
    return rules_for_names(NamedHost(host, port, port, "backend"), found)


async def resolve_target(allow: AllowList, backends: Sequence[tuple[str, int]],
                         text: str | None, resolve: Resolver = resolve_host,
                         ) -> ResolvedTarget | Refusal:
    """Where a page's session (or its check) goes for ``?target=text``.

    No target: the configured backend (``backends[0]``). Otherwise a class name or
    HOST:PORT whose every address is allowed (``--allow-target``, or the configured backend
    itself); anything else is a :class:`Refusal`, decided before any connection."""
    default_host, default_port = backends[0]
    default = ResolvedTarget((), default_port, join_host_port(default_host, default_port),
                             default=True, default_host=default_host)
    if text is None or not text.strip():
        return default
    wanted = read_target(text, allow)
    if wanted is None:
        return refusal(text.strip(), "expected HOST:PORT" + (" or a class name"
                                                             if allow.names else ""))
    own = AllowList(tuple(r for b in backends for r in default_rules(b)))
    if not allow.port_possible(wanted.port) and not own.port_possible(wanted.port):
        return refusal(wanted.shown, "no --allow-target covers this port")
    addresses = await resolve(wanted.host)
    if not addresses:
        return refusal(wanted.shown, f"cannot resolve {wanted.host}")
    combined = AllowList(allow.rules + own.rules)
    checked = combined.decide(addresses, wanted.port)
    if checked is None:
        return refusal(wanted.shown, "not in --allow-target")
    if any(own.allows(a, wanted.port) for a in checked):
        return default
    return ResolvedTarget(tuple(checked), wanted.port, wanted.shown)
