"""The console speaks Indonesian by default and has English for every word it shows."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from printstation.console import app as console_app
from printstation.console import words

TEMPLATES = Path(console_app.__file__).with_name("templates")
#: ``t("...")`` / ``t('...')`` in a template.
CALLS = re.compile(r"""\bt\(\s*(?:"([^"]+)"|'([^']+)')\s*\)""")


def template_words() -> set[str]:
    found: set[str] = set()
    for template in TEMPLATES.glob("**/*.html"):
        for double, single in CALLS.findall(template.read_text(encoding="utf-8")):
            found.add(double or single)
    return found


def load_pages() -> None:
    for name in console_app.PAGES:
        importlib.import_module(f"printstation.console.pages.{name}")
    importlib.import_module("printstation.console.live_view")


def test_every_word_in_the_templates_has_its_english() -> None:
    load_pages()
    used = template_words()
    assert len(used) > 50
    missing = sorted(text for text in used if not words.known(text))
    assert missing == []


def test_navigation_and_state_words_have_their_english() -> None:
    load_pages()
    from printstation.console.pages.dashboard import QUEUE_ORDER

    labels = [label for _, label, _ in console_app.web.NAV]
    labels += [label for label, _ in QUEUE_ORDER] + list(words.STATE_WORDS.values())
    assert [text for text in labels if not words.known(text)] == []


@pytest.mark.parametrize(
    ("moment", "lang", "shown"),
    [
        ("2026-12-02T06:05:00+00:00", "id", "2 Desember 2026 14.05 WITA"),
        ("2026-12-02T06:05:00+00:00", "en", "2 December 2026 14:05 WITA"),
        ("2026-12-31T16:30:00+00:00", "id", "1 Januari 2027 00.30 WITA"),
    ],
)
def test_dates_and_times_are_the_offices(moment: str, lang: str, shown: str) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    assert words.when(datetime.fromisoformat(moment), ZoneInfo("Asia/Makassar"), lang) == shown


def test_one_indonesian_word_has_one_english_across_the_pages() -> None:
    load_pages()  # every page's words.add ran: none gave a known word another English
    words.add({"Pekerjaan cetak": words.translate("Pekerjaan cetak", "en")})  # the same: fine
    with pytest.raises(ValueError, match="'Pekerjaan cetak' is 'Print job' in English already"):
        words.add({"Pekerjaan cetak": "Occupation"})
    assert words.translate("Pekerjaan cetak", "en") == "Print job"
