"""Fuzzy completion for the object box: which node types fit what was typed so far."""
from __future__ import annotations

import re

_SEGMENTS = re.compile(r"[._\-\s]+")


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


def complete(query: str, entries, limit: int = 12):
    """entries: iterable of (name, summary). The best matches first, as (name, summary)."""
    ranked = []
    for name, summary in entries:
        s = score(query, name, summary)
        if s is not None:
            ranked.append((-s, name, summary))
    ranked.sort()
    return [(name, summary) for _, name, summary in ranked[:limit]]
