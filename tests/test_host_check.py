"""The Host check: only requests that name the web app are answered (DNS rebinding)."""

from __future__ import annotations

import http.client
import socket

import pytest
from websockets.sync.client import connect as ws_connect

from server.host_check import host_allowed, host_name
from tests.support import checked_server, start_server

PATHS = ["/", "/healthz", "/config", "/metrics", "/events", "/ws", "/static/main.js"]


@pytest.mark.parametrize("header", [
    "127.0.0.1", "127.0.0.1:8080", "localhost", "LOCALHOST:8080", "localhost.:8080",
    "[::1]:8080", "[::1]", "10.0.0.7:8080", "192.168.1.20"])
def test_ip_addresses_and_localhost_are_allowed(header: str) -> None:
    assert host_allowed(header)


@pytest.mark.parametrize("header", [
    "evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example",
    "", "[::1", "playground.example:8080"])
def test_other_names_are_refused(header: str) -> None:
    assert not host_allowed(header)


def test_a_name_given_with_allow_host_is_allowed_with_any_port_and_case() -> None:
    assert host_allowed("Playground.Example:8080", ("playground.example",))
    assert not host_allowed("other.example", ("playground.example",))
    assert host_name("[::1]:80") == "::1"


def test_no_host_header_is_served() -> None:
    assert host_allowed(None)


@pytest.fixture(scope="module")
def server():
    yield from checked_server("--lang", "en")


def response_with_host(port: int, path: str, host: str | None, origin: str | None = None,
                       version: str = "1.1") -> tuple[int, bytes]:
    """Status and body of a GET of ``path`` sent with exactly this Host (None: none)."""
    headers = [f"GET {path} HTTP/{version}"]
    if host is not None:
        headers.append(f"Host: {host}")
    if origin is not None:
        headers.append(f"Origin: {origin}")
    if path in ("/ws", "/events"):
        headers += ["Upgrade: websocket", "Connection: Upgrade",
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, b"" if response.status == 101 else response.read()


def status_with_host(port: int, path: str, host: str | None, origin: str | None = None,
                     version: str = "1.1") -> int:
    return response_with_host(port, path, host, origin, version)[0]


@pytest.mark.parametrize("path", PATHS)
def test_a_rebinding_host_is_refused_on_every_path_whatever_its_origin(server, path) -> None:
    port = server.http_port
    for origin in (None, f"http://evil.example:{port}"):
        assert status_with_host(port, path, f"evil.example:{port}", origin) == 403


@pytest.mark.parametrize("path", ["/", "/healthz", "/config", "/metrics"])
def test_ip_localhost_and_no_host_are_served(server, path) -> None:
    port = server.http_port
    assert status_with_host(port, path, f"127.0.0.1:{port}") == 200
    assert status_with_host(port, path, f"localhost:{port}") == 200
    assert status_with_host(port, path, None, version="1.0") == 200


def test_the_refusal_says_how_to_allow_the_name(server) -> None:
    status, body = response_with_host(server.http_port, "/ws", "evil.example")
    assert status == 403 and b"--allow-host" in body


def test_allow_host_lets_a_named_deployment_in() -> None:
    with start_server("--lang", "en", "--allow-host", "playground.example") as srv:
        port = srv.http_port
        assert status_with_host(port, "/config", f"playground.example:{port}") == 200
        assert status_with_host(port, "/config", f"other.example:{port}") == 403
        named = f"playground.example:{port}"
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        with ws_connect(f"ws://{named}/ws", sock=sock, origin=f"http://{named}") as ws:
            ws.send("parity 5")
            assert ws.recv(timeout=5) == "5 is odd"
