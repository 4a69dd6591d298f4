"""Outcomes: declared once, recorded per step into preallocated arrays, and summarized.

:data:`SERIES_OUTCOMES` and :data:`SUMMARY_OUTCOMES` declare every outcome of a run (name,
meaning, unit, kind, range and how a run that never reaches an event is recorded); the
recorder, :func:`summarize`, sweeps, sensitivity analysis, plots, reports and tests read that
declaration.

:class:`Recorder` writes one row per week (row 0 is the founding state) into numpy arrays sized
for the horizon, so recording costs a few array writes per step and no copies. The measures of
the collaboration's state that mechanisms also use (consensus, mean trust) are computed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd

from collabsim.mechanisms.community import uptake
from collabsim.mechanisms.stat_meeting import leverage
from collabsim.state import (
    BLAME,
    CAPACITY_OC,
    CONSENSUS,
    CONSENSUS_LOST,
    CONSENSUS_REACHED,
    CONSENSUS_REMADE,
    CROSS_DENSITY,
    CROSS_PAIRS,
    CROSS_TRUST,
    EVIDENCE,
    LEARNING,
    LEGITIMACY,
    MEAN_TRUST,
    MODE,
    PERISHED,
    PLAN,
    PLAN_SUPPORT,
    PR_ACTIVE,
    PUBLIC_VALUE,
    SETBACKS,
    TEAM_SAFETY,
    THETA,
    UNDERSTANDING,
    WINS,
    WORKING_TRUST,
    State,
)

__all__ = [
    "ENTRY_WINDOW",
    "OUTCOMES",
    "SERIES",
    "SERIES_OUTCOMES",
    "SUMMARY_KEYS",
    "SUMMARY_OUTCOMES",
    "Outcome",
    "Recorder",
    "consensus_share",
    "markdown_table",
    "shared_understanding",
    "summarize",
]

#: Consensus above which the collaboration counts as agreed; below the lower mark agreement is
#: lost, and a return above the upper mark after a loss counts as consensus re-made.
CONSENSUS_HIGH, CONSENSUS_LOW = 0.8, 0.6
#: Weeks within which an entry point should bring momentum (9 months: Martinez Orbegozo 2022).
ENTRY_WINDOW = 39
#: Tenure below which a representative counts as a newcomer (weeks).
NEWCOMER_WEEKS = 13


@dataclass(frozen=True)
class Outcome:
    """One declared outcome of a run.

    Attributes:
        name: Column of the time series or key of :func:`summarize`.
        meaning: What it measures, in one sentence.
        unit: Unit (``"share"`` for values in [0, 1], ``"weeks"``, ``"count"``...).
        kind: ``"float"``, ``"int"`` or ``"bool"`` (how a value is stored).
        low: Lowest possible value.
        high: Highest possible value (``math.inf`` when unbounded).
        censored: How a run in which the event never happens is recorded (empty: the outcome
            is always defined). Time-to-event outcomes are right-censored at ``weeks_run``.
    """

    name: str
    meaning: str
    unit: str
    kind: str = "float"
    low: float = 0.0
    high: float = 1.0
    censored: str = ""

    def label(self) -> str:
        """An axis label: the meaning (capitalized) with its unit."""
        text = self.meaning[:1].upper() + self.meaning[1:]
        return f"{text} ({self.unit})" if self.unit else text


_INF = math.inf
_NEVER = "NaN when it never happens within the run (right-censored at weeks_run)"
_O = Outcome

#: The weekly time series (row 0 is the founding state), in the recorder's column order.
SERIES_OUTCOMES: tuple[Outcome, ...] = (
    _O("public_value", "collective impact achieved so far", "PV units", high=_INF),
    _O("legitimacy", "legitimacy and support", "share"),
    _O("operational_capacity", "operational capacity", "share"),
    _O("uptake", "program uptake: legitimacy x residents engaged in implementation", "share"),
    _O("mean_trust", "mean trust on existing ties", "share"),
    _O("working_trust", "trust met in meetings: ties weighted by how often they are used", "share"),
    _O("trust_density", "share of all ordered pairs with trust above 0.5", "share"),
    _O("consensus", "share of people in the largest frame cluster", "share"),
    _O(
        "shared_understanding",
        "share of pairs of people whose frames of the problem differ by less than "
        "understanding_gap (does not depend on group size)",
        "share",
    ),
    _O(
        "cross_trust",
        "cross-boundary trust: mean over all cross-organization ordered pairs, pairs that "
        "never met at stranger trust",
        "share",
    ),
    _O("safety", "psychological safety: members' mean", "share"),
    _O("social_capital", "mean social capital over all pairs of organizations", "share"),
    _O("navigator_trust", "members' mean trust in the navigator (0 without one)", "share"),
    _O(
        "plan_support",
        "share of members who can accept the adopted plan (0 without a plan)",
        "share",
    ),
    _O("frame_sd", "standard deviation of frames", "frame units", high=0.5),
    _O("plan_alignment", "leverage of the current plan (0 without a plan)", "share"),
    _O("commitment", "mean commitment", "share"),
    _O("effort", "mean effort given to the collaboration", "share"),
    _O("founders_share", "share of seats still held by founders", "share"),
    _O(
        "newcomers_share",
        f"share of seats held by newcomers (under {NEWCOMER_WEEKS} weeks)",
        "share",
    ),
    _O("evidence_precision", "how precisely the collaboration knows where leverage lies", "share"),
    _O("wins", "cumulative small wins", "count", "int", high=_INF),
    _O("setbacks", "cumulative setbacks", "count", "int", high=_INF),
    _O("learning", "cumulative setbacks met by learning", "count", "int", high=_INF),
    _O("blame", "cumulative setbacks met by blame", "count", "int", high=_INF),
    _O("mode", "governance mode (0 shared, 1 lead, 2 NAO)", "code", "int", high=2),
    _O("project_active", "1 while a project is under way", "flag", "int"),
    _O("alive", "1 while the collaboration exists", "flag", "int"),
)

#: The per-run summary (:func:`summarize`), read at the end of the run (the horizon, or the
#: week the collaboration perished).
SUMMARY_OUTCOMES: tuple[Outcome, ...] = (
    _O("collective_impact", "public value at the end of the run", "PV units", high=_INF),
    _O("success", "alive at the end with public value at least impact_target", "flag", "bool"),
    _O("any_win", "at least one small win", "flag", "bool"),
    _O("weeks_to_first_win", "week of the first small win", "weeks", high=_INF, censored=_NEVER),
    _O("weeks_to_impact", "week public value first reached impact_target", "weeks", high=_INF,
       censored=_NEVER),
    _O("momentum", f"a first small win within {ENTRY_WINDOW} weeks (9 months)", "flag", "bool"),
    _O("perished", "the collaboration dissolved", "flag", "bool"),
    _O("perished_week", "week the collaboration dissolved", "weeks", high=_INF, censored=_NEVER),
    _O("talk_only", f"no decision adopted by week {ENTRY_WINDOW} (perished runs counted)",
       "flag", "bool"),
    _O("consensus", "share of people in the largest frame cluster at the end", "share"),
    _O("mean_trust", "mean trust on existing ties at the end", "share"),
    _O("cross_trust", "cross-boundary trust at the end", "share"),
    _O("safety", "psychological safety at the end", "share"),
    _O("shared_understanding", "shared understanding at the end", "share"),
    _O("social_capital", "mean social capital of organization pairs at the end", "share"),
    _O("working_trust", "trust met in meetings at the end", "share"),
    _O("trust_density", "share of ordered pairs with trust above 0.5 at the end", "share"),
    _O("learning_share", "share of setbacks met by learning", "share",
       censored="NaN when the run had no setback (undefined, not censored)"),
    _O("founders_share", "share of seats still held by founders at the end", "share"),
    _O("legitimacy", "legitimacy and support at the end", "share"),
    _O("operational_capacity", "operational capacity at the end", "share"),
    _O("uptake", "program uptake at the end", "share"),
    _O("governance_changes", "changes of governance mode", "count", "int", high=_INF),
    _O("final_mode", "governance mode at the end (0 shared, 1 lead, 2 NAO)", "code", "int", high=2),
    _O("wins", "small wins", "count", "int", high=_INF),
    _O("setbacks", "setbacks", "count", "int", high=_INF),
    _O("learning", "setbacks met by learning", "count", "int", high=_INF),
    _O("blame", "setbacks met by blame", "count", "int", high=_INF),
    _O("proposals", "proposals made", "count", "int", high=_INF),
    _O("adopted", "decisions adopted", "count", "int", high=_INF),
    _O("consensus_remade", "times consensus was lost and re-made", "count", "int", high=_INF),
    _O("leadership_shocks", "leadership changes", "count", "int", high=_INF),
    _O("leavers", "representatives who left", "count", "int", high=_INF),
    _O("first_setback_week", "week of the first setback", "weeks", high=_INF, censored=_NEVER),
    _O("first_outcome_win", "the first project outcome was a win (1) or a setback (0)", "flag",
       censored="NaN when no project ended within the run"),
    *(
        _O(f"impact_by_{h}", f"public value reached impact_target by week {h}", "flag",
           censored=f"NaN when the run was set to last fewer than {h} weeks and had not "
                    "reached it (unknown)")
        for h in (104, 156, 260)
    ),
    _O("weeks_run", "weeks simulated (the horizon, or fewer if the collaboration perished)",
       "weeks", "int", high=_INF),
    _O("horizon", "weeks the run was set to last (the weeks parameter): the censoring time of "
       "every time-to-event outcome", "weeks", "int", low=1, high=_INF),
)  # fmt: skip

#: Every declared outcome, by scope and name.
OUTCOMES: dict[str, dict[str, Outcome]] = {
    "series": {o.name: o for o in SERIES_OUTCOMES},
    "summary": {o.name: o for o in SUMMARY_OUTCOMES},
}


def markdown_table(scope: str) -> str:
    """A Markdown table of the ``"series"`` or ``"summary"`` outcomes (generated into the ODD)."""
    lines = ["| name | meaning | unit | kind | range | when the event never happens |"]
    lines.append("|---|---|---|---|---|---|")
    for o in OUTCOMES[scope].values():
        high = "inf" if math.isinf(o.high) else f"{o.high:g}"
        lines.append(
            f"| `{o.name}` | {o.meaning} | {o.unit} | {o.kind} | [{o.low:g}, {high}] "
            f"| {o.censored or 'always defined'} |"
        )
    return "\n".join(lines)


#: Columns of the time series, with their meaning (read from :data:`SERIES_OUTCOMES`).
SERIES: dict[str, str] = {o.name: o.meaning for o in SERIES_OUTCOMES}
#: Keys of the per-run summary (read from :data:`SUMMARY_OUTCOMES`).
SUMMARY_KEYS: tuple[str, ...] = tuple(o.name for o in SUMMARY_OUTCOMES)


def consensus_share(frames: np.ndarray, gap: float) -> float:
    """Share of people in the largest cluster of frames (clusters split at gaps > ``gap``)."""
    return float(_consensus(np.sort(np.asarray(frames, dtype=float)), gap))


@numba.njit(cache=True, nogil=True)
def _consensus(xs: np.ndarray, gap: float) -> float:
    """:func:`consensus_share` of frames already sorted (``xs``)."""
    n = xs.shape[0]
    if n == 0:
        return 0.0
    best = 0
    start = -1  # clusters span sorted rows (start, i]; a gap > ``gap`` ends one
    for i in range(n - 1):
        if xs[i + 1] - xs[i] > gap:
            best = max(best, i - start)
            start = i
    return 1.0 if start == -1 else max(best, n - 1 - start) / n


@numba.njit(cache=True, nogil=True)
def _agreement(xs: np.ndarray, gap: float) -> float:
    """Share of unordered pairs of sorted frames ``xs`` closer than ``gap`` (1 below 2 people)."""
    n = xs.shape[0]
    if n < 2:
        return 1.0
    close = 0
    hi = 0
    for i in range(n):
        hi = max(hi, i + 1)
        while hi < n and xs[hi] - xs[i] < gap:
            hi += 1
        close += hi - i - 1
    return close / (n * (n - 1) / 2.0)


def shared_understanding(frames: np.ndarray, gap: float) -> float:
    """Share of pairs of people whose frames differ by less than ``gap``.

    Unlike the largest-cluster share (:func:`consensus_share`), its expected value does not
    depend on the number of people: it is the probability that two members drawn at random
    frame the problem alike.
    """
    return float(_agreement(np.sort(np.asarray(frames, dtype=float)), gap))


#: Series taken from the state's scalars, in the order of the recorder's table.
_SCALAR_SERIES = (
    "public_value",
    "legitimacy",
    "operational_capacity",
    "uptake",
    "plan_alignment",
    "evidence_precision",
    "wins",
    "setbacks",
    "learning",
    "blame",
    "mode",
    "project_active",
    "alive",
)
#: Series measured from the arrays, in the order :func:`observe` writes them.
_MEASURED_SERIES = (
    "mean_trust",
    "working_trust",
    "trust_density",
    "consensus",
    "shared_understanding",
    "cross_trust",
    "safety",
    "social_capital",
    "navigator_trust",
    "plan_support",
    "frame_sd",
    "commitment",
    "effort",
    "founders_share",
    "newcomers_share",
)
_N_SCALAR = len(_SCALAR_SERIES)
#: Column of each series in the recorder's table.
_COLUMN = {k: i for i, k in enumerate((*_SCALAR_SERIES, *_MEASURED_SERIES))}
assert sorted(_COLUMN) == sorted(SERIES)


@numba.njit(cache=True, nogil=True)
def _radix_sort(x: np.ndarray, idx: np.ndarray, m: int) -> None:
    """Sort ``idx[:m]`` by ``x`` in place: a stable least-significant-digit radix sort.

    The keys are the bits of the floats made to sort as unsigned integers (negatives' bits
    flipped, positives' sign bit set); eight passes of one byte, skipping bytes all keys share.
    Its cost is linear in ``m`` whatever the start (about 13 ns a key at 30,000 people).
    """
    bits = x.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    byte = np.uint64(255)
    key = np.empty(m, dtype=np.uint64)
    for i in range(m):
        b = bits[idx[i]]
        key[i] = ~b if b & sign else b | sign
    count = np.zeros((8, 256), dtype=np.int64)
    for i in range(m):
        b = key[i]
        for d in range(8):
            count[d, (b >> np.uint64(8 * d)) & byte] += 1
    src, dst = idx[:m].copy(), np.empty(m, dtype=idx.dtype)
    key2 = np.empty(m, dtype=np.uint64)
    for d in range(8):
        shift = np.uint64(8 * d)
        c = count[d]
        if m == 0 or c[(key[0] >> shift) & byte] == m:
            continue
        start = 0
        for v in range(256):
            start, c[v] = start + c[v], start
        for i in range(m):
            b = key[i]
            pos = c[(b >> shift) & byte]
            key2[pos] = b
            dst[pos] = src[i]
            c[(b >> shift) & byte] = pos + 1
        key, key2 = key2, key
        src, dst = dst, src
    idx[:m] = src


@numba.njit(cache=True, nogil=True)
def _insertion_sort(x: np.ndarray, idx: np.ndarray, m: int) -> None:
    """Sort ``idx[:m]`` by ``x`` in place, by insertion from a nearly sorted start.

    About one pass in a usual week. When frames moved far (large groups: the moves past each
    other grow with the square of the people), it stops after ``8 m`` moves and finishes
    with :func:`_radix_sort`, whose cost is linear.
    """
    moves = 0
    for i in range(1, m):
        key = idx[i]
        v = x[key]
        j = i - 1
        while j >= 0 and x[idx[j]] > v:
            idx[j + 1] = idx[j]
            j -= 1
            moves += 1
        idx[j + 1] = key
        if moves > 8 * m:
            _radix_sort(x, idx, m)
            return


@numba.njit(cache=True, nogil=True)
def _sort_order(x: np.ndarray, order: np.ndarray, tenure: np.ndarray) -> np.ndarray:
    """Re-sort ``order`` (a permutation sorting ``x`` last week) so that it sorts ``x`` now.

    Frames move little in a week, except newcomers' (``tenure`` 0), who arrive with their own.
    The others are re-sorted from last week's order by insertion (about one pass), the
    newcomers are sorted apart, and the two runs are merged: ``x[order]`` is ``np.sort(x)``.
    When more than one in sixteen of last week's neighbours are out of order (in large groups
    people pass many others in a week), all are sorted afresh by :func:`_radix_sort`.
    """
    n = x.shape[0]
    n_new = descents = 0
    for i in range(n):
        n_new += tenure[i] == 0
    for i in range(n - 1):
        descents += x[order[i]] > x[order[i + 1]]
    if descents > n // 16:  # (many moved past each other, as in large groups: sort afresh)
        _radix_sort(x, order, n)
        return order
    if n_new == 0:  # (most weeks: sort in place)
        _insertion_sort(x, order, n)
        return order
    stay = np.empty(n, dtype=np.int64)
    new = np.empty(n_new, dtype=np.int64)
    n_stay = n_new = 0
    for i in range(n):
        seat = order[i]
        if tenure[seat] == 0:
            new[n_new] = seat
            n_new += 1
        else:
            stay[n_stay] = seat
            n_stay += 1
    _insertion_sort(x, stay, n_stay)
    new = new[np.argsort(x[new], kind="mergesort")]
    i = j = 0
    for k in range(n):  # merge the two sorted runs
        if j >= n_new or (i < n_stay and x[stay[i]] <= x[new[j]]):
            order[k] = stay[i]
            i += 1
        else:
            order[k] = new[j]
            j += 1
    return order


@numba.njit(cache=True, nogil=True)
def _track_consensus(ns: np.ndarray, c: float) -> None:
    """Consensus reached, lost and re-made (in the integer scalars)."""
    if c >= CONSENSUS_HIGH:
        if not ns[CONSENSUS_REACHED] and ns[CONSENSUS_LOST]:
            ns[CONSENSUS_REMADE] += 1
        ns[CONSENSUS_REACHED] = 1
        ns[CONSENSUS_LOST] = 0
    elif c < CONSENSUS_LOW and ns[CONSENSUS_REACHED]:
        ns[CONSENSUS_REACHED] = 0
        ns[CONSENSUS_LOST] = 1


@numba.njit(cache=True, nogil=True, inline="always")
def observe(w, p, week: int) -> None:
    """Measure the state, update the measures mechanisms use, and record row ``week``.

    The columns are written in the order of ``_SCALAR_SERIES`` then ``_MEASURED_SERIES``.
    """
    fs, ns = w.fs, w.ns
    ends, trust, org = w.e_ends, w.e_trust, w.org
    n_edges = w.e_meta[0]
    n = w.frame.shape[0]
    flags = w.e_cross
    for j in range(w.e_meta[2], n_edges):  # ties new since last week: across organizations?
        flags[j] = org[ends[j, 0]] != org[ends[j, 1]]
    w.e_meta[2] = n_edges
    strong = cross = strong_cross = 0
    tot = sq = cross_tot = 0.0
    for j in range(n_edges):  # (branch-free: adding 0.0 or 0 leaves a sum as it was)
        t0, t1 = trust[j, 0], trust[j, 1]
        pair = t0 + t1
        tot += pair
        sq += pair * pair
        k = int(t0 > 0.5) + int(t1 > 0.5)  # (as plain Python, np.bool_ + np.bool_ is "or")
        strong += k
        c = flags[j]
        cross_tot += pair if c else 0.0
        cross += c
        strong_cross += k if c else 0
    pairs = ns[CROSS_PAIRS]
    if pairs > 0:
        # cross-boundary trust: every cross-organization ordered pair, never-met ones at
        # stranger trust
        never = pairs - 2 * cross
        fs[CROSS_TRUST] = (cross_tot + never * p.stranger_trust) / pairs
        fs[CROSS_DENSITY] = (strong_cross + (never if p.stranger_trust > 0.5 else 0)) / pairs
    else:
        fs[CROSS_TRUST] = fs[CROSS_DENSITY] = 0.0
    xs = w.frame[_sort_order(w.frame, w.order, w.tenure)]
    agree = _agreement(xs, p.understanding_gap)
    fs[UNDERSTANDING] = agree
    density = 0.0
    if n_edges:
        fs[MEAN_TRUST] = tot / (2 * n_edges)
        # working trust: ties weighted as meetings choose them (tie_base_weight + trusts)
        base = p.tie_base_weight
        fs[WORKING_TRUST] = (sq + base * tot) / (2.0 * (tot + base * n_edges))
        density = strong / max(1, n * (n - 1))
    else:
        fs[MEAN_TRUST] = fs[WORKING_TRUST] = 0.0
    c = _consensus(xs, p.cluster_gap)
    fs[CONSENSUS] = c
    _track_consensus(ns, c)
    plan = fs[PLAN]
    near = founders = newcomers = 0
    f_sum = c_sum = e_sum = safe_sum = nav_sum = 0.0
    for i in range(n):
        if plan == plan and abs(w.frame[i] - plan) < w.openness[i]:  # (NaN without a plan)
            near += 1
        founders += w.founder[i]
        newcomers += w.tenure[i] < NEWCOMER_WEEKS
        f_sum += w.frame[i]
        c_sum += w.commitment[i]
        e_sum += w.effort[i]
        safe_sum += w.safety[i]
        nav_sum += w.nav_trust[i]
    fs[PLAN_SUPPORT] = near / n if math.isfinite(plan) else 0.0
    fs[TEAM_SAFETY] = safe_sum / n
    n_orgs = w.sector.shape[0]
    org_pairs = n_orgs * (n_orgs - 1) / 2
    c_n = w.c_meta[0]
    capital = 0.0
    if c_n and org_pairs:
        for j in range(c_n):
            capital += w.c_trust[j, 0]
        capital /= org_pairs
    mean_frame = f_sum / n
    dev = 0.0
    for i in range(n):
        d = w.frame[i] - mean_frame
        dev += d * d
    row = w.table[week]
    row[0] = fs[PUBLIC_VALUE]
    row[1] = fs[LEGITIMACY]
    row[2] = fs[CAPACITY_OC]
    row[3] = uptake(w, p)
    row[4] = leverage(plan, fs[THETA], p.leverage_width) if math.isfinite(plan) else 0.0
    row[5] = fs[EVIDENCE]
    row[6] = ns[WINS]
    row[7] = ns[SETBACKS]
    row[8] = ns[LEARNING]
    row[9] = ns[BLAME]
    row[10] = ns[MODE]
    row[11] = ns[PR_ACTIVE]
    row[12] = 1 - ns[PERISHED]
    row[13] = fs[MEAN_TRUST]
    row[14] = fs[WORKING_TRUST]
    row[15] = density
    row[16] = c
    row[17] = agree
    row[18] = fs[CROSS_TRUST]
    row[19] = fs[TEAM_SAFETY]
    row[20] = capital
    row[21] = nav_sum / n
    row[22] = fs[PLAN_SUPPORT]
    row[23] = math.sqrt(dev / n)  # the population s.d. of frames
    row[24] = c_sum / n
    row[25] = e_sum / n
    row[26] = founders / n
    row[27] = newcomers / n


class Recorder:
    """Preallocated per-week outcome arrays for one run.

    The weeks are the rows of one ``(weeks + 1, series)`` table, written by the compiled
    :func:`observe`; :attr:`data` maps each series to its column (a view).
    """

    def __init__(self, weeks: int, n_people: int) -> None:
        self.rows = weeks + 1
        self.table = np.zeros((self.rows, len(_COLUMN)))
        self.data = {k: self.table[:, _COLUMN[k]] for k in SERIES}
        self.n = 0

    def frame(self) -> pd.DataFrame:
        """The recorded rows as a tidy DataFrame with a ``week`` column."""
        n = self.n
        df = pd.DataFrame({k: v[:n].copy() for k, v in self.data.items()})
        df.insert(0, "week", np.arange(n))
        for o in SERIES_OUTCOMES:
            if o.kind == "int":
                df[o.name] = df[o.name].astype(np.int64)
        return df


def _reached_by(s: State, p: Any, h: int) -> float:
    """Whether public value reached the impact target by week ``h`` (1.0 or 0.0).

    A run that perished before ``h`` without reaching it counts as not reaching it; NaN when
    the run was set to last fewer than ``h`` weeks and had not reached it (unknown).
    """
    if 0 <= s.impact_week <= h:
        return 1.0
    return float("nan") if p.weeks < h else 0.0


def summarize(s: State, p: Any, rec: Recorder, weeks_run: int) -> dict[str, Any]:
    """Every per-run outcome of the model, as a flat dict."""
    d = rec.data
    last = rec.n - 1
    nan = float("nan")
    alive_at_window = (not s.perished) or s.perished_week > ENTRY_WINDOW
    no_adoption = s.first_adoption_week < 0 or s.first_adoption_week > ENTRY_WINDOW
    return {
        "collective_impact": float(s.public_value),
        "success": bool((not s.perished) and s.public_value >= p.impact_target),
        "any_win": bool(s.wins > 0),
        "weeks_to_first_win": float(s.first_win_week) if s.first_win_week >= 0 else nan,
        "weeks_to_impact": float(s.impact_week) if s.impact_week >= 0 else nan,
        "momentum": bool(0 <= s.first_win_week <= ENTRY_WINDOW),
        "perished": bool(s.perished),
        "perished_week": float(s.perished_week) if s.perished else nan,
        "talk_only": bool(alive_at_window and no_adoption and weeks_run >= ENTRY_WINDOW),
        "consensus": float(d["consensus"][last]),
        "mean_trust": float(d["mean_trust"][last]),
        "cross_trust": float(d["cross_trust"][last]),
        "safety": float(d["safety"][last]),
        "shared_understanding": float(d["shared_understanding"][last]),
        "social_capital": float(d["social_capital"][last]),
        "working_trust": float(d["working_trust"][last]),
        "trust_density": float(d["trust_density"][last]),
        "learning_share": s.learning / s.setbacks if s.setbacks else nan,
        "founders_share": float(d["founders_share"][last]),
        "legitimacy": float(s.legitimacy),
        "operational_capacity": float(s.capacity_oc),
        "uptake": float(d["uptake"][last]),
        "governance_changes": int(s.governance_changes),
        "final_mode": int(s.mode),
        "wins": int(s.wins),
        "setbacks": int(s.setbacks),
        "learning": int(s.learning),
        "blame": int(s.blame),
        "proposals": int(s.proposals),
        "adopted": int(s.adopted),
        "consensus_remade": int(s.consensus_remade),
        "leadership_shocks": int(s.leadership_shocks),
        "leavers": int(s.leavers_total),
        "first_setback_week": float(s.first_setback_week) if s.first_setback_week >= 0 else nan,
        "first_outcome_win": (
            nan
            if s.first_win_week < 0 and s.first_setback_week < 0
            else float(
                s.first_win_week >= 0
                and (s.first_setback_week < 0 or s.first_win_week < s.first_setback_week)
            )
        ),
        **{f"impact_by_{h}": _reached_by(s, p, h) for h in (104, 156, 260)},
        "weeks_run": int(weeks_run),
        "horizon": int(p.weeks),
    }
