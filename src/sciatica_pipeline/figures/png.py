"""A picture as a PNG image, in pure Python: each shape is filled row by row at twice the
resolution, then averaged down, which smooths the edges. For authors reviewing a figure;
the booklets and handouts use the vector shapes."""

from __future__ import annotations

import itertools
import math
import struct
import zlib

from sciatica_pipeline.figures.shapes import Disc, Picture, Point, Stroke

_SUPER = 2


def _rgb(colour: str) -> bytes:
    return bytes.fromhex(colour.removeprefix("#"))


def _crossings(polygon: list[Point], y: float) -> list[float]:
    xs = []
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y0 <= y < y1) or (y1 <= y < y0):
            xs.append(x0 + (y - y0) * (x1 - x0) / (y1 - y0))
    return sorted(xs)


def _disc_span(cx: float, cy: float, r: float, y: float) -> tuple[float, float] | None:
    d = r * r - (y - cy) ** 2
    if d < 0:
        return None
    dx = math.sqrt(d)
    return cx - dx, cx + dx


def _capsule_span(a: Point, b: Point, r: float, y: float) -> tuple[float, float] | None:
    """Where row `y` crosses a round-capped segment: a convex shape, so one span."""
    spans = [s for s in (_disc_span(*a, r, y), _disc_span(*b, r, y)) if s is not None]
    length = math.dist(a, b)
    if length > 0:
        nx, ny = -(b[1] - a[1]) / length * r, (b[0] - a[0]) / length * r
        quad = [(a[0] + nx, a[1] + ny), (b[0] + nx, b[1] + ny), (b[0] - nx, b[1] - ny)]
        quad.append((a[0] - nx, a[1] - ny))
        xs = _crossings(quad, y)
        if len(xs) >= 2:
            spans.append((xs[0], xs[-1]))
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)


def png(picture: Picture, width: int) -> bytes:
    """The picture as PNG bytes, `width` pixels wide, on white."""
    scale = width / picture.width
    height = max(1, round(picture.height * scale))
    big_w, big_h = width * _SUPER, height * _SUPER
    k = scale * _SUPER
    canvas = bytearray(b"\xff" * (big_w * big_h * 3))

    def fill(row: int, x0: float, x1: float, colour: bytes) -> None:
        start = max(0, math.ceil(x0 - 0.5))
        end = min(big_w - 1, math.floor(x1 - 0.5))
        if end >= start:
            offset = (row * big_w + start) * 3
            canvas[offset : offset + (end - start + 1) * 3] = colour * (end - start + 1)

    for shape in picture.shapes:
        colour = _rgb(shape.colour)
        if isinstance(shape, Disc):
            cx, cy, r = shape.centre[0] * k, shape.centre[1] * k, shape.radius * k
            top, bottom = cy + r, cy - r
        else:
            pts = [(x * k, y * k) for x, y in shape.points]
            pad = shape.width * k / 2 if isinstance(shape, Stroke) else 0.0
            top = max(p[1] for p in pts) + pad
            bottom = min(p[1] for p in pts) - pad
        first = max(0, math.floor(big_h - top - 0.5))
        last = min(big_h - 1, math.ceil(big_h - bottom))
        for row in range(first, last + 1):
            y = big_h - (row + 0.5)  # pixel centres; picture y points up
            if isinstance(shape, Disc):
                span = _disc_span(cx, cy, r, y)
                if span:
                    fill(row, *span, colour)
            elif isinstance(shape, Stroke):
                r_ = shape.width * k / 2
                for a, b in itertools.pairwise(pts):
                    span = _capsule_span(a, b, r_, y)
                    if span:
                        fill(row, *span, colour)
                if len(pts) == 1:
                    span = _disc_span(*pts[0], r_, y)
                    if span:
                        fill(row, *span, colour)
            else:
                xs = _crossings(pts, y)
                for x0, x1 in zip(xs[::2], xs[1::2], strict=False):
                    fill(row, x0, x1, colour)
    return _encode(_shrink(canvas, width, height), width, height)


def _shrink(canvas: bytearray, width: int, height: int) -> bytes:
    """Average each square of _SUPER x _SUPER pixels into one."""
    big_w = width * _SUPER
    out = bytearray()
    n = _SUPER * _SUPER
    for row in range(height):
        rows = [
            canvas[((row * _SUPER + i) * big_w) * 3 : ((row * _SUPER + i + 1) * big_w) * 3]
            for i in range(_SUPER)
        ]
        summed = [sum(values) for values in zip(*rows, strict=True)]
        for x in range(width):
            for c in range(3):
                total = sum(summed[((x * _SUPER + j) * 3) + c] for j in range(_SUPER))
                out.append((total + n // 2) // n)
    return bytes(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _encode(pixels: bytes, width: int, height: int) -> bytes:
    stride = width * 3
    raw = b"".join(b"\x00" + pixels[r * stride : (r + 1) * stride] for r in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )
