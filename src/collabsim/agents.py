"""Organization agents: Mesa handles onto the model's arrays.

An :class:`Organization` owns no state of its own beyond its index: its sector, home frame,
pressure and capacity live in the model's organization arrays, and its representatives are the
seats whose ``org`` equals its index. Properties read those arrays, so an agent is always in
step with the vectorized state, and the app or a notebook can still work agent by agent.

Agent numbering: Mesa 3.3.1 numbers agents with one counter per model, kept in a class-level
dict of ``mesa.Agent`` keyed by the model itself, so every model ever built stayed in memory
(about 46 KB for a 4-week run, more for longer ones). Organizations keep their counters in a
dict keyed *weakly* by the model instead (:class:`_IdCounters`): a finished model is freed like
any other object, and ``unique_id`` still runs 1, 2, 3... within each model. Mesa fixed this
upstream after 3.3.1 (mesa issue #3179).
"""

from __future__ import annotations

import itertools
import weakref
from typing import TYPE_CHECKING

import mesa
import numpy as np

from collabsim.params import SECTORS

if TYPE_CHECKING:
    from collabsim.model import CollaborationModel

__all__ = ["Organization"]


class _IdCounters(weakref.WeakKeyDictionary):
    """``model -> itertools.count(1)``, created on first use; holds no model alive."""

    def __getitem__(self, model: mesa.Model) -> itertools.count:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


class Organization(mesa.Agent):
    """One member organization (city agency, nonprofit, business, funder or community group).

    Subclasses inherit the per-model agent numbering of this class (see the module docstring).
    What overriding a property or adding a ``step`` does and does not change is written down
    in ``docs/mesa.md``.
    """

    #: Per-model ``unique_id`` counters, keyed weakly (shadows ``mesa.Agent._ids``).
    _ids = _IdCounters()

    def __init__(self, model: CollaborationModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def _state(self):
        return self.model.state

    @property
    def sector(self) -> str:
        """Sector name."""
        return SECTORS[int(self._state.sector[self.index])]

    @property
    def home_frame(self) -> float:
        """Where the home institution stands on what the problem is (``m_o``)."""
        return float(self._state.home_frame[self.index])

    @property
    def pressure(self) -> float:
        """Pressure the home organization puts on its representatives."""
        return float(self._state.pressure[self.index])

    @property
    def capacity(self) -> float:
        """What the organization can contribute to operational capacity."""
        return float(self._state.capacity[self.index])

    @property
    def seats(self) -> np.ndarray:
        """Rows of this organization's representatives in the people arrays."""
        return np.flatnonzero(self._state.org == self.index)

    @property
    def frames(self) -> np.ndarray:
        """Frames of this organization's representatives (a copy)."""
        return self._state.frame[self.seats]

    @property
    def effort(self) -> float:
        """Mean effort this organization's representatives give to the collaboration."""
        return float(self._state.effort[self.seats].mean())

    def __repr__(self) -> str:
        return f"Organization({self.index}, {self.sector})"
