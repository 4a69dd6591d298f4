"""Mesa's DataCollector view and ``mesa.batch_run`` on the collaboration model."""

from __future__ import annotations

import mesa
import pandas as pd
import pytest

from collabsim import CollaborationModel
from collabsim.outcomes import SERIES


def _batch(**kw) -> pd.DataFrame:
    return pd.DataFrame(mesa.batch_run(CollaborationModel, number_processes=1,
                                       display_progress=False, **kw))  # fmt: skip


def test_batch_run_returns_the_declared_outcomes_of_each_finished_run():
    df = _batch(parameters={"weeks": 12, "navigator": [False, True]}, iterations=2, max_steps=100)
    assert len(df) == 4 and set(SERIES) <= set(df.columns)
    assert (df["week"] == 12).all() and df["seed"].nunique() == 4
    for _, row in df.iterrows():  # every row is the last week of a run that can be re-run
        again = CollaborationModel(rng=int(row.seed), weeks=12, navigator=bool(row.navigator))
        last = again.run().timeseries().iloc[-1]
        for key in SERIES:
            assert row[key] == pytest.approx(last[key]), key


def test_batch_run_every_step_and_seeds_given_as_a_parameter():
    df = _batch(parameters={"weeks": 6, "rng": [5, 6]}, iterations=1, max_steps=50,
                data_collection_period=1)  # fmt: skip
    assert df.groupby("rng")["week"].apply(list).tolist() == [[1, 2, 3, 4, 5, 6]] * 2
    assert (df["seed"] == df["rng"]).all()
    ts = CollaborationModel(rng=6, weeks=6).run().timeseries().iloc[1:]
    mine = df[df.rng == 6].reset_index(drop=True)
    assert mine["public_value"].tolist() == ts["public_value"].tolist()
    assert mine["mean_trust"].tolist() == ts["mean_trust"].tolist()


def test_the_view_costs_nothing_until_read_and_follows_the_run():
    m = CollaborationModel(rng=1, weeks=5)
    m.step()
    m.step()
    assert "_datacollector_view" not in m.__dict__  # stepping never builds it
    assert m.datacollector.get_model_vars_dataframe()["week"].tolist() == [1, 2]
    assert m.datacollector is m.datacollector  # cached while nothing new is recorded
    m.run()
    df = m.datacollector.get_model_vars_dataframe()
    assert df["week"].tolist() == [1, 2, 3, 4, 5] and (df["seed"] == 1).all()
    m.datacollector.collect(m)  # a Mesa habit: harmless, the model records itself
    assert len(m.datacollector.get_model_vars_dataframe()) == 5


def test_a_subclass_may_bring_its_own_datacollector():
    class Counted(CollaborationModel):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.datacollector = mesa.DataCollector({"trust": lambda m: m.state.mean_trust})

        def step(self):
            super().step()
            self.datacollector.collect(self)

    m = Counted(rng=2, weeks=3).run()
    assert isinstance(m.datacollector, mesa.DataCollector)
    assert list(m.datacollector.get_model_vars_dataframe().columns) == ["trust"]
    assert len(m.datacollector.get_model_vars_dataframe()) == 3
