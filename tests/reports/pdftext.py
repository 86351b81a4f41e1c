"""The text of a PDF through poppler's pdftotext (poppler-utils), for checking reports."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import require_service


def pdf_text(path: Path) -> str:
    tool = shutil.which("pdftotext")
    require_service("pdftotext (poppler-utils)", tool is not None)
    assert tool is not None
    done = subprocess.run(
        [tool, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout
