"""Optional compiled kernels (numba) for the hot loops of a step, equal in results to numpy.

At the default size (36 people) a week costs more in the overhead of small numpy calls than in
arithmetic. The step's small-array work is compiled here, each kernel doing what the numpy
path does in the same floating-point operations and order, so a run gives bit-identical
results with or without numba (``tests/test_kernels.py`` checks whole runs):

- :func:`meeting_kernel`: the meetings of a week (submodel 3) update frames and trust (the
  frame moves are summed side by side in the order ``numpy.bincount`` sums them, and a tie met
  twice keeps the later trust update);
- :func:`dialogue_kernel`: a whole week of dialogue for groups whose pairs sit in the dense
  pair index: the table and navigator pairs are decoded from the week's random numbers,
  looked up or added as new ties (in order of first appearance, as
  :meth:`collabsim.state.Edges.find_or_add` does), and met; :func:`ties_kernel` accepts the
  proposals of the rejection sampler that picks which ties meet;
- :func:`observe_kernel`: the measures of the state recorded every week (mean and working
  trust, consensus, plan support, trust density, the spread of frames, means and shares of
  people), with sums taken by :func:`pairwise_sum`, numpy's own pairwise summation;
- :func:`kernel`: one small kernel for each of effort, the community pull, the triangle's
  capacity sum, the hand-over of leavers' trust, and the proposer and support of a proposal.

(One difference is left, out of the model's reach as it needs a ``-0.0`` input: a compiled
``max(-0.0, 0.0)`` keeps ``-0.0`` where ``numpy.maximum`` gives ``0.0``.)

The random numbers are always drawn by numpy, from the run's generator, in the same order as
on the numpy path: kernels only consume them.

numba is optional (``pip install collabsim[fast]``). It is imported, and the kernels compiled
(or loaded from numba's on-disk cache), only when a model first needs them, so the CLI and
``import collabsim`` do not pay for it; the runners call :func:`warm_up` before they start
worker processes, so that workers inherit (fork) or load (cache) the compiled kernels instead
of each compiling them. Set ``COLLABSIM_NUMBA=0`` to use numpy only.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "ENABLED",
    "dialogue_kernel",
    "kernel",
    "meeting_kernel",
    "numba_version",
    "observe_kernel",
    "pairwise_sum",
    "ties_kernel",
    "warm_up",
]

#: Use the compiled kernel when numba is installed (``COLLABSIM_NUMBA=0`` turns it off).
ENABLED: bool = os.environ.get("COLLABSIM_NUMBA", "1").strip().lower() not in ("0", "false", "no")

_UNSET: Any = object()
_LOCK = threading.Lock()
_warm = False  # set once this process has run warm_up()
#: Kernels of :func:`kernel`, by name.
_SMALL = {
    "community": "_community",
    "effort": "_effort",
    "org_capacity": "_org_capacity",
    "handoff": "_handoff",
    "proposer": "_proposer",
    "support": "_support",
}
#: Compiled functions that kernels call (compiled before any kernel).
_HELPERS = ("_block_sum", "_pairwise_sum", "_meet", "_pair_row")
_compiled: dict[str, Any] = {}


def numba_version() -> str | None:
    """The installed numba's version, or None."""
    try:
        import numba
    except ImportError:
        return None
    return str(numba.__version__)


def _get(name: str) -> Callable[..., Any] | None:
    """The dispatcher of kernel ``name`` (numba compiles it at its first call), or None.

    The lock covers the creation of dispatchers; numba's own lock serializes compiling.
    """
    if not ENABLED:
        return None
    fn = _compiled.get(name, _UNSET)
    if fn is _UNSET:
        with _LOCK:  # (the app and Dask workers may create models in threads)
            try:
                import numba
            except ImportError:
                fn = None
            else:
                # the helpers first: a kernel calls the compiled helpers it finds in this module
                for helper in (*_HELPERS, name):
                    if not isinstance(globals()[helper], numba.core.dispatcher.Dispatcher):
                        globals()[helper] = numba.njit(cache=True, nogil=True)(globals()[helper])
                fn = globals()[name]
            _compiled[name] = fn
    return fn


