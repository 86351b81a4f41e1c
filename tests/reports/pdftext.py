"""The text of a PDF through poppler's pdftotext (poppler-utils), for checking reports."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def pdf_text(path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pdftotext (poppler-utils) is required in CI", pytrace=False)
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(
        [tool, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout
