"""The command line: ``python -m server [options]``, ``python -m server client`` and
``python -m server check`` (:mod:`server.check.command`).

Errors a user can cause (a bad option, a port in use, an address that cannot be bound) are
one line on stderr and exit status 2; nothing a user does prints a traceback. SIGTERM and
Ctrl-C stop accepting, answer what was received, close every connection and exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
from typing import NoReturn

from aiohttp import web

from server import __version__, log_filters
from server.allow_list import SpecError
from server.class_file import join_host_port, split_host_port
from server.client import run_client
from server.config import DEFAULT_HTTP_PORT, DEFAULT_TCP_PORT, Config
from server.request_log import RequestLog
from server.targets import load_allow_list
from server.web_app import make_app

PROG = "python -m server"
DEBUG = bool(os.environ.get("PLAYGROUND_DEBUG"))
log = logging.getLogger("server")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class UsageError(Exception):
    pass


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 0-65535: {value}")
    return value


def host_port(text: str) -> tuple[str, int]:
    """``--backend``: the class file's own rule (server.class_file), so an IPv6 address
    needs its brackets (``::1:80`` is ambiguous) and the port is 1-65535."""
    try:
        return split_host_port(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive(kind: type):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0: {text}")
        return value
    return parse


def non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text}")
    return value


def server_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog=PROG,
        description="The client-server playground: the lab sheet's TCP service (parity and "
                    "length) and a web page that bridges a browser to it over WebSocket.",
        epilog=f"Client: {PROG} client [--host H] [--port P] [--once TEXT]. "
               f"Check a lab server: {PROG} check HOST:PORT (docs/check.md). "
               "Protocol and limits: docs/protocol.md.")
    add = p.add_argument
    add("--version", action="version", version=f"%(prog)s {__version__}")
    g = p.add_argument_group("listening")
    g.add_argument("--host", default="127.0.0.1",
                   help="address to listen on, for both listeners (default 127.0.0.1)")
    g.add_argument("--tcp-port", type=port_number, default=DEFAULT_TCP_PORT, metavar="P",
                   help=f"TCP service port; 0 picks a free one (default {DEFAULT_TCP_PORT})")
    g.add_argument("--http-port", type=port_number, default=DEFAULT_HTTP_PORT, metavar="Q",
                   help=f"web app port; 0 picks a free one (default {DEFAULT_HTTP_PORT})")
    g.add_argument("--backend", type=host_port, metavar="H:P",
                   help="run only the web app, bridging to this TCP server (e.g. your own "
                        "lab server); the page starts in Raw mode")
    g.add_argument("--workers", type=positive(int), default=1, metavar="N",
                   help="processes sharing the ports with SO_REUSEPORT (default 1)")
    g.add_argument("--reuse-port", action="store_true",
                   help="bind with SO_REUSEPORT, to run several instances on one port")
    g = p.add_argument_group("protocol")
    g.add_argument("--lang", choices=("id", "en"), default="id",
                   help="language of plain replies (default id, as in the lab sheet)")
    g.add_argument("--default", choices=("auto", "parity", "length"), default="auto",
                   help="handler for a line with no command word (default auto: parity for "
                        "an integer, length otherwise)")
    g.add_argument("--single", action="store_true",
                   help="serve one connection at a time, like the lab sheet's server; the "
                        "others wait in a queue shown on the page")
    g.add_argument("--max-line", type=positive(int), default=65536, metavar="BYTES",
                   help="longest request line; longer ones get ERR line_too_long (default 65536)")
    g = p.add_argument_group("timeouts and limits")
    g.add_argument("--idle-flush-ms", type=positive(float), default=50.0, metavar="MS",
                   help="answer a request without LF after this pause (default 50)")
    g.add_argument("--idle-timeout", type=positive(float), default=300.0, metavar="S",
                   help="close a connection that sends nothing for S seconds (default 300)")
    g.add_argument("--send-timeout", type=positive(float), default=30.0, metavar="S",
                   help="cut off a client that has not read its replies for S seconds "
                        "(default 30)")
    g.add_argument("--turn-idle", type=positive(float), default=2.0, metavar="S",
                   help="with --single, an idle connection gives up its turn after S seconds "
                        "when others wait (default 2)")
    g.add_argument("--reply-timeout", type=positive(float), default=10.0, metavar="S",
                   help="with --backend, give up on a request the server has not answered "
                        "for S seconds: the page says it timed out (default 10)")
    g.add_argument("--time-slice-ms", type=positive(float), default=5.0, metavar="MS",
                   help="time one client's requests may take per turn of the event loop; "
                        "past it, that client waits for the next turn so others are served "
                        "(default 5)")
    g.add_argument("--ws-max-message", type=positive(int), default=0, metavar="BYTES",
                   help="largest WebSocket message; bigger ones close with 1009 "
                        "(default max(1 MiB, 4 x --max-line))")
    g.add_argument("--max-viewers", type=positive(int), default=64, metavar="N",
                   help="server view feeds (/events) open at once; more are closed with "
                        "1013 (default 64)")
    g.add_argument("--header-timeout", type=positive(float), default=10.0, metavar="S",
                   help="close an HTTP connection that has not sent a complete request "
                        "head within S seconds of opening or of its last response "
                        "(default 10)")
    g.add_argument("--heartbeat", type=positive(float), default=20.0, metavar="S",
                   help="WebSocket ping interval, to find dead browsers (default 20)")
    g.add_argument("--ws-compress", action="store_true",
                   help="allow permessage-deflate (off by default: it costs most of the "
                        "bridge's throughput on one-line messages)")
    g = p.add_argument_group("web")
    g.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                   help="also accept WebSockets from pages of this origin (repeatable; * for any)")
    g.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests whose Host is NAME (repeatable); without it "
                        "only IP addresses and localhost are answered, against DNS "
                        "rebinding. Needed for a named deployment, e.g. behind a proxy")
    g = p.add_argument_group("a class (docs/classroom.md)")
    g.add_argument("--allow-target", action="append", default=[], metavar="SPEC",
                   help="let pages choose their backend among these targets (repeatable): "
                        "HOST:PORT, HOST:LOW-HIGH, CIDR:PORT, CIDR:LOW-HIGH (IPv6 in "
                        "brackets), or @FILE, a class file of HOST:PORT NAME lines (the "
                        "format of check --targets) whose names can be chosen too")
    g.add_argument("--max-sessions-per-address", type=non_negative, default=None, metavar="N",
                   help="WebSocket sessions one client address may hold at once; more are "
                        "closed with 1013 (default 32 with --allow-target, else no limit; "
                        "0: no limit)")
    g.add_argument("--server-view", choices=("all", "own"), default=None,
                   help="what the server view shows each page: all requests, or only its own "
                        "requests' content (default own when listening beyond loopback, "
                        "all on loopback)")
    g = p.add_argument_group("logging")
    g.add_argument("--log-format", choices=("text", "json"), default="text",
                   help="text: the lab sheet's line per request, summarised under load; "
                        "json: one JSON object per event")
    g.add_argument("--quiet", action="store_true", help="no request log")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return p


def client_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog=f"{PROG} client",
                      description="The lab sheet's client: sends each line typed and prints "
                                  "the reply; ends at end of input.")
    p.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=DEFAULT_TCP_PORT,
                   help=f"server port (default {DEFAULT_TCP_PORT})")
    p.add_argument("--once", metavar="TEXT", help="send TEXT, print the reply and exit")
    return p


def config_from(args: argparse.Namespace) -> Config:
    """Raises :class:`UsageError` for a bad ``--allow-target`` (or an unreadable class file)."""
    try:
        allow = load_allow_list(args.allow_target)
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    return Config(
        host=args.host, tcp_port=args.tcp_port, http_port=args.http_port, backend=args.backend,
        lang=args.lang, default=args.default, single=args.single, max_line=args.max_line,
        allow_origins=tuple(args.allow_origin),
        allow_hosts=tuple(args.allow_host), idle_flush=args.idle_flush_ms / 1000,
        idle_timeout=args.idle_timeout, send_timeout=args.send_timeout,
        turn_idle=args.turn_idle, reply_timeout=args.reply_timeout,
        time_slice=args.time_slice_ms / 1000,
        ws_max_message=args.ws_max_message,
        heartbeat=args.heartbeat, header_timeout=args.header_timeout,
        max_viewers=args.max_viewers,
        ws_compress=args.ws_compress, log_format=args.log_format,
        quiet=args.quiet, workers=args.workers, reuse_port=args.reuse_port or args.workers > 1,
        worker=args.worker, allow=allow,
        max_sessions_per_address=args.max_sessions_per_address,
        server_view=args.server_view or "")


def listen_socket(host: str, port: int, reuse_port: bool, what: str) -> socket.socket:
    """Bind a listening socket, or raise UsageError with one line saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"cannot listen on {host}:{port} ({what}): {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(4096)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        raise UsageError(f"cannot listen on {host}:{port} ({what}): {reason}") from None
    return sock


