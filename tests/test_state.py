import numpy as np
import pytest

from collabsim import state as st
from collabsim.state import DensePairIndex, Edges, HashPairIndex


@pytest.mark.parametrize("dense", [True, False])
def test_find_or_add_matches_a_dict_of_pairs(monkeypatch, dense):
    monkeypatch.setattr(st, "DENSE_MAX_CELLS", 1 << 40 if dense else 0)
    rng = np.random.default_rng(0)
    for _ in range(12):
        n = int(rng.integers(3, 400))
        e = Edges(n, capacity=16)
        assert isinstance(e._index, DensePairIndex if dense else HashPairIndex)
        known: dict[tuple[int, int], int] = {}
        for _ in range(30):
            k = int(rng.integers(1, 80))
            a = rng.integers(0, n, k)
            b = (a + 1 + rng.integers(0, n - 1, k)) % n
            rows = e.find_or_add(a, b, 0.25)
            for x, y, r in zip(a.tolist(), b.tolist(), rows.tolist(), strict=True):
                key = (min(x, y), max(x, y))
                known.setdefault(key, len(known))  # new pairs: rows in order of first sight
                assert known[key] == r
                assert (e.u[r], e.v[r]) == key
        assert e.n == len(known) == len(e._index)
        assert np.all(e.trust[:, : e.n] == 0.25)


def test_hash_index_grows_and_keeps_every_pair():
    idx = HashPairIndex(1000, capacity=4)
    rng = np.random.default_rng(1)
    lo = rng.choice(500, 300, replace=False)
    hi = lo + 1 + rng.integers(0, 400, 300)
    idx.insert(lo, hi, np.arange(300))
    rows, complete = idx.get(hi, lo)  # either order of the pair
    assert complete and np.array_equal(rows, np.arange(300))
    rows, complete = idx.get(np.array([0, lo[0]]), np.array([999, hi[0]]))
    assert not complete and rows.tolist() == [-1, 0]
    assert len(idx.keys) >= 2 * len(idx)


def test_add_many_orders_endpoints_and_swaps_trust():
    e = Edges(5)
    e.add_many(np.array([3, 0]), np.array([1, 4]), np.array([0.1, 0.2]), np.array([0.9, 0.8]))
    u, v, tuv, tvu = e.views()
    assert u.tolist() == [1, 0] and v.tolist() == [3, 4]
    assert tuv.tolist() == [0.9, 0.2] and tvu.tolist() == [0.1, 0.8]
    assert e.find_or_add(np.array([3, 4]), np.array([1, 0]), 0.5).tolist() == [0, 1]
