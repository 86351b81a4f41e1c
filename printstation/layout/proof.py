"""Proof sheets: a batch's card faces at true size on A4, for checking before printing.

Each card is drawn 85.60 x 53.98 mm (ID-1) with its outline, and under it its NIK,
name, place in the batch and, when known, the blank's serial. Printed at 100 %
scale, a proof can be laid over a real blank.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from printstation.errors import InputError

CARD_W = 85.60 * mm
CARD_H = 53.98 * mm
CORNER = 3.18 * mm
MARGIN = 12 * mm
HEADER = 16 * mm
FOOTER = 10 * mm
CAPTION = 11 * mm
GAP = 6 * mm
COLUMNS = 2


@dataclass(frozen=True)
class ProofCard:
    nik: str
    name: str
    image: Path
    serial: str | None = None


ProofInput = ProofCard | tuple[str, str, Path] | tuple[str, str, str, Path]


def _card(item: ProofInput) -> ProofCard:
    if isinstance(item, ProofCard):
        return item
    if len(item) == 3:
        return ProofCard(item[0], item[1], Path(item[2]))
    return ProofCard(item[0], item[1], Path(item[3]), item[2])


def cards_per_page() -> tuple[int, int]:
    """(columns, rows) of cards an A4 page holds."""
    height = A4[1] - 2 * MARGIN - HEADER - FOOTER
    rows = int((height + GAP) // (CARD_H + CAPTION + GAP))
    return COLUMNS, rows


def write_proof_pdf(
    path: str | os.PathLike[str],
    cards: Sequence[ProofInput],
    title: str,
    *,
    generated: datetime | None = None,
) -> int:
    """Write the proof sheet of ``cards`` (NIK, name, [serial,] face PNG); return pages."""
    items = [_card(c) for c in cards]
    for item in items:
        if not item.image.is_file():
            raise InputError(f"card face image not found: {item.image}", where=item.nik)
    columns, rows = cards_per_page()
    per_page = columns * rows
    pages = max(1, math.ceil(len(items) / per_page))
    when = (generated or datetime.now()).strftime("%d-%m-%Y %H:%M")
    canvas = Canvas(str(path), pagesize=A4, invariant=True, pageCompression=0)
    canvas.setTitle(f"Proof: {title}")
    page_w, page_h = A4
    grid_w = columns * CARD_W + (columns - 1) * GAP
    left = (page_w - grid_w) / 2
    for page in range(pages):
        _page_frame(canvas, title, when, page + 1, pages, len(items))
        top = page_h - MARGIN - HEADER
        for slot, item in enumerate(items[page * per_page : (page + 1) * per_page]):
            row, column = divmod(slot, columns)
            x = left + column * (CARD_W + GAP)
            y = top - row * (CARD_H + CAPTION + GAP) - CARD_H
            _draw_card(canvas, item, x, y, page * per_page + slot + 1)
        canvas.showPage()
    canvas.save()
    return pages


def _page_frame(canvas: Canvas, title: str, when: str, page: int, pages: int, count: int) -> None:
    page_w, page_h = A4
    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawString(MARGIN, page_h - MARGIN - 6 * mm, f"Proof sheet: {title}")
    canvas.setFont("Helvetica", 9)
    canvas.drawString(
        MARGIN, page_h - MARGIN - 11 * mm, f"{count} card(s), generated {when}, true size (100 %)"
    )
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, page_h - MARGIN - 13 * mm, page_w - MARGIN, page_h - MARGIN - 13 * mm)
    canvas.drawCentredString(page_w / 2, MARGIN, f"Page {page} of {pages}")


def _draw_card(canvas: Canvas, item: ProofCard, x: float, y: float, number: int) -> None:
    canvas.drawImage(str(item.image), x, y, width=CARD_W, height=CARD_H)
    canvas.setLineWidth(0.3)
    canvas.setStrokeGray(0.45)
    canvas.roundRect(x, y, CARD_W, CARD_H, CORNER, stroke=1, fill=0)
    canvas.setFillGray(0)
    canvas.setFont("Helvetica-Bold", 8.5)
    canvas.drawString(x, y - 4 * mm, f"{number}.  NIK {item.nik}")
    if item.serial:
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(x + CARD_W, y - 4 * mm, f"blank {item.serial}")
    canvas.setFont("Helvetica", 8)
    name = item.name if len(item.name) <= 60 else item.name[:57] + "..."
    canvas.drawString(x, y - 8 * mm, name)