def display(address: tuple) -> str:
    return join_host_port(address[0], address[1])


async def serve(config: Config) -> int:
    """Run until SIGTERM/SIGINT; returns the exit status."""
    tcp_sock = None
    if config.backend is None:
        tcp_sock = listen_socket(config.host, config.tcp_port, config.reuse_port, "tcp")
    http_sock = listen_socket(config.host, config.http_port, config.reuse_port, "http")
    tcp_addr = tcp_sock.getsockname() if tcp_sock else None
    http_addr = http_sock.getsockname()

    # Signals are ours before the listening lines are printed: a script that sends SIGTERM as
    # soon as it reads them gets the clean shutdown, never the default death by signal.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(one_line_errors)
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    request_log = None if config.quiet else RequestLog(log_format=config.log_format)
    app = make_app(config, request_log=request_log, tcp_sock=tcp_sock)
    # aiohttp's keep-alive timer runs from a connection's opening and from each response,
    # and closes the connection if no complete request head has come by then (it never
    # touches a request being handled, such as an open WebSocket): the header timeout.
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=3.0,
                           keepalive_timeout=config.header_timeout)
    await runner.setup()
    site = web.SockSite(runner, http_sock)
    await site.start()

    children: list[subprocess.Popen] = []
    if config.workers > 1 and not config.worker:
        children = spawn_workers(config, tcp_addr, http_addr)
    if not config.worker:
        if tcp_addr is not None:
            print(f"tcp listening on {display(tcp_addr)}", flush=True)
        else:
            print(f"bridging to tcp backend {display(config.backend)}", flush=True)
        print(f"http listening on http://{display(http_addr)}/", flush=True)

    await stop.wait()
    for child in children:
        child.send_signal(signal.SIGTERM)
    await runner.cleanup()  # closes WebSockets (1001), then the service answers and closes
    for child in children:
        try:
            await asyncio.to_thread(child.wait, 10)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0


