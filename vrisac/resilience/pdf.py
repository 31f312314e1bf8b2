"""PDF documents with fpdf2: the quarterly report, the NIS2 export for the CSIRT and the
incident picture briefing.

fpdf2 is pure Python and installs from the package registry alone (no system libraries such
as Cairo or Pango). Text is set in DejaVu Sans, the font matplotlib ships, so every Dutch
character, and most others, prints; a character the font lacks is left out rather than
failing the document. Charts are the same matplotlib figures as on the pages, embedded as
vector SVG. Every page carries the TLP label at the top and the bottom, as TLP 2.0 asks of
documents.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from vrisac.sharing.policy import MIN_GROUP_SIZE

from . import charts, nis2

logging.getLogger("fpdf").setLevel(logging.ERROR)  # missing glyphs are expected, not news

TLP_COLOURS = {
    "TLP:RED": (255, 43, 43),
    "TLP:AMBER": (255, 192, 0),
    "TLP:AMBER+STRICT": (255, 192, 0),
    "TLP:GREEN": (51, 255, 0),
    "TLP:CLEAR": (255, 255, 255),
}
NAVY = (11, 37, 69)
MUTED = (90, 100, 114)
LINE = (217, 222, 229)


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def when(moment: datetime | None) -> str:
    """A moment as Amsterdam sees it, with its offset (``28-03-2026 10:00 (+01:00)``)."""
    if moment is None:
        return "–"
    local = nis2.local(moment)
    offset = local.strftime("%z")
    return f"{local:%d-%m-%Y %H:%M} ({offset[:3]}:{offset[3:]})"


class Document(FPDF):
    """An A4 document of VR-ISAC under one TLP label."""

    def __init__(self, *, title: str, tlp: str, subtitle: str = "") -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc_title = title
        self.tlp = tlp
        self.set_margins(18, 20, 18)
        self.set_auto_page_break(True, margin=20)
        fonts = _font_dir()
        self.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self.add_font("DejaVu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
        self.set_title(title)
        self.set_author("VR-ISAC")
        self.set_creator("VR-ISAC")
        self.set_creation_date(timezone.now())
        self.add_page()
        self.set_font("DejaVu", "B", 18)
        self.set_text_color(*NAVY)
        self.multi_cell(0, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.set_font("DejaVu", "", 11)
            self.set_text_color(*MUTED)
            self.multi_cell(0, 6, subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)
        self.body_style()

    # -- page furniture --

    def _label(self, y: float) -> None:
        self.set_font("DejaVu", "B", 8)
        width = self.get_string_width(self.tlp) + 4
        self.set_xy(self.w - self.r_margin - width, y)
        self.set_fill_color(0, 0, 0)
        self.set_text_color(*TLP_COLOURS.get(self.tlp, (255, 255, 255)))
        self.cell(width, 5, self.tlp, fill=True, align="C")

    def header(self) -> None:
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*MUTED)
        self.set_xy(self.l_margin, 8)
        self.cell(0, 5, f"VR-ISAC · {self.doc_title}"[:110])
        self._label(8)
        self.set_xy(self.l_margin, 20)
        self.body_style()

    def footer(self) -> None:
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*MUTED)
        self.set_xy(self.l_margin, -12)
        self.cell(0, 5, _("Page %(n)s of %(total)s") % {"n": self.page_no(),
                                                          "total": "{nb}"})
        self._label(self.h - 12)

    # -- content --

    def body_style(self) -> None:
        self.set_font("DejaVu", "", 10)
        self.set_text_color(27, 31, 36)

    def h2(self, text: str) -> None:
        # A heading never ends a page: keep room for what follows it (a chart, a table).
        if self.get_y() > self.h - 100:
            self.add_page()
        self.ln(3)
        self.set_font("DejaVu", "B", 13)
        self.set_text_color(*NAVY)
        self.multi_cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
        self.body_style()

    def h3(self, text: str) -> None:
        self.set_font("DejaVu", "B", 10.5)
        self.set_text_color(*NAVY)
        self.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.body_style()

    def para(self, text: str, *, muted: bool = False, size: float = 10) -> None:
        self.set_font("DejaVu", "", size)
        if muted:
            self.set_text_color(*MUTED)
        self.multi_cell(0, 5, text or "–", new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                        wrapmode=_wrap(text))
        self.ln(1.5)
        self.body_style()

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        label_width = 55
        for label, value in rows:
            if self.get_y() > self.h - 30:
                self.add_page()
            y = self.get_y()
            self.set_font("DejaVu", "B", 9)
            self.set_text_color(*MUTED)
            self.multi_cell(label_width, 5, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            label_bottom = self.get_y()
            page = self.page
            self.set_xy(self.l_margin + label_width, y)
            self.body_style()
            self.multi_cell(0, 5, value or "–", new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                            wrapmode=_wrap(value))
            if self.page == page:
                self.set_y(max(self.get_y(), label_bottom))
            self.ln(0.8)
        self.ln(1)

    def data_table(self, headings: Sequence[str], rows: Sequence[Sequence[str]],
              widths: Sequence[float] | None = None) -> None:
        self.set_font("DejaVu", "", 8.5)
        self.set_draw_color(*LINE)
        with self.table(col_widths=tuple(widths) if widths else None,
                        headings_style=_heading_style(), line_height=5,
                        text_align="LEFT", first_row_as_headings=True) as table:
            row = table.row()
            for heading in headings:
                row.cell(heading)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(value)
        self.ln(2)
        self.body_style()

    def chart(self, figure: Any, *, width: float = 170) -> None:
        svg = charts.render(figure, "svg")
        if self.get_y() > self.h - 95:
            self.add_page()
        self.image(io.BytesIO(svg), w=width)
        self.ln(2)

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def _heading_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", color=NAVY, fill_color=(240, 242, 245))


def _wrap(text: str | None) -> WrapMode:
    """Break inside words only where a word is too long for a line (a hash, a URL)."""
    long_word = any(len(word) > 60 for word in (text or "").split())
    return WrapMode.CHAR if long_word else WrapMode.WORD


# ---- the documents ----


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def quarterly_report(picture: Any) -> bytes:
    """"Digitale weerbaarheid veiligheidsregio's": the strategic picture of one quarter."""
    period = picture.period
    doc = Document(
        title=_("Digital resilience of the safety regions"),
        subtitle=_("Quarterly report %(period)s · VR-ISAC for the Veiligheidsberaad and the "
                   "Programmaoverleg Informatievoorziening · made %(made)s")
        % {"period": period.label, "made": when(timezone.now())},
        tlp="TLP:AMBER",
    )
    doc.para(_("Aggregates only: no report contents and no organisation is named. A "
               "distribution is shown from %(n)d organisations on; minimum and maximum are "
               "never shown.") % {"n": MIN_GROUP_SIZE}, muted=True, size=9)

    doc.h2(_("Shared reports by kind and month"))
    doc.chart(charts.stacked_bars(picture.months, {label: values for _k, label, values
                                                   in picture.kinds},
                                  title=_("Reports shared per month"), ylabel=_("reports")))
    doc.data_table([_("Kind"), *picture.months[-3:], _("12 months")],
                   [[label, *[str(v) for v in values[-3:]], str(sum(values))]
                    for _k, label, values in picture.kinds],
                   widths=(40, 25, 25, 25, 25))

    doc.h2(_("Warnings"))
    warnings_pdf(doc, picture.warnings)

    doc.h2(_("Maturity per NIS2 measure"))
    doc.para(_("%(n)d organisations submitted a self-assessment for %(period)s.")
             % {"n": picture.respondents, "period": period.label})
    doc.data_table(
        [_("Measure"), _("Answers"), _("Lower quartile"), _("Median"), _("Upper quartile")],
        [[f"{m.key}. {m.title}", str(d.n), _fmt(d.q1), _fmt(d.median), _fmt(d.q3)]
         for m, d in picture.current],
        widths=(94, 17, 20, 17, 20))
    doc.chart(charts.trend_chart([p.label for p in picture.quarters], picture.maturity,
                                 title=_("Median maturity per measure over the quarters")))

    doc.h2(_("Adoption of advice per measure"))
    doc.chart(charts.share_bars([m.key.upper() for m, _s in picture.adoption],
                                [s.share for _m, s in picture.adoption],
                                title=_("Share of answers saying \"adopted\"")))

    doc.h2(_("Significant incidents (NIS2)"))
    n = picture.nis2
    doc.facts([
        (_("Significant incidents this quarter"), str(n.incidents)),
        (_("Reports submitted on time"), str(n.on_time)),
        (_("Reports submitted late"), str(n.late)),
        (_("Reports overdue"), str(n.overdue)),
        (_("Reports still open"), str(n.open)),
    ])
    return doc.output_bytes()


def warnings_pdf(doc: Document, section: Any) -> None:
    """The warnings part of the quarterly report, from ``strategic.warnings_section``."""
    if not section.available:
        doc.para(_("The warnings figures are not available."), muted=True)
        return
    doc.facts([
        (_("Open kritiek warnings, all regions"),
         "–" if section.open_kritiek is None else str(section.open_kritiek)),
        (_("Median time to acknowledge"), section.median_to_acknowledge),
        (_("By priority"), ", ".join(f"{k}: {v}" for k, v in section.by_priority) or "–"),
        (_("By state"), ", ".join(f"{k}: {v}" for k, v in section.by_state) or "–"),
    ])
    if section.months:
        doc.chart(charts.stacked_bars(section.months, section.monthly,
                                      title=_("Warnings per month"), ylabel=_("warnings")))


def nis2_export(incident: Any, infos: Sequence[Any]) -> bytes:
    """The NIS2 reporting of one incident, to send to the CSIRT."""
    report = incident.report
    doc = Document(
        title=_("NIS2 reporting of a significant incident"),
        subtitle=f"{incident.organisation.name} · {report.title}",
        tlp=report.tlp,
    )
    doc.facts([
        (_("Entity"), incident.organisation.name),
        (_("Incident report"), report.title),
        (_("Became aware at"), when(incident.aware_at)),
        (_("Handling ended at"), when(incident.handled_at) if incident.handled_at
         else _("ongoing")),
        (_("Reference of the CSIRT"), incident.csirt_reference or "–"),
    ])
    for info in infos:
        doc.h2(info.label)
        facts = [
            (_("Due"), when(info.due) if info.due else _("not yet determined")),
            (_("Status"), str(nis2.STATUS_LABELS[info.status])),
            (_("Submitted at"), when(info.row.submitted_at)),
        ]
        if info.row.requested_at:
            facts.append((_("Requested at"), when(info.row.requested_at)))
        doc.facts(facts)
        if info.row.progress_submitted_at:
            doc.h3(f"{nis2.PROGRESS_LABEL} · {when(info.row.progress_submitted_at)}")
            doc.facts(info.progress_fields)
        if info.fields:
            doc.facts(info.fields)
    return doc.output_bytes()



def picture_briefing(picture: Any, updates: Sequence[tuple[Any, bool]]) -> bytes:
    """The incident picture as a briefing for a crisis team."""
    report = picture.report
    doc = Document(
        title=_("Incident picture: %(title)s") % {"title": report.title},
        subtitle=_("Briefing made %(made)s") % {"made": when(timezone.now())},
        tlp=report.tlp,
    )
    doc.facts([
        (_("Status"), picture.get_state_display()),
        (_("Picture updated"), when(picture.summary_updated_at)),
    ])
    doc.h2(_("Current picture"))
    doc.para(picture.summary or _("No picture written yet."))
    doc.h2(_("Timeline"))
    if not updates:
        doc.para(_("No updates yet."), muted=True)
    for update, show_author in updates:
        who = f" · {update.organisation.name}" if show_author else ""
        doc.h3(f"{when(update.at)}{who}")
        doc.facts([(str(label), text) for label, text in update.sections()])
    return doc.output_bytes()
