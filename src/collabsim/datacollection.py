"""Mesa's DataCollector view of a run's recorded outcomes, for ``mesa.batch_run`` and Mesa tools.

The model records every outcome series each week into preallocated arrays
(:class:`collabsim.outcomes.Recorder`); it does not run a Mesa ``DataCollector`` while it steps.
Reading ``model.datacollector`` builds a :class:`RecorderDataCollector` from what was recorded,
so a run that never reads it pays nothing, and Mesa code that expects a DataCollector
(``mesa.batch_run``, ``get_model_vars_dataframe()``) works.

The convention is Mesa's for models that collect at the end of each ``step()``: entry ``i`` of
every model variable is the state after step ``i + 1`` (week ``i + 1``). ``mesa.batch_run``
reports the entry ``model.steps - 1`` at the end of a run, which is therefore the last week
run. The founding state (week 0) is in :meth:`~collabsim.model.CollaborationModel.timeseries`.
Each entry also carries ``week`` and the run's ``seed``, so every row ``batch_run`` returns
says which week it is and can be re-run exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa

if TYPE_CHECKING:
    from collabsim.model import CollaborationModel

__all__ = ["RecorderDataCollector"]


def _recorded(model: mesa.Model, name: str) -> Any:
    """The latest recorded value of ``name`` (what a model reporter would return now)."""
    return model.datacollector.model_vars[name][-1]


class RecorderDataCollector(mesa.DataCollector):
    """A ``mesa.DataCollector`` holding the weeks a model has recorded.

    Model variables: ``week``, ``seed`` and every column of the model's time series, one entry
    per week run (week 1 first). There are no agent reporters: the people and organizations
    are arrays in ``model.state``.

    Args:
        model: The model whose recorded weeks to hold (read once, at construction).

    Examples:
        >>> from collabsim import CollaborationModel
        >>> model = CollaborationModel(rng=3, weeks=4).run()
        >>> df = model.datacollector.get_model_vars_dataframe()
        >>> df["week"].tolist()
        [1, 2, 3, 4]
        >>> bool((df["public_value"] == model.timeseries()["public_value"].iloc[1:].values).all())
        True
    """

    def __init__(self, model: CollaborationModel) -> None:
        super().__init__()
        ts = model.timeseries().iloc[1:]
        self.model_vars = {"week": ts["week"].tolist(), "seed": [model.seed] * len(ts)}
        self.model_vars.update({k: ts[k].tolist() for k in ts.columns if k != "week"})
        # Reporters mirror the variables, so Mesa code that reads model_reporters sees them.
        self.model_reporters = {k: [_recorded, [k]] for k in self.model_vars}

    def collect(self, model: mesa.Model) -> None:
        """Do nothing: the model records every week itself (this collector is a view of it)."""
