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

import numpy as np

from collabsim.mechanisms import governance as gov
from collabsim.mechanisms.climate import joint_work
from collabsim.mechanisms.community import uptake
from collabsim.mechanisms.stat_meeting import evidence_noise
from collabsim.mechanisms.trust import update_trust
from collabsim.state import State

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


def backing(s: State, position: float) -> float:
    """Members' backing of a project at ``position`` (0 when nobody gives effort).

    The effort-weighted share of members whose frames are within their openness of it.
    """
    eff = s.effort
    total = float(np.add.reduce(eff))
    if total <= 0.0:
        return 0.0
    near = np.abs(s.frame - position) < s.openness
    return float(np.add.reduce(eff * near)) / total


def success_probability(s: State, p, oc_mean: float, fit: float) -> float:
    """Probability that the active project succeeds, given its mean capacity and mode fit.

    ``success_base * leverage * (0.4 + 0.6 * sqrt(OC * uptake)) * (0.5 + fit) * exp(-size) *
    (backing_floor + (1 - backing_floor) * backing)``, capped at 1: a project needs capacity
    and uptake together (a shortfall in one is not made up by the other), a governance mode
    that fits the conditions (neutral at fit 0.5), a manageable size and members who back it.
    Every input is state: uptake is legitimacy times residents' backing, fit is measured.
    """
    pr = s.project
    assert pr is not None
    up = uptake(s, p)
    delivery = math.sqrt(max(oc_mean, 0.0) * max(up, 0.0))
    members = p.backing_floor + (1.0 - p.backing_floor) * backing(s, pr.position)
    return min(
        1.0,
        p.success_base
        * pr.leverage
        * (0.4 + 0.6 * delivery)
        * (0.5 + fit)
        * math.exp(-pr.size)
        * members,
    )


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


def learning_odds(s: State, p) -> float:
    """Probability that a setback now is met by learning rather than blame.

    :func:`learning_probability` of the state's cross-boundary trust, evidence precision and
    psychological safety (measured at the end of the previous week, safety updated since by
    events of this week such as a mediation).
    """
    safety = float(np.add.reduce(s.safety)) / s.n_people
    return learning_probability(p, s.cross_trust, s.evidence_precision, safety)


def mediate(s: State, p, rng: np.random.Generator, week: int) -> None:
    """The navigator mediates after a setback (in place; nothing happens without one).

    It works with probability equal to members' mean trust in the navigator; then everyone's
    safety closes ``mediation_safety`` of its gap to 1 and trust in the navigator rises (a
    ``win_signal``); a failed mediation costs trust in the navigator (a ``blame_signal``).
    """
    if not p.navigator:
        return
    nav = s.nav_trust
    if rng.random() < float(np.add.reduce(nav)) / len(nav):
        s.safety += p.mediation_safety * (1.0 - s.safety)
        s.nav_trust[:] = update_trust(nav, p.win_signal, p.trust_gain, p.trust_loss)
        s.log(week, "mediation", "the navigator's mediation restores some safety")
    else:
        s.nav_trust[:] = update_trust(nav, p.blame_signal, p.trust_gain, p.trust_loss)


def resolve_win(s: State, p, week: int) -> None:
    """Apply the effects of a won project (in place)."""
    pr = s.project
    assert pr is not None
    s.wins += 1
    s.last_win_week = week
    if s.first_win_week < 0:
        s.first_win_week = week
    s.commitment += p.win_commitment * (1.0 - s.commitment)
    s.legitimacy += p.win_legitimacy * (1.0 - s.legitimacy)
    s.public_value += p.win_value * pr.leverage * pr.size * uptake(s, p)
    s.programs += pr.leverage * pr.size
    s.safety += p.win_safety * (1.0 - s.safety)
    if p.navigator:
        s.nav_trust[:] = update_trust(s.nav_trust, p.win_signal, p.trust_gain, p.trust_loss)
    joint_work(s, p)
    e = s.edges
    n = e.n
    e.t_uv[:n] = update_trust(e.t_uv[:n], p.win_signal, p.trust_gain, p.trust_loss)
    e.t_vu[:n] = update_trust(e.t_vu[:n], p.win_signal, p.trust_gain, p.trust_loss)
    s.log(week, "win", f"small win at {pr.position:.2f} (leverage {pr.leverage:.2f})")


