"""Recipes of issue 13 (hardening): what one misbehaving client costs everyone else.

    .venv/bin/python -m bench.harden fairness   # bystander latency under a combining-mark flood
    .venv/bin/python -m bench.harden stdout     # requests answered while stdout is unread
    .venv/bin/python -m bench.harden slowhttp   # HTTP connections without a request head
    .venv/bin/python -m bench.harden tracebacks # stderr after malformed HTTP requests
    .venv/bin/python -m bench.harden events     # what /events viewers cost the service
    .venv/bin/python -m bench.harden held       # server RSS under refused messages not read

Each recipe starts ``python -m server`` on free ports (as a user runs it, request log on),
runs one misbehaving client from :mod:`tests.floods`, prints what a bystander or the
server's memory showed, and stops the server. The same recipes back the tests in
``tests/test_hardening.py``, which assert generous bounds; the figures belong in reports.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from tests.floods import (
    combining_flood,
    connection_churn,
    events_viewers,
    http_latencies,
    lockstep,
    malformed_http_requests,
    read_forever,
    refusals_while_not_reading,
    server_with_unread_stdout,
    summary_ms,
    tcp_latencies,
    unfinished_http_requests,
    viewers_leaving_mid_send,
)
from tests.support import TinyTcpServer, start_server, vm_rss


def fairness(extra: list[str]) -> None:
    with start_server(*extra) as srv:
        print("idle:   parity 1", summary_ms(tcp_latencies(srv.tcp)))
        with combining_flood(srv.tcp, seconds=120) as flood:
            web = http_latencies(srv.http_url + "/healthz")
            tcp = tcp_latencies(srv.tcp)
        print("flood:  parity 1", summary_ms(tcp))
        print("flood:  /healthz", summary_ms(web))
        print(f"flood:  {flood['replies']} of {flood['lines']} flood lines answered")


def held(extra: list[str]) -> None:
    silent = TinyTcpServer(read_forever)
    with start_server("--quiet", "--backend", silent.address, *extra) as srv:
        started = time.monotonic()
        growth, sent = refusals_while_not_reading(srv.host, srv.http_port, srv.proc.pid,
                                                  seconds=5.0)
        elapsed = time.monotonic() - started
        print(f"held refusals: RSS +{growth / 2**20:.0f} MiB after {sent} refused 900 KB "
              f"messages in {elapsed:.1f} s; now {vm_rss(srv.proc.pid) >> 20} MiB")
    silent.close()


def stdout(extra: list[str]) -> None:
    with server_with_unread_stdout("--log-format", "json", *extra) as (proc, port):
        started = time.monotonic()
        answered = lockstep(("127.0.0.1", port), 5000)
        print(f"unread stdout: {answered} of 5000 lockstep requests answered in "
              f"{time.monotonic() - started:.1f} s")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            status = proc.wait(10)
            print(f"unread stdout: SIGTERM -> exit {status} in {time.monotonic() - started:.1f} s")
        except subprocess.TimeoutExpired:
            print("unread stdout: still running 10 s after SIGTERM")


def slowhttp(extra: list[str]) -> None:
    with start_server("--quiet", *extra) as srv:
        for wait in (5.0, 12.0):
            still = unfinished_http_requests((srv.host, srv.http_port), 20, wait)
            print(f"unfinished HTTP requests: {still} of 20 still open after {wait:.0f} s")


def tracebacks(extra: list[str]) -> None:
    with start_server(*extra) as srv:
        sent = malformed_http_requests((srv.host, srv.http_port), rounds=60)
        viewers_leaving_mid_send((srv.host, srv.http_port), srv.tcp)
        stderr = srv.stderr()
    print(f"tracebacks: {sent} malformed requests, viewers leaving: stderr "
          f"{len(stderr)} bytes, {stderr.count('Traceback')} tracebacks")


def events(extra: list[str]) -> None:
    with start_server("--quiet", *extra) as srv:
        http = (srv.host, srv.http_port)
        for viewers in (0, 300):
            with events_viewers(http, viewers) as got:
                bystander = []
                churn = 0.0
                for _ in range(3):
                    churn += connection_churn(srv.tcp, 1.0) / 3
                    bystander += tcp_latencies(srv.tcp, count=10, pause=0.01)
            print(f"events: {viewers} viewers ({got['closed']} refused, "
                  f"{got['bytes'] >> 10} KiB received): churn {churn:.0f} connections/s, "
                  f"bystander parity 1 {summary_ms(bystander)}")


RECIPES: dict[str, Callable[[list[str]], None]] = {
    "events": events,
    "tracebacks": tracebacks,
    "fairness": fairness, "held": held, "stdout": stdout, "slowhttp": slowhttp}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.harden", description=__doc__)
    parser.add_argument("recipe", choices=sorted(RECIPES))
    parser.add_argument("server_args", nargs=argparse.REMAINDER,
                        help="extra options for python -m server")
    args = parser.parse_args(argv)
    RECIPES[args.recipe](args.server_args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
