"""Effort split (submodel 2): accountability between the collaboration and the home organization.

A representative gives the collaboration ``e_i = skill_i * c_i / (c_i + l_i * pressure_o)``:
commitment pulls effort in, loyalty times the home organization's pressure pulls it back home,
and a newcomer's effectiveness (``skill``, climbing a learning curve) scales what the effort
achieves at the table.
"""

from __future__ import annotations

import numba
import numpy as np

from collabsim.state import State

__all__ = ["effort"]


def effort(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Recompute every representative's effort (in place)."""
    _split(s.commitment, s.loyalty, s.seat_pressure, s.skill, s.effort)


@numba.njit(cache=True, nogil=True)
def _split(commitment, loyalty, pressure, skill, out):
    """``out = skill * c / (c + loyalty * pressure + 1e-12)``, element by element (compiled)."""
    for i in range(out.shape[0]):
        c = commitment[i]
        out[i] = skill[i] * c / (c + loyalty[i] * pressure[i] + 1e-12)
