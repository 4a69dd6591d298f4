"""Slides of one run: the people network beside the outcome curves, animated or at one week.

:func:`draw_frame` draws one frame with the pictures of :mod:`collabsim.views`, at slide size
(1920 x 1080 pixels, large text; :data:`SIZES` ``"slide"``) or small (720 x 375, for a web
page). :func:`render_frames` runs a model and draws a frame every ``every`` weeks (week 0, then
every ``every`` weeks, and always the last week); :func:`write_gif` writes frames to a GIF
atomically (temporary name, then rename); :func:`animate` does both for a scenario.
:func:`snapshot_files` runs a model to one week and writes that frame as PNG and SVG. The
commands are ``collabsim animate CONFIG -o FILE.gif`` and ``collabsim snapshot CONFIG -o FILE``
(see :mod:`collabsim.app.cli`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image

from collabsim.model import CollaborationModel
from collabsim.views import (
    MAX_EDGES,
    SLIDE,
    SMALL,
    RunView,
    TextSizes,
    draw_network,
    draw_series,
    draw_triangle,
    people_layout,
    snapshot,
)

__all__ = [
    "FRAME_DPI",
    "FRAME_INCHES",
    "MAX_FRAMES",
    "SIZES",
    "FrameSize",
    "animate",
    "default_every",
    "draw_frame",
    "frame_size",
    "render_frames",
    "snapshot_files",
    "write_gif",
]


@dataclass(frozen=True)
class FrameSize:
    """A frame's size in inches, its resolution and its text sizes."""

    inches: tuple[float, float]
    dpi: int
    text: TextSizes


#: Frame sizes: ``"slide"`` is 1920 x 1080 pixels with text readable at the back of a room;
#: ``"small"`` is 720 x 375 pixels (a web page or a small GIF).
SIZES: dict[str, FrameSize] = {
    "slide": FrameSize((19.2, 10.8), 100, SLIDE),
    "small": FrameSize((9.6, 5.0), 75, SMALL),
}
#: Size of a small frame in inches (width, height) and its resolution.
FRAME_INCHES: tuple[float, float] = SIZES["small"].inches
FRAME_DPI = SIZES["small"].dpi
#: Frames a GIF gets at most when ``every`` is not given.
MAX_FRAMES = 60
#: Colours kept per frame when a frame is converted to the GIF palette.
GIF_COLORS = 128


def frame_size(size: str = "small") -> tuple[int, int]:
    """Width and height of a frame of ``size`` (a key of :data:`SIZES`) in pixels."""
    fs = SIZES[size]
    return round(fs.inches[0] * fs.dpi), round(fs.inches[1] * fs.dpi)


def default_every(weeks: int, max_frames: int = MAX_FRAMES) -> int:
    """Weeks between frames so that a run of ``weeks`` weeks gets at most ``max_frames``."""
    return max(1, math.ceil(weeks / max(1, max_frames - 1)))


def draw_frame(view: RunView, pos: np.ndarray, title: str = "", size: str = "small") -> Figure:
    """One frame: the network at left; impact, trust, consensus and the triangle at right.

    Args:
        view: The run at one week.
        pos: The people layout.
        title: Text before the week in the heading (e.g. the scenario's name).
        size: A key of :data:`SIZES` (``"slide"``: 1920 x 1080, large text).
    """
    fs = SIZES[size]
    text = fs.text
    fig = Figure(figsize=fs.inches, dpi=fs.dpi)
    slide = size == "slide"
    gs = fig.add_gridspec(
        2,
        3,
        width_ratios=(1.35, 1, 1),
        left=0.01,
        right=0.985,
        top=0.86 if not slide else 0.87,
        bottom=0.1 if not slide else 0.08,
        wspace=0.32,
        hspace=0.38 if not slide else 0.45,
    )
    draw_network(view, pos, fig.add_subplot(gs[:, 0]), text=text)
    for cell, column, label, ylim in (
        (gs[0, 1], "public_value", "Collective impact", None),
        (gs[0, 2], "mean_trust", "Trust", (0.0, 1.0)),
        (gs[1, 1], "consensus", "Agreement", (0.0, 1.05)),
    ):
        ax = draw_series([view], column, fig.add_subplot(cell), ylim=ylim, text=text)
        ax.set_title(label, fontsize=text.title)
        if slide:
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        if column == "consensus":
            ax.set_xlabel("week", fontsize=text.label)
    ax = draw_triangle([view], fig.add_subplot(gs[1, 2]), text=text)
    if slide:
        ax.set_xlim(-1.9, 1.9)
        ax.set_ylim(-1.05, 1.3)
    ax.set_title("Strategic triangle", fontsize=text.title)
    last = view.series.iloc[-1]
    status = "dissolved" if view.perished else f"{view.mode} governance"
    fig.suptitle(
        f"{title}  week {view.week}: {int(last['wins'])} wins, {int(last['learning'])} setbacks "
        f"learned from, {int(last['blame'])} blamed; {status}",
        fontsize=text.title + 2,
    )
    return fig


