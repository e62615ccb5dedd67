"""Small server-rendered charts: inline SVG strings for portal pages (no JavaScript, no CDN).

Every function returns a ``SafeString`` ready for a template. The safety contract: every piece
of text that reaches the SVG (titles, axis labels, bar labels — job names, label categories and
worker usernames are requester- or worker-controlled) goes through ``django.utils.html.escape``
here, and numbers are formatted by this module, so nothing a caller passes can open an element
or an attribute. Callers pass plain ``str``; passing markup gets it shown as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .words import count_noun

WIDTH = 1000
HEIGHT = 240
MARGIN_LEFT = 48
MARGIN_RIGHT = 14
MARGIN_TOP = 14
MARGIN_BOTTOM = 34
ACCENT = "#2357c6"
ACCENT_FILL = "#2357c633"
SECOND = (
    "#c45a00"  # a second series (machine labels against human ones), apart from ACCENT for colour-blind readers too
)
GRID = "#d9dee6"
BAR_ROW_HEIGHT = 22
BAR_LABEL_WIDTH = 180
MAX_LABEL_CHARS = 24


def _number(value: float) -> str:
    """A coordinate with at most one decimal (short, and never an exponent)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _tick(value: float) -> str:
    """An axis value as people read it: integers without decimals, others to at most two
    places ("0.2", "0.25")."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def _short(text: str) -> str:
    """A label cut to fit beside a bar (the full text stays in the element's ``<title>``)."""
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"


def _open(title: str, width: int, height: int) -> list[str]:
    safe_title = escape(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{safe_title}" style="max-width:{width}px">',
        f"<title>{safe_title}</title>",
    ]


def _empty(title: str, message: str, width: int = WIDTH, height: int = 60) -> SafeString:
    parts = _open(title, width, height)
    parts.append(f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle">{escape(message)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def count_scale(top_count: float) -> tuple[int, list[int]]:
    """The top of a count axis and its ticks, all whole numbers (a count of "12.50" answers
    means nothing): the top is the largest count (rounded up, at least 1), with a tick at half
    of it when half is whole too."""
    top = max(1, int(-(-top_count // 1)))
    return top, ([0, top // 2, top] if top % 2 == 0 and top > 2 else [0, top])


def _y_axis(parts: list[str], top_value: float, *, plot_height: int, ticks: Sequence[float] | None = None) -> None:
    """Horizontal grid lines with their values: at ``ticks`` (values on a scale up to
    ``top_value``), by default 0, half and top."""
    for value in ticks if ticks is not None else (0.0, top_value / 2, top_value):
        y = MARGIN_TOP + plot_height * (1 - value / top_value)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{_number(y)}" y2="{_number(y)}" '
            f'stroke="{GRID}"/>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{_number(y + 4)}" text-anchor="end">'
            f"{escape(_tick(round(value, 2)))}</text>"
        )


def histogram_svg(
    counts: Sequence[int],
    edges: Sequence[float],
    *,
    title: str,
    x_label: str = "",
    noun: str = "item",
    edge_labels: Sequence[str] | None = None,
    empty_message: str = "No data yet",
) -> SafeString:
    """Vertical bars: ``counts[i]`` items fell in ``[edges[i], edges[i + 1])``
    (``len(edges) == len(counts) + 1``), on a whole-number count axis; each bar's tooltip says
    "0.9–1: 6 objects" (``noun`` in the singular) and carries ``data-count``. ``edge_labels``
    replaces the numbers under the edges (such as "24 h ago" … "now"). Empty (all zero) gives a
    one-line ``empty_message`` chart."""
    if len(edges) != len(counts) + 1:
        raise ValueError("a histogram needs one more edge than counts")
    if edge_labels is not None and len(edge_labels) != len(edges):
        raise ValueError("one label per edge")
    if not counts or max(counts) == 0:
        return _empty(title, empty_message)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top, ticks = count_scale(max(counts))
    bar_width = plot_width / len(counts)
    parts = _open(title, WIDTH, HEIGHT)
    _y_axis(parts, top, plot_height=plot_height, ticks=ticks)
    for index, count in enumerate(counts):
        height = plot_height * count / top
        x = MARGIN_LEFT + index * bar_width
        y = MARGIN_TOP + plot_height - height
        low, high = edges[index], edges[index + 1]
        span = f"{edge_labels[index]} – {edge_labels[index + 1]}" if edge_labels else f"{_tick(low)}–{_tick(high)}"
        tip = escape(f"{span}: {count_noun(count, noun)}")
        parts.append(
            f'<rect data-count="{int(count)}" x="{_number(x + 1)}" y="{_number(y)}" '
            f'width="{_number(max(bar_width - 2, 1))}" height="{_number(height)}" fill="{ACCENT}">'
            f"<title>{tip}</title></rect>"
        )
    label_every = max(1, len(counts) // 5)
    for index in range(0, len(edges), label_every):
        x = MARGIN_LEFT + index * bar_width
        anchor = "end" if index == len(edges) - 1 and edge_labels else "middle"
        text = edge_labels[index] if edge_labels else _tick(edges[index])
        parts.append(
            f'<text x="{_number(x)}" y="{HEIGHT - MARGIN_BOTTOM + 14}" text-anchor="{anchor}">{escape(text)}</text>'
        )
    if x_label:
        parts.append(
            f'<text x="{MARGIN_LEFT + plot_width // 2}" y="{HEIGHT - 4}" text-anchor="middle">{escape(x_label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def area_svg(
    points: Sequence[tuple[datetime, float]],
    *,
    title: str,
    y_label: str = "",
    y_max: float | None = None,
    empty_message: str = "Not enough data yet",
) -> SafeString:
    """A filled line over time: ``points`` are (time, value) in time order; ``y_max`` fixes the
    top of the scale (a job's total, so the line shows how close it is). Fewer than two points
    give a one-line "no data" chart."""
    if len(points) < 2:
        return _empty(title, empty_message)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds() or 1.0  # all points at one instant: draw them at the left
    top, ticks = count_scale(max(y_max or 0, max(value for _, value in points), 1))

    def xy(moment: datetime, value: float) -> tuple[str, str]:
        x = MARGIN_LEFT + plot_width * (moment - start).total_seconds() / span
        y = MARGIN_TOP + plot_height * (1 - value / top)
        return _number(x), _number(y)

    coordinates = [xy(moment, value) for moment, value in points]
    line = " ".join(f"{x},{y}" for x, y in coordinates)
    baseline = _number(MARGIN_TOP + plot_height)
    area = f"{coordinates[0][0]},{baseline} {line} {coordinates[-1][0]},{baseline}"
    parts = _open(title, WIDTH, HEIGHT)
    _y_axis(parts, top, plot_height=plot_height, ticks=ticks)
    parts.append(f'<polygon points="{area}" fill="{ACCENT_FILL}"/>')
    parts.append(f'<polyline points="{line}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for moment, anchor, x in ((start, "start", MARGIN_LEFT), (end, "end", WIDTH - MARGIN_RIGHT)):
        parts.append(
            f'<text x="{x}" y="{HEIGHT - MARGIN_BOTTOM + 14}" text-anchor="{anchor}">'
            f"{escape(moment.strftime('%Y-%m-%d %H:%M UTC'))}</text>"
        )
    if y_label:
        parts.append(
            f'<text x="{MARGIN_LEFT + plot_width // 2}" y="{HEIGHT - 4}" text-anchor="middle">{escape(y_label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bar_svg(
    items: Sequence[tuple[str, float]], *, title: str, noun: str = "", empty_message: str = "No data yet"
) -> SafeString:
    """Horizontal bars, one row per (label, value), in the order given, each value shown with
    ``noun`` in the right number ("1 object", "3 objects") and carried in ``data-count``; each
    label is escaped and cut to fit (its full text in the bar's tooltip). No rows give a
    one-line ``empty_message`` chart."""
    if not items:
        return _empty(title, empty_message)
    height = MARGIN_TOP + BAR_ROW_HEIGHT * len(items) + 8
    plot_width = WIDTH - BAR_LABEL_WIDTH - MARGIN_RIGHT - 60
    top = max(max(value for _, value in items), 1)
    parts = _open(title, WIDTH, height)
    for index, (label, value) in enumerate(items):
        y = MARGIN_TOP + index * BAR_ROW_HEIGHT
        length = plot_width * value / top
        shown = count_noun(value, noun) if noun else _tick(value)
        parts.append(f'<text x="{BAR_LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(_short(label))}</text>')
        parts.append(
            f'<rect data-label="{escape(label)}" data-count="{_tick(value)}" x="{BAR_LABEL_WIDTH}" '
            f'y="{y + 3}" width="{_number(max(length, 1))}" '
            f'height="{BAR_ROW_HEIGHT - 6}" fill="{ACCENT}"><title>{escape(label)}: {escape(shown)}</title>'
            f"</rect>"
        )
        parts.append(f'<text x="{_number(BAR_LABEL_WIDTH + max(length, 1) + 6)}" y="{y + 15}">{escape(shown)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def lines_svg(
    series: Sequence[tuple[str, str, Sequence[tuple[datetime, float]]]],
    *,
    title: str,
    y_label: str = "",
    y_max: float | None = None,
    empty_message: str = "Not enough data yet",
) -> SafeString:
    """Several lines over one time axis: ``series`` are (name, colour, points in time order),
    drawn as step lines (a count holds until the next point) with a legend naming each; the
    second series is dashed, so the lines differ without colour. Fewer than two points in all
    give a one-line ``empty_message`` chart."""
    moments = sorted(moment for _, _, points in series for moment, _ in points)
    if len(moments) < 2:
        return _empty(title, empty_message)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM - 16  # room for the legend
    top_y = MARGIN_TOP + 16
    start, end = moments[0], moments[-1]
    span = (end - start).total_seconds() or 1.0
    highest = max((value for _, _, points in series for _, value in points), default=0)
    top, ticks = count_scale(max(y_max or 0, highest, 1))
    parts = _open(title, WIDTH, HEIGHT)
    for tick in ticks:
        y = _number(top_y + plot_height * (1 - tick / top))
        parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y}" stroke="{GRID}"/>')
        parts.append(f'<text x="{MARGIN_LEFT - 6}" y="{y}" text-anchor="end" dy="4">{_tick(tick)}</text>')
    for index, (name, colour, points) in enumerate(series):
        legend_x = MARGIN_LEFT + index * 260
        dash = ' stroke-dasharray="8 4"' if index % 2 else ""
        parts.append(
            f'<line x1="{legend_x}" y1="{MARGIN_TOP}" x2="{legend_x + 28}" y2="{MARGIN_TOP}" stroke="{colour}" '
            f'stroke-width="3"{dash}/>'
        )
        parts.append(f'<text x="{legend_x + 34}" y="{MARGIN_TOP + 4}">{escape(name)}</text>')
        if not points:
            continue
        coordinates: list[str] = []
        previous_y = None
        for moment, value in points:
            x = _number(MARGIN_LEFT + plot_width * (moment - start).total_seconds() / span)
            y = _number(top_y + plot_height * (1 - value / top))
            if previous_y is not None:
                coordinates.append(f"{x},{previous_y}")
            coordinates.append(f"{x},{y}")
            previous_y = y
        coordinates.append(f"{WIDTH - MARGIN_RIGHT},{previous_y}")
        parts.append(
            f'<polyline data-series="{escape(name)}" points="{" ".join(coordinates)}" fill="none" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
    for moment, anchor, label_x in ((start, "start", MARGIN_LEFT), (end, "end", WIDTH - MARGIN_RIGHT)):
        parts.append(
            f'<text x="{label_x}" y="{HEIGHT - MARGIN_BOTTOM + 14}" text-anchor="{anchor}">'
            f"{escape(moment.strftime('%Y-%m-%d %H:%M UTC'))}</text>"
        )
    if y_label:
        parts.append(
            f'<text x="{MARGIN_LEFT + plot_width // 2}" y="{HEIGHT - 4}" text-anchor="middle">{escape(y_label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
