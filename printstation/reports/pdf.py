"""The look of the office's filed documents: letterhead, ruled tables, signatures, A4.

Every report PDF is built from these pieces so the destruction record, the posting and
the reconciliation read as one office's papers: the agency letterhead over a double
rule, a centred title, ruled tables, a place-and-date line over signature blocks with
blank name and NIP lines, and on every page "Halaman X dari N" with the time printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from printstation.config import OfficeConfig

MARGIN_X = 20 * mm
MARGIN_TOP = 15 * mm
MARGIN_BOTTOM = 20 * mm
#: The text width: the page less its margins and the frame's own 6 pt padding each side.
WIDTH = A4[0] - 2 * MARGIN_X - 12
AGENCY = "Dinas Kependudukan dan Pencatatan Sipil"
HEADER_GREY = colors.HexColor("#e6e6e6")
#: What needs a reader's attention: a discrepancy, a missing blank.
ALERT_HEX = "#c00000"
ALERT = colors.HexColor(ALERT_HEX)

_BASE = ParagraphStyle("base", fontName="Times-Roman", fontSize=11, leading=14)
STYLES = {
    "body": ParagraphStyle("body", parent=_BASE, alignment=TA_JUSTIFY, spaceAfter=6),
    "title": ParagraphStyle(
        "title", parent=_BASE, fontName="Times-Bold", fontSize=13, leading=17, alignment=TA_CENTER
    ),
    "subtitle": ParagraphStyle("subtitle", parent=_BASE, alignment=TA_CENTER),
    "english": ParagraphStyle(
        "english", parent=_BASE, fontName="Times-Italic", fontSize=9, leading=11
    ),
    "cell": ParagraphStyle("cell", parent=_BASE, fontSize=10, leading=12),
    "cell_bold": ParagraphStyle("cell_bold", parent=_BASE, fontName="Times-Bold", fontSize=10),
    "cell_right": ParagraphStyle(
        "cell_right", parent=_BASE, fontSize=10, leading=12, alignment=TA_RIGHT
    ),
    "alert": ParagraphStyle(
        "alert", parent=_BASE, fontName="Times-Bold", textColor=ALERT, spaceAfter=4
    ),
    "heading": ParagraphStyle(
        "heading", parent=_BASE, fontName="Times-Bold", spaceBefore=8, spaceAfter=4
    ),
    "sign": ParagraphStyle("sign", parent=_BASE, alignment=TA_CENTER, leading=13),
    "right": ParagraphStyle("right", parent=_BASE, alignment=TA_RIGHT),
    "left": ParagraphStyle("left", parent=_BASE, alignment=TA_LEFT),
}


def para(text: str, style: str = "body") -> Paragraph:
    return Paragraph(text, STYLES[style])


def letterhead(office: OfficeConfig) -> list[Flowable]:
    """The agency's letterhead (kop surat) over a thick and a thin rule."""
    lines = [
        ("Times-Bold", 13, f"PEMERINTAH {office.regency.upper()}"),
        ("Times-Bold", 15, AGENCY.upper()),
        ("Times-Roman", 11, f"PROVINSI {office.province.upper()}"),
    ]
    story: list[Flowable] = [
        Paragraph(
            text,
            ParagraphStyle(
                "kop", parent=STYLES["title"], fontName=font, fontSize=size, leading=size + 4
            ),
        )
        for font, size, text in lines
    ]
    story += [
        HRFlowable(width="100%", thickness=2.2, color=colors.black, spaceBefore=4, spaceAfter=1.2),
        HRFlowable(width="100%", thickness=0.6, color=colors.black, spaceAfter=5 * mm),
    ]
    return story


def title_block(title: str, *subtitles: str) -> list[Flowable]:
    story: list[Flowable] = [para(f"<u>{title}</u>", "title")]
    story += [para(line, "subtitle") for line in subtitles]
    story.append(Spacer(1, 5 * mm))
    return story


