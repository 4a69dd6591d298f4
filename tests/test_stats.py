"""The summary statistics come from scipy: checked against published values and the formulas."""

import math

import numpy as np
import pytest
from scipy import stats as st

from collabsim.stats import mean_ci, proportion_ci, summary_table


def _wilson_formula(k: int, n: int, level: float) -> tuple[float, float]:
    """The Wilson score interval written out (Wilson 1927; Newcombe 1998, method 3)."""
    z = st.norm.ppf(0.5 + level / 2)
    p = k / n
    den = 1 + z * z / n
    center = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, center - half), min(1.0, center + half)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_published_values(k, n, low, high):
    p, lo, hi = proportion_ci(k, n)
    assert p == pytest.approx(k / n)
    assert lo == pytest.approx(low, abs=6e-5)
    assert hi == pytest.approx(high, abs=6e-5)


def test_wilson_interval_equals_the_formula_everywhere():
    for n in (1, 2, 5, 17, 100, 1001):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            for level in (0.8, 0.95, 0.99):
                _, lo, hi = proportion_ci(k, n, level)
                flo, fhi = _wilson_formula(k, n, level)
                assert lo == pytest.approx(flo, abs=1e-12)
                assert hi == pytest.approx(fhi, abs=1e-12)


def test_proportion_edge_cases():
    assert all(math.isnan(v) for v in proportion_ci(0, 0))
    with pytest.raises(ValueError, match="k = 5"):
        proportion_ci(5, 3)


def test_mean_ci_equals_the_t_formula_and_known_values():
    rng = np.random.default_rng(3)
    for size in (2, 3, 10, 200):
        x = rng.normal(2.0, 1.5, size)
        m, lo, hi = mean_ci(x, 0.9)
        half = st.t.ppf(0.95, size - 1) * x.std(ddof=1) / math.sqrt(size)
        assert m == pytest.approx(x.mean())
        assert (lo, hi) == pytest.approx((x.mean() - half, x.mean() + half), abs=1e-12)
    # 1, 2, 3: mean 2, s.d. 1, t(0.975, 2) = 4.302653: 2 +/- 2.484138
    assert mean_ci([1.0, 2.0, 3.0, np.nan]) == pytest.approx((2.0, -0.484138, 4.484138), abs=1e-6)


def test_mean_ci_degenerate_samples():
    assert all(math.isnan(v) for v in mean_ci([]))
    m, lo, hi = mean_ci([4.0])
    assert m == 4.0 and math.isnan(lo) and math.isnan(hi)
    assert mean_ci([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)


def test_summary_table_shows_wilson_percentages():
    import pandas as pd

    df = pd.DataFrame({"success": [True] * 81 + [False] * 182, "collective_impact": 1.0})
    row = summary_table(df).iloc[0]
    assert row["success %"] == "31 [26, 37]"
    assert row["runs"] == 263


def test_summary_table_intervals_stay_within_the_declared_range():
    import pandas as pd

    from collabsim.stats import summary_table

    df = pd.DataFrame({"learning_share": [0.0, 1.0, 1.0], "collective_impact": [0.0, 0.1, 3.0]})
    row = summary_table(df).iloc[0]
    assert row["learning share"] == "0.67 [0.00, 1.00]"  # (the t interval is [-0.77, 2.10])
    assert row["impact (PV)"].split("[")[1].startswith("0.00")  # impact is never negative
