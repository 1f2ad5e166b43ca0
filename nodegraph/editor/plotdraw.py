"""Plots drawn into small RGBA images with numpy (no GUI here).

The plot nodes (nodes/plot.py) publish what to draw as plain dicts; these
functions turn one into a float32 RGBA image (height, width, 4) that the editor
shows as one texture on the node. A texture is one quad for the graphics driver,
where hundreds of drawn points and cells would each cost (the editor may run on
software OpenGL). Plane coordinates go up; image rows go down.
"""
from __future__ import annotations

import numpy as np

BACK = np.array([0.10, 0.11, 0.13, 1.0], dtype=np.float32)
AXIS = np.array([0.35, 0.37, 0.42, 1.0], dtype=np.float32)
PALETTE = np.array([  # distinct on a dark background, as in most plotting tools
    (0.40, 0.70, 1.00), (1.00, 0.60, 0.25), (0.45, 0.85, 0.45), (0.95, 0.40, 0.45),
    (0.75, 0.55, 0.95), (0.85, 0.70, 0.45), (1.00, 0.55, 0.85), (0.60, 0.60, 0.60),
    (0.75, 0.85, 0.30), (0.30, 0.85, 0.85)], dtype=np.float32)


DOT, LIVE = 3, 6  # radii in pixels: an example's dot, the live input's target


def blank(w, h):
    img = np.empty((h, w, 4), dtype=np.float32)
    img[:] = BACK
    return img


def class_colour(index):
    return PALETTE[np.asarray(index) % len(PALETTE)]


def ramp(t):
    """A dark-blue to yellow colour ramp for values in 0..1 (viridis-like)."""
    t = np.clip(np.asarray(t, dtype=np.float32), 0.0, 1.0)[..., None]
    stops = np.array([(0.27, 0.00, 0.33), (0.23, 0.32, 0.55), (0.13, 0.57, 0.55),
                      (0.37, 0.79, 0.38), (0.99, 0.91, 0.14)], dtype=np.float32)
    pos = t * (len(stops) - 1)
    i = np.clip(pos.astype(int), 0, len(stops) - 2)[..., 0]
    f = pos - i[..., None]
    return stops[i] * (1 - f) + stops[i + 1] * f


def _to_pixels(x, y, bounds, w, h):
    x0, x1, y0, y1 = bounds
    sx = (np.asarray(x, dtype=np.float64) - x0) / ((x1 - x0) or 1.0) * (w - 1)
    sy = (1.0 - (np.asarray(y, dtype=np.float64) - y0) / ((y1 - y0) or 1.0)) * (h - 1)
    return sx, sy


def dots(img, px, py, colours, radius=2):
    """Square dots (2*radius+1 wide) at pixel positions; colours: (n, 3)."""
    h, w = img.shape[:2]
    px, py = np.rint(px).astype(int), np.rint(py).astype(int)
    offsets = np.arange(-radius, radius + 1)
    dx, dy = np.meshgrid(offsets, offsets)
    xs = (px[:, None] + dx.ravel()[None, :]).ravel()
    ys = (py[:, None] + dy.ravel()[None, :]).ravel()
    cs = np.repeat(np.asarray(colours, dtype=np.float32), dx.size, axis=0)
    keep = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    img[ys[keep], xs[keep], :3] = cs[keep]
    img[ys[keep], xs[keep], 3] = 1.0


def polyline(img, px, py, colour):
    """A 1-pixel line through the points (each segment sampled densely enough to be solid)."""
    h, w = img.shape[:2]
    px, py = np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64)
    if len(px) == 1:
        dots(img, px, py, [colour], radius=0)
        return
    if len(px) < 2:
        return
    steps = np.maximum(np.ceil(np.maximum(np.abs(np.diff(px)), np.abs(np.diff(py)))), 1).astype(int)
    steps = np.minimum(steps, 4 * (w + h))  # a jump to far off the image needs no more
    seg = np.repeat(np.arange(len(steps)), steps)
    frac = (np.arange(steps.sum()) - np.repeat(np.cumsum(steps) - steps, steps)) / np.repeat(steps, steps)
    xs = np.rint(px[seg] + (px[seg + 1] - px[seg]) * frac).astype(int)
    ys = np.rint(py[seg] + (py[seg + 1] - py[seg]) * frac).astype(int)
    keep = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    img[ys[keep], xs[keep], :3] = colour
    img[ys[keep], xs[keep], 3] = 1.0


