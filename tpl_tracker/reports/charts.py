"""The outcome dashboard's charts: pygal SVG rendered on the server and put inline in the page.

Nothing leaves the app: no pygal JS (`js=[]`) and no script at all (pygal's inline config script is removed), no
CDN, no inline style (the CSP allows neither): the chart's stylesheet is static/charts.css, written from pygal's
own CSS by `stylesheet()` (a test keeps the two equal). The style is monochrome, so a chart prints in black and
white; each chart names the table that holds its figures (aria-describedby), its text alternative.
"""

import html
import math
import re
import sys
import xml.etree.ElementTree as ET

import pygal
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from pygal.style import Style

from .. import formatting
from .kept import kept

# pygal appends to sys.meta_path a finder for its map plugins (pygal.maps.*, unused here) that has no find_spec():
# Python 3.11 warns (ImportWarning) on every import that fails after it, such as the probes of werkzeug's
# import_string. Without it nothing changes for pygal's charts.
sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, pygal.PluginImportFixer)]

CHART_CLASS = "pygal-chart"
# Greys and black: bars filled grey with black whiskers; the first line grey, the second dark and dashed.
MONOCHROME = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#212529",
    foreground_strong="#000000",
    foreground_subtle="#6c757d",
    opacity="1",
    opacity_hover="1",
    stroke_opacity="1",
    stroke_opacity_hover="1",
    stroke_width="2",
    guide_stroke_color="#adb5bd",
    major_guide_stroke_color="#6c757d",
    colors=("#6c757d", "#212529", "#adb5bd"),
    ci_colors=("#000000", "#000000", "#000000"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=14,
    value_label_font_size=14,
    title_font_size=14,
    legend_font_size=14,
    tooltip_font_size=14,
    no_data_font_size=16,
)
COMMON = {
    "style": MONOCHROME,
    "js": [],
    "css": ["file://base.css", "file://style.css", "file://graph.css"],
    "disable_xml_declaration": True,
    "show_legend": False,
    "truncate_label": -1,
    "margin": 8,
    "margin_right": 32,  # the last axis label (100,0%) is centred on the plot's right edge: keep it inside the image
    "spacing": 8,
}
ROW_HEIGHT = 28  # pixels per group of a breakdown chart (a bar and its label)
SVG = "{http://www.w3.org/2000/svg}"
ATTRIBUTE = re.compile(r'="[^"]*"')
LONG_DECIMAL = re.compile(r"(\d\.\d\d)\d+")


def _percent(value) -> str:
    return formatting.percent(value)


def _number(value) -> str:
    return formatting.number(value)


def _clean(root: ET.Element) -> ET.Element:
    """Leave only the drawing: no script (pygal's config), no style element or attribute (static/charts.css has
    the styles; the CSP refuses inline ones), no tooltip nor the values kept for it (it needs pygal's JS), no
    comments (pygal's site)."""
    for parent in root.iter():
        for child in list(parent):
            unwanted = child.tag is ET.Comment or child.tag in (
                "script",
                "style",
                "desc",
                f"{SVG}script",
                f"{SVG}style",
            )
            if unwanted or "tooltip-overlay" in child.get("class", ""):
                parent.remove(child)
        parent.attrib.pop("style", None)
    return root


def _kept(kind: str, rows, labels: list[str], description_id: str, label: str, render) -> Markup:
    """A chart drawn once for its figures and words (pygal takes tens of milliseconds a chart), then kept."""
    shown = [(row.alumni, row.wub, row.wub_rate, row.ci_low, row.ci_high) for row in rows]
    return kept(kind, (str(get_locale()), shown, labels, description_id, label), render)


def _svg(chart, description_id: str, label: str) -> Markup:
    """The chart as inline SVG: an image named by `label`, described by the element `description_id` (its table)."""

    def accessible(root: ET.Element) -> ET.Element:
        root.set("role", "img")
        root.set("aria-label", label)
        root.set("aria-describedby", description_id)
        root.set("focusable", "false")
        title = root.find("title")
        if title is not None:
            title.text = label
        return _clean(root)

    chart.add_xml_filter(accessible)
    svg = chart.render(is_unicode=True)
    # pygal names each chart by a random id: the page needs none (the stylesheet goes by class).
    svg = re.sub(r' id="chart-[0-9a-f-]+"', "", svg, count=1)
    # Coordinates to a hundredth of a pixel (pygal writes up to 16 decimals): a fifth of the charts' bytes less.
    return Markup(ATTRIBUTE.sub(lambda value: LONG_DECIMAL.sub(r"\1", value.group(0)), svg))


def rate_with_interval(row) -> dict | None:
    """A WUB rate as a pygal value with its 95% interval as whiskers (None when the group has no rate)."""
    if row.wub_rate is None:
        return None
    value = {
        "value": row.wub_rate,
        "label": _("95%% interval %(low)s – %(high)s", low=_percent(row.ci_low), high=_percent(row.ci_high)),
    }
    if row.ci_low is not None and row.ci_high is not None:
        value["ci"] = {"low": row.ci_low, "high": row.ci_high}
    return value


def _draw_breakdown(rows, labels: list[str], description_id: str, label: str) -> Markup:
    """A breakdown's WUB rates as horizontal bars, one per group, each with its interval, in the table's order from
    the top (pygal draws the first bar at the bottom)."""
    chart = pygal.HorizontalBar(
        **COMMON,
        width=720,
        height=60 + ROW_HEIGHT * max(len(rows), 1),
        range=(0, 1),
        value_formatter=_percent,
        x_labels=list(reversed(labels)),
    )
    chart.add(_("WUB rate"), [rate_with_interval(row) for row in reversed(rows)])
    return _svg(chart, description_id, label)


def _draw_trend_rate(rows, labels: list[str], description_id: str, label: str) -> Markup:
    """The national WUB rate over the stored as-of dates, a point each with its interval."""
    chart = pygal.Line(
        **COMMON,
        width=720,
        height=280,
        range=(0, 1),
        value_formatter=_percent,
        x_labels=labels,
        x_label_rotation=-30,
    )
    chart.add(_("WUB rate"), [rate_with_interval(row) for row in rows])
    return _svg(chart, description_id, label)


def _draw_trend_alumni(rows, labels: list[str], description_id: str, label: str) -> Markup:
    """The number of alumni (and of WUB among them) over the stored as-of dates, on an axis of whole numbers."""
    highest = max((row.alumni for row in rows), default=0)
    step = max(1, math.ceil(highest / 8))
    chart = pygal.Line(
        **{**COMMON, "show_legend": True, "legend_at_bottom": True},
        width=720,
        height=280,
        value_formatter=_number,
        x_labels=labels,
        x_label_rotation=-30,
        y_labels=list(range(0, highest + step + 1, step)),
    )
    chart.add(_("Alumni"), [row.alumni for row in rows])
    chart.add("WUB", [row.wub for row in rows])
    return _svg(chart, description_id, label)


def breakdown_chart(rows, labels: list[str], description_id: str, label: str) -> Markup:
    """A breakdown's WUB rates as horizontal bars with their intervals (kept once drawn)."""
    return _kept(
        "breakdown", rows, labels, description_id, label, lambda: _draw_breakdown(rows, labels, description_id, label)
    )


def trend_rate_chart(rows, labels: list[str], description_id: str, label: str) -> Markup:
    """The national WUB rate over the stored as-of dates with their intervals (kept once drawn)."""
    return _kept(
        "trend_rate", rows, labels, description_id, label, lambda: _draw_trend_rate(rows, labels, description_id, label)
    )


def trend_alumni_chart(rows, labels: list[str], description_id: str, label: str) -> Markup:
    """The alumni and WUB over the stored as-of dates (kept once drawn)."""
    return _kept(
        "trend_alumni",
        rows,
        labels,
        description_id,
        label,
        lambda: _draw_trend_alumni(rows, labels, description_id, label),
    )


def stylesheet() -> str:
    """The CSS of every chart (static/charts.css): pygal's own, for the monochrome style, scoped by class to the
    charts (pygal scopes it by a chart's id), with the whiskers drawn black and the second line dashed."""
    chart = pygal.Line(**COMMON)
    for _color in MONOCHROME.colors:  # a series for each colour, so that each colour's rules are written
        chart.add("", [1])
    svg = chart.render(is_unicode=True)
    uid = re.search(r' id="chart-([0-9a-f-]+)"', svg).group(1)
    css = html.unescape(re.search(r"<style[^>]*>(.*?)</style>", svg, re.S).group(1))  # written escaped as XML
    css = css.replace(f"#chart-{uid}", f".{CHART_CLASS}")
    extra = (
        f".{CHART_CLASS}{{max-width:100%;height:auto;display:block}}"
        # On a phone a chart keeps a readable size and scrolls sideways in its box, as the tables do.
        f".chart-scroll{{overflow-x:auto}}.chart-scroll .{CHART_CLASS}{{min-width:540px}}"
        f".{CHART_CLASS} .ci path{{stroke:#000;stroke-width:2px}}"
        f".{CHART_CLASS} .series.serie-1 .line{{stroke-dasharray:6,4}}"
        f".{CHART_CLASS} .series .dot{{stroke:#000}}"
        f".{CHART_CLASS} .tooltip,.{CHART_CLASS} desc{{display:none}}"
    )
    return (
        "/* Written by tpl_tracker.reports.charts.stylesheet() from pygal's CSS: do not edit by hand. */\n"
        + css
        + "\n"
        + extra
        + "\n"
    )
