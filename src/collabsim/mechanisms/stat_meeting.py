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

import numpy as np

from collabsim.mechanisms.climate import signal_weight
from collabsim.state import State

__all__ = ["evidence_noise", "stat_meeting"]


def evidence_noise(p, quality: float) -> float:
    """Standard deviation of one evidence reading at data quality ``quality``."""
    return p.data_noise * (1.0 - quality) + 0.02


def stat_meeting(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Hold a stat meeting if one is due (in place)."""
    if not p.data_use or week % p.stat_interval:
        return
    ev = s.theta + s.data_bias + evidence_noise(p, p.data_quality) * rng.normal()
    w = signal_weight(p, p.data_quality, s.team_safety)
    pull = p.data_pull * w
    x = s.frame
    x += pull * s.effort * (ev - x)
    np.clip(x, 0.0, 1.0, out=x)
    if math.isfinite(s.plan):
        s.plan += pull * (ev - s.plan)
    pr = s.project
    if pr is not None and pr.entry_point:
        pr.position += 0.5 * p.provisionality * w * (ev - pr.position)
        pr.leverage = math.exp(-((pr.position - s.theta) ** 2) / (2 * p.leverage_width**2))
    if p.data_quality > s.evidence_precision:
        s.evidence_precision += p.precision_step * w * (p.data_quality - s.evidence_precision)
    if s.adopted > 0:
        s.legitimacy += p.transparency_gain * (1.0 - s.legitimacy)
