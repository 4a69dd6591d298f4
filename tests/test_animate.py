"""The GIF export: frames, size, timing, atomic writing and the command's errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image

from collabsim import CollaborationModel
from collabsim.animate import default_every, frame_size, render_frames, snapshot_files, write_gif
from collabsim.cli import main
from collabsim.config import load_scenario


def _frames(path) -> list[np.ndarray]:
    with Image.open(path) as im:
        out = []
        for k in range(im.n_frames):
            im.seek(k)
            out.append(np.asarray(im.convert("RGB")))
        return out


def test_animate_command_writes_a_gif(tmp_path, capsys) -> None:
    out = tmp_path / "slides" / "louisville.gif"
    code = main(
        [
            "animate",
            "louisville",
            "-o",
            str(out),
            "--steps",
            "12",
            "--every",
            "4",
            "--fps",
            "5",
            "--seed",
            "3",
            "--small",
        ]
    )
    assert code == 0
    assert out.is_file()
    frames = _frames(out)
    assert len(frames) == 4  # weeks 0, 4, 8, 12
    w, h = frame_size()
    assert frames[0].shape == (h, w, 3)
    with Image.open(out) as im:
        assert im.size == (w, h)
        assert im.info["loop"] == 0
        assert im.info["duration"] == 200  # 5 frames per second
    # every frame shows something new (the week, the curves, the network)
    for a, b in itertools.pairwise(frames):
        assert np.abs(a.astype(int) - b.astype(int)).sum() > 0
    assert "4 frames of 720x375 px" in capsys.readouterr().out
    assert [p.name for p in out.parent.iterdir()] == ["louisville.gif"]  # no temp file left


def test_default_every_caps_the_frames() -> None:
    assert default_every(156) == 3
    assert default_every(10) == 1
    for weeks in (1, 52, 156, 260, 2080):
        assert weeks // default_every(weeks) + 1 <= 60


def test_frames_do_not_change_the_run() -> None:
    params = load_scenario("hartford").params | {"weeks": 20}
    drawn = CollaborationModel(rng=11, **params)
    frames = list(render_frames(drawn, every=7))
    assert len(frames) == 4  # weeks 0, 7, 14 and the last week, 20
    plain = CollaborationModel(rng=11, **params).run()
    assert drawn.timeseries().equals(plain.timeseries())


def test_write_gif_rejects_nothing_to_write(tmp_path) -> None:
    with pytest.raises(ValueError, match="no frames"):
        write_gif([], tmp_path / "x.gif")
    assert not list(tmp_path.iterdir())


def _status(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exc:  # argparse errors exit through SystemExit
        return int(exc.code)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere_city", "-o", "x.gif"], "unknown scenario 'nowhere_city'"),
        (["baseline", "-o", "x.png"], "must end in .gif"),
        (["baseline", "-o", "x.gif", "--every", "0"], "expected an integer >= 1"),
        (["baseline", "-o", "x.gif", "--fps", "0"], "expected a number in [0.1, 50]"),
        (["baseline", "-o", "x.gif", "--set", "turnover_rate=2"], "turnover_rate = '2'"),
    ],
)
def test_animate_bad_input_is_one_line_and_status_2(
    args, message, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _status(["animate", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.gif"))


def test_animate_is_slide_sized_by_default(tmp_path, capsys) -> None:
    out = tmp_path / "h.gif"
    assert main(["animate", "hartford", "-o", str(out), "--steps", "4", "--every", "4"]) == 0
    with Image.open(out) as im:
        assert im.size == (1920, 1080) == frame_size("slide")
        assert im.n_frames == 2
    assert "2 frames of 1920x1080 px" in capsys.readouterr().out


def test_snapshot_writes_png_and_svg_at_slide_size(tmp_path, capsys) -> None:
    out = tmp_path / "slides" / "louisville.png"
    out.parent.mkdir()
    args = ["snapshot", "louisville", "-o", str(out), "--week", "30", "--seed", "346"]
    assert main(args) == 0
    png, svg = out, out.with_suffix(".svg")
    with Image.open(png) as im:
        assert im.size == (1920, 1080)
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and 'width="1382.4pt"' in text
    assert "week 30" in text or "week" in text
    assert sorted(p.name for p in out.parent.iterdir()) == ["louisville.png", "louisville.svg"]
    assert "1920x1080 px" in capsys.readouterr().out


def test_snapshot_is_the_run_at_that_week(tmp_path) -> None:
    params = load_scenario("baseline").params
    a = snapshot_files(params, tmp_path / "a", seed=5, week=10)
    b = snapshot_files(params, tmp_path / "b", seed=5, week=10)
    c = snapshot_files(params, tmp_path / "c", seed=5, week=11)
    assert a[0].read_bytes() == b[0].read_bytes()
    assert a[0].read_bytes() != c[0].read_bytes()
    with pytest.raises(ValueError, match="week"):
        snapshot_files(params, tmp_path / "d", seed=5, week=10_000)


@pytest.mark.parametrize(
    "args",
    [
        ["snapshot", "atlantis", "-o", "x.png"],
        ["snapshot", "baseline", "-o", "x.png", "--week", "-1"],
        ["snapshot", "baseline", "-o", "x.png", "--week", "999"],
    ],
)
def test_snapshot_bad_input_exits_2(args, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert _status(args) == 2
    assert not list(tmp_path.iterdir())
