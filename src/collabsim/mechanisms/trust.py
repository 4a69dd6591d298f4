"""Asymmetric trust updating: trust is built slowly and lost about three times faster.

A signal ``s`` in [-1, 1] is what one person reads from an encounter with another (mostly the
partner's visible effort). Positive signals close a share ``gain * s`` of the distance to full
trust; negative signals remove a share ``loss * |s|`` of the trust held. With the rates of Pant
& Yu (2025; lambda+ = 0.10, lambda- = 0.30) a +1 then a -1 signal leaves trust lower than
before: 0.5 -> 0.55 -> 0.385.

:func:`trust_after` is the one implementation of the rule (compiled; called on single values
inside the compiled submodels); :func:`signal_all` applies it in place to an array and
:func:`update_trust` to arrays from Python.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["signal_all", "trust_after", "update_trust"]


@numba.njit(cache=True, nogil=True)
def trust_after(trust: float, signal: float, gain: float, loss: float) -> float:
    """Trust after one signal.

    Args:
        trust: Current trust in [0, 1].
        signal: Signal in [-1, 1] (positive: good faith observed).
        gain: Learning rate for positive signals (lambda+).
        loss: Learning rate for negative signals (lambda-).

    Returns:
        Updated trust, in [0, 1] whenever the inputs are in range.
    """
    return trust + (gain * (1.0 - trust) if signal >= 0.0 else loss * trust) * signal


@numba.njit(cache=True, nogil=True)
def signal_all(trust: np.ndarray, signal: float, gain: float, loss: float) -> None:
    """Every value of ``trust`` after the same signal (in place)."""
    for i in range(trust.shape[0]):
        trust[i] = trust_after(trust[i], signal, gain, loss)


@numba.njit(cache=True, nogil=True)
def _apply(trust: np.ndarray, signal: np.ndarray, gain: float, loss: float) -> np.ndarray:
    out = np.empty(trust.shape[0])
    for i in range(trust.shape[0]):
        out[i] = trust_after(trust[i], signal[i], gain, loss)
    return out


def update_trust(
    trust: np.ndarray | float, signal: np.ndarray | float, gain: float, loss: float
) -> np.ndarray:
    """Trust after one signal, for arrays (broadcast) or single values (:func:`trust_after`)."""
    t, s = np.broadcast_arrays(np.asarray(trust, dtype=float), np.asarray(signal, dtype=float))
    out = _apply(np.ascontiguousarray(t).ravel(), np.ascontiguousarray(s).ravel(), gain, loss)
    return out.reshape(t.shape)