def one_line_errors(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """Errors the event loop catches (a bug in a callback) are one log line, not a
    traceback in the user's terminal; ``PLAYGROUND_DEBUG=1`` shows the traceback."""
    exc = context.get("exception")
    what = context.get("message", "error")
    detail = f"{type(exc).__name__}: {exc}" if exc is not None else ""
    log.error("internal error (%s) %s", what, detail, exc_info=exc if DEBUG else None)


def spawn_workers(config: Config, tcp_addr, http_addr) -> list[subprocess.Popen]:
    """Start ``workers - 1`` more processes on the same (now known) ports."""
    argv = [a for a in sys.argv[1:]]
    argv = _drop_option(argv, "--workers", 1)
    argv = _drop_option(argv, "--tcp-port", 1)
    argv = _drop_option(argv, "--http-port", 1)
    extra = ["--worker", "--reuse-port", "--http-port", str(http_addr[1])]
    if tcp_addr is not None:
        extra += ["--tcp-port", str(tcp_addr[1])]
    return [subprocess.Popen([sys.executable, "-m", "server", *argv, *extra],
                             stdin=subprocess.DEVNULL) for _ in range(config.workers - 1)]


def _drop_option(argv: list[str], name: str, values: int) -> list[str]:
    out: list[str] = []
    skip = 0
    for arg in argv:
        if skip:
            skip -= 1
        elif arg == name:
            skip = values
        elif not arg.startswith(name + "="):
            out.append(arg)
    return out


def run_loop(coro) -> int:
    try:
        import uvloop
    except ImportError:
        run = asyncio.run
    else:
        run = uvloop.run
    try:
        return run(coro)
    finally:
        # The loop has stopped and given SIGTERM back to its default: a second SIGTERM (a
        # supervisor repeating itself) while the process exits must not turn a clean exit 0
        # into a death by signal.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    log_filters.install(DEBUG)
    if argv[:1] == ["check"]:
        from server.check.command import run_check  # a part of its own, loaded when asked
        return run_check(argv[1:])
    if argv[:1] == ["client"]:
        args = client_parser().parse_args(argv[1:])
        return run_client(args.host, args.port, args.once)
    args = server_parser().parse_args(argv)
    try:
        return run_loop(serve(config_from(args)))
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # a bug: one line, not a traceback, and a non-zero status
        print(f"{PROG}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
