"""Project outcome and setback response (submodel 7): small wins, learning journey or blame game.

An active project runs for its duration while operational capacity is averaged. At the end it
succeeds with probability ``success_base * leverage * (0.4 + 0.6 sqrt(OC * uptake)) * (0.5 +
fit) * exp(-size) * (backing_floor + (1 - backing_floor) * backing)`` (capped at 1): rising with
the project's true leverage (which nobody observes), capacity, uptake, the governance mode's
fit and the members' backing (the effort-weighted share of members whose frames accept the
project: parties do what they said they would do), falling with size.

A **win** raises commitment, legitimacy, public value, trust, psychological safety and trust in
the navigator (the small-wins cycle of Ansell & Gash 2008), and the organizations whose people
worked closely gain social capital. A **setback** costs legitimacy. A navigator first tries to
mediate: it works as often as members trust the navigator, and then raises safety (and trust in
the navigator; a failed mediation costs the navigator trust). The setback is then met either by
**learning** or by **blame**, with log-odds set by the state only: ``learning_bias +
learning_trust_weight * (cross-boundary trust - 0.5) + learning_evidence_weight * evidence
precision + learning_safety_weight * (psychological safety - 0.5)``. Learning moves frames and
the plan toward what the results revealed (a noisy signal whose precision is the evidence at
hand), keeps trust, raises safety, sharpens evidence, renews commitment a little, adds social
capital and lets an adaptable collaboration change its governance mode. Blame cuts everyone's
trust in the least-trusted organization's people and sours the climate for everyone (a shared
signal of ``blame_signal`` through the asymmetric update, so it breaks fast), destroys a share
of safety, lowers commitment and trust in the navigator, raises loyalty to home and costs more
legitimacy (a public blame game).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from collabsim.mechanisms import governance as gov
from collabsim.mechanisms.climate import joint_work
from collabsim.mechanisms.community import uptake
from collabsim.mechanisms.stat_meeting import evidence_noise
from collabsim.mechanisms.trust import signal_all
from collabsim.state import (
    BLAME,
    CAPACITY_OC,
    CROSS_DENSITY,
    CROSS_TRUST,
    EV_BLAME,
    EV_LEARNING,
    EV_MEDIATION,
    EV_WIN,
    EVIDENCE,
    FIRST_SETBACK,
    FIRST_WIN,
    LAST_WIN,
    LEARNING,
    LEGITIMACY,
    MODE,
    PLAN,
    PR_ACTIVE,
    PR_DURATION,
    PR_LEVERAGE,
    PR_OC_SUM,
    PR_POSITION,
    PR_SIZE,
    PR_WEEKS_RUN,
    PROGRAMS,
    PUBLIC_VALUE,
    SETBACKS,
    THETA,
    UNDERSTANDING,
    WINS,
    log_event,
    total,
)

__all__ = [
    "backing",
    "learning_odds",
    "learning_probability",
    "mediate",
    "projects",
    "resolve_setback",
    "resolve_win",
    "success_probability",
]


@numba.njit(cache=True, nogil=True, inline="always")
def backing(w, position: float) -> float:
    """Members' backing of a project at ``position`` (0 when nobody gives effort).

    The effort-weighted share of members whose frames are within their openness of it.
    """
    eff = w.effort
    total = 0.0
    near = 0.0
    for i in range(eff.shape[0]):
        total += eff[i]
        if abs(w.frame[i] - position) < w.openness[i]:
            near += eff[i]
    return near / total if total > 0.0 else 0.0


@numba.njit(cache=True, nogil=True, inline="always")
def success_probability(w, p, oc_mean: float, fit: float) -> float:
    """Probability that the active project succeeds, given its mean capacity and mode fit.

    ``success_base * leverage * (0.4 + 0.6 * sqrt(OC * uptake)) * (0.5 + fit) * exp(-size) *
    (backing_floor + (1 - backing_floor) * backing)``, capped at 1: a project needs capacity
    and uptake together (a shortfall in one is not made up by the other), a governance mode
    that fits the conditions (neutral at fit 0.5), a manageable size and members who back it.
    Every input is state: uptake is legitimacy times residents' backing, fit is measured.
    """
    fs = w.fs
    delivery = math.sqrt(max(oc_mean, 0.0) * max(uptake(w, p), 0.0))
    members = p.backing_floor + (1.0 - p.backing_floor) * backing(w, fs[PR_POSITION])
    return min(
        1.0,
        p.success_base
        * fs[PR_LEVERAGE]
        * (0.4 + 0.6 * delivery)
        * (0.5 + fit)
        * math.exp(-fs[PR_SIZE])
        * members,
    )


@numba.njit(cache=True, nogil=True, inline="always")
def learning_probability(p, trust: float, precision: float, safety: float) -> float:
    """Probability that a setback is met by learning rather than blame, from the state.

    Args:
        p: The parameters (the learning weights).
        trust: Cross-boundary trust.
        precision: Evidence precision.
        safety: The team's psychological safety.
    """
    z = (
        p.learning_bias
        + p.learning_trust_weight * (trust - 0.5)
        + p.learning_evidence_weight * precision
        + p.learning_safety_weight * (safety - 0.5)
    )
    return 1.0 / (1.0 + math.exp(-z))


@numba.njit(cache=True, nogil=True, inline="always")
def learning_odds(w, p) -> float:
    """Probability that a setback now is met by learning rather than blame.

    :func:`learning_probability` of the state's cross-boundary trust, evidence precision and
    psychological safety (measured at the end of the previous week, safety updated since by
    events of this week such as a mediation).
    """
    safety = total(w.safety) / w.safety.shape[0]
    return learning_probability(p, w.fs[CROSS_TRUST], w.fs[EVIDENCE], safety)


@numba.njit(cache=True, nogil=True)
def _raise(x: np.ndarray, rate: float) -> None:
    """``x += rate * (1 - x)`` element by element: close a share of the gap to 1."""
    for i in range(x.shape[0]):
        x[i] += rate * (1.0 - x[i])


@numba.njit(cache=True, nogil=True)
def _cut(x: np.ndarray, rate: float) -> None:
    """``x -= rate * x`` element by element: lose a share."""
    for i in range(x.shape[0]):
        x[i] -= rate * x[i]


@numba.njit(cache=True, nogil=True, inline="always")
def mediate(w, p, rng, week: int) -> None:
    """The navigator mediates after a setback (in place; nothing happens without one).

    It works with probability equal to members' mean trust in the navigator; then everyone's
    safety closes ``mediation_safety`` of its gap to 1 and trust in the navigator rises (a
    ``win_signal``); a failed mediation costs trust in the navigator (a ``blame_signal``).
    """
    if not p.navigator:
        return
    nav = w.nav_trust
    if rng.random() < total(nav) / nav.shape[0]:
        _raise(w.safety, p.mediation_safety)
        signal_all(nav, p.win_signal, p.trust_gain, p.trust_loss)
        log_event(w, week, EV_MEDIATION)
    else:
        signal_all(nav, p.blame_signal, p.trust_gain, p.trust_loss)


@numba.njit(cache=True, nogil=True, inline="always")
def resolve_win(w, p, week: int) -> None:
    """Apply the effects of a won project (in place)."""
    fs, ns = w.fs, w.ns
    ns[WINS] += 1
    ns[LAST_WIN] = week
    if ns[FIRST_WIN] < 0:
        ns[FIRST_WIN] = week
    _raise(w.commitment, p.win_commitment)
    fs[LEGITIMACY] += p.win_legitimacy * (1.0 - fs[LEGITIMACY])
    value = fs[PR_LEVERAGE] * fs[PR_SIZE]
    fs[PUBLIC_VALUE] += p.win_value * value * uptake(w, p)
    fs[PROGRAMS] += value
    _raise(w.safety, p.win_safety)
    if p.navigator:
        signal_all(w.nav_trust, p.win_signal, p.trust_gain, p.trust_loss)
    joint_work(w, p)
    n = w.e_meta[0]
    signal_all(w.e_trust[:n, 0], p.win_signal, p.trust_gain, p.trust_loss)
    signal_all(w.e_trust[:n, 1], p.win_signal, p.trust_gain, p.trust_loss)
    log_event(w, week, EV_WIN, 0, 0, fs[PR_POSITION], fs[PR_LEVERAGE])


@numba.njit(cache=True, nogil=True, inline="always")
def _least_trusted(w) -> int:
    """The organization whose people get the least mean incoming trust (ties: the first)."""
    n_orgs = w.sector.shape[0]
    tot = np.zeros(n_orgs)
    cnt = np.zeros(n_orgs, dtype=np.int64)
    ends, trust, org = w.e_ends, w.e_trust, w.org
    for j in range(w.e_meta[0]):
        ou, ov = org[ends[j, 0]], org[ends[j, 1]]
        tot[ov] += trust[j, 0]  # t_uv is trust in v
        cnt[ov] += 1
    for j in range(w.e_meta[0]):
        ou = org[ends[j, 0]]
        tot[ou] += trust[j, 1]  # t_vu is trust in u
        cnt[ou] += 1
    best, target = np.inf, 0
    for o in range(n_orgs):
        mean_in = tot[o] / cnt[o] if cnt[o] > 0 else np.inf
        if mean_in < best:
            best, target = mean_in, o
    return target


@numba.njit(cache=True, nogil=True, inline="always")
def resolve_setback(w, p, rng, week: int, fit: np.ndarray) -> bool:
    """Apply a setback and the collaboration's response; return True if it learned."""
    fs, ns = w.fs, w.ns
    ns[SETBACKS] += 1
    if ns[FIRST_SETBACK] < 0:
        ns[FIRST_SETBACK] = week
    fs[LEGITIMACY] -= p.setback_legitimacy * fs[LEGITIMACY]
    mediate(w, p, rng, week)
    if rng.random() < learning_odds(w, p):
        ns[LEARNING] += 1
        _raise(w.commitment, p.learn_commitment)
        sd = evidence_noise(p, max(fs[EVIDENCE], p.learn_evidence_floor))
        ev = fs[THETA] + sd * rng.normal()
        x, eff = w.frame, w.effort
        for i in range(x.shape[0]):
            x[i] = min(max(x[i] + p.learn_pull * eff[i] * (ev - x[i]), 0.0), 1.0)
        plan = fs[PLAN]
        fs[PLAN] = ev if not math.isfinite(plan) else plan + p.learn_pull * (ev - plan)
        gain = p.learn_precision + (p.evaluate_precision if p.community_stages >= 4 else 0.0)
        fs[EVIDENCE] += gain * (1.0 - fs[EVIDENCE])
        _raise(w.safety, p.learn_safety)
        joint_work(w, p)
        log_event(w, week, EV_LEARNING)
        gov.adapt(w, p, week, fit)
        return True
    ns[BLAME] += 1
    target = _least_trusted(w)
    ends, trust, org = w.e_ends, w.e_trust, w.org
    n = w.e_meta[0]
    keep = 1.0 - p.blame_trust
    for j in range(n):
        ou, ov = org[ends[j, 0]], org[ends[j, 1]]
        if ov == target and ou != target:
            trust[j, 0] *= keep
        if ou == target and ov != target:
            trust[j, 1] *= keep
    signal_all(trust[:n, 0], p.blame_signal, p.trust_gain, p.trust_loss)
    signal_all(trust[:n, 1], p.blame_signal, p.trust_gain, p.trust_loss)
    _cut(w.safety, p.blame_safety)
    if p.navigator:
        signal_all(w.nav_trust, p.blame_signal, p.trust_gain, p.trust_loss)
    _cut(w.commitment, p.blame_commitment)
    _raise(w.loyalty, p.blame_loyalty)
    fs[LEGITIMACY] -= p.blame_legitimacy * fs[LEGITIMACY]
    log_event(w, week, EV_BLAME, target)
    return False


@numba.njit(cache=True, nogil=True, inline="always")
def projects(w, p, rng, week: int) -> None:
    """Advance the active project and resolve it when it ends (in place)."""
    fs, ns = w.fs, w.ns
    if not ns[PR_ACTIVE]:
        return
    ns[PR_WEEKS_RUN] += 1
    fs[PR_OC_SUM] += fs[CAPACITY_OC]
    if ns[PR_WEEKS_RUN] < ns[PR_DURATION]:
        return
    fit = gov.fits(w.sector.shape[0], fs[CROSS_DENSITY], fs[UNDERSTANDING], min(1.0, fs[PR_SIZE]))
    prob = success_probability(w, p, fs[PR_OC_SUM] / ns[PR_WEEKS_RUN], fit[ns[MODE]])
    won = rng.random() < prob
    if p.first_outcome != 0 and ns[WINS] + ns[SETBACKS] == 0:
        won = p.first_outcome == 1  # experiment control: the first outcome forced
    if won:
        resolve_win(w, p, week)
    else:
        resolve_setback(w, p, rng, week, fit)
    ns[PR_ACTIVE] = 0
