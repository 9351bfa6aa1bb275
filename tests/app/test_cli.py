"""The `normlens` command and `python -m normlens.app`: arguments, defaults from settings, and a real server start."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from normlens.app import cli
from normlens.app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_console_script_points_at_main() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, func = scripts["normlens"].partition(":")
    assert (module, func) == ("normlens.app.cli", "main")
    assert callable(cli.main)


def test_defaults_come_from_settings() -> None:
    args = cli.build_parser(Settings(host="0.0.0.0", port=9123, workers=3)).parse_args([])
    assert (args.host, args.port, args.workers, args.reload) == ("0.0.0.0", 9123, 3, False)
    default = cli.build_parser(Settings()).parse_args([])
    assert (default.host, default.port) == ("127.0.0.1", 8000)


def test_flags_override_defaults() -> None:
    args = cli.build_parser(Settings()).parse_args(["--host", "::1", "--port", "1", "--workers", "2", "--reload"])
    assert (args.host, args.port, args.workers, args.reload) == ("::1", 1, 2, True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--reload", "--workers", "2"], "--reload works with one worker only"),
        (["--port", "70000"], "--port must be between 0 and 65535"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--port", "eighty"], "invalid int value"),
    ],
)
def test_bad_flags_exit_with_a_message(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_help_via_python_m_app() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "normlens.app", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    for flag in ("--host", "--port", "--workers", "--reload"):
        assert flag in done.stdout


@pytest.mark.parametrize("workers", [1, 2])
def test_python_m_app_serves_healthz(workers: int) -> None:
    port = free_port()
    env = {
        **os.environ,
        "NORMLENS_PORT": str(port),
    }  # the port comes from the environment, like the Docker image
    proc = subprocess.Popen(
        [sys.executable, "-m", "normlens.app", "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                assert proc.poll() is None, f"the server exited with {proc.returncode}"
                assert time.monotonic() < deadline, "the server did not start within 60 s"
                time.sleep(0.2)
        assert body["status"] == "ok" and body["version"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_a_bad_setting_gets_one_line_not_a_traceback():
    """NORMLENS_PORT=abc: the command names the variable and the problem, exits 2, prints no traceback."""
    env = {**os.environ, "NORMLENS_PORT": "abc", "NORMLENS_WORKERS": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "normlens.app", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "normlens: NORMLENS_PORT='abc' is not valid: Input should be a valid integer, unable to parse string as an "
        "integer",
        "normlens: NORMLENS_WORKERS='0' is not valid: Input should be greater than or equal to 1",
    ]
    assert "Traceback" not in done.stderr
