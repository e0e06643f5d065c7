"""客户抱怨分析报告 — the monthly complaint analysis report as a PDF: counts and KPIs, a Pareto chart by
category (bars and the cumulative share), a 12-month trend (received bars, closed line), the top open
issues and the improvement actions of the month. Numbers come from ``analysis_data``; every recorded
text goes through ``pdfkit`` (escaped), labels through the embedded font."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from closeloop.accounts.models import User
from closeloop.core import clock
from closeloop.reports import pdfkit
from closeloop.reports.analysis_data import MonthlyAnalysis, ParetoRow, TrendPoint
from closeloop.reports.fonts import FONT

LINE = colors.HexColor("#f59f00")
CHART_HEIGHT = 62 * mm


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _nice_max(value: int) -> int:
    """An axis top a little above ``value`` that divides into 5 round steps."""
    if value <= 5:
        return 5
    raw = value * 1.1 / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in (1, 2, 2.5, 5, 10) if s * magnitude >= raw)
    return math.ceil(step * 5)


def _bars(
    labels: list[str], values: list[int], width: float, *, angle: int = 0
) -> tuple[Drawing, VerticalBarChart, int]:
    d = Drawing(width, CHART_HEIGHT)
    bc = VerticalBarChart()
    bc.x, bc.y = 12 * mm, 16 * mm
    bc.width, bc.height = width - 30 * mm, CHART_HEIGHT - 27 * mm
    bc.data = [values]
    top = _nice_max(max(values, default=0))
    bc.valueAxis.valueMin, bc.valueAxis.valueMax, bc.valueAxis.valueStep = 0, top, top / 5
    bc.valueAxis.labels.fontName = FONT
    bc.valueAxis.labels.fontSize = 7
    bc.valueAxis.gridStrokeColor = pdfkit.RULE
    bc.valueAxis.visibleGrid = True
    bc.categoryAxis.categoryNames = labels
    bc.categoryAxis.labels.fontName = FONT
    bc.categoryAxis.labels.fontSize = 7
    if angle:
        bc.categoryAxis.labels.angle = angle
        bc.categoryAxis.labels.boxAnchor = "ne"
        bc.categoryAxis.labels.dy = -2
    bc.bars[0].fillColor = pdfkit.ACCENT
    bc.bars[0].strokeColor = None
    bc.barLabels.fontName = FONT
    bc.barLabels.fontSize = 7
    bc.barLabelFormat = "%d"
    bc.barLabels.nudge = 6
    d.add(bc)
    return d, bc, top


def _line(d: Drawing, bc: VerticalBarChart, shares: list[float], *, label: bool) -> None:
    """A line through the bar centres at ``shares`` (0–1) of the plot's height, with dots."""
    step = bc.width / max(len(shares), 1)
    points: list[float] = []
    for i, share in enumerate(shares):
        x, y = bc.x + step * (i + 0.5), bc.y + share * bc.height
        points += [x, y]
        d.add(Circle(x, y, 1.8, fillColor=LINE, strokeColor=None))
        if label:
            d.add(
                String(
                    x,
                    y + 4,
                    f"{share * 100:.0f}%",
                    fontName=FONT,
                    fontSize=6.5,
                    fillColor=LINE,
                    textAnchor="middle",
                )
            )
    if len(shares) > 1:
        d.add(PolyLine(points, strokeColor=LINE, strokeWidth=1.4))


def _legend(d: Drawing, items: list[tuple[Any, str, bool]]) -> None:
    """One row of legend entries above the plot, from its left edge."""
    x = 12 * mm
    y = d.height - 4 * mm
    for color, text, is_line in items:
        if is_line:
            d.add(Line(x, y + 2.5, x + 8, y + 2.5, strokeColor=color, strokeWidth=1.4))
        else:
            d.add(Rect(x, y, 8, 5, fillColor=color, strokeColor=None))
        d.add(String(x + 11, y, text, fontName=FONT, fontSize=7, fillColor=pdfkit.INK))
        x += 11 + stringWidth(text, FONT, 7) + 12


def pareto_chart(rows: list[ParetoRow], width: float) -> Drawing:
    """Bars: complaints per category, most frequent first; line: the cumulative share (right axis)."""
    d, bc, _top = _bars([r.label for r in rows], [r.count for r in rows], width, angle=25)
    _line(d, bc, [r.cumulative for r in rows], label=True)
    right = bc.x + bc.width
    d.add(Line(right, bc.y, right, bc.y + bc.height, strokeColor=pdfkit.MUTED, strokeWidth=0.5))
    for share in (0, 0.5, 1):
        y = bc.y + share * bc.height
        d.add(
            String(right + 3, y - 2, f"{share * 100:.0f}%", fontName=FONT, fontSize=7, fillColor=pdfkit.MUTED)
        )
    _legend(d, [(pdfkit.ACCENT, _("Complaints"), False), (LINE, _("Cumulative share"), True)])
    return d


def trend_chart(points: list[TrendPoint], width: float) -> Drawing:
    """Bars: complaints received per month; line: complaints closed per month (same scale)."""
    d, bc, top = _bars([f"{p.month:%Y-%m}" for p in points], [p.received for p in points], width, angle=25)
    _line(d, bc, [p.closed / top for p in points], label=False)
    _legend(d, [(pdfkit.ACCENT, _("Received"), False), (LINE, _("Closed"), True)])
    return d


