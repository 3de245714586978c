"""A bar chart drawn on the server as inline SVG (no script, nothing from elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

SERIES = (("new", "新发", "#1d70b8"), ("resolved", "已消除/注销", "#00703c"), ("disposed", "已处置", "#f47738"))


@dataclass(frozen=True)
class Chart:
    svg: Markup
    legend: tuple[tuple[str, str], ...]


def month_chart(rows: list[dict[str, Any]], *, width: int = 720, height: int = 260) -> Chart:
    """Grouped bars per month for new, resolved and disposed clues; readable as a table too."""
    left, bottom, top = 36, 40, 16
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max([1] + [int(r[k]) for r in rows for k, _, _ in SERIES])
    step = plot_w / max(len(rows), 1)
    bar = max(step / (len(SERIES) + 1), 2)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" '
             f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">',
             '<title id="chart-title">近十二个月新发、已消除和已处置的线索数</title>']
    for i in range(5):  # gridlines with their counts
        value = round(peak * i / 4)
        y = top + plot_h - plot_h * value / peak
        parts.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{value}</text>')
    for i, r in enumerate(rows):
        x0 = left + i * step + bar / 2
        for j, (key, label, colour) in enumerate(SERIES):
            n = int(r[key])
            h = plot_h * n / peak
            parts.append(f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 1:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{escape(r["month"])} {label} {n}</title></rect>')
        parts.append(f'<text x="{left + i * step + step / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                     f'font-size="11">{escape(r["month"][2:])}</text>')
    parts.append("</svg>")
    return Chart(svg=Markup("".join(parts)), legend=tuple((label, colour) for _, label, colour in SERIES))
