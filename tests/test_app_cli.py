"""The ``collabsim app`` command's input checks and offline environment (no server started)."""

from __future__ import annotations

import socket

from collabsim.app.cli import OFFLINE_ENV, app_env, free_port
from collabsim.cli import build_parser, main


def test_app_and_animate_are_registered(capsys) -> None:
    text = build_parser().format_help()
    assert "app" in text and "animate" in text


def test_bad_scenario_exits_2_in_one_line(capsys) -> None:
    assert main(["app", "--scenario", "atlantis"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown scenario 'atlantis'" in err[0]


def test_busy_port_exits_2_in_one_line(capsys) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"127.0.0.1:{port}" in err[0] and "--port" in err[0]


def test_server_environment_is_offline() -> None:
    env = app_env("hartford", 9)
    assert env["SOLARA_ASSETS_CDN"].startswith("http://127.0.0.1:")
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert env["SOLARA_ASSETS_PROXY"] == "true"
    assert env["COLLABSIM_APP_SCENARIO"] == "hartford"
    assert env["COLLABSIM_APP_SEED"] == "9"
    assert set(OFFLINE_ENV) <= set(env)


def test_free_port_is_free() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", port))