def _kpi_table(a: MonthlyAnalysis, st: pdfkit.Styles) -> Table:
    k = a.kpis
    cells = [
        (_("Received"), str(k.received), _("complaints received in the month")),
        (_("Closed"), str(k.closed), _("complaints closed in the month")),
        (_("Open at month end"), str(k.open_at_end), _("received by the month's end, not closed by then")),
        (
            _("Timely-handling rate"),
            _pct(k.timely_rate),
            _("%(met)s of %(due)s deadlines due in the month met in time")
            % {"met": k.deadlines_met, "due": k.deadlines_due},
        ),
        (
            _("Average days to close"),
            _num(k.avg_days_to_close),
            _("from receipt, for complaints closed in the month"),
        ),
        (
            _("Satisfaction"),
            f"{_num(k.satisfaction_avg)} / 5",
            _("average of %(n)s customer scores recorded in the month") % {"n": k.satisfaction_count},
        ),
        (
            _("Repeat rate"),
            _pct(k.repeat_rate),
            _("%(n)s reopened, or the same customer and product within a year") % {"n": k.repeat_count},
        ),
        (
            _("Improvement actions"),
            f"{a.actions_opened} / {a.actions_verified}",
            _("opened / verified in the month"),
        ),
    ]
    big = ParagraphStyle("kpi", parent=st.title, fontSize=15, leading=19, spaceAfter=0)
    grid: list[list[Any]] = []
    for i in range(0, len(cells), 4):
        row = []
        for title, value, note in cells[i : i + 4]:
            row.append(
                [pdfkit.label(title, st.small), pdfkit.label(value, big), pdfkit.label(note, st.small)]
            )
        grid.append(row)
    t = Table(grid, colWidths=[pdfkit.WIDTH / 4] * 4)
    t.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.4, pdfkit.RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, pdfkit.RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return t


def _heading(text: str, st: pdfkit.Styles) -> Flowable:
    """A section heading that never ends a page on its own."""
    heading = pdfkit.label(text, st.h1)
    heading.keepWithNext = True
    return heading


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def analysis_pdf(a: MonthlyAnalysis, *, user: User) -> bytes:
    """The report for ``a`` in the active language; the header names who generated it and when."""
    st = pdfkit.styles()
    month = f"{a.month:%Y-%m}"
    report = _("Customer complaint analysis report")
    scope = f"{a.customer.code} {a.customer.name}" if a.customer else _("All customers I can see")
    generated = timezone.localtime(clock.now())
    story: list[Flowable] = [
        pdfkit.label(f"{report} · {month}", st.title),
        pdfkit.key_values(
            [
                (_("Month"), month),
                (_("Customer"), scope),
                (
                    _("Generated at"),
                    f"{date_format(generated, 'Y-m-d H:i')} ({timezone.get_current_timezone_name()})",
                ),
                (_("Generated by"), str(user)),
            ],
            st=st,
        ),
        _heading(_("Key figures"), st),
        _kpi_table(a, st),
        _heading(_("Complaints by category (Pareto)"), st),
    ]
    if a.pareto:
        story.append(pareto_chart(a.pareto, pdfkit.WIDTH))
        rows: list[list[Any]] = [[_("Category"), _("Complaints"), _("Cumulative share")]]
        rows += [[r.label, str(r.count), _pct(r.cumulative)] for r in a.pareto]
        story.append(
            pdfkit.table(rows, widths=[pdfkit.WIDTH * 0.6, pdfkit.WIDTH * 0.2, pdfkit.WIDTH * 0.2], st=st)
        )
    else:
        story.append(pdfkit.label(_("No complaints were received in the month."), st.body))
    story += [
        _heading(_("Trend over 12 months"), st),
        trend_chart(a.trend, pdfkit.WIDTH),
        _heading(_("Top open issues"), st),
    ]
    if a.top_open:
        rows = [
            [
                _("Number"),
                _("Customer"),
                _("Title"),
                _("Severity"),
                _("Where it stands"),
                _("Owner"),
                _("Days open"),
            ]
        ]
        rows += [
            [i.number, i.customer, i.title, i.severity, i.stage, i.owner, str(i.days_open)]
            for i in a.top_open
        ]
        w = pdfkit.WIDTH
        story.append(
            pdfkit.table(
                rows, widths=[w * 0.17, w * 0.14, w * 0.22, w * 0.1, w * 0.16, w * 0.11, w * 0.1], st=st
            )
        )
    else:
        story.append(pdfkit.label(_("No complaint is open."), st.body))
    story.append(_heading(_("Improvement actions"), st))
    if a.actions:
        rows = [
            [_("Complaint"), _("Kind"), _("Action"), _("Owner"), _("Due date"), _("Status"), _("Verified on")]
        ]
        rows += [
            [x.complaint, x.kind, x.title, x.owner, _day(x.due_date), x.status, _day(x.verified_on)]
            for x in a.actions
        ]
        w = pdfkit.WIDTH
        story.append(
            pdfkit.table(
                rows, widths=[w * 0.16, w * 0.13, w * 0.27, w * 0.11, w * 0.11, w * 0.1, w * 0.12], st=st
            )
        )
    else:
        story.append(
            pdfkit.label(
                _("No corrective or preventive action was opened or verified in the month."), st.body
            )
        )
    story += [
        Spacer(1, 4 * mm),
        pdfkit.label(
            _(
                "Timely-handling rate: deadlines due in the month (up to now) met by their due time. "
                "Repeat rate: complaints received in the month that were reopened, or whose customer "
                "complained about the same product in the year before. Open issues are those still open "
                "today, most severe first."
            ),
            st.small,
        ),
    ]
    return pdfkit.render(
        story,
        title=f"{report} {month}",
        header_left=f"Closeloop · {report}",
        header_right=f"{month} · {scope}",
    )


def analysis_filename(a: MonthlyAnalysis) -> str:
    suffix = f"-{a.customer.code}" if a.customer else ""
    return f"{_('complaint-analysis')}-{a.month:%Y-%m}{suffix}.pdf"
