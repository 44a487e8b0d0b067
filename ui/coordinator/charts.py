"""Small inline SVG bar charts (no scripts, no CDN), with a text title for screen readers."""

from __future__ import annotations

from ui.coordinator.layout import esc

WIDTH = 640
HEIGHT = 200
PAD = 28


def bar_chart(title: str, bars: list[tuple[str, int]], label_every: int = 1) -> str:
    """One bar per (label, count); `label_every` thins out the axis labels of long series."""
    if not bars:
        return f"<p>{esc(title)}: nog geen gegevens.</p>"
    top = max(count for _, count in bars) or 1
    step = (WIDTH - PAD) / len(bars)
    width = max(step * 0.8, 1.0)
    parts = [
        f"<svg role='img' aria-labelledby='c-{id(bars)}' viewBox='0 0 {WIDTH} {HEIGHT + PAD}' "
        f"width='100%' xmlns='http://www.w3.org/2000/svg'><title id='c-{id(bars)}'>"
        f"{esc(title)}: " + ", ".join(f"{esc(k)} {v}" for k, v in bars) + "</title>",
        f"<text x='0' y='12'>{top}</text>",
    ]
    for i, (label, count) in enumerate(bars):
        h = (HEIGHT - PAD) * count / top
        x = PAD + i * step
        y = HEIGHT - h
        parts.append(
            f"<rect class='bar' x='{x:.1f}' y='{y:.1f}' width='{width:.1f}' height='{h:.1f}'>"
            f"<title>{esc(label)}: {count}</title></rect>"
        )
        if i % label_every == 0:
            parts.append(f"<text x='{x:.1f}' y='{HEIGHT + 16}'>{esc(label)}</text>")
    parts.append("</svg>")
    return f"<figure><figcaption>{esc(title)}</figcaption>{''.join(parts)}</figure>"
