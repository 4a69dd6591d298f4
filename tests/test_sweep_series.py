"""Kept weekly series: the model's own series, resumable, engine-independent, with envelopes."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from collabsim.cli import main
from collabsim.model import CollaborationModel
from collabsim.outcomes import SERIES_OUTCOMES
from collabsim.sweep import (
    DesignError,
    Sweep,
    SweepError,
    execute,
    factors_from_params,
    load_results,
    load_series,
    load_sweep,
    make_design,
)
from collabsim.sweep.store import SweepStore
from collabsim.sweep.summary import (
    BAND,
    _bins,
    _envelope_figure,
    series_envelope,
    write_sweep_summary,
)

KEPT = ("public_value", "cross_trust", "wins")
EVERY = 3


def small_sweep(series=KEPT, every=EVERY, root_seed=11) -> Sweep:
    """2 x 2 grid x 3 replicates = 12 runs of 30 weeks in 4 chunks."""
    design = make_design(
        "grid",
        factors_from_params(
            ["turnover_rate", "navigator"], levels={"turnover_rate": [0.0, 0.5]}, method="grid"
        ),
    )
    return Sweep(
        "series",
        design,
        base={"weeks": 30},
        replicates=3,
        root_seed=root_seed,
        chunk_size=3,
        series=series,
        series_every=every,
    )


@pytest.fixture(scope="module")
def serial_folder(tmp_path_factory):
    return execute(
        small_sweep(), tmp_path_factory.mktemp("serial"), engine="serial", progress=False
    ).path


def test_kept_series_are_the_models_own_timeseries(serial_folder):
    sweep = small_sweep()
    runs = load_results(serial_folder)
    kept = load_series(serial_folder, list(KEPT))
    assert list(kept.columns) == ["run", "week", *KEPT]
    assert kept["wins"].dtype == np.int64 and kept["public_value"].dtype == np.float64
    values = sweep.design.point_values()
    for row in runs.itertuples():
        params = {**sweep.resolved_base(), **values[row.point]}
        model = CollaborationModel(rng=int(row.seed), **params).run()
        own = model.timeseries().iloc[::EVERY].reset_index(drop=True)
        mine = kept[kept["run"] == row.run].reset_index(drop=True)
        assert list(mine["week"]) == list(range(0, int(row.weeks_run) + 1, EVERY))
        for name in KEPT:  # exactly, not approximately
            np.testing.assert_array_equal(mine[name].to_numpy(), own[name].to_numpy())
    wide = load_series(serial_folder, "cross_trust", wide=True)
    assert list(wide.index) == list(range(sweep.n_runs))
    assert list(wide.columns) == list(range(0, 31, EVERY))
    assert wide.loc[5, 12] == kept.set_index(["run", "week"]).loc[(5, 12), "cross_trust"]
    some = load_series(serial_folder, "wins", runs=[2, 7])
    assert set(some["run"]) == {2, 7}


def test_pool_keeps_identical_series(serial_folder, tmp_path):
    res = execute(small_sweep(), tmp_path, engine="pool", workers=2, progress=False)
    pd.testing.assert_frame_equal(
        load_series(res.path, list(KEPT)), load_series(serial_folder, list(KEPT))
    )
    pd.testing.assert_frame_equal(load_results(res.path), load_results(serial_folder))


def test_interrupted_sweep_resumes_to_identical_series(serial_folder, tmp_path, monkeypatch):
    sweep = small_sweep()
    real = SweepStore.write_chunk
    written = []

    def crash_after_two(self, index, frame, series=None):
        if len(written) == 2:
            raise RuntimeError("simulated crash")
        real(self, index, frame, series=series)
        written.append(index)

    monkeypatch.setattr(SweepStore, "write_chunk", crash_after_two)
    with pytest.raises(RuntimeError, match="simulated crash"):
        execute(sweep, tmp_path, engine="serial", progress=False)
    monkeypatch.setattr(SweepStore, "write_chunk", real)
    store = SweepStore(tmp_path, sweep.name, sweep.fingerprint())
    assert store.completed() == {0, 1}
    # a damaged series file makes its chunk count as not done, though the chunk file is intact
    (store.partial / "series" / "series-000001.parquet").write_bytes(b"garbage")
    assert store.completed() == {0}
    res = execute(sweep, tmp_path, engine="serial", progress=False)
    assert res.resumed_chunks == 1 and res.runs_now == sweep.n_runs - 3
    pd.testing.assert_frame_equal(
        load_series(res.path, list(KEPT)), load_series(serial_folder, list(KEPT))
    )


def test_the_choice_of_series_is_part_of_the_fingerprint(tmp_path):
    prints = {
        small_sweep(series=(), every=1).fingerprint(),
        small_sweep().fingerprint(),
        small_sweep(series=("public_value",)).fingerprint(),
        small_sweep(every=2).fingerprint(),
    }
    assert len(prints) == 4
    # a partial sweep is never resumed by a sweep that keeps other series
    a, b = small_sweep(series=("public_value",)), small_sweep(series=("cross_trust",))
    SweepStore(tmp_path, a.name, a.fingerprint()).partial.mkdir()
    assert SweepStore(tmp_path, b.name, b.fingerprint()).partial.name != (
        SweepStore(tmp_path, a.name, a.fingerprint()).partial.name
    )


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        ({"series": ["public_valu"]}, ["series = ['public_valu']", "'public_valu' is not"]),
        ({"series": "everything"}, ["series = 'everything'", "'all'"]),
        ({"series": 3}, ["series = 3 is not valid", "'all'"]),
        ({"series": ["wins", "wins"]}, ["'wins' is named twice"]),
        ({"series": ["wins"], "series_every": 0}, ["series_every = 0", ">= 1"]),
        ({"series_every": 4}, ["series_every = 4", "without series"]),
    ],
)
def test_bad_series_fail_clearly(kwargs, fragments):
    design = make_design("grid", factors_from_params(["navigator"]))
    with pytest.raises(DesignError) as err:
        Sweep("bad", design, **kwargs)
    for fragment in fragments:
        assert fragment in str(err.value)
    if "valid names" in str(err.value):  # every declared series is offered
        assert all(o.name in str(err.value) for o in SERIES_OUTCOMES)


def test_bad_series_in_a_file_exit_2_naming_file_key_and_value(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        '[sweep]\nname = "b"\nseries = ["trust"]\n'
        '[design]\nmethod = "grid"\nparams = ["navigator"]\n'
    )
    code = main(["sweep", str(cfg), "--out", str(tmp_path / "out"), "--serial"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert str(cfg) in err and "series = ['trust']" in err and "cross_trust" in err
    assert not (tmp_path / "out").exists()
    cfg.write_text(
        '[sweep]\nname = "b"\nseries = "all"\nseries_every = 4\n'
        '[design]\nmethod = "grid"\nparams = ["navigator"]\n'
    )
    sweep = load_sweep(cfg)
    assert sweep.series == tuple(o.name for o in SERIES_OUTCOMES) and sweep.series_every == 4


def test_series_not_kept_are_refused_by_name(serial_folder, tmp_path):
    with pytest.raises(SweepError, match="'safety' was not kept.*it kept public_value"):
        load_series(serial_folder, "safety")
    plain = execute(small_sweep(series=(), every=1), tmp_path, engine="serial", progress=False)
    assert not (plain.path / "series").exists()
    with pytest.raises(SweepError, match=r"kept none \(add series = \[...\]"):
        load_series(plain.path, "public_value")
    write_sweep_summary(plain.path)
    text = (plain.path / "summary.md").read_text()
    assert "time series were not kept" in text and "envelope_" not in text
    assert not list((plain.path / "figures").glob("envelope_*"))


def test_envelope_is_the_quantiles_of_each_level(serial_folder):
    wide = load_series(serial_folder, "cross_trust", wide=True)
    runs = load_results(serial_folder).set_index("run")
    groups, order = _bins(runs["turnover_rate"])
    env = series_envelope(wide, groups, order)
    assert set(env["level"]) == {"0", "0.5"}
    assert (env["low"] <= env["median"]).all() and (env["median"] <= env["high"]).all()
    assert (env["low"] < env["high"]).any()  # not a degenerate band
    row = env[(env["level"] == "0.5") & (env["week"] == 27)].iloc[0]
    raw = wide.loc[runs.index[runs["turnover_rate"] == 0.5], 27].dropna()
    assert row["runs"] == len(raw) == 6
    np.testing.assert_allclose([row["low"], row["median"], row["high"]], np.quantile(raw, BAND))
    # a level with too few runs still running at a week is not drawn there
    thin = wide.copy()
    thin.loc[thin.index[:5], 30] = np.nan  # as if five runs had perished before week 30
    env = series_envelope(thin, pd.Series("all", index=thin.index))
    assert env["week"].max() == 30 and env.loc[env["week"] == 30, "runs"].item() == 7
    thin.loc[thin.index[:8], 30] = np.nan
    assert series_envelope(thin, pd.Series("all", index=thin.index))["week"].max() == 27


def test_summary_embeds_one_envelope_figure_per_kept_series(serial_folder):
    import matplotlib.pyplot as plt

    written = write_sweep_summary(serial_folder, force=True)
    text = (serial_folder / "summary.md").read_text()
    assert "weekly series kept** (weeks 0, 3, 6, ...)" in text
    for name in KEPT:
        assert f"![envelope of {name}](figures/envelope_{name}.png)" in text
        for ext in ("png", "svg", "pdf"):
            assert f"figures/envelope_{name}.{ext}" in written
            assert (serial_folder / "figures" / f"envelope_{name}.{ext}").stat().st_size > 1000
    runs = load_results(serial_folder)
    wide = load_series(serial_folder, "cross_trust", wide=True)
    fig = _envelope_figure(wide, runs, ["turnover_rate", "navigator"], "cross_trust")
    try:
        ax = fig.axes[0]
        assert ax.get_ylabel() == "cross trust (share)"
        assert ax.get_title() == "turnover rate (per year)"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "0.5"]
        assert _overlapping_texts(fig) == []
    finally:
        plt.close(fig)


def _overlapping_texts(fig) -> list[tuple[str, str]]:
    """Pairs of drawn texts (titles, labels, tick labels, legend entries) that overlap."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label]
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            texts += [
                t.label1 for t in axis.get_major_ticks() if lo - 1e-9 <= t.get_loc() <= hi + 1e-9
            ]
        if ax.get_legend() is not None:
            texts += ax.get_legend().get_texts()
    boxes = [
        (t.get_text(), t.get_window_extent(renderer))
        for t in texts
        if t.get_visible() and t.get_text().strip()
    ]
    return [
        (a, b)
        for (a, ba), (b, bb) in itertools.combinations(boxes, 2)
        if ba.overlaps(bb) and ba.width > 0 and bb.width > 0
    ]


def test_the_shipped_turnover_navigator_sweep_keeps_two_series():
    sweep = load_sweep("sweep_turnover_navigator")
    assert sweep.series == ("public_value", "cross_trust") and sweep.series_every == 4


def test_a_large_sweep_draws_its_envelopes_from_a_seeded_sample(serial_folder, monkeypatch):
    from collabsim.sweep import summary

    monkeypatch.setattr(summary, "ENVELOPE_RUNS", 8)
    first = summary._envelope_sample(12, seed=11)
    assert len(first) == 8 and list(first) == sorted(set(first))
    np.testing.assert_array_equal(first, summary._envelope_sample(12, seed=11))
    assert summary._envelope_sample(8, seed=11) is None  # small enough: every run
    write_sweep_summary(serial_folder, force=True)
    text = (serial_folder / "summary.md").read_text()
    assert "a random sample of 8 of the 12 runs (seeded by the root seed)" in text
    assert "| 0 | 8 |" in text  # the table's runs are the sample's
