"""Tidy up: move boxes down until none overlaps another (for patches laid out for
smaller boxes, or after a paste). Pure: rectangles in, positions out."""
from __future__ import annotations

MARGIN = 16


def spread(rects: dict, margin: float = MARGIN) -> dict:
    """{key: (x, y, w, h)} -> {key: (x, y)} for the boxes that have to move.

    Boxes keep their x; taken from top to bottom (then left to right), each one that
    overlaps a box already placed goes down just below it, so columns stay columns
    and the order of things down the page stays the same.
    """
    placed = []
    moved = {}
    for key in sorted(rects, key=lambda k: (rects[k][1], rects[k][0], str(k))):
        x, y, w, h = rects[key]
        start = y
        while True:
            hit = [p for p in placed if _overlap((x, y, w, h), p, margin)]
            if not hit:
                break
            y = max(p[1] + p[3] for p in hit) + margin
        placed.append((x, y, w, h))
        if y != start:
            moved[key] = (x, y)
    return moved


def _overlap(a, b, margin):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw + margin and bx < ax + aw + margin and ay < by + bh + margin and by < ay + ah + margin
