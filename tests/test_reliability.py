"""Reliability, bounded: thousands of concurrent clients, slow and stuck clients beside a
well-behaved one, a 100 MiB line, and SIGTERM under load.

These are correctness bounds, not benchmarks: every limit asserted is generous.
"""

from __future__ import annotations

import asyncio
import json
import resource
import signal
import socket
import statistics
import threading
import time
import urllib.request

import pytest

from tests.support import open_conn, read_lines, start_server, vm_rss, wait_until

pytestmark = pytest.mark.timeout(90)

MIB = 1 << 20


def raise_fd_limit(wanted: int = 16384) -> int:
    """Raise the soft RLIMIT_NOFILE towards ``wanted``, within the hard limit (the server,
    started afterwards, inherits it). Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def expected_parity(n: int) -> bytes:
    return f"angka {n} merupakan {'genap' if n % 2 == 0 else 'ganjil'}".encode()


def server_connections(server) -> int:
    """Open TCP connections as the server itself counts them (GET /healthz)."""
    with urllib.request.urlopen(f"{server.http_url}/healthz", timeout=5) as response:
        return json.loads(response.read())["connections"]


def assert_no_traceback(server) -> None:
    err = server.stderr()
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]


# -- thousands of concurrent clients ----------------------------------------------------------
def test_2000_concurrent_clients_each_pipelining_get_every_reply_in_order():
    clients, per_client = 2000, 5
    if raise_fd_limit() < 2 * clients + 200:
        pytest.fail("RLIMIT_NOFILE hard limit too low for 2000 clients")

    async def main(address: tuple[str, int]) -> int:
        connected = 0
        all_connected = asyncio.Event()
        gate = asyncio.Semaphore(256)  # pace the SYNs, not the concurrency

        async def client(index: int) -> None:
            nonlocal connected
            async with gate:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(*address), 20)
            connected += 1
            if connected == clients:
                all_connected.set()
            await asyncio.wait_for(all_connected.wait(), 30)  # everyone holds a connection
            numbers = [index * per_client + k for k in range(per_client)]
            writer.write(f"parity {numbers[0]}\n{numbers[1]}\n".encode()
                         + json.dumps({"id": numbers[2], "text": str(numbers[2])}).encode()
                         + f"\r\nlength {'x' * (index % 50)}\n{numbers[4]}\n".encode())
            await writer.drain()
            replies = [await asyncio.wait_for(reader.readline(), 30) for _ in range(per_client)]
            writer.close()
            assert replies[0] == expected_parity(numbers[0]) + b"\n", replies
            assert replies[1] == expected_parity(numbers[1]) + b"\n", replies
            reply = json.loads(replies[2])
            assert reply["id"] == numbers[2] and reply["handler"] == "parity", reply
            assert replies[3] == f"jumlah karakter: {index % 50}\n".encode(), replies
            assert replies[4] == expected_parity(numbers[4]) + b"\n", replies
            try:
                await writer.wait_closed()
            except OSError:
                pass

        results = await asyncio.gather(*(client(i) for i in range(clients)),
                                        return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        assert not failures, f"{len(failures)} clients failed, e.g. {failures[0]!r}"
        return connected

    with start_server() as srv:
        started = time.monotonic()
        assert asyncio.run(main(srv.tcp)) == clients
        assert time.monotonic() - started < 60
        assert_no_traceback(srv)


# -- slow and stuck clients beside a well-behaved one -----------------------------------------
def test_slowloris_and_non_reading_clients_are_cut_off_while_another_is_served_fast():
    raise_fd_limit()
    idle_timeout = send_timeout = 2.0
    slow_count, stuck_count = 500, 100
    stuck_sends = b"help\n" * (16 * 1024 // 5)  # 16 KiB of requests: ~400 KiB of replies
    with start_server("--quiet", "--idle-timeout", str(idle_timeout),
                      "--send-timeout", str(send_timeout)) as srv:
        started = time.monotonic()
        slow = []
        for _ in range(slow_count):  # a partial request, then silence
            sock = open_conn(srv.tcp, timeout=10)
            sock.sendall(b"parity 4")
            slow.append(sock)
        stuck = []
        for _ in range(stuck_count):  # they send a lot and never read
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(srv.tcp)
            stuck.append(sock)
        good = open_conn(srv.tcp, timeout=10)
        # all accepted, and nobody cut off before the limits
        wait_until(lambda: server_connections(srv) == slow_count + stuck_count + 1,
                   idle_timeout * 0.75, interval=0.05)

        for sock in stuck:
            sock.sendall(stuck_sends)
        latencies = []
        for n in range(100):
            began = time.perf_counter()
            good.sendall(f"parity {n}\n".encode())
            assert read_lines(good, 1, timeout=10) == [expected_parity(n)]
            latencies.append(time.perf_counter() - began)
        assert statistics.median(latencies) < 0.050, sorted(latencies)[len(latencies) // 2]
        flood_over = time.monotonic()

        # the good client keeps talking; everyone else is cut off at the limits set
        def only_good_left() -> bool:
            good.sendall(b"parity 1\n")
            assert read_lines(good, 1) == [b"angka 1 merupakan ganjil"]
            return server_connections(srv) == 1

        wait_until(only_good_left, max(idle_timeout, send_timeout) + 4, interval=0.05)
        assert time.monotonic() - started >= min(idle_timeout, send_timeout) * 0.9
        assert time.monotonic() - flood_over <= max(idle_timeout, send_timeout) + 4

        # each slowloris got its idle-flushed reply, then the server closed it
        for sock in slow:
            sock.settimeout(5)
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
            assert data == b"angka 4 merupakan genap\n"
            sock.close()
        # each non-reader was cut off: it reads what was sent, then the end (or a reset)
        for sock in stuck:
            sock.settimeout(5)
            try:
                while sock.recv(65536):
                    pass
            except ConnectionResetError:
                pass
            sock.close()
        good.close()
        assert_no_traceback(srv)


# -- a 100 MiB line ---------------------------------------------------------------------------
def test_100_mib_without_newline_is_line_too_long_with_bounded_memory():
    with start_server("--quiet") as srv:
        pid = srv.proc.pid
        with open_conn(srv.tcp, timeout=30) as sock:
            sock.sendall(b"parity 2\n")  # warm up: the baseline includes a served request
            assert read_lines(sock, 1) == [b"angka 2 merupakan genap"]
            baseline = vm_rss(pid)
            chunk = b"9" * MIB
            errors: list[BaseException] = []

            def send_flood() -> None:
                try:
                    for _ in range(100):
                        sock.sendall(chunk)
                except BaseException as exc:  # reported by the main thread
                    errors.append(exc)

            sender = threading.Thread(target=send_flood, daemon=True)
            began = time.monotonic()
            sender.start()
            peak = baseline
            while sender.is_alive():
                peak = max(peak, vm_rss(pid))
                sender.join(0.02)
            assert not errors, errors
            peak = max(peak, vm_rss(pid))
            assert time.monotonic() - began < 60
            assert peak - baseline < 200 * MIB, (baseline, peak)
            # another client is served meanwhile
            with open_conn(srv.tcp, timeout=10) as other:
                other.sendall(b"parity 5\n")
                assert read_lines(other, 1) == [b"angka 5 merupakan ganjil"]
            sock.sendall(b"\nparity 3\n")  # the LF ends the discarded line
            replies = read_lines(sock, 2, timeout=30)
            assert replies[0].startswith(b"ERR line_too_long"), replies[0][:100]
            assert replies[1] == b"angka 3 merupakan ganjil"
        assert vm_rss(pid) - baseline < 200 * MIB
        assert_no_traceback(srv)


# -- SIGTERM under load -----------------------------------------------------------------------
def test_sigterm_under_load_answers_every_received_request_and_exits_0():
    raise_fd_limit()
    pending_count, load_count, batch = 100, 20, 50
    # The idle flush is far away: at SIGTERM, each pending client's last request is received
    # but not yet answered, and must be answered by the shutdown.
    with start_server("--quiet", "--idle-flush-ms", "60000") as srv:
        pending = []
        for i in range(pending_count):
            sock = open_conn(srv.tcp, timeout=10)
            sock.sendall(f"parity {i}\nlength {'y' * i}\nparity {i + 1}".encode())
            pending.append(sock)
        for i, sock in enumerate(pending):
            assert read_lines(sock, 2) == [expected_parity(i),
                                           f"jumlah karakter: {i}".encode()]

        load_replies: list[list[bytes]] = [[] for _ in range(load_count)]
        load_errors: list[BaseException] = []
        running = threading.Event()

        def load(index: int) -> None:
            try:
                with open_conn(srv.tcp, timeout=10) as sock:
                    n = 0
                    while True:
                        numbers = range(n, n + batch)
                        try:
                            sock.sendall(b"".join(f"parity {k}\n".encode() for k in numbers))
                            got = read_lines(sock, batch, timeout=10)
                        except (ConnectionError, AssertionError):
                            return  # closed by the shutdown
                        assert got == [expected_parity(k) for k in numbers]
                        load_replies[index].extend(got)
                        n += batch
                        running.set()
            except BaseException as exc:
                load_errors.append(exc)

        threads = [threading.Thread(target=load, args=(i,), daemon=True)
                   for i in range(load_count)]
        for t in threads:
            t.start()
        assert running.wait(10)
        time.sleep(0.3)  # the load runs for a while (the load is the point here)

        pending_got: dict[int, bytes] = {}

        def read_to_end(index: int, sock: socket.socket) -> None:
            """As a client does: read until the server closes, then close."""
            sock.settimeout(10)
            data = b""
            try:
                while chunk := sock.recv(4096):
                    data += chunk
            finally:
                pending_got[index] = data
                sock.close()

        began = time.monotonic()
        srv.proc.send_signal(15)
        readers = [threading.Thread(target=read_to_end, args=(i, sock), daemon=True)
                   for i, sock in enumerate(pending)]
        for t in readers:
            t.start()
        assert srv.proc.wait(10) == 0
        assert time.monotonic() - began < 5.0
        for t in threads + readers:
            t.join(10)
        assert not load_errors, load_errors
        assert all(len(r) >= batch for r in load_replies)
        for i in range(pending_count):
            assert pending_got[i] == expected_parity(i + 1) + b"\n", (i, pending_got.get(i))
        assert_no_traceback(srv)


def _flood_without_reading(request: bytes, stuck_count: int = 100, each: int = 256 * 1024):
    """``stuck_count`` clients each pipeline ``each`` bytes of ``request`` and never read,
    while one well-behaved client asks 100 times; returns its latencies and the server's
    RSS growth."""
    raise_fd_limit()
    with start_server("--quiet", "--send-timeout", "30") as srv:
        good = open_conn(srv.tcp, timeout=30)
        good.sendall(b"parity 1\n")
        read_lines(good, 1)
        baseline = vm_rss(srv.proc.pid)
        stuck = []
        for _ in range(stuck_count):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(srv.tcp)
            stuck.append(sock)
        for sock in stuck:
            sock.sendall(request * (each // len(request)))  # fits in the kernel's buffers
        latencies, peak = [], baseline
        for _ in range(100):
            began = time.perf_counter()
            good.sendall(b"parity 2\n")
            assert read_lines(good, 1, timeout=30) == [b"angka 2 merupakan genap"]
            latencies.append(time.perf_counter() - began)
            peak = max(peak, vm_rss(srv.proc.pid))
        for sock in stuck:
            sock.close()
        good.close()
        return latencies, peak - baseline


def test_non_reading_pipeliners_do_not_stall_a_well_behaved_client():
    latencies, _ = _flood_without_reading(b"parity 2\n")
    assert statistics.median(latencies) < 0.050, statistics.median(latencies)
    assert max(latencies) < 1.0, max(latencies)


def test_non_reading_pipeliners_do_not_grow_server_memory_by_hundreds_of_mb():
    _, growth = _flood_without_reading(b"help\n")
    assert growth < 200 * (1 << 20), f"RSS grew by {growth / (1 << 20):.0f} MiB"


def test_sigterm_repeated_while_the_server_exits_still_exits_0():
    """A supervisor that repeats SIGTERM (as a test's own clean-up did, under load) while the
    server is already shutting down and exiting gets exit status 0, not a death by signal."""
    srv = start_server("--quiet")
    deadline = time.monotonic() + 15
    while srv.proc.poll() is None and time.monotonic() < deadline:
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.002)
    assert srv.terminate() == 0