def resolve_setback(s: State, p, rng: np.random.Generator, week: int, fit: np.ndarray) -> bool:
    """Apply a setback and the collaboration's response; return True if it learned."""
    s.setbacks += 1
    if s.first_setback_week < 0:
        s.first_setback_week = week
    s.legitimacy -= p.setback_legitimacy * s.legitimacy
    mediate(s, p, rng, week)
    p_learn = learning_odds(s, p)
    if rng.random() < p_learn:
        s.learning += 1
        s.commitment += p.learn_commitment * (1.0 - s.commitment)
        sd = evidence_noise(p, max(s.evidence_precision, p.learn_evidence_floor))
        ev = s.theta + sd * rng.normal()
        x = s.frame
        x += p.learn_pull * s.effort * (ev - x)
        np.clip(x, 0.0, 1.0, out=x)
        s.plan = ev if not math.isfinite(s.plan) else s.plan + p.learn_pull * (ev - s.plan)
        gain = p.learn_precision + (p.evaluate_precision if p.community_stages >= 4 else 0.0)
        s.evidence_precision += gain * (1.0 - s.evidence_precision)
        s.safety += p.learn_safety * (1.0 - s.safety)
        joint_work(s, p)
        s.log(week, "learning", "setback met by learning: frames move toward the evidence")
        gov.adapt(s, p, week, fit)
        return True
    s.blame += 1
    e = s.edges
    u, v, t_uv, t_vu = e.views()
    n_orgs = s.n_orgs
    # incoming trust per organization: t_uv is trust in v, t_vu trust in u
    ou, ov = s.org[u], s.org[v]
    tot = np.bincount(ov, t_uv, n_orgs) + np.bincount(ou, t_vu, n_orgs)
    cnt = np.bincount(ov, minlength=n_orgs) + np.bincount(ou, minlength=n_orgs)
    mean_in = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.inf)
    target = int(np.argmin(mean_in))
    hit_v = (ov == target) & (ou != target)
    hit_u = (ou == target) & (ov != target)
    t_uv[hit_v] *= 1.0 - p.blame_trust
    t_vu[hit_u] *= 1.0 - p.blame_trust
    t_uv[:] = update_trust(t_uv, p.blame_signal, p.trust_gain, p.trust_loss)
    t_vu[:] = update_trust(t_vu, p.blame_signal, p.trust_gain, p.trust_loss)
    s.safety -= p.blame_safety * s.safety
    if p.navigator:
        s.nav_trust[:] = update_trust(s.nav_trust, p.blame_signal, p.trust_gain, p.trust_loss)
    s.commitment -= p.blame_commitment * s.commitment
    s.loyalty += p.blame_loyalty * (1.0 - s.loyalty)
    s.legitimacy -= p.blame_legitimacy * s.legitimacy
    s.log(week, "blame", f"setback met by blame: trust in organization {target} falls")
    return False


def projects(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Advance the active project and resolve it when it ends (in place)."""
    pr = s.project
    if pr is None:
        return
    pr.weeks_run += 1
    pr.oc_sum += s.capacity_oc
    if pr.weeks_run < pr.duration:
        return
    fit = gov.fits(s.n_orgs, s.cross_density, s.understanding, min(1.0, pr.size))
    prob = success_probability(s, p, pr.oc_sum / pr.weeks_run, float(fit[s.mode]))
    won = rng.random() < prob
    if p.first_outcome != "free" and s.wins + s.setbacks == 0:
        won = p.first_outcome == "win"  # experiment control: the first outcome forced
    if won:
        resolve_win(s, p, week)
    else:
        resolve_setback(s, p, rng, week, fit)
    s.project = None
