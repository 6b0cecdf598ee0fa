"""Build the bench's helpers into bench/build/ (gitignored): the C load generator and C
server with ``cc``, and Node's ``ws`` package with ``npm`` for the WebSocket client."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from bench.procs import BUILD, ROOT, BenchError

C_SRC = ROOT / "bench" / "c"
NODE_DIR = BUILD / "node"
WS_VERSION = "8"


def cc(name: str) -> Path:
    """Compile bench/c/NAME.c to bench/build/NAME unless it is up to date."""
    src = C_SRC / f"{name}.c"
    out = BUILD / name
    if out.exists() and out.stat().st_mtime >= src.stat().st_mtime:
        return out
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not compiler:
        raise BenchError("no C compiler (cc) found: apt-get install gcc")
    BUILD.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([compiler, "-O2", "-Wall", "-o", str(out), str(src)],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise BenchError(f"cc {src.name} failed: {proc.stderr.strip()[:800]}")
    return out


def node_ws() -> Path:
    """Install Node's ``ws`` into bench/build/node (once); returns its node_modules."""
    modules = NODE_DIR / "node_modules"
    if (modules / "ws" / "package.json").exists():
        return modules
    if not shutil.which("node") or not shutil.which("npm"):
        raise BenchError("node and npm are needed for the WebSocket client: "
                         "apt-get install nodejs npm")
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["npm", "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund",
         "--loglevel=error", f"ws@{WS_VERSION}"],
        capture_output=True, text=True, timeout=300)
    if proc.returncode or not (modules / "ws").exists():
        raise BenchError(f"npm install ws failed: {(proc.stderr or proc.stdout).strip()[:800]}")
    return modules


def tool_versions() -> dict[str, str]:
    def first_line(argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError):
            return "unavailable"

    versions = {"compiler": first_line(["cc", "--version"]),
                "node": first_line(["node", "--version"])}
    pkg = NODE_DIR / "node_modules" / "ws" / "package.json"
    if pkg.exists():
        import json

        versions["ws"] = json.loads(pkg.read_text())["version"]
    return versions