def _to_image(fig: Figure) -> Image.Image:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return Image.fromarray(rgba[:, :, :3].copy(), mode="RGB")


def render_frames(
    model: CollaborationModel,
    *,
    every: int,
    title: str = "",
    max_edges: int = MAX_EDGES,
    progress: Callable[[int], Any] | None = None,
    size: str = "small",
) -> Iterator[Image.Image]:
    """Run ``model`` to its end, yielding a frame at week 0, every ``every`` weeks and the end.

    Drawing never draws from the model's generator: the run is the same with or without frames.
    """
    if every < 1:
        raise ValueError(f"every = {every!r} is not valid: expected an integer >= 1")
    pos = people_layout(model)
    yield _to_image(draw_frame(snapshot(model, max_edges), pos, title, size))
    while model.running:
        model.step()
        if model.week % every == 0 or not model.running:
            yield _to_image(draw_frame(snapshot(model, max_edges), pos, title, size))
            if progress is not None:
                progress(model.week)


def write_gif(
    frames: list[Image.Image], path: Path, *, fps: float = 6.0, hold_last: float = 2.0
) -> None:
    """Write ``frames`` to an animated GIF at ``path``, atomically; the last frame is held longer.

    Args:
        frames: RGB frames of one size.
        path: Destination (``.gif``).
        fps: Frames per second.
        hold_last: Seconds the last frame stays before the GIF loops.
    """
    if not frames:
        raise ValueError("no frames to write")
    if not fps > 0:
        raise ValueError(f"fps = {fps!r} is not valid: expected a number > 0")
    step_ms = max(20, round(1000 / fps))
    durations = [step_ms] * len(frames)
    durations[-1] = max(step_ms, round(1000 * hold_last))
    paletted = [f.quantize(colors=GIF_COLORS, method=Image.Quantize.MEDIANCUT) for f in frames]
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        paletted[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=paletted[1:],
            duration=durations,
            loop=0,
            disposal=1,
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def animate(
    params: dict[str, Any],
    path: Path,
    *,
    seed: int,
    every: int | None = None,
    fps: float = 6.0,
    title: str = "",
    max_edges: int = MAX_EDGES,
    progress: Callable[[int], Any] | None = None,
    size: str = "slide",
) -> int:
    """Run one collaboration with ``params`` and ``seed`` and write its GIF; return the frames.

    Args:
        params: Parameter values (a scenario's, with overrides).
        path: Output GIF.
        seed: The run's seed.
        every: Weeks between frames (default: at most :data:`MAX_FRAMES` frames).
        fps: Frames per second.
        title: Text before the week in each frame's heading (e.g. the scenario name).
        max_edges: Ties drawn at most per frame.
        progress: Called with the week after each frame.
        size: A key of :data:`SIZES` (default ``"slide"``, 1920 x 1080).
    """
    model = CollaborationModel(rng=seed, **params)
    step = every if every is not None else default_every(int(model.params["weeks"]))
    frames = list(
        render_frames(
            model, every=step, title=title, max_edges=max_edges, progress=progress, size=size
        )
    )
    write_gif(frames, path, fps=fps)
    return len(frames)


def snapshot_files(
    params: dict[str, Any],
    stem: Path,
    *,
    seed: int,
    week: int | None = None,
    title: str = "",
    size: str = "slide",
    max_edges: int = MAX_EDGES,
) -> list[Path]:
    """Run one collaboration to ``week`` (default: its end) and write that frame as PNG and SVG.

    Writes ``stem.png`` and ``stem.svg`` (each atomically) and returns their paths.
    """
    model = CollaborationModel(rng=seed, **params)
    weeks = int(model.params["weeks"])
    if week is not None and not 0 <= week <= weeks:
        raise ValueError(f"week = {week!r} is not valid: expected an integer in [0, {weeks}]")
    target = weeks if week is None else week
    pos = people_layout(model)
    while model.running and model.week < target:
        model.step()
    fig = draw_frame(snapshot(model, max_edges), pos, title, size)
    out = []
    for suffix in (".png", ".svg"):
        path = stem.with_suffix(suffix)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            fig.savefig(tmp, format=suffix[1:], dpi=SIZES[size].dpi)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        out.append(path)
    return out
