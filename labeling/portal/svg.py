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

WIDTH = 1000
HEIGHT = 240
MARGIN_LEFT = 48
MARGIN_RIGHT = 14
MARGIN_TOP = 14
MARGIN_BOTTOM = 34
ACCENT = "#2357c6"
ACCENT_FILL = "#2357c633"
GRID = "#d9dee6"
BAR_ROW_HEIGHT = 22
BAR_LABEL_WIDTH = 180
MAX_LABEL_CHARS = 24


def _number(value: float) -> str:
    """A coordinate with at most one decimal (short, and never an exponent)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _tick(value: float) -> str:
    """An axis value as people read it: integers without decimals, others to two places."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


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


def _y_axis(parts: list[str], top_value: float, *, plot_height: int) -> None:
    """Three horizontal grid lines (0, half, top) with their values."""
    for share in (0.0, 0.5, 1.0):
        y = MARGIN_TOP + plot_height * (1 - share)
        parts.append(f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{_number(y)}" y2="{_number(y)}" '
                     f'stroke="{GRID}"/>')
        parts.append(f'<text x="{MARGIN_LEFT - 6}" y="{_number(y + 4)}" text-anchor="end">'
                     f"{escape(_tick(round(top_value * share, 2)))}</text>")


def histogram_svg(counts: Sequence[int], edges: Sequence[float], *, title: str, x_label: str = "") -> SafeString:
    """Vertical bars: ``counts[i]`` items fell in ``[edges[i], edges[i + 1])``
    (``len(edges) == len(counts) + 1``). Empty (all zero) gives a one-line "no data" chart."""
    if len(edges) != len(counts) + 1:
        raise ValueError("a histogram needs one more edge than counts")
    if not counts or max(counts) == 0:
        return _empty(title, "No data yet")
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = max(counts)
    bar_width = plot_width / len(counts)
    parts = _open(title, WIDTH, HEIGHT)
    _y_axis(parts, top, plot_height=plot_height)
    for index, count in enumerate(counts):
        height = plot_height * count / top
        x = MARGIN_LEFT + index * bar_width
        y = MARGIN_TOP + plot_height - height
        low, high = edges[index], edges[index + 1]
        tip = escape(f"{_tick(low)}–{_tick(high)}: {count}")
        parts.append(f'<rect x="{_number(x + 1)}" y="{_number(y)}" width="{_number(max(bar_width - 2, 1))}" '
                     f'height="{_number(height)}" fill="{ACCENT}"><title>{tip}</title></rect>')
    label_every = max(1, len(counts) // 5)
    for index in range(0, len(edges), label_every):
        x = MARGIN_LEFT + index * bar_width
        parts.append(f'<text x="{_number(x)}" y="{HEIGHT - MARGIN_BOTTOM + 14}" text-anchor="middle">'
                     f"{escape(_tick(edges[index]))}</text>")
    if x_label:
        parts.append(f'<text x="{MARGIN_LEFT + plot_width // 2}" y="{HEIGHT - 4}" text-anchor="middle">'
                     f"{escape(x_label)}</text>")
    parts.append("</svg>")
    return mark_safe("".join(parts))


def area_svg(points: Sequence[tuple[datetime, float]], *, title: str, y_label: str = "",
             y_max: float | None = None) -> SafeString:
    """A filled line over time: ``points`` are (time, value) in time order; ``y_max`` fixes the
    top of the scale (a job's total, so the line shows how close it is). Fewer than two points
    give a one-line "no data" chart."""
    if len(points) < 2:
        return _empty(title, "Not enough data yet")
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds() or 1.0  # all points at one instant: draw them at the left
    top = max(y_max or 0, max(value for _, value in points), 1)

    def xy(moment: datetime, value: float) -> tuple[str, str]:
        x = MARGIN_LEFT + plot_width * (moment - start).total_seconds() / span
        y = MARGIN_TOP + plot_height * (1 - value / top)
        return _number(x), _number(y)

    coordinates = [xy(moment, value) for moment, value in points]
    line = " ".join(f"{x},{y}" for x, y in coordinates)
    baseline = _number(MARGIN_TOP + plot_height)
    area = f"{coordinates[0][0]},{baseline} {line} {coordinates[-1][0]},{baseline}"
    parts = _open(title, WIDTH, HEIGHT)
    _y_axis(parts, top, plot_height=plot_height)
    parts.append(f'<polygon points="{area}" fill="{ACCENT_FILL}"/>')
    parts.append(f'<polyline points="{line}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for moment, anchor, x in ((start, "start", MARGIN_LEFT), (end, "end", WIDTH - MARGIN_RIGHT)):
        parts.append(f'<text x="{x}" y="{HEIGHT - MARGIN_BOTTOM + 14}" text-anchor="{anchor}">'
                     f"{escape(moment.strftime('%Y-%m-%d %H:%M UTC'))}</text>")
    if y_label:
        parts.append(f'<text x="{MARGIN_LEFT + plot_width // 2}" y="{HEIGHT - 4}" text-anchor="middle">'
                     f"{escape(y_label)}</text>")
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bar_svg(items: Sequence[tuple[str, float]], *, title: str, unit: str = "") -> SafeString:
    """Horizontal bars, one row per (label, value), in the order given; each label is escaped
    and cut to fit (its full text in the bar's tooltip). No rows give a "no data" chart."""
    if not items:
        return _empty(title, "No data yet")
    height = MARGIN_TOP + BAR_ROW_HEIGHT * len(items) + 8
    plot_width = WIDTH - BAR_LABEL_WIDTH - MARGIN_RIGHT - 60
    top = max(max(value for _, value in items), 1)
    parts = _open(title, WIDTH, height)
    for index, (label, value) in enumerate(items):
        y = MARGIN_TOP + index * BAR_ROW_HEIGHT
        length = plot_width * value / top
        shown = f"{_tick(value)}{(' ' + unit) if unit else ''}"
        parts.append(f'<text x="{BAR_LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(_short(label))}</text>')
        parts.append(f'<rect x="{BAR_LABEL_WIDTH}" y="{y + 3}" width="{_number(max(length, 1))}" '
                     f'height="{BAR_ROW_HEIGHT - 6}" fill="{ACCENT}"><title>{escape(label)}: {escape(shown)}</title>'
                     f"</rect>")
        parts.append(f'<text x="{_number(BAR_LABEL_WIDTH + max(length, 1) + 6)}" y="{y + 15}">{escape(shown)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
