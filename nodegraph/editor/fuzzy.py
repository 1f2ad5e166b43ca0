"""Fuzzy completion for the object box: which node types fit what was typed so far."""
from __future__ import annotations

import re

_SEGMENTS = re.compile(r"[._\-\s]+")

# How often a type is made, before the editor has counted anyone's own use: what the
# teaching patches and a first patch need, so "ml.cl" offers ml.classify before ml.cluster.
COMMON = {"slider": 30, "display": 30, "ml.classify": 30, "xy": 25, "ml.regress": 25, "print": 25,
          "osc.in": 20, "osc.out": 20, "metro": 20, "toggle": 20, "button": 20, "scale": 20, "math": 15,
          "ml.gesture": 15, "smooth": 15, "plot.scope": 12, "plot.dataset": 12, "midi.in": 10,
          "midi.out": 10, "pack": 10, "unpack": 10, "value": 10, "number": 10, "ml.cluster": 5}


def score(query: str, name: str, summary: str = "") -> float | None:
    """How well `query` matches a type name (higher is better); None if not at all.

    Exact name, then prefix, then the start of a dotted part ("cl" finds ml.classify),
    then a substring, then the letters in order ("mtr" finds metro), then words of
    the one-line help ("sends bang" finds metro).
    """
    q = query.strip().lower()
    n = name.lower()
    if not q:
        return 1.0
    if q == n:
        return 1000.0
    if n.startswith(q):
        return 900.0 - len(n)
    if any(part.startswith(q) for part in _SEGMENTS.split(n)):
        return 800.0 - len(n)
    at = n.find(q)
    if at >= 0:
        return 700.0 - at - len(n) / 100
    gaps = _subsequence_gaps(q, n)
    if gaps is not None:
        return 500.0 - gaps - len(n) / 100
    words = q.split()
    text = summary.lower()
    if words and all(w in text for w in words):
        return 300.0 - len(n) / 100
    return None


def _subsequence_gaps(q, n):
    """Letters skipped to find q's letters in order in n, or None if they are not there."""
    gaps, i = 0, 0
    for ch in q:
        j = n.find(ch, i)
        if j < 0:
            return None
        gaps += j - i
        i = j + 1
    return gaps


def complete(query: str, entries, limit: int = 12, uses=None):
    """entries: iterable of (name, summary). The best matches first, as (name, summary):
    by the kind of match (exact, prefix, part, ... in score's hundreds), then by how often
    each type is used (`uses`: name -> count, COMMON when not given), then closeness."""
    uses = COMMON if uses is None else uses
    ranked = []
    for name, summary in entries:
        s = score(query, name, summary)
        if s is not None:
            ranked.append((-(s // 100), -uses.get(name, 0), -s, name, summary))
    ranked.sort()
    return [(name, summary) for *_, name, summary in ranked[:limit]]
