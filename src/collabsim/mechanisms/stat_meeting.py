"""Stat meetings (submodel 4): data used to focus, learn and improve (LouieStat, CitiStat, KCStat).

Every ``stat_interval`` weeks, when data use is on, the collaboration reads a noisy signal of
where the problem's leverage lies; the noise shrinks with data quality. Attending members (in
proportion to their effort) and the plan move toward the evidence; a provisional entry-point
project is adjusted toward it; the collaboration's evidence precision rises toward the data
quality; and visible progress (something adopted and running) earns legitimacy (transparency
builds public trust).
"""

from __future__ import annotations

import math

import numpy as np

from collabsim.state import State

__all__ = ["evidence_noise", "stat_meeting"]


def evidence_noise(p, quality: float) -> float:
    """Standard deviation of one evidence reading at data quality ``quality``."""
    return p.data_noise * (1.0 - quality) + 0.02


def stat_meeting(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Hold a stat meeting if one is due (in place)."""
    if not p.data_use or week % p.stat_interval:
        return
    ev = s.theta + evidence_noise(p, p.data_quality) * rng.normal()
    x = s.frame
    x += p.data_pull * s.effort * (ev - x)
    np.clip(x, 0.0, 1.0, out=x)
    if math.isfinite(s.plan):
        s.plan += p.data_pull * (ev - s.plan)
    pr = s.project
    if pr is not None and pr.entry_point:
        pr.position += 0.5 * p.provisionality * (ev - pr.position)
        pr.leverage = math.exp(-((pr.position - s.theta) ** 2) / (2 * p.leverage_width**2))
    if p.data_quality > s.evidence_precision:
        s.evidence_precision += p.precision_step * (p.data_quality - s.evidence_precision)
    if s.adopted > 0:
        s.legitimacy += p.transparency_gain * (1.0 - s.legitimacy)
