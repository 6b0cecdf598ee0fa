"""Find a Chromium for Playwright, installing Debian's package if there is none.

Order: Playwright's own browser (``playwright install chromium``), then ``/usr/bin/chromium``,
then, as root on Debian, ``apt-get install chromium``. Prints the path found; exits 1 with a
clear line when none can be had. ``e2e/conftest.py`` uses :func:`find_chromium` too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SYSTEM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def playwright_chromium() -> str | None:
    """Playwright's own Chromium, if ``playwright install chromium`` put one here."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:
        return None
    return path if path and Path(path).exists() else None


def system_chromium() -> str | None:
    for candidate in SYSTEM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def find_chromium() -> str | None:
    return playwright_chromium() or system_chromium()


def install_debian_chromium() -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("installing Debian's chromium package (apt-get)...", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-q"], check=False, env=env, stdin=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=False, env=env,
                   stdin=subprocess.DEVNULL)


def main() -> int:
    path = find_chromium()
    if path is None:
        install_debian_chromium()
        path = find_chromium()
    if path is None:
        print("no Chromium found: run `playwright install chromium` or install your "
              "system's chromium package", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
