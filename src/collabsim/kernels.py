"""Optional compiled kernels (numba) for the hottest loop of a step, equal in results to numpy.

The meetings of a week (submodel 3, :mod:`collabsim.mechanisms.dialogue`) update frames and
trust with about thirty small numpy operations; at the default size each costs more in call
overhead than in arithmetic. :func:`meeting_kernel` returns the same update compiled with
numba: the same floating-point operations in the same order (the frame moves are summed side
by side in the order ``numpy.bincount`` sums them, and a tie met twice keeps the later trust
update), so a run gives bit-identical results with or without numba
(``tests/test_kernels.py`` checks whole runs).

numba is optional (``pip install collabsim[fast]``). It is imported, and the kernel compiled
(or loaded from numba's on-disk cache), only when a model first holds meetings, so the CLI
and ``import collabsim`` do not pay for it. Set ``COLLABSIM_NUMBA=0`` to use numpy only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["ENABLED", "meeting_kernel", "numba_version"]

#: Use the compiled kernel when numba is installed (``COLLABSIM_NUMBA=0`` turns it off).
ENABLED: bool = os.environ.get("COLLABSIM_NUMBA", "1").strip().lower() not in ("0", "false", "no")

_UNSET: Any = object()
_kernel: Any = _UNSET


def numba_version() -> str | None:
    """The installed numba's version, or None."""
    try:
        import numba
    except ImportError:
        return None
    return str(numba.__version__)


def meeting_kernel() -> Callable[..., None] | None:
    """The compiled meeting update, or None (numba missing or disabled: use numpy)."""
    global _kernel
    if not ENABLED:
        return None
    if _kernel is _UNSET:
        try:
            import numba
        except ImportError:
            _kernel = None
        else:
            _kernel = numba.njit(cache=True, nogil=True)(_meet)
    return _kernel


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
