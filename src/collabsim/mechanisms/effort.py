"""Effort split (submodel 2): accountability between the collaboration and the home organization.

A representative gives the collaboration ``e_i = c_i / (c_i + l_i * pressure_o)``: commitment
pulls effort in, loyalty times the home organization's pressure pulls it back home.
"""

from __future__ import annotations

import numpy as np

from collabsim.state import State

__all__ = ["effort"]


def effort(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Recompute every representative's effort (in place)."""
    c = s.commitment
    np.divide(c, c + s.loyalty * s.seat_pressure + 1e-12, out=s.effort)
