"""Inline SVG charts drawn on the server: no JavaScript, no CDN, so reports work offline.

Pure functions from numbers to SVG text. Every chart carries a <title> and <desc> for screen
readers and prints its values as text, so the numbers survive without the picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Colour-blind-safe pairs (blue / orange / grey) that also print legibly in greyscale.
BLUE, ORANGE, GREY, GREEN = "#1f6fb2", "#e07b1a", "#9aa5b1", "#2f855a"

WIDTH = 720
BAR_AREA_HEIGHT = 180
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 24, 44


@dataclass(frozen=True)
class Series:
    name: str
    colour: str


@dataclass(frozen=True)
class Bar:
    label: str
    values: tuple[int, ...]  # one per series, stacked bottom-up


def nice_ceiling(value: int) -> int:
    """The smallest 1/2/5 × 10^n at or above `value` (at least 1), for a readable y axis."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    *,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    series: Sequence[Series],
    width: int = WIDTH,
) -> str:
    """Vertical bars, stacked by series, with a y axis, labels and a legend.

    `width` is the drawing's own coordinate width: a chart meant for a narrow column gets a
    smaller one so its text is not shrunk to nothing when scaled to fit.
    """
    height = TOP + BAR_AREA_HEIGHT + BOTTOM
    plot_width = width - LEFT - RIGHT
    top_value = nice_ceiling(max((sum(bar.values) for bar in bars), default=0))
    slot = plot_width / max(len(bars), 1)
    bar_width = max(2.0, slot * 0.7)
    # Keep x labels from overlapping: label every n-th bar when there are many.
    label_every = max(1, math.ceil(len(bars) / (16 * width / WIDTH)))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(desc)}</desc>",
    ]
    # Counts are whole numbers: no half-way tick when it would read "0.5".
    ticks = (0, top_value // 2, top_value) if top_value % 2 == 0 else (0, top_value)
    for tick in ticks:
        y = TOP + BAR_AREA_HEIGHT - tick / top_value * BAR_AREA_HEIGHT
        parts.append(
            f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d5dbe1" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#4a5560">{_fmt(tick)}</text>'
        )
    for index, bar in enumerate(bars):
        x = LEFT + index * slot + (slot - bar_width) / 2
        y = TOP + BAR_AREA_HEIGHT
        for value, one in zip(bar.values, series, strict=True):
            if not value:
                continue
            h = value / top_value * BAR_AREA_HEIGHT
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{h:.1f}" '
                f'fill="{one.colour}"><title>{escape(bar.label)}: {value} '
                f"{escape(one.name.lower())}</title></rect>"
            )
        total = sum(bar.values)
        if total and len(bars) <= 20:
            parts.append(
                f'<text x="{x + bar_width / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'font-size="11" fill="#1c2630">{total}</text>'
            )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + bar_width / 2:.1f}" y="{TOP + BAR_AREA_HEIGHT + 16}" '
                f'text-anchor="middle" font-size="11" fill="#4a5560">{escape(bar.label)}</text>'
            )
    if len(series) > 1:
        x = LEFT
        for one in series:
            parts.append(
                f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{one.colour}"/>'
                f'<text x="{x + 14}" y="{height - 5}" font-size="11" fill="#1c2630">'
                f"{escape(one.name)}</text>"
            )
            x += 24 + 7 * len(one.name)
    parts.append("</svg>")
    return "".join(parts)


def share_bar(
    *, title: str, desc: str, segments: Sequence[tuple[str, int, str]], width: int = WIDTH
) -> str:
    """One horizontal 100% bar split into (label, count, colour) segments, with a legend.

    The legend states each count and share in words, one entry per line.
    """
    total = sum(count for _label, count, _colour in segments)
    height = 48 + 18 * len(segments)
    plot_width = width - 2 * 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(desc)}</desc>",
    ]
    if not total:
        parts.append(
            f'<rect x="10" y="8" width="{plot_width}" height="26" fill="#eef1f4"/>'
            f'<text x="{width / 2}" y="26" text-anchor="middle" font-size="12" '
            f'fill="#4a5560">No one to count yet</text>'
        )
    x = 10.0
    for label, count, colour in segments if total else ():
        w = count / total * plot_width
        if w:
            parts.append(
                f'<rect x="{x:.1f}" y="8" width="{w:.1f}" height="26" fill="{colour}">'
                f"<title>{escape(label)}: {count}</title></rect>"
            )
        x += w
    for line, (label, count, colour) in enumerate(segments):
        share = f" ({count / total:.0%})" if total else ""
        text = f"{label}: {count}{share}"
        y = 46 + 18 * line
        parts.append(
            f'<rect x="10" y="{y}" width="12" height="12" fill="{colour}"/>'
            f'<text x="28" y="{y + 11}" font-size="13" fill="#1c2630">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
