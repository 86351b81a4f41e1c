"""Render the card front from a record, its media and the template.

The result is the face as a person sees it (RGB) plus the text mask: the pixels the
black resin (K) panel prints. Text is drawn without anti-aliasing because the K
panel is one bit a dot; the RGB image shows exactly those dots black, so a proof
and a printed card agree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from printstation.config import OfficeConfig
from printstation.errors import ConfigError, InputError
from printstation.layout.template import Box, FieldSpec, Template
from printstation.layout.text import Fitted, LayoutError, find_font, fit_text, load_font, measure
from printstation.records import CardRecord, EnrolmentMedia, IssueInfo

_COLON_GAP = 8  # the smallest gap between a label's end and its colon
#: Glyph ink may reach a dot or two past the advance width; kept free at a value's end.
_INK_SLACK = 3


@dataclass(frozen=True)
class PlacedText:
    """One line of text as drawn: ``bbox`` is its ink on the card."""

    key: str  # "header.0", "nik", "nik.label", "nik.colon", "issue.place", ...
    text: str
    size: int
    bbox: Box


@dataclass(frozen=True)
class FieldFit:
    """How one value was fitted: the box it was allowed and what it took."""

    key: str
    text: str
    lines: tuple[str, ...]
    size: int
    nominal_size: int
    box: Box
    line_boxes: tuple[Box, ...]

    @property
    def shrunk(self) -> bool:
        return self.size < self.nominal_size

    @property
    def wrapped(self) -> bool:
        return len(self.lines) > 1


@dataclass(frozen=True)
class RenderedFace:
    image: Image.Image  # RGB, template size (1016 x 648)
    text_mask: Image.Image  # mode "1": 1 where the K panel prints
    fits: dict[str, FieldFit]
    texts: tuple[PlacedText, ...]


def field_values(record: CardRecord) -> dict[str, str]:
    """The text of every field, as printed (upper case)."""
    a = record.address
    values = {
        "nik": record.nik,
        "name": record.name,
        "birth": f"{record.birth_place}, {record.birth_date:%d-%m-%Y}",
        "sex": record.sex_text,
        "blood_type": record.blood_type or "-",
        "street": a.street,
        "rt_rw": f"{a.rt.strip().zfill(3)}/{a.rw.strip().zfill(3)}",
        "village": a.village,
        "district": a.district,
        "religion": record.religion,
        "marital_status": record.marital_status,
        "occupation": record.occupation,
        "citizenship": record.citizenship,
        "valid_until": record.valid_until_text,
    }
    return {k: " ".join(v.upper().split()) for k, v in values.items()}


@dataclass(frozen=True)
class _Prepared:
    regular: Path
    bold: Path
    background: np.ndarray


def prepare(template: Template) -> None:
    """Load the template's fonts and draw its background now (else the first card does)."""
    _prepare(template)


@lru_cache(maxsize=4)
def _prepare(template: Template) -> _Prepared:
    regular = find_font(template.fonts.regular, template.fonts.folders)
    bold = find_font(template.fonts.bold, template.fonts.folders)
    for spec in template.fields:
        font = load_font(bold if spec.label_bold else regular, spec.label_size)
        if spec.label_x + measure(spec.label, font) + _COLON_GAP > spec.colon_x:
            raise ConfigError(
                f"field {spec.key}: label {spec.label!r} runs into its colon", where=template.source
            )
    background = _background(template)
    background.setflags(write=False)
    return _Prepared(regular, bold, background)


