"""Small inline SVG charts for the HTML report (no scripts, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BLUE, GREY, RED, GREEN = "#1f5fa8", "#b8c2cc", "#c0392b", "#2e8b57"


def metric_bars(rows: Sequence[tuple[str, float | None, float | None, bool]]) -> str:
    """Horizontal bars (0..1): the new value, with the baseline as a grey bar underneath.

    rows: (label, new, base, worse_than_base).
    """
    label_w, bar_w, row_h = 250, 380, 34
    height = row_h * len(rows) + 30
    parts = [_svg_open(label_w + bar_w + 80, height, "Metrieken tegen de basis")]
    for i, (label, new, base, worse) in enumerate(rows):
        y = 10 + i * row_h
        parts.append(_text(label_w - 8, y + 16, label, anchor="end"))
        parts.append(f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="24" fill="#f2f4f7"/>')
        if base is not None:
            parts.append(_rect(label_w, y + 16, bar_w * _unit(base), 8, GREY, f"basis {base:.3f}"))
        if new is not None:
            colour = RED if worse else BLUE
            parts.append(_rect(label_w, y + 2, bar_w * _unit(new), 13, colour, f"nieuw {new:.3f}"))
            parts.append(_text(label_w + bar_w + 6, y + 14, f"{new:.3f}"))
    parts.append(_text(label_w, height - 4, "blauw = nieuw, grijs = basis, rood = slechter"))
    return "".join(parts) + "</svg>"


def confusion(labels: Sequence[str], counts: dict[tuple[str, str], int]) -> str:
    """Rows: expected route; columns: actual route. Diagonal green, off-diagonal red."""
    cell, left, top = 74, 150, 110
    size_w, size_h = left + cell * len(labels) + 10, top + cell * len(labels) + 10
    peak = max(counts.values(), default=1) or 1
    parts = [_svg_open(size_w, size_h, "Verwachte route tegen gekregen route")]
    parts.append(
        _text(left + cell * len(labels) / 2, 14, "gekregen route (actual)", anchor="middle")
    )
    for j, label in enumerate(labels):
        x = left + j * cell + cell / 2
        parts.append(
            f'<text x="{x}" y="{top - 8}" font-size="12" text-anchor="start" '
            f'transform="rotate(-40 {x} {top - 8})">{escape(label)}</text>'
        )
    for i, expected in enumerate(labels):
        y = top + i * cell
        parts.append(_text(left - 8, y + cell / 2 + 4, expected, anchor="end"))
        for j, actual in enumerate(labels):
            n = counts.get((expected, actual), 0)
            colour = GREEN if expected == actual else RED
            opacity = 0.08 + 0.82 * (n / peak) if n else 0.03
            x = left + j * cell
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{colour}" '
                f'fill-opacity="{opacity:.2f}"><title>verwacht {escape(expected)}, '
                f"gekregen {escape(actual)}: {n}</title></rect>"
            )
            parts.append(_text(x + cell / 2, y + cell / 2 + 5, str(n), anchor="middle", size=14))
    parts.append(_text(8, top + cell * len(labels) + 4, "rijen: verwacht", size=11))
    return "".join(parts) + "</svg>"


def histogram(values: Sequence[float], bins: int = 20) -> str:
    """Latency histogram in milliseconds."""
    width, height, left, bottom = 640, 220, 50, 40
    if not values:
        return "<p>Geen metingen.</p>"
    low, high = 0.0, max(values) or 1.0
    step = (high - low) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / step))] += 1
    peak = max(counts) or 1
    bar_w = (width - left - 10) / bins
    parts = [_svg_open(width, height, "Antwoordtijd per vraag")]
    for i, n in enumerate(counts):
        h = (height - bottom - 10) * n / peak
        x = left + i * bar_w
        tip = f"{low + i * step:.0f}–{low + (i + 1) * step:.0f} ms: {n}"
        parts.append(_rect(x, height - bottom - h, bar_w - 2, h, BLUE, tip))
    for i in range(0, bins + 1, 5):
        x = left + i * bar_w
        parts.append(_text(x, height - bottom + 16, f"{low + i * step:.0f}", anchor="middle"))
    parts.append(_text(width / 2, height - 4, "milliseconden per vraag", anchor="middle"))
    parts.append(_text(left - 6, 20, str(peak), anchor="end"))
    return "".join(parts) + "</svg>"


def _unit(value: float) -> float:
    return max(0.0, min(1.0, value))


def _svg_open(width: float, height: float, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}" '
        'font-family="system-ui, sans-serif">'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}">'
        f"<title>{escape(tip)}</title></rect>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(text)}</text>"
    )
