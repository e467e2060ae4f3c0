"""Driving the page in Chromium: what the browser test and the browser benchmark share.

The server is started as ``naef app`` starts it, on a free port of 127.0.0.1, and stopped by
the PID it was started with; the page is probed with the JavaScript snippets below, evaluated
through Playwright (``page.evaluate`` / ``page.wait_for_function``).

Imported as ``page_driver`` by ``tests/test_app_browser.py`` (``tests/`` is on the path when
pytest collects it) and by ``benchmarks/bench_app_browser.py`` (which puts ``tests/`` on it).
"""

from __future__ import annotations

import socket
import subprocess
import urllib.request

#: Chromium's switches for a headless run in a container, without its background traffic.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: Evaluate before a click: from then on, remember whether the page's script started running.
WATCH_RUN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__naefRan = false;
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.oldValue === 'running' || app.getAttribute('data-test-script-state') === 'running') {
        window.__naefRan = true;
      }
    }
  }).observe(app, {attributes: true, attributeOldValue: true,
                   attributeFilter: ['data-test-script-state']});
}"""
#: Wait for it after the click: the script ran since :data:`WATCH_RUN`, and has finished.
RUN_DONE = """() => window.__naefRan === true && document.querySelector('[data-testid="stApp"]')
  .getAttribute('data-test-script-state') === 'notRunning'"""
#: The page's script has finished (the first run, of the scenario the page opens with, too).
IDLE = """() => document.querySelector('[data-testid="stApp"]')
  ?.getAttribute('data-test-script-state') === 'notRunning'"""


def free_port() -> int:
    """A TCP port of 127.0.0.1 free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(url: str) -> bool:
    """Whether the Streamlit server at ``url`` answers its health check with ``ok``."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return bool(resp.read().decode().strip() == "ok")
    except OSError:  # not listening yet (URLError and timeouts are OSErrors)
        return False


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End the server we started, by its PID: terminate, wait (bounded), kill if needed."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
