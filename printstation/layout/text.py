"""Fonts, measuring and fitting text into a box.

Fonts are found by file name in a short list of folders and cached per size: the
face is rendered once per card, so nothing here may touch the disk twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from printstation.errors import ConfigError, InputError

Font = ImageFont.FreeTypeFont


class LayoutError(InputError):
    """A value that cannot be printed legibly in its place on the card."""

    code = "layout"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, where=field)
        self.field = field


@lru_cache(maxsize=32)
def find_font(file_name: str, folders: tuple[Path, ...]) -> Path:
    """The first ``folder/file_name`` that exists; ConfigError naming what was tried."""
    for folder in folders:
        candidate = Path(folder).expanduser() / file_name
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(f) for f in folders) or "no folders"
    raise ConfigError(
        f"font {file_name} not found (looked in {tried}); install fonts-dejavu-core "
        "or add its folder to [fonts] folders in the card template"
    )


@lru_cache(maxsize=256)
def load_font(path: Path, size: int) -> Font:
    try:
        return ImageFont.truetype(str(path), size)
    except OSError as exc:
        raise ConfigError(f"font {path} cannot be read: {exc}") from exc


def measure(text: str, font: Font) -> int:
    """Advance width of ``text`` in dots (what it occupies on a line)."""
    return int(font.getlength(text) + 0.999)


@dataclass(frozen=True)
class Fitted:
    lines: tuple[str, ...]
    size: int


def wrap_words(text: str, font: Font, max_width: int, max_lines: int) -> list[str] | None:
    """Greedy word wrap into at most ``max_lines`` lines; None when it cannot fit.

    Lines break at spaces only: a word is never cut, since a cut name or street is a
    misprint.
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if measure(candidate, font) <= max_width:
            current = candidate
            continue
        if not current or measure(word, font) > max_width:
            return None
        lines.append(current)
        current = word
        if len(lines) >= max_lines:
            return None
    if current:
        lines.append(current)
    return lines if len(lines) <= max_lines else None


def fit_text(
    text: str,
    font_path: Path,
    *,
    size: int,
    min_size: int,
    max_width: int,
    max_lines: int = 1,
    single_line_min: int | None = None,
) -> Fitted | None:
    """Fit text in a box ``max_width`` wide.

    In order: one line at ``size``; one line at smaller sizes down to
    ``single_line_min`` (``min_size`` when not given); then wrapped over up to
    ``max_lines`` lines, from ``size`` down to ``min_size``. None when nothing fits
    (the caller reports which field).
    """
    text = " ".join(text.split())
    one_line_min = max(min_size, single_line_min or min_size)
    for s in range(size, one_line_min - 1, -1):
        if measure(text, load_font(font_path, s)) <= max_width:
            return Fitted((text,), s)
    if max_lines > 1:
        for s in range(size, min_size - 1, -1):
            lines = wrap_words(text, load_font(font_path, s), max_width, max_lines)
            if lines is not None:
                return Fitted(tuple(lines), s)
    return None
