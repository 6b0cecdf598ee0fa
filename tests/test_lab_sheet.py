"""The lab sheet's own client, run unchanged against the service (only PORT points at the test
server): it sends without a newline and reads once with ``recv(1024)``; the idle flush is what
answers it. Also exercise 2's character count, and the queueing of the single-threaded server.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import checked_server, connect, read_lines, start_server

pytestmark = pytest.mark.timeout(60)

# Section V of the lab sheet (seed/000_2b4a94f529791ac9.txt), the client, as printed there.
LAB_SHEET_CLIENT = '''\
import socket

client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

HOST = 'localhost'
PORT = 12345
client_socket.connect((HOST, PORT))

pesan = input("Masukkan angka :")
client_socket.sendall(pesan.encode())

data = client_socket.recv(1024)
print(data.decode())

client_socket.close()
'''
PROMPT = "Masukkan angka :"


def lab_client_script(tmp_path: Path, port: int) -> Path:
    assert "PORT = 12345\n" in LAB_SHEET_CLIENT
    script = tmp_path / "lab_client.py"
    script.write_text(LAB_SHEET_CLIENT.replace("PORT = 12345\n", f"PORT = {port}\n"))
    return script


def start_lab_client(tmp_path: Path, port: int, typed: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(lab_client_script(tmp_path, port))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdin.write(typed + "\n")  # what the student types, then Enter
    proc.stdin.close()
    return proc


def finish(proc: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Wait for the lab client (its output is small: the pipes cannot fill)."""
    proc.wait(timeout)
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == 0, err
    return out, err


def run_lab_client(tmp_path: Path, port: int, typed: str) -> str:
    """What the lab sheet's client prints after its prompt (the reply, trailing newlines off)."""
    proc = start_lab_client(tmp_path, port, typed)
    out, _ = finish(proc, 15)
    assert out.startswith(PROMPT), out
    return out[len(PROMPT):].rstrip("\n")


@pytest.fixture(scope="module")
def server():
    yield from checked_server()


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("42", "angka 42 merupakan genap"),
        ("7", "angka 7 merupakan ganjil"),
        ("-7", "angka -7 merupakan ganjil"),
        ("0", "angka 0 merupakan genap"),
        (" 12 ", "angka 12 merupakan genap"),
        ("123456789012345678901234567890", "angka 123456789012345678901234567890 merupakan genap"),
    ],
)
def test_lab_sheet_client_gets_genap_or_ganjil(server, tmp_path, typed, printed):
    assert run_lab_client(tmp_path, server.tcp_port, typed) == printed


def test_lab_sheet_client_is_answered_quickly(server, tmp_path):
    started = time.monotonic()
    assert run_lab_client(tmp_path, server.tcp_port, "8") == "angka 8 merupakan genap"
    assert time.monotonic() - started < 5.0  # interpreter start-up plus a 50 ms idle flush


def test_lab_sheet_client_request_is_logged_as_the_lab_sheets_server_prints_it(server, tmp_path):
    run_lab_client(tmp_path, server.tcp_port, "4242")
    pattern = re.compile(r"^Request dari client : 4242 IP client : \('127\.0\.0\.1', \d+\)$",
                         re.M)
    deadline = time.monotonic() + 5
    while not pattern.search(server.stdout()):
        assert time.monotonic() < deadline, server.stdout()
        time.sleep(0.02)


def test_lab_sheet_client_with_a_non_integer_gets_a_character_count(server, tmp_path):
    # exercise 2: the reply is the number of characters of the message
    assert run_lab_client(tmp_path, server.tcp_port, "halo dunia") == "jumlah karakter: 10"


def test_exercise_2_character_count_with_the_length_command(server, tmp_path):
    assert run_lab_client(tmp_path, server.tcp_port, "length halo dunia") == "jumlah karakter: 10"
    assert run_lab_client(tmp_path, server.tcp_port, "length héllo") == "jumlah karakter: 5"
    assert run_lab_client(tmp_path, server.tcp_port, "length") == "jumlah karakter: 0"


def test_exercise_2_counts_digits_too_with_default_length(tmp_path):
    with start_server("--quiet", "--default", "length") as srv:
        assert run_lab_client(tmp_path, srv.tcp_port, "12345") == "jumlah karakter: 5"
        assert run_lab_client(tmp_path, srv.tcp_port, "Selamat pagi!") == "jumlah karakter: 13"


def test_lab_sheet_client_waits_its_turn_under_single(tmp_path):
    with start_server("--quiet", "--single", "--turn-idle", "30") as srv:
        holder = connect(srv.tcp)  # served first, and keeps its turn
        holder.sendall(b"parity 1\n")
        assert read_lines(holder, 1) == [b"angka 1 merupakan ganjil"]
        proc = start_lab_client(tmp_path, srv.tcp_port, "42")
        try:
            with pytest.raises(subprocess.TimeoutExpired):
                proc.wait(1.0)  # queued, as the lab sheet describes
            holder.close()
            out, _ = finish(proc, 10)
            assert out == PROMPT + "angka 42 merupakan genap\n\n"
        finally:
            proc.kill()
            holder.close()
