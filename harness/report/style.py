"""How every figure of the report looks: size, fonts, colours, the users axis, PNG encoding.

Figures are drawn on ``matplotlib.figure.Figure`` with the Agg canvas attached explicitly, never
through ``pyplot``: rendering a report must not depend on (or change) the process's GUI backend,
e.g. inside a notebook kernel or on a CI machine without a display.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator

from harness.analysis import variant_color

WIDTH_IN = 9.0
"""Figure width in inches; at ``DISPLAY_DPI`` that is the page's 900 px column."""
DISPLAY_DPI = 100
PNG_DPI = 200  # twice the display density, so the embedded images stay sharp on high-DPI screens

_RC: dict[Any, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs on every machine
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "figure.titlesize": 14,
    "figure.titleweight": "bold",
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linestyle": "-",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
}


@contextmanager
def report_style() -> Iterator[None]:
    """Apply the report's rcParams for the figures created inside the block only."""
    with mpl.rc_context(_RC):
        yield


def new_figure(height_in: float, ncols: int = 1, nrows: int = 1, *, sharey: bool = False) -> tuple[Figure, list[Axes]]:
    """A ``WIDTH_IN`` wide figure with an Agg canvas and its axes, row by row."""
    figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DISPLAY_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.subplots(nrows, ncols, sharey=sharey, squeeze=False)
    return figure, [axes for row in grid for axes in row]


def color(variant: str) -> str:
    return variant_color(variant)


def users_axis(axes: Axes, users: Iterable[Any]) -> None:
    """Users on a log-2 axis when the levels span 4x or more, ticked at exactly the measured levels."""
    levels_axis(axes, users, "concurrent users")


def levels_axis(axes: Axes, values: Iterable[Any], label: str) -> None:
    """Whole-number levels (users, concurrency) on a log-2 axis when they span 4x or more, ticked at exactly the
    measured ones: a reader must not take a tick for a level that was measured."""
    levels = sorted({int(u) for u in values})
    if not levels:
        return
    if levels[0] > 0 and levels[-1] / levels[0] >= 4:
        axes.set_xscale("log", base=2)
        pad = 2**0.3
        axes.set_xlim(levels[0] / pad, levels[-1] * pad)
    axes.xaxis.set_major_locator(FixedLocator(levels))
    axes.xaxis.set_minor_locator(NullLocator())
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    axes.set_xlabel(label)


def log_ms_axis(axes: Axes, label: str = "latency (ms, log scale)") -> None:
    """A log latency axis labelled in plain milliseconds (``10``, ``100``) rather than powers of ten."""
    axes.set_yscale("log")
    # 1-2-5 ticks: latencies often span less than two decades, where powers of ten alone leave
    # one or two labels on the axis.
    axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_ylabel(label)


def from_zero(axes: Axes) -> None:
    """A linear y axis from 0, with head room so markers at the top are not cut off."""
    _bottom, top = axes.get_ylim()
    axes.set_ylim(0, top * 1.08 if top > 0 else 1)


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes at ``PNG_DPI``."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PNG_DPI, facecolor="white")
    return buffer.getvalue()
