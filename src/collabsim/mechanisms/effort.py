"""Effort split (submodel 2): accountability between the collaboration and the home organization.

A representative gives the collaboration ``e_i = skill_i * c_i / (c_i + l_i * pressure_o)``:
commitment pulls effort in, loyalty times the home organization's pressure pulls it back home,
and a newcomer's effectiveness (``skill``, climbing a learning curve) scales what the effort
achieves at the table.
"""

from __future__ import annotations

import numba

__all__ = ["effort"]


@numba.njit(cache=True, nogil=True, inline="always")
def effort(w, p, rng, week: int) -> None:
    """Recompute every representative's effort (in place)."""
    c, out = w.commitment, w.effort
    for i in range(out.shape[0]):
        out[i] = w.skill[i] * c[i] / (c[i] + w.loyalty[i] * w.seat_pressure[i] + 1e-12)