def ruled_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    align_right: Sequence[int] = (),
    align_center: Sequence[int] = (),
    total_row: bool = False,
) -> Table:
    """A table ruled on every cell, its header shaded and repeated on each page."""
    cells = [[para(f"<b>{h}</b>", "cell") for h in header]]
    cells += [[c if isinstance(c, Flowable) else str(c) for c in row] for row in rows]
    table = Table(cells, colWidths=list(widths), repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_GREY),
        ("FONTNAME", (0, 1), (-1, -1), "Times-Roman"),
        ("FONTSIZE", (0, 1), (-1, -1), 10),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("ALIGN", (c, 1), (c, -1), "RIGHT") for c in align_right]
    style += [("ALIGN", (c, 1), (c, -1), "CENTER") for c in align_center]
    if total_row and rows:
        style += [
            ("FONTNAME", (0, -1), (-1, -1), "Times-Bold"),
            ("LINEABOVE", (0, -1), (-1, -1), 1.2, colors.black),
        ]
    table.setStyle(TableStyle(style))
    return table


def signatures(
    place_and_date: str, officials: Sequence[tuple[str, str]], *, intro: str = ""
) -> Flowable:
    """Signature blocks: each official's role, space to sign, blank name and NIP lines.

    ``officials`` are (heading, role) pairs, e.g. ("Mengetahui,", "Kepala Dinas ...").
    """
    columns = len(officials)
    width = WIDTH / columns
    heads = [para(f"{h}<br/>{r}", "sign") for h, r in officials]
    blanks = [para("(" + "." * 44 + ")<br/>NIP. " + "." * 34, "sign") for _ in officials]
    place = [""] * (columns - 1) + [para(place_and_date, "sign")]
    table = Table(
        [place, heads, [""] * columns, blanks],
        colWidths=[width] * columns,
        rowHeights=[None, None, 18 * mm, None],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    parts: list[Flowable] = [Spacer(1, 3 * mm)]
    if intro:
        parts.append(para(intro))
    parts.append(table)
    return KeepTogether(parts)


class _NumberedCanvas(Canvas):
    """Holds every page until the end so each can say "Halaman X dari N"."""

    footer_left = ""
    #: Printed at the top of every page after the first, so a loose page names its document.
    running_title = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(number, total)
            super().showPage()
        super().save()

    def _footer(self, number: int, total: int) -> None:
        self.saveState()
        self.setLineWidth(0.4)
        y = MARGIN_BOTTOM - 8 * mm
        self.line(MARGIN_X, y + 4 * mm, A4[0] - MARGIN_X, y + 4 * mm)
        self.setFont("Times-Roman", 8.5)
        self.drawString(MARGIN_X, y, self.footer_left)
        self.drawRightString(A4[0] - MARGIN_X, y, f"Halaman {number} dari {total}")
        if number > 1 and self.running_title:
            top = A4[1] - MARGIN_TOP + 4 * mm
            self.setFont("Times-Italic", 8.5)
            self.drawString(MARGIN_X, top, f"{self.running_title} (lanjutan)")
            self.line(MARGIN_X, top - 1.5 * mm, A4[0] - MARGIN_X, top - 1.5 * mm)
        self.restoreState()


def write_document(
    path: Path,
    story: list[Flowable],
    *,
    title: str,
    footer: str,
    author: str,
    running_title: str = "",
) -> Path:
    """Lay ``story`` out on A4 with the numbered footer; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=author,
        creator="printstation",
    )
    canvas_class = type(
        "FooterCanvas",
        (_NumberedCanvas,),
        {"footer_left": footer, "running_title": running_title or title},
    )
    doc.build(story, canvasmaker=canvas_class)
    return path


def generated_footer(station: str, moment: datetime, zone: str) -> str:
    return f"Dicetak oleh printstation {station} pada {moment:%d-%m-%Y %H:%M} {zone}"
