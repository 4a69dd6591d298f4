"""Stat meetings (submodel 4): data used to focus, learn and improve (LouieStat, CitiStat, KCStat).

Every ``stat_interval`` weeks, when data use is on, the collaboration reads a signal of where
the problem's leverage lies: the true point plus the data's systematic bias (drawn once per
run, s.d. ``data_bias``) plus noise that shrinks with data quality. Nobody sees the true point;
the team uses the reading only as far as it can safely talk about what the data show: the
signal's weight is ``data_quality`` (trust in the data) times the team's psychological safety
(:func:`~collabsim.mechanisms.climate.signal_weight`; Moynihan & Lavertu 2012, Behn 2014).
Attending members (in proportion to their effort) and the plan move toward the reading by
``data_pull`` times that weight; a provisional entry-point project is adjusted toward it; the
collaboration's evidence precision rises toward the data quality at the same weighted pace;
and visible progress (something adopted and running) earns legitimacy (transparency).
"""

from __future__ import annotations

import math

import numba

from collabsim.mechanisms.climate import signal_weight
from collabsim.state import (
    ADOPTED,
    DATA_BIAS,
    EVIDENCE,
    LEGITIMACY,
    PLAN,
    PR_ACTIVE,
    PR_ENTRY,
    PR_LEVERAGE,
    PR_POSITION,
    TEAM_SAFETY,
    THETA,
)

__all__ = ["evidence_noise", "leverage", "stat_meeting"]


@numba.njit(cache=True, nogil=True)
def leverage(z: float, theta: float, width: float) -> float:
    """Leverage ``exp(-(z - theta)^2 / 2 w^2)`` of acting at frame position ``z``."""
    d = z - theta
    return math.exp(-(d * d) / (2.0 * width * width))


@numba.njit(cache=True, nogil=True, inline="always")
def evidence_noise(p, quality: float) -> float:
    """Standard deviation of one evidence reading at data quality ``quality``."""
    return p.data_noise * (1.0 - quality) + 0.02


@numba.njit(cache=True, nogil=True, inline="always")
def stat_meeting(w, p, rng, week: int) -> None:
    """Hold a stat meeting if one is due (in place)."""
    if not p.data_use or week % p.stat_interval:
        return
    fs, ns = w.fs, w.ns
    ev = fs[THETA] + fs[DATA_BIAS] + evidence_noise(p, p.data_quality) * rng.normal()
    weight = signal_weight(p, p.data_quality, fs[TEAM_SAFETY])
    pull = p.data_pull * weight
    x, eff = w.frame, w.effort
    for i in range(x.shape[0]):
        x[i] = min(max(x[i] + pull * eff[i] * (ev - x[i]), 0.0), 1.0)
    if math.isfinite(fs[PLAN]):
        fs[PLAN] += pull * (ev - fs[PLAN])
    if ns[PR_ACTIVE] and ns[PR_ENTRY]:
        pos = fs[PR_POSITION] + 0.5 * p.provisionality * weight * (ev - fs[PR_POSITION])
        fs[PR_POSITION] = pos
        fs[PR_LEVERAGE] = leverage(pos, fs[THETA], p.leverage_width)
    if p.data_quality > fs[EVIDENCE]:
        fs[EVIDENCE] += p.precision_step * weight * (p.data_quality - fs[EVIDENCE])
    if ns[ADOPTED] > 0:
        fs[LEGITIMACY] += p.transparency_gain * (1.0 - fs[LEGITIMACY])
