"""``naef app`` checks its port before it says it serves, and hides Streamlit's Deploy button."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from simulator.cli import app_command, main


class _Server:
    """Stands in for the Streamlit process: records its command line, exits at once."""

    commands: ClassVar[list[list[str]]] = []

    def __init__(self, cmd: list[str], *_: Any, **__: Any) -> None:
        _Server.commands.append(list(cmd))

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def send_signal(self, signum: int) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Server]]:
    import subprocess

    _Server.commands = []
    monkeypatch.setattr(subprocess, "Popen", _Server)
    yield _Server


@pytest.fixture
def listening() -> Iterator[int]:
    """A port of 127.0.0.1 that a socket listens on (loopback only, closed afterwards)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        yield int(s.getsockname()[1])


def test_a_busy_port_is_refused_before_serving(
    listening: int, server: type[_Server], capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["app", "--address", "127.0.0.1", "--port", str(listening)])
    out, err = capsys.readouterr()
    assert rc == 2
    assert "serving" not in out
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "--port" in lines[0] and str(listening) in lines[0]
    assert server.commands == []  # Streamlit was never started


def test_a_free_port_serves(server: type[_Server], capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    rc = main(["app", "--address", "127.0.0.1", "--port", str(port)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert f"serving on http://127.0.0.1:{port}" in out
    assert server.commands == [app_command("127.0.0.1", port)]


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--port", "0"], "--port"),
        (["--port", "70000"], "--port"),
        (["--address", "no-such-host.invalid"], "--address"),
    ],
)
def test_a_bad_port_or_address_is_one_line(
    argv: list[str], field: str, server: type[_Server], capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["app", *argv])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert len(err.splitlines()) == 1 and field in err, err
    assert server.commands == []


def test_the_deploy_button_is_hidden() -> None:
    from streamlit import config

    cmd = app_command("127.0.0.1", 8501)
    option = cmd.index("--client.toolbarMode")
    assert cmd[option + 1] == "minimal"
    # The option exists under this name in the installed Streamlit (an unknown one raises).
    assert config.get_option("client.toolbarMode") in ("auto", "developer", "viewer", "minimal")
