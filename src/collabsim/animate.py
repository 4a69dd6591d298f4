"""Animated GIFs of one run for slides: the people network beside the outcome curves.

:func:`render_frames` runs a model and draws a frame every ``every`` weeks (week 0, then every
``every`` weeks, and always the last week), using the pictures of :mod:`collabsim.views`.
:func:`write_gif` writes frames to a GIF atomically (temporary name, then rename).
:func:`animate` does both for a scenario. The command is ``collabsim animate CONFIG -o FILE.gif``
(see :mod:`collabsim.app.cli`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from collabsim.model import CollaborationModel
from collabsim.views import (
    MAX_EDGES,
    RunView,
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
    "animate",
    "default_every",
    "draw_frame",
    "frame_size",
    "render_frames",
    "write_gif",
]

#: Size of a frame in inches (width, height) and its resolution.
FRAME_INCHES: tuple[float, float] = (9.6, 5.0)
FRAME_DPI = 75
#: Frames a GIF gets at most when ``every`` is not given.
MAX_FRAMES = 60
#: Colours kept per frame when a frame is converted to the GIF palette.
GIF_COLORS = 128


def frame_size() -> tuple[int, int]:
    """Width and height of a frame in pixels."""
    return round(FRAME_INCHES[0] * FRAME_DPI), round(FRAME_INCHES[1] * FRAME_DPI)


def default_every(weeks: int, max_frames: int = MAX_FRAMES) -> int:
    """Weeks between frames so that a run of ``weeks`` weeks gets at most ``max_frames``."""
    return max(1, math.ceil(weeks / max(1, max_frames - 1)))


def draw_frame(view: RunView, pos: np.ndarray, title: str = "") -> Figure:
    """One frame: the network at left; impact, trust, consensus and the triangle at right."""
    fig = Figure(figsize=FRAME_INCHES, dpi=FRAME_DPI)
    gs = fig.add_gridspec(
        2,
        3,
        width_ratios=(1.35, 1, 1),
        left=0.01,
        right=0.985,
        top=0.86,
        bottom=0.1,
        wspace=0.32,
        hspace=0.38,
    )
    draw_network(view, pos, fig.add_subplot(gs[:, 0]))
    for cell, column, label, ylim in (
        (gs[0, 1], "public_value", "Collective impact (PV)", None),
        (gs[0, 2], "mean_trust", "Mean trust", (0.0, 1.0)),
        (gs[1, 1], "consensus", "Consensus", (0.0, 1.05)),
    ):
        ax = draw_series([view], column, fig.add_subplot(cell), ylim=ylim)
        ax.set_title(label, fontsize=9)
        if column == "consensus":
            ax.set_xlabel("week", fontsize=8)
    ax = draw_triangle([view], fig.add_subplot(gs[1, 2]))
    ax.set_title("Strategic triangle", fontsize=9)
    last = view.series.iloc[-1]
    status = "dissolved" if view.perished else f"{view.mode} governance"
    fig.suptitle(
        f"{title}  week {view.week}: {int(last['wins'])} wins, {int(last['learning'])} setbacks "
        f"learned from, {int(last['blame'])} blamed; {status}",
        fontsize=11,
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
) -> Iterator[Image.Image]:
    """Run ``model`` to its end, yielding a frame at week 0, every ``every`` weeks and the end.

    Drawing never draws from the model's generator: the run is the same with or without frames.
    """
    if every < 1:
        raise ValueError(f"every = {every!r} is not valid: expected an integer >= 1")
    pos = people_layout(model)
    yield _to_image(draw_frame(snapshot(model, max_edges), pos, title))
    while model.running:
        model.step()
        if model.week % every == 0 or not model.running:
            yield _to_image(draw_frame(snapshot(model, max_edges), pos, title))
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
    """
    model = CollaborationModel(rng=seed, **params)
    step = every if every is not None else default_every(int(model.params["weeks"]))
    frames = list(
        render_frames(model, every=step, title=title, max_edges=max_edges, progress=progress)
    )
    write_gif(frames, path, fps=fps)
    return len(frames)
