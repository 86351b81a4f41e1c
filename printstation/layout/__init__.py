"""The card face: template, text fitting, rendering and proof sheets.

Pure: data in, images and PDFs out. ``printstation.layout.proof`` (reportlab) is
imported on its own so that rendering does not load the PDF library. The names below
are loaded on first use, so reading the template does not load numpy and Pillow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from printstation.layout.face import (
        FieldFit,
        PlacedText,
        RenderedFace,
        field_values,
        render_face,
    )
    from printstation.layout.template import FIELD_KEYS, Template, load_template, parse_template
    from printstation.layout.text import LayoutError, fit_text, measure

_WHERE = {
    "FieldFit": "face",
    "PlacedText": "face",
    "RenderedFace": "face",
    "field_values": "face",
    "render_face": "face",
    "FIELD_KEYS": "template",
    "Template": "template",
    "load_template": "template",
    "parse_template": "template",
    "LayoutError": "text",
    "fit_text": "text",
    "measure": "text",
}

__all__ = [
    "FIELD_KEYS",
    "FieldFit",
    "LayoutError",
    "PlacedText",
    "RenderedFace",
    "Template",
    "field_values",
    "fit_text",
    "load_template",
    "measure",
    "parse_template",
    "render_face",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
