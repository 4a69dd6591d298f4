"""Asymmetric trust updating: trust is built slowly and lost about three times faster.

A signal ``s`` in [-1, 1] is what one person reads from an encounter with another (mostly the
partner's visible effort). Positive signals close a share ``gain * s`` of the distance to full
trust; negative signals remove a share ``loss * |s|`` of the trust held. With the rates of Pant
& Yu (2025; lambda+ = 0.10, lambda- = 0.30) a +1 then a -1 signal leaves trust lower than
before: 0.5 -> 0.55 -> 0.385.

:func:`update_trust` is the one implementation of this rule: a compiled numpy ufunc, called on
arrays by the submodels and on single values inside the compiled dialogue.
"""

from __future__ import annotations

import numba

__all__ = ["update_trust"]


@numba.vectorize(["float64(float64, float64, float64, float64)"], cache=True, nopython=True)
def update_trust(trust: float, signal: float, gain: float, loss: float) -> float:  # type: ignore[misc]
    """Trust after one signal (a ufunc: arrays broadcast).

    Args:
        trust: Current trust in [0, 1].
        signal: Signal in [-1, 1] (positive: good faith observed).
        gain: Learning rate for positive signals (lambda+).
        loss: Learning rate for negative signals (lambda-).

    Returns:
        Updated trust, in [0, 1] whenever the inputs are in range.
    """
    return trust + (gain * (1.0 - trust) if signal >= 0.0 else loss * trust) * signal