def scope(view, w, h):
    """Lines of values over the last window of time; newest at the right."""
    img = blank(w, h)
    lo, hi = view.get("y") or (0.0, 1.0)
    if lo < 0 < hi:
        _, zero = _to_pixels([0.0], [0.0], (0, 1, lo, hi), w, h)
        img[int(round(zero[0])), :, :] = AXIS
    t, values = np.asarray(view.get("t", ())), np.asarray(view.get("values", ()))
    if not len(t) or values.ndim != 2 or not values.shape[1]:
        return img
    now, window = float(view.get("now", t[-1])), float(view.get("window_ms") or 1.0)
    for c in range(values.shape[1]):
        px, py = _to_pixels(t, values[:, c], (now - window, now, lo, hi), w, h)
        polyline(img, px, py, class_colour(c))
    return img


def dataset(view, w, h):
    """A learner's examples as dots over the shaded answer of its model; the live input on top."""
    img = blank(w, h)
    bounds = view.get("bounds") or [0.0, 1.0, 0.0, 1.0]
    grid = view.get("grid")
    value_range = view.get("value_range")
    if grid is not None and len(grid.get("x", ())) and len(grid.get("y", ())):
        z = np.asarray(grid["z"])
        cols = np.clip(((np.arange(w) + 0.5) / w * z.shape[1]).astype(int), 0, z.shape[1] - 1)
        rows = np.clip(((1.0 - (np.arange(h) + 0.5) / h) * z.shape[0]).astype(int), 0, z.shape[0] - 1)
        cells = z[rows][:, cols]
        if grid.get("kind") == "value":
            lo, hi = (value_range or grid.get("range") or [0.0, 1.0])[:2]
            shade = ramp((cells - lo) / ((hi - lo) or 1.0))
        else:
            shade = class_colour(cells)
        img[..., :3] = shade * 0.35 + BACK[:3] * 0.65  # dim: the dots must stand out
    points = np.asarray(view.get("points", np.zeros((0, 2))))
    if len(points):
        px, py = _to_pixels(points[:, 0], points[:, 1], bounds, w, h)
        values = view.get("values")
        if values is not None and value_range:
            lo, hi = value_range[:2]
            colours = ramp((np.asarray(values, dtype=np.float64) - lo) / ((hi - lo) or 1.0))
        else:
            colours = class_colour(np.asarray(view.get("color", np.zeros(len(points))), dtype=int))
        dots(img, px, py, np.zeros((len(px), 3)), radius=DOT + 1)  # a dark rim
        dots(img, px, py, colours, radius=DOT)
    live = view.get("live")
    if live is not None:
        px, py = _to_pixels([live[0]], [live[1]], bounds, w, h)
        cx, cy = int(np.rint(px[0])), int(np.rint(py[0]))
        # a faint cross-hair through the whole picture, so the eye finds the point at once
        if 0 <= cy < h:
            img[cy, :, :3] = img[cy, :, :3] * 0.55 + 0.45
        if 0 <= cx < w:
            img[:, cx, :3] = img[:, cx, :3] * 0.55 + 0.45
        dots(img, px, py, [(1.0, 1.0, 1.0)], radius=LIVE)
        dots(img, px, py, [(0.0, 0.0, 0.0)], radius=LIVE - 2)
        dots(img, px, py, [(1.0, 1.0, 1.0)], radius=1)
    return img


def confusion(view, w, h):
    """The confusion matrix as cells: brightness is the share of the true class's row,
    green on the diagonal (right), red off it (mixed up)."""
    img = blank(w, h)
    matrix = view.get("matrix")
    if matrix is None:
        return img
    m = np.asarray(matrix, dtype=np.float64)
    n = m.shape[0]
    if not n:
        return img
    share = m / np.maximum(m.sum(axis=1, keepdims=True), 1.0)
    cell_w, cell_h = w / n, h / n
    cols = np.minimum((np.arange(w) / cell_w).astype(int), n - 1)
    rows = np.minimum((np.arange(h) / cell_h).astype(int), n - 1)
    s = share[rows][:, cols][..., None].astype(np.float32)
    right = (rows[:, None] == cols[None, :])[..., None]
    colour = np.where(right, np.array([0.30, 0.85, 0.40], dtype=np.float32),
                      np.array([0.95, 0.35, 0.35], dtype=np.float32))
    img[..., :3] = BACK[:3] * (1 - s) + colour * s
    for k in range(1, n):  # cell borders
        img[:, min(w - 1, int(k * cell_w)), :3] = BACK[:3]
        img[min(h - 1, int(k * cell_h)), :, :3] = BACK[:3]
    return img


DRAW = {"scope": scope, "dataset": dataset, "confusion": confusion}


def nearest_point(view, x, y, w, h, within=6.0):
    """The index (into the view's points) of the dot drawn nearest a pixel, or None."""
    points = np.asarray(view.get("points", np.zeros((0, 2))))
    if not len(points):
        return None
    px, py = _to_pixels(points[:, 0], points[:, 1], view.get("bounds") or [0, 1, 0, 1], w, h)
    d = np.hypot(px - x, py - y)
    i = int(np.argmin(d))
    return i if d[i] <= within else None
