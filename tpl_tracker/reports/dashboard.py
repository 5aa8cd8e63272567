"""The outcome dashboard's sections (/reports/wub): the stored figures of a date and the trend, each with its
charts, rendered once per digest of everything they show and kept (kept.py)."""

from flask import render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import formatting
from ..models import Grouping
from ..services.metric import GROUP_BYS
from ..services.outcome_dashboard import TREND_POINTS
from ..services.regions import region_name
from . import bp, charts
from .kept import kept, snapshot_values

TABLE_IDS = {group_by: f"wub-{group_by.replace('_', '-')}-table" for group_by in GROUP_BYS}
TREND_TABLE_ID = "wub-trend-table"
SECTION_TITLES = {
    "angkatan": _l("By angkatan"),
    "province": _l("By province of the last placement"),
    "exit_year": _l("By exit year"),
    "polytechnic": _l("By home polytechnic"),
}
CHART_TITLES = {
    "angkatan": _l("WUB rate by angkatan, with the %(level)s interval", level="95%"),
    "province": _l("WUB rate by province of the last placement, with the %(level)s interval", level="95%"),
    "exit_year": _l("WUB rate by exit year, with the %(level)s interval", level="95%"),
    "polytechnic": _l("WUB rate by home polytechnic, with the %(level)s interval", level="95%"),
}


@bp.app_template_global()
def group_label(group_by: str, key: str) -> str:
    """How a group of the WUB figures is named on a page: a province by its code and name."""
    if group_by == "total":
        return str(Grouping.TOTAL.label)
    if group_by == "province":
        return f"{key} {region_name(key)}"
    return key


def _breakdown_charts(figures, shown: list[str]) -> dict:
    """The SVG chart of each breakdown shown: its groups' rates with their intervals."""
    return {
        group_by: charts.breakdown_chart(
            rows, [group_label(group_by, row.key) for row in rows], TABLE_IDS[group_by], str(CHART_TITLES[group_by])
        )
        for group_by in shown
        if (rows := figures.breakdowns[group_by])
    }


def _trend_charts(trend_rows) -> dict:
    """The SVG charts of the national row over the stored dates: the rate with its intervals, alumni and WUB."""
    if not trend_rows:
        return {}
    dates = [f"{row.as_of:%d/%m/%Y}" for row in trend_rows]  # short: 24 of them side by side
    return {
        "trend_rate": charts.trend_rate_chart(
            trend_rows,
            dates,
            TREND_TABLE_ID,
            _("National WUB rate over the stored dates, with the %(level)s interval", level="95%"),
        ),
        "trend_alumni": charts.trend_alumni_chart(
            trend_rows, dates, TREND_TABLE_ID, _("Alumni and WUB over the stored dates")
        ),
    }


def _reader_state() -> tuple:
    """What a kept fragment depends on besides its rows: the reader's language and time zone, the app's address."""
    return (
        str(get_locale()),
        str(formatting.reader_zone()),
        request.script_root,
    )


def trend_html(trend_rows, group_by: str):
    """The trend section (two charts and their table), rendered once per digest of what it shows, then kept."""
    if not trend_rows:
        return ""

    def render():
        return render_template(
            "reports/_trend.html",
            trend=trend_rows,
            group_by=group_by,
            trend_points=TREND_POINTS,
            charts=_trend_charts(trend_rows),
            trend_table_id=TREND_TABLE_ID,
        )

    return kept("wub-trend", (*_reader_state(), group_by, snapshot_values(trend_rows)), render)


def figures_html(figures, group_by: str, shown: list[str]):
    """The headline and breakdowns of a date's stored figures, rendered once per digest of everything they show
    (rows, language, reader's time zone, links) and then kept: a few hundred cells of formatted numbers and four
    charts cost more than the rest of the page."""

    def render():
        return render_template(
            "reports/_figures.html",
            figures=figures,
            as_of=figures.as_of,
            shown=shown,
            charts=_breakdown_charts(figures, shown),
            table_ids=TABLE_IDS,
            section_titles=SECTION_TITLES,
        )

    rows = [figures.total] if figures.total is not None else []
    rows += [row for group_by_shown in shown for row in figures.breakdowns[group_by_shown]]
    return kept(
        "wub-figures",
        (*_reader_state(), figures.live, figures.as_of, group_by, tuple(shown), snapshot_values(rows)),
        render,
    )
