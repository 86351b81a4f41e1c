"""The card-front template: where every line, the photo and the signature go.

Loaded from TOML into frozen dataclasses and checked once, so a bad template is a
ConfigError at start-up, never a surprise mid-batch. The product's own template
(``card-front.toml``) ships inside this package and is read with ``importlib.resources``;
a station may name its own in ``[layout] template``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from printstation.config import read_toml
from printstation.errors import ConfigError

#: The product's card-front template, a file of this package.
TEMPLATE_RESOURCE = "card-front.toml"

#: Every value the front shows, in the order of the card.
FIELD_KEYS = (
    "nik",
    "name",
    "birth",
    "sex",
    "blood_type",
    "street",
    "rt_rw",
    "village",
    "district",
    "religion",
    "marital_status",
    "occupation",
    "citizenship",
    "valid_until",
)

Box = tuple[int, int, int, int]
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Fonts:
    folders: tuple[Path, ...]
    regular: str
    bold: str


@dataclass(frozen=True)
class Colours:
    text: RGB
    background_style: str
    background_top: RGB
    background_bottom: RGB
    guilloche: RGB
    photo_border: RGB


@dataclass(frozen=True)
class HeaderLine:
    text: str  # may hold {province} and {regency}
    y: int  # top of the line
    size: int
    min_size: int
    bold: bool


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    size: int
    min_size: int
    max_lines: int
    #: Smallest size tried on one line before wrapping (min_size when not set).
    single_line_min: int
    bold: bool
    label_size: int
    label_bold: bool
    row_pitch: int
    same_row: bool
    label_x: int
    colon_x: int
    value_x: int
    value_right: int


@dataclass(frozen=True)
class Body:
    top: int
    bottom: int
    wrap_pitch: int


@dataclass(frozen=True)
class IssueSpec:
    x0: int
    x1: int
    place_y: int
    date_y: int
    size: int
    min_size: int


@dataclass(frozen=True)
class Template:
    width: int
    height: int
    margin: int
    fonts: Fonts
    colours: Colours
    header: tuple[HeaderLine, ...]
    body: Body
    fields: tuple[FieldSpec, ...]
    photo_box: Box
    photo_border: int
    issue: IssueSpec
    signature_box: Box
    source: str = "template"

    @property
    def printable(self) -> Box:
        """The area text may occupy: the card less its margin."""
        m = self.margin
        return (m, m, self.width - m, self.height - m)

    def field(self, key: str) -> FieldSpec:
        for spec in self.fields:
            if spec.key == key:
                return spec
        raise KeyError(key)


class _Reader:
    """Typed access to one TOML table, with errors that name the key."""

    def __init__(self, table: Any, where: str) -> None:
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: expected a table", where=None)
        self.table = table
        self.where = where

    def _get(self, key: str, default: Any) -> Any:
        if key in self.table:
            return self.table[key]
        if default is None:
            raise ConfigError(f"{self.where}: missing required key {key!r}")
        return default

    def integer(self, key: str, default: int | None = None, *, minimum: int = 0) -> int:
        value = self._get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ConfigError(f"{self.where}.{key}: need a whole number >= {minimum}")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            raise ConfigError(f"{self.where}.{key}: need text")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.where}.{key}: need true or false")
        return value

    def colour(self, key: str) -> RGB:
        value = self.text(key)
        if len(value) != 7 or value[0] != "#":
            raise ConfigError(f"{self.where}.{key}: need a colour like '#1a2b3c'")
        try:
            return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
        except ValueError as exc:
            raise ConfigError(f"{self.where}.{key}: need a colour like '#1a2b3c'") from exc

    def box(self, key: str) -> Box:
        value = self._get(key, None)
        if (
            not isinstance(value, list)
            or len(value) != 4
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            or value[0] >= value[2]
            or value[1] >= value[3]
        ):
            raise ConfigError(f"{self.where}.{key}: need [x0, y0, x1, y1] with x0 < x1, y0 < y1")
        return (value[0], value[1], value[2], value[3])

    def sub(self, key: str) -> _Reader:
        return _Reader(self._get(key, None), f"{self.where}.{key}")


def _fields(raw: Any, body: _Reader) -> tuple[FieldSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("[[field]]: the template lists no fields")
    label_size = body.integer("label_size", minimum=6)
    row_pitch = body.integer("row_pitch", minimum=1)
    fields: list[FieldSpec] = []
    for i, table in enumerate(raw):
        r = _Reader(table, f"field[{i}]")
        key = r.text("key")
        if key not in FIELD_KEYS:
            raise ConfigError(f"field[{i}].key: unknown field {key!r}")
        size = r.integer("size", minimum=6)
        min_size = r.integer("min_size", size, minimum=6)
        if min_size > size:
            raise ConfigError(f"field {key}: min_size {min_size} is larger than size {size}")
        spec = FieldSpec(
            key=key,
            label=r.text("label"),
            size=size,
            min_size=min_size,
            max_lines=r.integer("max_lines", 1, minimum=1),
            single_line_min=r.integer("single_line_min", min_size, minimum=min_size),
            bold=r.flag("bold", False),
            label_size=r.integer("label_size", label_size, minimum=6),
            label_bold=r.flag("label_bold", False),
            row_pitch=r.integer("row_pitch", row_pitch, minimum=1),
            same_row=r.flag("same_row", False),
            label_x=r.integer("label_x", body.integer("label_x")),
            colon_x=r.integer("colon_x", body.integer("colon_x")),
            value_x=r.integer("value_x", body.integer("value_x")),
            value_right=r.integer("value_right", body.integer("value_right")),
        )
        if not spec.label_x < spec.colon_x < spec.value_x < spec.value_right:
            raise ConfigError(f"field {key}: need label_x < colon_x < value_x < value_right")
        if spec.same_row and not fields:
            raise ConfigError(f"field {key}: same_row on the first field")
        fields.append(spec)
    keys = [f.key for f in fields]
    missing = [k for k in FIELD_KEYS if k not in keys]
    if missing:
        raise ConfigError(f"[[field]]: the template does not place {', '.join(missing)}")
    if len(set(keys)) != len(keys):
        raise ConfigError("[[field]]: a field is placed twice")
    return tuple(fields)


def parse_template(data: dict[str, Any], *, source: str = "template") -> Template:
    try:
        return _parse_template(data, source)
    except ConfigError as exc:
        raise ConfigError(exc.message, where=source) from None


def _parse_template(data: dict[str, Any], source: str) -> Template:
    top = _Reader(data, "template")
    card = top.sub("card")
    width, height = card.integer("width", minimum=1), card.integer("height", minimum=1)
    fonts = top.sub("fonts")
    folders = fonts._get("folders", None)
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise ConfigError("fonts.folders: need a list of folder names")
    colours = top.sub("colours")
    style = colours.text("background_style", "white")
    if style not in ("white", "guilloche"):
        raise ConfigError("colours.background_style: need 'white' or 'guilloche'")
    header_raw = data.get("header", [])
    if not isinstance(header_raw, list):
        raise ConfigError("[[header]]: need a list of lines")
    header = []
    for i, table in enumerate(header_raw):
        r = _Reader(table, f"header[{i}]")
        size = r.integer("size", minimum=6)
        header.append(
            HeaderLine(
                r.text("text"),
                r.integer("y"),
                size,
                r.integer("min_size", size, minimum=6),
                r.flag("bold", True),
            )
        )
    body = top.sub("body")
    photo, issue, signature = top.sub("photo"), top.sub("issue"), top.sub("signature")
    template = Template(
        width=width,
        height=height,
        margin=card.integer("margin", 0),
        fonts=Fonts(
            tuple(Path(f).expanduser() for f in folders), fonts.text("regular"), fonts.text("bold")
        ),
        colours=Colours(
            text=colours.colour("text"),
            background_style=style,
            background_top=colours.colour("background_top"),
            background_bottom=colours.colour("background_bottom"),
            guilloche=colours.colour("guilloche"),
            photo_border=colours.colour("photo_border"),
        ),
        header=tuple(header),
        body=Body(
            body.integer("top"), body.integer("bottom"), body.integer("wrap_pitch", minimum=1)
        ),
        fields=_fields(data.get("field"), body),
        photo_box=photo.box("box"),
        photo_border=photo.integer("border", 0),
        issue=IssueSpec(
            x0=issue.integer("x0"),
            x1=issue.integer("x1"),
            place_y=issue.integer("place_y"),
            date_y=issue.integer("date_y"),
            size=issue.integer("size", minimum=6),
            min_size=issue.integer("min_size", issue.integer("size"), minimum=6),
        ),
        signature_box=signature.box("box"),
        source=source,
    )
    _check_geometry(template)
    return template


def _inside(box: Box, outer: Box) -> bool:
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] and box[3] <= outer[3]


def _check_geometry(t: Template) -> None:
    area = t.printable
    if not t.margin <= t.body.top < t.body.bottom <= t.height - t.margin:
        raise ConfigError("body: need margin <= top < bottom <= height - margin")
    for name, box in (("photo.box", t.photo_box), ("signature.box", t.signature_box)):
        if not _inside(box, area):
            raise ConfigError(f"{name} {list(box)} is outside the printable area {list(area)}")
    for spec in t.fields:
        if spec.label_x < area[0] or spec.value_right > area[2]:
            raise ConfigError(f"field {spec.key}: its row is outside the printable area")
    if not area[0] <= t.issue.x0 < t.issue.x1 <= area[2]:
        raise ConfigError("issue: need margin <= x0 < x1 <= width - margin")
    for line in t.header:
        if not area[1] <= line.y < area[3]:
            raise ConfigError(f"header line {line.text!r}: y {line.y} is outside the card")


def product_template() -> Traversable:
    """The product's card-front.toml, inside the installed package."""
    return resources.files("printstation.layout").joinpath(TEMPLATE_RESOURCE)


def load_template(path: str | os.PathLike[str] | None = None) -> Template:
    """Load and check a card-front template (the product's own when no path is given)."""
    file: Path | Traversable = Path(path) if path is not None else product_template()
    data = read_toml(file, "card template")
    return parse_template(data, source=str(file))
