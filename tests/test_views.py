"""The pictures shared by the app and the GIF export: snapshots, layout and drawing."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from collabsim import CollaborationModel
from collabsim.views import (
    SECTOR_COLORS,
    draw_network,
    draw_series,
    draw_triangle,
    people_layout,
    snapshot,
)


@pytest.fixture(scope="module")
def model() -> CollaborationModel:
    m = CollaborationModel(rng=5, n_orgs=16, turnover_rate=0.6, navigator=True)
    for _ in range(30):
        m.step()
    return m


def test_snapshot_keeps_the_most_salient_ties(model: CollaborationModel) -> None:
    u, _v, t_uv, t_vu = model.state.edges.views()
    trust = 0.5 * (t_uv + t_vu)
    assert len(u) > 40
    view = snapshot(model, max_edges=40)
    assert len(view.edge_u) == 40
    assert view.n_edges == len(u)
    salience = np.abs(trust - model.params["stranger_trust"])
    kept = np.abs(view.edge_trust - model.params["stranger_trust"])
    assert kept.min() >= np.sort(salience)[-40] - 1e-12
    full = snapshot(model, max_edges=10_000)
    assert len(full.edge_u) == len(u)
    np.testing.assert_allclose(full.edge_trust, trust)


def test_newcomers_are_people_who_joined_lately() -> None:
    m = CollaborationModel(rng=2, turnover_rate=0.9)
    assert not snapshot(m).newcomer.any()  # founders are not newcomers at the founding
    for _ in range(8):
        m.step()
    view = snapshot(m)
    expected = (~m.state.founder) & (m.state.tenure < 13)
    assert expected.any()
    np.testing.assert_array_equal(view.newcomer, expected)


def test_snapshot_is_a_copy(model: CollaborationModel) -> None:
    view = snapshot(model)
    view.effort[:] = -1.0
    assert (model.state.effort >= 0).all()
    assert len(view.series) == model.week + 1


def test_layout_is_deterministic_and_leaves_the_run_alone() -> None:
    a = CollaborationModel(rng=9)
    state = a.rng.bit_generator.state
    pos = people_layout(a)
    assert a.rng.bit_generator.state == state, "the layout drew from the model's generator"
    assert pos.shape == (a.state.n_people, 2)
    assert np.abs(pos).max() <= 1.0 + 1e-12
    np.testing.assert_array_equal(pos, people_layout(CollaborationModel(rng=9)))
    assert not np.array_equal(pos, people_layout(CollaborationModel(rng=10)))


def test_large_networks_get_the_circle_layout() -> None:
    m = CollaborationModel(rng=1, n_orgs=250, reps_per_org=3, weeks=2)
    pos = people_layout(m)
    assert pos.shape == (750, 2)
    assert np.isfinite(pos).all()


def test_draw_network_shows_sectors_newcomers_and_the_navigator(model) -> None:
    view = snapshot(model)
    ax = Figure().add_subplot()
    draw_network(view, people_layout(model), ax)
    texts = [t.get_text() for t in ax.texts]
    assert "navigator" in texts
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("newcomer") for t in legend)
    # one colour per sector present at the table
    present = {SECTOR_COLORS[s] for s in np.unique(view.sector)}
    assert len([t for t in legend if t[0].isupper()]) == len(present)

    plain = CollaborationModel(rng=5, n_orgs=16)
    ax2 = Figure().add_subplot()
    draw_network(snapshot(plain), people_layout(plain), ax2)
    assert "navigator" not in [t.get_text() for t in ax2.texts]


def test_series_and_triangle_draw_every_run(model) -> None:
    other = CollaborationModel(rng=6, weeks=60)
    for _ in range(10):
        other.step()
    views = [snapshot(model), snapshot(other)]
    ax = draw_series(views, "public_value", Figure().add_subplot(), labels=["A", "B"])
    assert len(ax.lines) == 3  # A, B and the impact target
    np.testing.assert_allclose(ax.lines[1].get_ydata(), other.timeseries()["public_value"])
    assert ax.get_xlim() == (0, 156)
    ax = draw_triangle(views, Figure().add_subplot(), labels=["A", "B"])
    assert len(ax.patches) == 2  # one filled triangle per run
    pv, legit, cap = views[0].triangle
    assert 0.0 <= pv <= 1.0
    assert legit == pytest.approx(model.state.legitimacy)
    assert cap == pytest.approx(model.state.capacity_oc)
