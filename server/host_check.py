"""Which ``Host`` the web app answers: DNS rebinding stops here.

A page of evil.example whose name an attacker makes resolve to 127.0.0.1 is, to the
browser, same-origin with evil.example: its Origin and its Host both say evil.example, so
an Origin check alone lets it into ``/ws`` and ``/events``. The web app therefore answers
only requests whose ``Host`` names it: an IP address (what a user types, or what a proxy
forwards), ``localhost``, or a name given with ``--allow-host``. A request without Host (an
HTTP/1.0 script) is served: no browser sends one. Pure functions; the middleware is in
:mod:`server.web_app`.
"""

from __future__ import annotations

import ipaddress


def host_name(header: str) -> str:
    """The name in a ``Host`` header: port removed, IPv6 brackets removed, lower case,
    one trailing dot removed (``LocalHost.:8080`` -> ``localhost``)."""
    host = header.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host[:-1] if host.endswith(".") else host


def host_allowed(header: str | None, allowed: tuple[str, ...] = ()) -> bool:
    """Whether a request with this ``Host`` header (``None``: none sent) is answered."""
    if header is None:
        return True
    name = host_name(header)
    if name == "localhost" or name in {host_name(a) for a in allowed}:
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