def kernel(name: str) -> Callable[..., Any] | None:
    """The compiled twin of a submodel's numpy path, or None (numba missing or disabled).

    Names: ``community``, ``effort``, ``org_capacity`` (triangle), ``handoff`` (turnover),
    ``proposer`` and ``support`` (entry points).
    """
    if name not in _SMALL:
        raise KeyError(f"no kernel {name!r}; expected one of {', '.join(_SMALL)}")
    return _get(_SMALL[name])


def warm_up() -> float:
    """Compile (or load from numba's cache) every kernel now; return the seconds it took.

    A run with frequent turnover, proposals, community engagement and a navigator reaches
    every kernel with the argument types of real runs. The first call after installing compiles
    for several seconds; later processes load the kernels from the on-disk cache. Once a
    process has warmed up, later calls return at once.
    """
    global _warm
    import time

    t0 = time.perf_counter()
    if not _warm and ENABLED and numba_version() is not None:
        from collabsim.model import CollaborationModel
        from collabsim.runner import release

        model = CollaborationModel(
            rng=0, weeks=30, turnover_rate=0.9, proposal_rate=1.0, community_stages=4,
            navigator=True, data_use=True,
        ).run()  # fmt: skip
        release(model)
        _warm = True
    return time.perf_counter() - t0


def meeting_kernel() -> Callable[..., None] | None:
    """The compiled meeting update, or None (numba missing or disabled: use numpy)."""
    return _get("_meet")


def dialogue_kernel() -> Callable[..., int] | None:
    """The compiled week of dialogue for a dense pair index, or None."""
    return _get("_dialogue")


def ties_kernel() -> Callable[..., int] | None:
    """The compiled acceptance step of the tie sampler, or None."""
    return _get("_accept_ties")


def observe_kernel() -> Callable[..., None] | None:
    """The compiled weekly measures of the state, or None."""
    return _get("_observe")


def pairwise_sum(a: np.ndarray) -> float:
    """Sum of a 1-D float array exactly as ``numpy.add.reduce`` sums it (pure Python here).

    numpy sums blocks of up to 128 values with eight interleaved accumulators and splits longer
    arrays in two halves (rounded to multiples of eight), recursively; the compiled kernels use
    the same order, so their sums are equal to numpy's to the last bit.
    """
    a = np.ascontiguousarray(a, dtype=float)
    return float(_pairwise_sum(a, 0, len(a)))


