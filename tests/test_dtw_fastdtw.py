"""DTW's warping window as Wekinator's FastDTW(radius) has it (issue 13, item 6).

FastDTW (Salvador & Chan 2007; the FastDTW 1.1.0 jar Wekinator ships) computes
full, unconstrained DTW when either series has at most radius + 2 points, its
minimum size before it coarsens. Wekinator downsamples templates to about ten
points and its candidates are no longer than the longest template, so most of
its comparisons are that short: there, nodegraph must give the same distances.
The reference here is written from the algorithm, not from dtw.py.
"""
import numpy as np
import pytest

from nodegraph.learn import dtw


def full_dtw(a, b):
    n, m = len(a), len(b)
    D = np.full((n + 1, m + 1), np.inf)
    D[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i, j] = np.linalg.norm(a[i - 1] - b[j - 1]) + min(D[i - 1, j - 1], D[i - 1, j], D[i, j - 1])
    return D[n, m]


def fastdtw_base_case(a, b, radius):
    """FastDTW's answer when it does not coarsen: full DTW (None: it would coarsen)."""
    min_size = radius + 2
    if len(a) <= min_size or len(b) <= min_size:
        return full_dtw(a, b)
    return None


def test_short_series_are_matched_in_full_as_fastdtw_does():
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(300):
        n, m = int(rng.integers(1, 15)), int(rng.integers(1, 15))
        a, b = rng.normal(size=(n, 2)), rng.normal(size=(m, 2))
        ref = fastdtw_base_case(a, b, 5)
        if ref is None:
            continue
        checked += 1
        assert dtw.distance(a, b, 5) == pytest.approx(ref, rel=1e-12)
        assert dtw.distance(b, a, 5) == pytest.approx(ref, rel=1e-12)
    assert checked > 150


def test_a_short_series_against_a_long_one_is_finite():
    """The case the old band |i - j| <= 5 got wrong: 3 points against 10 has no path
    inside the band (its end cell is 7 off the diagonal), but FastDTW matches it."""
    a = np.linspace(0, 1, 3)[:, None]
    b = np.linspace(0, 1, 10)[:, None]
    assert np.isfinite(dtw.distance(a, b, 5))
    assert dtw.distance(a, b, 5) == pytest.approx(full_dtw(a, b))


def test_continuous_matching_uses_fastdtws_rule_for_short_templates_and_candidates():
    """Every candidate (suffix of the buffer, at least min_length frames) against every
    template, each pair by FastDTW's rule; per label the least distance."""
    rng = np.random.default_rng(3)
    width = 2  # a small radius, so that both rules (full, banded) occur at these lengths
    templates = [rng.normal(size=(int(rng.integers(3, 10)), 2)) for _ in range(6)]
    labels = [0, 0, 1, 1, 2, 2]
    matcher = dtw.Matcher(templates, labels, 3, min_length=2, threshold=1e9, factor=1, width=width)
    longest = max(len(t) for t in templates)
    stream = rng.normal(size=(25, 2))

    def banded(a, b):
        ref = fastdtw_base_case(a, b, width)
        if ref is not None:
            return ref
        n, m = len(a), len(b)
        D = np.full((n + 1, m + 1), np.inf)
        D[0, 0] = 0.0
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                if abs(i - j) <= width:
                    D[i, j] = np.linalg.norm(a[i - 1] - b[j - 1]) + min(D[i - 1, j - 1], D[i - 1, j], D[i, j - 1])
        return D[n, m]

    for i, frame in enumerate(stream):
        per_label, _ = matcher.push(frame)
        buffer = stream[max(0, i + 1 - longest):i + 1]
        expected = np.full(3, np.inf)
        for length in range(2, len(buffer) + 1):
            for t, label in zip(templates, labels):
                expected[label] = min(expected[label], banded(buffer[-length:], t))
        np.testing.assert_allclose(per_label, expected, rtol=1e-12)