def _background(t: Template) -> np.ndarray:
    """A pale vertical gradient with fine wavy guilloche lines (or plain white)."""
    h, w = t.height, t.width
    if t.colours.background_style == "white":
        return np.full((h, w, 3), 255, dtype=np.uint8)
    top = np.array(t.colours.background_top, dtype=np.float32)
    bottom = np.array(t.colours.background_bottom, dtype=np.float32)
    ys = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    rgb = top * (1 - ys) + bottom * ys
    rgb = np.broadcast_to(rgb, (h, w, 3)).copy()
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    strength = np.zeros((h, w), dtype=np.float32)
    for k in range(3):
        phase = 0.045 * xx + 2.6 * np.sin(0.011 * yy + 1.7 * k) + 0.9 * np.sin(0.007 * xx + k)
        strength = np.maximum(strength, np.clip(1.0 - np.abs(np.sin(phase * 1.5)) * 9.0, 0, 1))
    cx, cy = w * 0.42, h * 0.55
    radius = np.hypot(xx - cx, yy - cy)
    angle = np.arctan2(yy - cy, xx - cx)
    rosette = np.abs(np.sin(radius * 0.09 + 4.0 * np.sin(angle * 12)))
    strength = np.maximum(strength, np.clip(1.0 - rosette * 8.0, 0, 1) * (radius < 260))
    line = np.array(t.colours.guilloche, dtype=np.float32)
    alpha = (strength * 0.55)[:, :, None]
    rgb = rgb * (1 - alpha) + line * alpha
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def _open_image(data: bytes, what: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(f"cannot read the {what} image: {exc}", where=what) from exc
    return image


def _paste_photo(face: Image.Image, data: bytes, t: Template) -> None:
    x0, y0, x1, y1 = t.photo_box
    try:
        photo = Image.open(io.BytesIO(data))
        if photo.format == "JPEG":
            photo.draft("RGB", (x1 - x0, y1 - y0))
        rgb = photo.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(f"cannot read the photo image: {exc}", where="photo") from exc
    fitted = ImageOps.fit(rgb, (x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
    face.paste(fitted, (x0, y0))
    b = t.photo_border
    if b:
        draw = ImageDraw.Draw(face)
        draw.rectangle(
            (x0 - b, y0 - b, x1 - 1 + b, y1 - 1 + b), outline=t.colours.photo_border, width=b
        )


def _paste_signature(face: Image.Image, data: bytes, t: Template) -> None:
    """Scale the signature's ink to fit its box and darken the face under it."""
    x0, y0, x1, y1 = t.signature_box
    sign = _open_image(data, "signature").convert("L")
    ink = sign.point(lambda v: 255 if v < 200 else 0).getbbox()
    if ink is None:
        raise InputError("the signature image is blank", where="signature")
    sign = sign.crop(ink)
    scale = min((x1 - x0) / sign.width, (y1 - y0) / sign.height)
    size = (max(1, int(sign.width * scale)), max(1, int(sign.height * scale)))
    sign = sign.resize(size, Image.Resampling.BILINEAR)
    left = x0 + ((x1 - x0) - size[0]) // 2
    top = y0 + ((y1 - y0) - size[1]) // 2
    region = np.asarray(face.crop((left, top, left + size[0], top + size[1])))
    darker = np.minimum(region, np.asarray(sign)[:, :, None])
    face.paste(Image.fromarray(darker, "RGB"), (left, top))


class _TextLayer:
    """Draws one-bit text into the K mask and records where every line went."""

    def __init__(self, t: Template, prepared: _Prepared) -> None:
        self.mask = Image.new("1", (t.width, t.height), 0)
        self.draw = ImageDraw.Draw(self.mask)
        self.draw.fontmode = "1"
        self.prepared = prepared
        self.placed: list[PlacedText] = []

    def font_path(self, bold: bool) -> Path:
        return self.prepared.bold if bold else self.prepared.regular

    def text(
        self, key: str, xy: tuple[int, int], text: str, size: int, bold: bool, anchor: str
    ) -> Box:
        font = load_font(self.font_path(bold), size)
        self.draw.text(xy, text, fill=1, font=font, anchor=anchor)
        left, top, right, bottom = self.draw.textbbox(xy, text, font=font, anchor=anchor)
        box = (int(left), int(top), int(right), int(bottom))
        self.placed.append(PlacedText(key, text, size, box))
        return box


def _fit_or_fail(
    key: str,
    text: str,
    path: Path,
    size: int,
    min_size: int,
    width: int,
    lines: int,
    single_line_min: int | None = None,
) -> Fitted:
    fitted = fit_text(
        text,
        path,
        size=size,
        min_size=min_size,
        max_width=width,
        max_lines=lines,
        single_line_min=single_line_min,
    )
    if fitted is None:
        raise LayoutError(
            key,
            f"{text!r} does not fit: {width} dots wide, {lines} line(s), "
            f"smallest size {min_size}; shorten or abbreviate it",
        )
    return fitted


def _draw_header(layer: _TextLayer, t: Template, office: OfficeConfig) -> None:
    area = t.printable
    centre = (area[0] + area[2]) // 2
    for i, line in enumerate(t.header):
        text = line.text.format(province=office.province, regency=office.regency).upper()
        path = layer.font_path(line.bold)
        fitted = _fit_or_fail(
            f"header.{i}", text, path, line.size, line.min_size, area[2] - area[0], 1
        )
        ascent = load_font(path, line.size).getmetrics()[0]
        layer.text(
            f"header.{i}", (centre, line.y + ascent), fitted.lines[0], fitted.size, line.bold, "ms"
        )


def _draw_body(layer: _TextLayer, t: Template, values: dict[str, str]) -> dict[str, FieldFit]:
    fits: dict[str, FieldFit] = {}
    row_top = t.body.top
    row_advance = 0
    baseline = 0
    for spec in t.fields:
        if not spec.same_row:
            row_top += row_advance
            label_font = load_font(layer.font_path(spec.label_bold), spec.label_size)
            baseline = row_top + label_font.getmetrics()[0]
            row_advance = 0
        fit = _draw_field(layer, t, spec, values[spec.key], row_top, baseline)
        advance = spec.row_pitch + (len(fit.lines) - 1) * t.body.wrap_pitch
        if row_top + advance > t.body.bottom:
            raise LayoutError(
                spec.key,
                f"no room on the card for {len(fit.lines)} line(s) of {spec.label} "
                f"(the lines above took the space); shorten the longer values",
            )
        row_advance = max(row_advance, advance)
        fits[spec.key] = FieldFit(
            spec.key, values[spec.key], fit.lines, fit.size, spec.size,
            (fit.left, row_top, spec.value_right, row_top + advance),
            fit.line_boxes,
        )  # fmt: skip
    return fits


@dataclass(frozen=True)
class _DrawnValue:
    left: int  # the value's room starts right after the colon
    lines: tuple[str, ...]
    size: int
    line_boxes: tuple[Box, ...]


def _draw_field(
    layer: _TextLayer, t: Template, spec: FieldSpec, value: str, row_top: int, baseline: int
) -> _DrawnValue:
    layer.text(
        f"{spec.key}.label",
        (spec.label_x, baseline),
        spec.label,
        spec.label_size,
        spec.label_bold,
        "ls",
    )
    colon = layer.text(
        f"{spec.key}.colon", (spec.colon_x, baseline), ":", spec.label_size, spec.label_bold, "ls"
    )
    if not value:
        raise LayoutError(spec.key, f"{spec.label} is empty")
    width = spec.value_right - spec.value_x - _INK_SLACK
    fitted = _fit_or_fail(
        spec.key,
        value,
        layer.font_path(spec.bold),
        spec.size,
        spec.min_size,
        width,
        spec.max_lines,
        spec.single_line_min,
    )
    boxes = tuple(
        layer.text(
            spec.key,
            (spec.value_x, baseline + i * t.body.wrap_pitch),
            line,
            fitted.size,
            spec.bold,
            "ls",
        )
        for i, line in enumerate(fitted.lines)
    )
    return _DrawnValue(colon[2] + 1, fitted.lines, fitted.size, boxes)


def _draw_issue(layer: _TextLayer, t: Template, issue: IssueInfo) -> None:
    spec = t.issue
    centre = (spec.x0 + spec.x1) // 2
    path = layer.font_path(False)
    ascent = load_font(path, spec.size).getmetrics()[0]
    for key, text, y in (
        ("issue.place", issue.place.upper(), spec.place_y),
        ("issue.date", f"{issue.date:%d-%m-%Y}", spec.date_y),
    ):
        fitted = _fit_or_fail(key, text, path, spec.size, spec.min_size, spec.x1 - spec.x0, 1)
        layer.text(key, (centre, y + ascent), fitted.lines[0], fitted.size, False, "ms")


def render_face(
    record: CardRecord,
    media: EnrolmentMedia,
    issue: IssueInfo,
    office: OfficeConfig,
    template: Template,
) -> RenderedFace:
    """The card front for one record; LayoutError (naming the field) if a value cannot fit."""
    prepared = _prepare(template)
    layer = _TextLayer(template, prepared)
    _draw_header(layer, template, office)
    fits = _draw_body(layer, template, field_values(record))
    _draw_issue(layer, template, issue)
    face = Image.fromarray(prepared.background, "RGB")
    _paste_photo(face, media.photo, template)
    _paste_signature(face, media.signature, template)
    face.paste(template.colours.text, (0, 0, template.width, template.height), layer.mask)
    return RenderedFace(face, layer.mask, fits, tuple(layer.placed))
