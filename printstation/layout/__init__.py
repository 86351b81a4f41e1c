"""The card face: template, text fitting, rendering and proof sheets.

Pure: data in, images and PDFs out. ``printstation.layout.proof`` (reportlab) is
imported on its own so that rendering does not load the PDF library.
"""

from printstation.layout.face import FieldFit, PlacedText, RenderedFace, field_values, render_face
from printstation.layout.template import FIELD_KEYS, Template, load_template, parse_template
from printstation.layout.text import LayoutError, fit_text, measure

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
