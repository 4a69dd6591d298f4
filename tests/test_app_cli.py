"""The ``collabsim app`` command's input checks and offline environment (no server started)."""

from __future__ import annotations

import socket
import subprocess
import sys

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


def test_workshop_environment_carries_a_join_code() -> None:
    env = app_env(workshop=True)
    assert env["COLLABSIM_APP_WORKSHOP"] == "1"
    assert len(env["COLLABSIM_JOIN_CODE"]) == 6 and env["COLLABSIM_JOIN_CODE"].isdigit()
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"]
    assert app_env(workshop=True, join_code="x1")["COLLABSIM_JOIN_CODE"] == "x1"
    plain = app_env()
    assert "COLLABSIM_APP_WORKSHOP" not in plain and "COLLABSIM_JOIN_CODE" not in plain
    assert plain["SOLARA_THEME_SHOW_BANNER"] == "false"


def test_loopback_hosts() -> None:
    from collabsim.app.cli import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_binding_beyond_localhost_warns(capsys) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("0.0.0.0", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["app", "--host", "0.0.0.0", "--port", str(port), "--workshop"]) == 2
    err = capsys.readouterr().err
    assert "warning" in err and "anyone on this network" in err


def test_extra_check_finds_the_app_modules_without_importing_them() -> None:
    # the process that waits for the server must not load Mesa, matplotlib or Solara
    code = (
        "import sys; from collabsim.app.cli import _missing_app_extra; "
        "print(_missing_app_extra(), sorted({'mesa', 'solara', 'matplotlib'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "[]"]


def test_extra_check_names_a_missing_module(monkeypatch) -> None:
    import importlib.util

    from collabsim.app import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "ipyvuetify" else real(name)
    )
    assert cli._missing_app_extra() == "ipyvuetify"


def test_server_renders_with_the_fast_renderer_unless_told_otherwise(monkeypatch) -> None:
    monkeypatch.delenv("REACTON_FAST", raising=False)
    assert app_env()["REACTON_FAST"] == "1"
    monkeypatch.setenv("REACTON_FAST", "0")
    assert app_env()["REACTON_FAST"] == "0"
