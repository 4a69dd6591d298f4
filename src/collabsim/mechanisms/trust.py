"""Asymmetric trust updating: trust is built slowly and lost about three times faster.

A signal ``s`` in [-1, 1] is what one person reads from an encounter with another (mostly the
partner's visible effort). Positive signals close a share ``gain * s`` of the distance to full
trust; negative signals remove a share ``loss * |s|`` of the trust held. With the rates of Pant
& Yu (2025; lambda+ = 0.10, lambda- = 0.30) a +1 then a -1 signal leaves trust lower than
before: 0.5 -> 0.55 -> 0.385.
"""

from __future__ import annotations

import numpy as np

__all__ = ["update_trust"]


def update_trust(
    trust: np.ndarray | float, signal: np.ndarray | float, gain: float, loss: float
) -> np.ndarray:
    """Return trust after one signal.

    Args:
        trust: Current trust in [0, 1].
        signal: Signal in [-1, 1] (positive: good faith observed).
        gain: Learning rate for positive signals (lambda+).
        loss: Learning rate for negative signals (lambda-).

    Returns:
        Updated trust, in [0, 1] whenever the inputs are in range.
    """
    t = np.asarray(trust, dtype=float)
    s = np.asarray(signal, dtype=float)
    # t + gain * (1 - t) * s where s >= 0, t + loss * t * s elsewhere (one product, one sum)
    rate = np.where(s >= 0.0, gain * (1.0 - t), loss * t)
    return t + rate * s
