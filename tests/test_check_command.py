"""``python -m server check`` as a user runs it: exit statuses, one clear line for bad input
(never a traceback), the formats, ``--run``, ``--targets``, Ctrl-C."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from server.check.cases import case_ids
from server.check.supervisor import is_listening
from tests.student_servers import command, student_server
from tests.support import ROOT, free_port, start_server, wait_until

pytestmark = pytest.mark.timeout(120)


def run(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", "check", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def one_line_error(result: subprocess.CompletedProcess, status: int = 2) -> str:
    assert result.returncode == status, result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("python -m server check: error: ")
    return lines[0]


def test_the_projects_own_service_passes_every_case() -> None:
    with start_server() as service:
        result = run(f"127.0.0.1:{service.tcp_port}", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    body = json.loads(result.stdout)
    assert [c["id"] for c in body["cases"]] == case_ids("parity")
    assert {c["verdict"] for c in body["cases"]} == {"pass", "info"}
    assert body["summary"]["fail"] == body["summary"]["skip"] == 0


def test_lab_sheet_server_with_run_text_report(tmp_path: Path) -> None:
    port = free_port()
    result = run(f"127.0.0.1:{port}", "--run", command("lab_sheet", port), "--lang", "en",
                 "--timeout", "1")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "42 is even, the reply says “ganjil”: is an `else` missing?" in out
    assert "ValueError: invalid literal for int() with base 10: 'abc\\n'" in out
    assert "the program exited (status 0) after this client" in out
    assert out.index("Summary:") < out.index("Failures:")
    assert "\x1b[" not in out  # not a terminal: no colour
    assert not is_listening(port)  # stopped at the end


def test_formats_go_to_output_files(tmp_path: Path) -> None:
    with student_server("correct_parity") as target:
        json_path, junit_path, md_path = (tmp_path / n for n in ("r.json", "r.xml", "r.md"))
        assert run(target, "--format", "json", "--output", str(json_path)).returncode == 0
        assert run(target, "--format", "junit", "--output", str(junit_path)).returncode == 0
        result = run(target, "--format", "markdown", "--output", str(md_path), "--lang", "en")
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads(json_path.read_text())["target"] == target
    suite = ET.parse(junit_path).getroot().find("testsuite")
    assert suite is not None and len(list(suite.iter("testcase"))) == len(case_ids("parity"))
    markdown = md_path.read_text()
    assert f"## Lab check: {target}" in markdown and "### Findings for the analysis" in markdown


@pytest.mark.parametrize(("args", "says"), [
    (["nonsense"], "expected HOST:PORT"),
    (["127.0.0.1:70000"], "port out of range"),
    (["127.0.0.1:0"], "port out of range"),
    (["127.0.0.1:http"], "not a port number"),
    ([], "give the server to check"),
    (["127.0.0.1:1", "--targets", "x"], "not both"),
    (["--targets", "x", "--run", "true"], "cannot be used with --targets"),
    (["--targets", "/nonexistent/class.txt"], "cannot read targets file"),
])
def test_bad_input_is_one_line_and_status_2(args: list[str], says: str) -> None:
    assert says in one_line_error(run(*args))


def test_bad_option_value_is_one_line() -> None:
    result = run("127.0.0.1:1", "--timeout", "-1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_target_is_status_2() -> None:
    assert "cannot connect to 127.0.0.1:" in one_line_error(run(f"127.0.0.1:{free_port()}"))


def test_bad_targets_file_line(tmp_path: Path) -> None:
    targets = tmp_path / "class.txt"
    targets.write_text("127.0.0.1:12345 Budi\nnot-an-address\n")
    assert "line 2" in one_line_error(run("--targets", str(targets)))


def test_run_that_exits_before_listening_ends_with_its_last_line() -> None:
    line = one_line_error(run(f"127.0.0.1:{free_port()}", "--run", "echo starting; "
                              "echo 'NameError: boom'; exit 3"))
    assert "exited with status 3" in line
    assert line.endswith("NameError: boom")


def test_run_that_never_listens_gives_up_after_10_s() -> None:
    started = time.monotonic()
    line = one_line_error(run(f"127.0.0.1:{free_port()}", "--run", "echo hello; sleep 60"))
    assert time.monotonic() - started < 30
    assert "did not listen" in line and line.endswith("hello")


def test_run_on_a_port_already_in_use() -> None:
    with student_server("correct_parity") as target:
        port = target.rsplit(":", 1)[1]
        line = one_line_error(run(target, "--run", command("correct_parity", int(port))))
    assert "already in use" in line


def test_a_server_that_resets_at_once_is_a_verdict_not_a_traceback() -> None:
    script = ("import socket,struct,sys\ns=socket.socket()\n"
              "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
              "s.bind(('127.0.0.1',int(sys.argv[1])));s.listen(16)\n"
              "while True:\n c,_=s.accept()\n"
              " c.setsockopt(socket.SOL_SOCKET,socket.SO_LINGER,struct.pack('ii',1,0))\n"
              " c.close()\n")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", script, str(port)])
    try:
        wait_until(lambda: is_listening(port))
        result = run(f"127.0.0.1:{port}", "--timeout", "0.5", "--lang", "en")
    finally:
        proc.kill()
        proc.wait()
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert "the server reset the connection without replying" in result.stdout


def test_a_class_with_targets(tmp_path: Path) -> None:
    out_dir = tmp_path / "reports"
    with student_server("correct_parity") as good, student_server("single_threaded") as slow:
        targets = tmp_path / "class.txt"
        targets.write_text(f"# kelas A\n{good} Budi\n{slow} Sari  # one at a time\n"
                           f"127.0.0.1:{free_port()} Tono\n")
        result = run("--targets", str(targets), "--output-dir", str(out_dir), "--lang", "en",
                     "--timeout", "1")
    assert result.returncode == 1, result.stderr  # Tono's server is unreachable
    rows = list(csv.DictReader((out_dir / "summary.csv").open()))
    assert [r["name"] for r in rows] == ["Budi", "Sari", "Tono"]
    assert [r["clients"] for r in rows] == ["at once", "one at a time", ""]
    assert [r["unreachable"] for r in rows] == ["no", "no", "yes"]
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "Budi.json", "Budi.md", "Sari.json", "Sari.md", "Tono.json", "Tono.md", "summary.csv"]
    assert json.loads((out_dir / "Budi.json").read_text())["summary"]["fail"] == 0
    header = result.stdout.splitlines()[0].split()
    assert header == ["name", "target", "passed", "failed", "clients", "unreachable"]
    assert "one at a time" in result.stdout


def test_ctrl_c_stops_the_program_and_exits_130() -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "server", "check", f"127.0.0.1:{port}",
                             "--run", command("silent", port), "--timeout", "1"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: is_listening(port), timeout=15)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not is_listening(port)


def test_text_shows_each_case_as_it_finishes() -> None:
    with student_server("silent") as target:
        proc = subprocess.Popen([sys.executable, "-m", "server", "check", target, "--timeout",
                                 "0.5", "--lang", "en"], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().startswith(f"Checking {target}")
            assert proc.stdout.readline().startswith("fail     even")
            assert proc.poll() is None  # the run goes on: this was progress, not the end
        finally:
            proc.kill()
            proc.communicate()


def test_default_report_is_indonesian_and_single_serves_one_at_a_time() -> None:
    with start_server("--single", "--quiet") as service:
        result = run(f"127.0.0.1:{service.tcp_port}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"Memeriksa 127.0.0.1:{service.tcp_port} (latihan: parity)")
    assert "satu per satu — client kedua menunggu 2,0 detik" in result.stdout
    assert "Ringkasan: 11 lulus, 0 gagal, 2 info, 0 lewat" in result.stdout