def _block_sum(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    """Sum of a block of at most 128 values as numpy takes it: eight interleaved accumulators."""
    if n < 8:
        res = -0.0 if n else 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    stop = n - n % 8
    while i < stop:
        j = lo + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


def _pairwise_sum(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    """Pairwise sum of ``a[lo:lo + n]`` as numpy takes it (``DOUBLE_pairwise_sum``).

    Blocks of up to 128 values are summed by :func:`_block_sum`; a longer range is split at
    ``n2 = n // 2`` rounded down to a multiple of 8 and its halves added. The recursion is
    unrolled onto an explicit stack (numba's cache does not handle recursive functions).
    """
    if n <= 128:
        return 0.0 + _block_sum(a, lo, n)  # (numpy adds its identity, 0.0: -0.0 becomes 0.0)
    los = np.empty(64, dtype=np.int64)
    ns = np.empty(64, dtype=np.int64)
    left = np.empty(64)
    has_left = np.zeros(64, dtype=np.bool_)
    los[0] = lo
    ns[0] = n
    sp = 1
    while True:
        top = sp - 1
        if ns[top] > 128:  # split: the left half first
            n2 = ns[top] // 2
            n2 -= n2 % 8
            los[sp] = los[top]
            ns[sp] = n2
            has_left[sp] = False
            sp += 1
            continue
        v = _block_sum(a, los[top], ns[top])
        sp -= 1
        while True:  # hand the value to the parent: store a left half, or add a right one
            if sp == 0:
                return 0.0 + v
            parent = sp - 1
            if not has_left[parent]:
                left[parent] = v
                has_left[parent] = True
                n2 = ns[parent] // 2
                n2 -= n2 % 8
                los[sp] = los[parent] + n2
                ns[sp] = ns[parent] - n2
                has_left[sp] = False
                sp += 1
                break
            v = left[parent] + v
            sp -= 1


def _meet(
    rows: np.ndarray,
    ends: np.ndarray,
    trust: np.ndarray,
    frame: np.ndarray,
    openness: np.ndarray,
    effort: np.ndarray,
    nav: np.ndarray,
    reach_scale: float,
    reach_base: float,
    step_size: float,
    signal_base: float,
    penalty: float,
    gain: float,
    loss: float,
) -> None:  # pragma: no cover - run compiled
    """One week of meetings on edge ``rows`` (in place); mirrors the numpy path of dialogue.

    Side 0 of a meeting is the edge's ``u``, side 1 its ``v``; ``nav`` holds the broker's
    bonus of the last ``len(nav)`` meetings.
    """
    m = rows.shape[0]
    n = frame.shape[0]
    k_nav = nav.shape[0]
    move = np.zeros(n)
    within = np.empty((2, m), dtype=np.bool_)
    for s in range(2):  # bounded confidence, scaled by trust; summed as bincount does
        for j in range(m):
            r = rows[j]
            me = ends[s, r]
            gap = frame[ends[1 - s, r]] - frame[me]
            t = trust[s, r]
            w = abs(gap) < openness[me] * reach_scale * (reach_base + t)
            within[s, j] = w
            move[me] += t * gap * (1.0 if w else 0.0) * step_size
    for i in range(n):
        x = frame[i] + move[i]
        x = min(x, 1.0)
        frame[i] = max(x, 0.0)
    new = np.empty((2, m))
    for s in range(2):  # trust signals and the asymmetric update (mechanisms.trust)
        for j in range(m):
            r = rows[j]
            t = trust[s, r]
            sig = effort[ends[1 - s, r]] * 2.0 + signal_base
            if not within[s, j]:
                sig -= (1.0 - t) * penalty
            if j >= m - k_nav:
                sig += nav[j - (m - k_nav)]
            sig = max(min(sig, 1.0), -1.0)
            rate = gain * (1.0 - t) if sig >= 0.0 else loss * t
            new[s, j] = t + rate * sig
    for s in range(2):  # written in meeting order: a tie met twice keeps the later update
        for j in range(m):
            trust[s, rows[j]] = new[s, j]


def _accept_ties(
    r: np.ndarray,
    c: int,
    n_edges: int,
    t_uv: np.ndarray,
    t_vu: np.ndarray,
    max_weight: float,
    base_weight: float,
    out: np.ndarray,
    filled: int,
) -> int:  # pragma: no cover - run compiled
    """Accept proposals ``r`` (``2c`` uniforms) into ``out[filled:]``; return the new fill.

    Mirrors :func:`collabsim.mechanisms.dialogue.pick_ties`: proposal ``j`` is edge row
    ``int(r[j] * n_edges)``, accepted when ``r[c + j] * max - base < t_uv + t_vu``.
    """
    k = out.shape[0]
    for j in range(c):
        if filled >= k:
            break
        row = int(r[j] * n_edges)
        if r[c + j] * max_weight - base_weight < t_uv[row] + t_vu[row]:
            out[filled] = row
            filled += 1
    return filled


def _pair_row(
    a: int,
    b: int,
    n_people: int,
    table: np.ndarray,
    ends: np.ndarray,
    trust: np.ndarray,
    n_edges: int,
    trust0: float,
) -> int:  # pragma: no cover - run compiled
    """Edge row of pair ``(a, b)`` in the dense index, adding the edge (row ``n_edges``) if new."""
    row = table[a * n_people + b]
    if row < 0:
        lo, hi = min(a, b), max(a, b)
        row = n_edges
        ends[0, row] = lo
        ends[1, row] = hi
        trust[0, row] = trust0
        trust[1, row] = trust0
        table[lo * n_people + hi] = row
        table[hi * n_people + lo] = row
    return row


def _dialogue(
    tie_rows: np.ndarray,
    r_table: np.ndarray,
    r_nav: np.ndarray,
    seat_sector: np.ndarray,
    nav_trust: np.ndarray,
    broker: float,
    table: np.ndarray,
    n_edges: int,
    trust0: float,
    ends: np.ndarray,
    trust: np.ndarray,
    frame: np.ndarray,
    openness: np.ndarray,
    effort: np.ndarray,
    reach_scale: float,
    reach_base: float,
    step_size: float,
    signal_base: float,
    penalty: float,
    gain: float,
    loss: float,
) -> int:  # pragma: no cover - run compiled
    """One week of meetings with a dense pair index (in place); return the new edge count.

    Meetings are the tie rows, then the table pairs decoded from ``r_table`` (``2 k``
    uniforms, as :func:`collabsim.mechanisms.dialogue.uniform_pairs` decodes them), then the
    navigator's cross-sector pairs decoded from ``r_nav``, whose bonus is ``broker`` times the
    pair's summed trust in the navigator. The arrays must have room for every new edge.
    """
    n = frame.shape[0]
    m_tie = tie_rows.shape[0]
    k_table = r_table.shape[0] // 2
    k_nav = r_nav.shape[0] // 2
    rows = np.empty(m_tie + k_table + k_nav, dtype=np.int64)
    rows[:m_tie] = tie_rows
    m = m_tie
    for j in range(k_table):
        a = int(r_table[j] * n)
        b = int(r_table[k_table + j] * (n - 1))
        if b >= a:
            b += 1
        row = _pair_row(a, b, n, table, ends, trust, n_edges, trust0)
        n_edges = max(n_edges, row + 1)
        rows[m] = row
        m += 1
    bonus = np.empty(k_nav)
    nb = 0
    for j in range(k_nav):
        a = int(r_nav[j] * n)
        b = int(r_nav[k_nav + j] * n)
        if seat_sector[a] != seat_sector[b] and a != b:
            row = _pair_row(a, b, n, table, ends, trust, n_edges, trust0)
            n_edges = max(n_edges, row + 1)
            rows[m] = row
            m += 1
            bonus[nb] = broker * (nav_trust[a] + nav_trust[b])
            nb += 1
    if m:
        _meet(
            rows[:m], ends, trust, frame, openness, effort, bonus[:nb], reach_scale, reach_base,
            step_size, signal_base, penalty, gain, loss,
        )  # fmt: skip
    return n_edges


def _observe(
    t_uv: np.ndarray,
    t_vu: np.ndarray,
    frame: np.ndarray,
    openness: np.ndarray,
    commitment: np.ndarray,
    effort: np.ndarray,
    founder: np.ndarray,
    tenure: np.ndarray,
    plan: float,
    tie_base: float,
    cluster_gap: float,
    newcomer_weeks: int,
    out: np.ndarray,
) -> None:  # pragma: no cover - run compiled
    """The weekly measures, written to ``out`` (mirrors :class:`collabsim.outcomes.Recorder`).

    ``t_uv`` and ``t_vu`` are the trusts of the edges in use. ``out`` receives, in order: mean
    trust, working trust, strong ordered pairs (trust above 0.5, a count), consensus, plan
    support, the s.d. of frames, mean commitment, mean effort, founders' share, newcomers'
    share.
    """
    n_edges = t_uv.shape[0]
    n = frame.shape[0]
    if n_edges:
        pair = t_uv + t_vu
        tot = _pairwise_sum(pair, 0, n_edges)
        out[0] = tot / (2 * n_edges)
        strong = 0
        for j in range(n_edges):
            if t_uv[j] > 0.5:
                strong += 1
            if t_vu[j] > 0.5:
                strong += 1
            pair[j] = pair[j] * pair[j]
        out[1] = (_pairwise_sum(pair, 0, n_edges) + tie_base * tot) / (
            2.0 * (tot + tie_base * n_edges)
        )
        out[2] = strong
    else:
        out[0] = 0.0
        out[1] = 0.0
        out[2] = 0.0
    # consensus: share of people in the largest cluster of sorted frames
    if n == 0:
        out[3] = 0.0
    else:
        xs = np.sort(frame)
        best = 0
        start = -1
        for i in range(n - 1):
            if xs[i + 1] - xs[i] > cluster_gap:
                best = max(best, i - start)
                start = i
        if start == -1:
            out[3] = 1.0
        else:
            best = max(best, n - 1 - start)
            out[3] = best / n
    if plan == plan:  # a plan exists (not NaN)
        near = 0
        for i in range(n):
            if abs(frame[i] - plan) < openness[i]:
                near += 1
        out[4] = near / n
    else:
        out[4] = 0.0
    mean = _pairwise_sum(frame, 0, n) / n
    dev = frame - mean
    for i in range(n):
        dev[i] = dev[i] * dev[i]
    out[5] = np.sqrt(_pairwise_sum(dev, 0, n) / n)
    out[6] = _pairwise_sum(commitment, 0, n) / n
    out[7] = _pairwise_sum(effort, 0, n) / n
    founders = 0
    newcomers = 0
    for i in range(n):
        if founder[i]:
            founders += 1
        if tenure[i] < newcomer_weeks:
            newcomers += 1
    out[8] = founders / n
    out[9] = newcomers / n


# ---------------------------------------------------------------- small kernels (one per submodel)
def _community(
    x: np.ndarray, view: np.ndarray, effort: np.ndarray, pull: float
) -> None:  # pragma: no cover - run compiled
    """Frames move toward residents' views (submodel 5): ``x += pull * effort * (view - x)``."""
    for i in range(x.shape[0]):
        v = (view[i] - x[i]) * effort[i] * pull
        y = min(x[i] + v, 1.0)
        x[i] = max(y, 0.0)


def _effort(
    commitment: np.ndarray, loyalty: np.ndarray, pressure: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - run compiled
    """Effort split (submodel 2): ``c / (c + loyalty * pressure + 1e-12)``."""
    for i in range(out.shape[0]):
        c = commitment[i]
        out[i] = c / (c + loyalty[i] * pressure[i] + 1e-12)


def _org_capacity(
    org: np.ndarray, effort: np.ndarray, weight: np.ndarray
) -> float:  # pragma: no cover - run compiled
    """Capacity-weighted summed effort of the organizations (triangle, submodel 8).

    ``sum(bincount(org, effort) * weight)``: effort summed per organization in seat order, as
    ``numpy.bincount`` sums, then weighted and summed as ``numpy.add.reduce`` sums.
    """
    per_org = np.zeros(weight.shape[0])
    for i in range(org.shape[0]):
        per_org[org[i]] += effort[i]
    for j in range(per_org.shape[0]):
        per_org[j] = per_org[j] * weight[j]
    return _pairwise_sum(per_org, 0, per_org.shape[0])


def _handoff(
    u: np.ndarray, v: np.ndarray, trust: np.ndarray, leave: np.ndarray, keep: float, rest: float
) -> None:  # pragma: no cover - run compiled
    """Trust on every tie of a leaver becomes ``trust * keep + rest`` (turnover, submodel 1)."""
    for j in range(u.shape[0]):
        if leave[u[j]] or leave[v[j]]:
            trust[0, j] = trust[0, j] * keep + rest
            trust[1, j] = trust[1, j] * keep + rest


def _proposer(effort: np.ndarray, u: float) -> int:  # pragma: no cover - run compiled
    """Seat drawn with probability proportional to effort, from one uniform ``u``.

    As ``searchsorted(cumsum(effort), u * total, side="right")`` (capped at the last seat),
    with the running sum taken in seat order as ``numpy.cumsum`` does.
    """
    n = effort.shape[0]
    cum = np.empty(n)
    acc = 0.0
    for i in range(n):
        acc += effort[i]
        cum[i] = acc
    target = u * cum[n - 1]
    k = 0
    while k < n and cum[k] <= target:
        k += 1
    return min(k, n - 1)


def _support(
    frame: np.ndarray,
    openness: np.ndarray,
    effort: np.ndarray,
    z: float,
    widen: float,
    effort_min: float,
    out: np.ndarray,
) -> int:  # pragma: no cover - run compiled
    """Who supports a proposal at ``z`` (into ``out``); return how many.

    ``|frame - z| < openness * widen`` and ``effort > effort_min``.
    """
    count = 0
    for i in range(frame.shape[0]):
        ok = abs(frame[i] - z) < openness[i] * widen and effort[i] > effort_min
        out[i] = ok
        if ok:
            count += 1
    return count
