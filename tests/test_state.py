import numpy as np

from collabsim.state import Edges


def test_find_or_add_matches_a_dict_of_pairs():
    rng = np.random.default_rng(0)
    for _ in range(12):
        n = int(rng.integers(3, 400))
        e = Edges(n, capacity=16)
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
        assert e.n == len(known) == len(e)
        assert np.all(e.trust[: e.n] == 0.25)
        assert np.count_nonzero(e.keys != -1) == e.n  # every pair indexed once
        assert len(e.keys) >= 2 * e.n  # the index stays at most half full


def test_index_grows_and_keeps_every_pair():
    e = Edges(1000, capacity=4)
    rng = np.random.default_rng(1)
    lo = rng.choice(500, 300, replace=False)
    hi = lo + 1 + rng.integers(0, 400, 300)
    assert e.find_or_add(lo, hi, 0.5).tolist() == list(range(300))
    assert e.find_or_add(hi, lo, 0.1).tolist() == list(range(300))  # either order of the pair
    assert e.n == 300
    assert e.find_or_add(np.array([0, lo[0]]), np.array([999, hi[0]]), 0.2).tolist()[1] == 0


def test_add_many_orders_endpoints_and_swaps_trust():
    e = Edges(5)
    e.add_many(np.array([3, 0]), np.array([1, 4]), np.array([0.1, 0.2]), np.array([0.9, 0.8]))
    u, v, tuv, tvu = e.views()
    assert u.tolist() == [1, 0] and v.tolist() == [3, 4]
    assert tuv.tolist() == [0.9, 0.2] and tvu.tolist() == [0.1, 0.8]
    assert e.find_or_add(np.array([3, 4]), np.array([1, 0]), 0.5).tolist() == [0, 1]
