"""Every sweep gets a summary: tables that match the runs, figures in three formats, no overlap."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from collabsim.cli import main
from collabsim.sweep import load_results
from collabsim.sweep.summary import (
    factor_effects,
    outcome_label,
    parameter_label,
    partial_dependence,
    plot_partial_dependence,
    write_sweep_summary,
)

SWEEP = """
[sweep]
name = "tiny"
scenario = "baseline"
replicates = 3
root_seed = 4
chunk_size = 40

[sweep.set]
weeks = 40

[design]
method = "lhs"
n = 24
params = ["turnover_rate", "navigator", "community_stages"]
"""


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("summary")
    cfg = tmp / "tiny.toml"
    cfg.write_text(SWEEP)
    assert main(["sweep", str(cfg), "--out", str(tmp / "sweeps"), "--serial", "--no-progress"]) == 0
    (folder,) = list((tmp / "sweeps").iterdir())
    return folder


def test_every_sweep_writes_a_summary_with_figures(sweep_folder):
    text = (sweep_folder / "summary.md").read_text()
    assert "24 points x 3 replicates = 72 runs" in text
    for name in ("turnover_rate", "navigator", "community_stages"):
        assert f"`{name}`" in text
    for stem in ("partial_dependence", "distributions"):
        for ext in ("png", "svg", "pdf"):
            assert (sweep_folder / "figures" / f"{stem}.{ext}").stat().st_size > 1000
    # add-only: a second call leaves the summary as it is
    before = (sweep_folder / "summary.md").stat().st_mtime_ns
    assert write_sweep_summary(sweep_folder) == []
    assert (sweep_folder / "summary.md").stat().st_mtime_ns == before


def test_partial_dependence_is_the_mean_per_level(sweep_folder):
    runs = load_results(sweep_folder)
    pdp = partial_dependence(runs, "community_stages", "collective_impact").set_index("level")
    for stages, g in runs.groupby("community_stages"):
        row = pdp.loc[str(stages)]
        assert row["mean"] == pytest.approx(g["collective_impact"].mean())
        assert row["runs"] == len(g)
        assert row["low"] <= row["mean"] <= row["high"]
    share = partial_dependence(runs, "navigator", "success").set_index("level")
    for nav, g in runs.groupby("navigator"):
        assert share.loc[str(nav), "mean"] == pytest.approx(g["success"].mean())


def test_factor_effects_find_the_factor_that_drives_the_outcome():
    rng = np.random.default_rng(0)
    n = 2000
    runs = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n)})
    runs["y"] = 3 * runs["a"] + rng.normal(0, 0.2, n)
    eff = factor_effects(runs, ["a", "b"], "y").set_index("parameter")
    assert eff.loc["a", "eta2"] > 0.8
    assert eff.loc["b", "eta2"] < 0.01
    assert eff.loc["a", "highest"] > eff.loc["a", "lowest"]


def test_labels_carry_declared_units():
    assert parameter_label("turnover_rate") == "turnover rate (per year)"
    assert outcome_label("success", binary=True) == "success (share of runs)"
    assert "weeks" in outcome_label("weeks_to_first_win")


def _drawn_texts(fig):
    """Every text the figure shows: titles, axis labels and the tick labels inside the view."""
    out = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        out += [ax.title, ax.xaxis.label, ax.yaxis.label]
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks():
                if lo - 1e-9 <= tick.get_loc() <= hi + 1e-9 and tick.label1.get_visible():
                    out.append(tick.label1)
    return [t for t in out if t.get_visible() and t.get_text().strip()]


def _overlapping_texts(fig) -> list[tuple[str, str]]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _drawn_texts(fig)]
    return [
        (a, b)
        for (a, ba), (b, bb) in itertools.combinations(boxes, 2)
        if ba.overlaps(bb) and ba.width > 0 and bb.width > 0
    ]


def test_summary_figures_have_no_overlapping_text(sweep_folder):
    import matplotlib.pyplot as plt

    from collabsim.sweep.summary import _grid

    runs = load_results(sweep_folder)
    fig = _grid(
        runs,
        plot_partial_dependence,
        ["success", "collective_impact"],
        ["turnover_rate", "navigator", "community_stages"],
        "t",
    )
    try:
        assert _overlapping_texts(fig) == []
    finally:
        plt.close(fig)


def test_the_overlap_check_sees_overlapping_labels():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks(range(6))
    ax.set_xticklabels([f"a long label {i}" for i in range(6)])
    try:
        assert _overlapping_texts(fig)
    finally:
        plt.close(fig)
