"""Browser tests' shared part: a local server started as a real process, and a headless Chromium page on it.

Chromium comes from the distribution (``/usr/bin/chromium``), driven by playwright's Python package, which
downloads no browser of its own. The server and the page are cut off from everything but this machine: the
server's outside requests go to a closed port through proxy variables, and the page's are aborted and listed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser_or_skip(extra: str = "dashboard"):
    """playwright's ``sync_playwright``; skips the test without playwright, Solara or Chromium (fails on CI)."""
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed (pip install playwright)"
        sync_playwright = None
    try:
        import solara  # noqa: F401
    except ImportError:
        reason = f"the {extra} extra is not installed (pip install '.[{extra}]')"
    if not CHROMIUM.is_file():
        reason = f"no browser at {CHROMIUM} (apt-get install -y chromium)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the browser test: {reason}")
        pytest.skip(reason)
    return sync_playwright


@contextlib.contextmanager
def local_page(argv: list[str], port: int, folder: Path, viewport: dict[str, int]) -> Iterator[tuple[object, list]]:
    """Start the server ``argv`` (listening on ``port``) in ``folder`` and open a Chromium page on it.

    Yields ``(page, outside)``: a playwright page with a fresh profile, at no address yet, and the list of
    addresses outside the server that the page asked for (aborted). The test asserts on ``outside`` after
    the block. The server is stopped and the browser closed on the way out.
    """
    sync_playwright = browser_or_skip()
    blocked = "http://127.0.0.1:9"
    env = {**os.environ, "HTTP_PROXY": blocked, "HTTPS_PROXY": blocked, "NO_PROXY": "127.0.0.1,localhost"}
    env.update({key.lower(): value for key, value in env.items() if key.endswith("_PROXY")})
    server = subprocess.Popen(argv, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outside: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, server.stdout.read()
            time.sleep(0.5)
        with sync_playwright() as p:
            # A fresh profile (playwright passes it to Chromium as --user-data-dir).
            browser = p.chromium.launch_persistent_context(
                str(folder / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, viewport=viewport
            )

            def only_local(route):
                url = route.request.url
                if url.startswith(f"http://127.0.0.1:{port}") or url.startswith(f"ws://127.0.0.1:{port}"):
                    return route.continue_()
                outside.append(url)
                return route.abort()

            browser.route("**/*", only_local)
            try:
                yield browser.new_page(), outside
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
