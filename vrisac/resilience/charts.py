"""Charts, rendered on the server with matplotlib (no CDN, no script).

Matplotlib's SVG carries a ``<style>`` block and ``style`` attributes, which the page's
Content-Security-Policy would block inside the page; so every chart is its own resource,
shown with ``<img src>`` and served as ``image/svg+xml`` (the PDFs embed the same SVG). Text is
drawn as paths, so a chart looks the same wherever it is opened, and every chart has a table
with the same figures beside it for screen readers. The figures passed in are aggregates that
already obey the benchmark's minimum-group rule: a chart shows nothing a table would not.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from vrisac.sharing.policy import MIN_GROUP_SIZE

from .benchmark import Distribution

# Matplotlib keeps a font cache; keep it in the platform's data folder, not in $HOME.
os.environ.setdefault("MPLCONFIGDIR", str(settings.DATA_DIR / "matplotlib"))

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

matplotlib.rcParams.update({
    "svg.hashsalt": "vrisac",  # the same chart gives the same bytes
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": "#9aa5b4",
    "axes.labelcolor": "#1b1f24",
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "xtick.color": "#1b1f24",
    "ytick.color": "#1b1f24",
    "axes.spines.top": False,
    "axes.spines.right": False,
})

NAVY = "#0b2545"
BLUE = "#1d5fa7"
QUARTILE = "#c4d6f2"
ORANGE = "#d9480f"
PALETTE = ["#1d5fa7", "#b3261e", "#6b21a8", "#1e7b34", "#9a3412", "#5a6472", "#0f766e",
           "#a16207", "#be185d", "#3f6212"]

SVG = "image/svg+xml"


def render(fig: Figure, fmt: str = "svg") -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None,
                bbox_inches="tight", dpi=150)
    return buffer.getvalue()


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes,
            color="#5a6472", wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def benchmark_chart(rows: Sequence[Any], *, own_label: str | None) -> Figure:
    """Per measure: the interquartile range as a bar, the median as a line and the
    organisation's own score as a dot. A measure with fewer answers than the policy's minimum
    group shows no distribution."""
    fig = Figure(figsize=(7.2, 4.2))
    ax = fig.subplots()
    keys = [row.measure.key for row in rows][::-1]
    positions = list(range(len(keys)))
    shown = False
    for pos, row in zip(positions, rows[::-1], strict=True):
        dist: Distribution = row.distribution
        if dist.shown:
            shown = True
            assert dist.q1 is not None and dist.q3 is not None and dist.median is not None
            ax.barh(pos, max(dist.q3 - dist.q1, 0.06), left=dist.q1, height=0.55,
                    color=QUARTILE, edgecolor=BLUE, linewidth=0.8)
            ax.plot([dist.median, dist.median], [pos - 0.3, pos + 0.3], color=NAVY,
                    linewidth=2.2)
        else:
            ax.text(5.05, pos, _("fewer than %(n)d") % {"n": MIN_GROUP_SIZE}, va="center",
                    ha="right", fontsize=7, color="#5a6472")
        if row.own is not None:
            ax.plot(row.own, pos, "o", color=ORANGE, markersize=7, zorder=3)
    ax.set_yticks(positions, [k.upper() for k in keys])
    ax.set_xlim(-0.2, 5.2)
    ax.set_xticks(range(6))
    ax.set_xlabel(_("maturity (0 none – 5 optimised)"))
    ax.grid(axis="x", color="#d9dee5", linewidth=0.6)
    ax.set_axisbelow(True)
    handles = []
    labels = []
    if shown:
        handles += [Patch(facecolor=QUARTILE, edgecolor=BLUE),
                    Line2D([], [], color=NAVY, linewidth=2.2)]
        labels += [_("middle half of the regions"), _("median")]
    if own_label:
        handles.append(Line2D([], [], marker="o", color=ORANGE,
                                               linestyle=""))
        labels.append(own_label)
    if handles:
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.14),
                  ncol=len(handles), frameon=False)
    return fig


def trend_chart(periods: Sequence[str], series: dict[str, list[Distribution]],
                *, title: str) -> Figure:
    """The median per measure over the quarters; a quarter with fewer answers than the
    minimum group is a gap in the line."""
    fig = Figure(figsize=(7.2, 3.8))
    ax = fig.subplots()
    any_point = False
    for i, (key, values) in enumerate(sorted(series.items())):
        points = [v.median for v in values]
        if any(p is not None for p in points):
            any_point = True
        ax.plot(list(periods), [p if p is not None else float("nan") for p in points],
                marker="o", markersize=3.5, linewidth=1.4, color=PALETTE[i % len(PALETTE)],
                label=key.upper())
    if not any_point:
        _empty(ax, _("Not enough answers yet: a median is shown from %(n)d organisations on.")
               % {"n": MIN_GROUP_SIZE})
    else:
        ax.set_ylim(0, 5.2)
        ax.set_ylabel(_("median maturity"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
        ax.grid(axis="y", color="#d9dee5", linewidth=0.6)
    ax.set_title(title, loc="left")
    return fig


def own_history_chart(periods: Sequence[str], series: dict[str, list[int | None]]) -> Figure:
    """An organisation's own scores per measure over its quarters."""
    fig = Figure(figsize=(7.2, 3.6))
    ax = fig.subplots()
    if not periods:
        _empty(ax, _("No assessments yet."))
        return fig
    for i, (key, values) in enumerate(sorted(series.items())):
        ax.plot(list(periods), [v if v is not None else float("nan") for v in values],
                marker="o", markersize=3.5, linewidth=1.4, color=PALETTE[i % len(PALETTE)],
                label=key.upper())
    ax.set_ylim(-0.2, 5.2)
    ax.set_ylabel(_("maturity"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    ax.grid(axis="y", color="#d9dee5", linewidth=0.6)
    return fig


def stacked_bars(categories: Sequence[str], series: dict[str, list[int]], *,
                 title: str, ylabel: str) -> Figure:
    """Counts per category (month), stacked by series (kind, priority)."""
    fig = Figure(figsize=(7.2, 3.6))
    ax = fig.subplots()
    bottoms = [0] * len(categories)
    total = 0
    for i, (name, values) in enumerate(series.items()):
        ax.bar(list(categories), values, bottom=bottoms, label=name,
               color=PALETTE[i % len(PALETTE)], width=0.65)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        total += sum(values)
    if total == 0:
        _empty(ax, _("Nothing to count in this period."))
    else:
        ax.set_ylabel(ylabel)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
        ax.grid(axis="y", color="#d9dee5", linewidth=0.6)
        ax.set_axisbelow(True)
    ax.set_title(title, loc="left")
    ax.tick_params(axis="x", labelrotation=45 if len(categories) > 6 else 0)
    return fig


def share_bars(labels: Sequence[str], shares: Sequence[float | None], *, title: str) -> Figure:
    """Shares (0-1) as horizontal bars; a missing share (a group under the minimum) is left
    out."""
    fig = Figure(figsize=(7.2, 0.9 + 0.32 * max(len(labels), 1)))
    ax = fig.subplots()
    positions = list(range(len(labels)))[::-1]
    for pos, value in zip(positions, shares, strict=True):
        if value is None:
            ax.text(0.01, pos, _("fewer than %(n)d answers") % {"n": MIN_GROUP_SIZE}, va="center",
                    fontsize=7,
                    color="#5a6472")
        else:
            ax.barh(pos, value * 100, color=BLUE, height=0.6)
            ax.text(value * 100 + 1, pos, f"{value * 100:.0f}%", va="center", fontsize=7)
    ax.set_yticks(positions, list(labels))
    ax.set_xlim(0, 105)
    ax.set_xlabel(_("share of organisations that adopted (%)"))
    ax.set_title(title, loc="left")
    return fig
