"""A class file: the targets of a class, one ``HOST:PORT [NAME]`` per line.

One format serves ``check --targets FILE`` (which servers to check) and
``--allow-target @FILE`` (which servers the pages may use, chosen by address or by name), so
a teacher writes the class once. ``#`` starts a comment; blank lines are skipped; IPv6 hosts
are written in brackets (``[::1]:12345``). The name is the rest of the line, trimmed, and may
be absent. Pure parsing: nothing is resolved or connected here.
"""

from __future__ import annotations

from dataclasses import dataclass


class ClassFileError(ValueError):
    """A line that is not ``HOST:PORT [NAME]``; the message names the line."""


@dataclass(frozen=True, slots=True)
class ClassEntry:
    host: str  # as written, brackets removed from IPv6
    port: int
    name: str  # "" when the line gives none
    line: int  # 1-based line number in the file, for messages

    @property
    def address(self) -> str:
        """``HOST:PORT`` as written (IPv6 in brackets again)."""
        return join_host_port(self.host, self.port)


def join_host_port(host: str, port: int) -> str:
    """``HOST:PORT``, an IPv6 host in brackets: the inverse of :func:`split_host_port`,
    and how every address is written for people (listening lines, views, reasons)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split_host_port(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT`` into (host, port 1-65535); ValueError says why not."""
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ValueError(f"expected [IPv6]:PORT, got {text!r}")
        port_text = rest[1:]
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep:
            raise ValueError(f"expected HOST:PORT, got {text!r}")
        if ":" in host:
            raise ValueError(f"an IPv6 address needs brackets: [{host}]:{port_text}")
    if not host:
        raise ValueError(f"no host in {text!r}")
    if not port_text.isascii() or not port_text.isdigit():
        raise ValueError(f"not a port number: {port_text!r}")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ValueError(f"port out of range 1-65535: {port}")
    return host, port


def parse_class_file(text: str) -> list[ClassEntry]:
    """Every target of the file, in order; :class:`ClassFileError` names the first bad line."""
    entries: list[ClassEntry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        address, _, name = line.partition(" ")
        try:
            host, port = split_host_port(address)
        except ValueError as exc:
            raise ClassFileError(f"line {number}: {exc}") from None
        entries.append(ClassEntry(host, port, name.strip(), number))
    return entries
