"""Impor data: a bundle uploaded through the console is imported by the operation the
command line uses, and every line's outcome is shown, the rejected ones in Indonesian."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from printstation.console.pages.imports import field_label, line_reason

from .conftest import (
    MIXED_BUNDLE,
    ConsoleStation,
    console_client,
    csrf_of,
    make_console_station,
    mixed_bundle,
)

#: English words an Indonesian page should not show (outside the technical details).
ENGLISH = re.compile(r"\b(the|is|not|must|missing|line|field|reason|rejected|accepted)\b")


@pytest.fixture
def bundle(console_station: ConsoleStation, tmp_path: Path) -> Path:
    return mixed_bundle(console_station, tmp_path / "kiriman")


def visible(html: str) -> str:
    """The page's text without tags, scripts' attributes or the technical details."""
    html = re.sub(r"<details>.*?</details>", "", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def upload(client, path: Path, token: str | None = None):  # type: ignore[no-untyped-def]
    token = token if token is not None else csrf_of(client.get("/impor").text)
    with path.open("rb") as fh:
        return client.post(
            "/impor",
            data={"csrf": token},
            files={"bundle": (path.name, fh, "application/zip")},
        )


def test_the_form_is_in_indonesian_and_posts_a_zip(console_station: ConsoleStation) -> None:
    with console_client(console_station, "op1") as client:
        page = client.get("/impor")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert 'name="bundle"' in page.text and 'accept=".zip' in page.text
    assert "Berkas bundel (.zip)" in page.text and ">Impor<" in page.text


def test_a_bundle_of_good_and_bad_lines_shows_each_outcome(tmp_path: Path) -> None:
    station = make_console_station(tmp_path / "station")  # its own: nothing imported before
    bundle = mixed_bundle(station, tmp_path / "kiriman")
    with console_client(station, "op1") as client:
        answer = upload(client, bundle)
        again = upload(client, bundle)
    assert answer.status_code == 200, answer.text[:800]
    html = answer.text
    figure = {
        key: re.search(rf'data-testid="{key}">(\d+)<', html).group(1)  # type: ignore[union-attr]
        for key in ("accepted", "duplicates", "held", "rejected")
    }
    assert figure == {
        "accepted": str(MIXED_BUNDLE["accepted"]),
        "duplicates": str(MIXED_BUNDLE["duplicates"]),
        "held": "1",
        "rejected": "2",
    }
    rejected = re.findall(r'<tr data-line="(\d+)" data-field="([^"]+)">', html)
    assert {int(line): field for line, field in rejected} == MIXED_BUNDLE["rejected"]
    assert "Agama" in html and "NIK" in html
    assert "Cetak ulang: hilang" in html and "53712611000099" in html
    assert re.search(r'href="/antrean/\d+">#\d+</a>', html), "the held job is not linked"
    # The same bundle again: nothing new, every good line a duplicate now.
    assert again.status_code == 200
    assert re.search(r'data-testid="accepted">0<', again.text)
    assert re.search(r'data-testid="duplicates">4<', again.text)


def test_rejected_reasons_are_shown_in_indonesian(
    console_station: ConsoleStation, bundle: Path
) -> None:
    with console_client(console_station, "op1") as client:
        html = upload(client, bundle).text
    table = html.split('data-testid="rejected-lines"', 1)[1].split("</table>", 1)[0]
    shown = visible(table)
    assert "JEDI" in shown
    assert not ENGLISH.search(shown.replace("NIK", "")), shown


def test_english_shows_the_reasons_as_raised(console_station: ConsoleStation, bundle: Path) -> None:
    with console_client(console_station, "op1") as client:
        token = csrf_of(client.get("/impor").text)
        client.post("/bahasa", data={"csrf": token, "lang": "en", "back": "/impor"})
        html = upload(client, bundle).text
    assert "Rejected lines" in html and "Religion" in html
    assert "JEDI" in html


def test_a_post_without_the_csrf_token_is_refused(
    console_station: ConsoleStation, bundle: Path
) -> None:
    with console_client(console_station, "op1") as client:
        answer = upload(client, bundle, token="")
    assert answer.status_code == 403
    assert 'data-testid="import-result"' not in answer.text


def test_an_auditor_is_refused_by_the_operation_not_only_by_a_hidden_form(
    console_station: ConsoleStation, bundle: Path
) -> None:
    with console_client(console_station, "aud1") as client:
        form = client.get("/impor")
        assert 'data-testid="import-form"' not in form.text
        answer = upload(client, bundle, token=csrf_of(form.text))
    assert answer.status_code == 403
    assert 'data-testid="import-result"' not in answer.text


def test_a_file_that_is_not_a_zip_bundle_is_explained(
    console_station: ConsoleStation, tmp_path: Path
) -> None:
    not_zip = tmp_path / "data.csv"
    not_zip.write_text("nik,name\n")
    broken = tmp_path / "rusak.zip"
    broken.write_bytes(b"PK\x03\x04 this is no zip")
    with console_client(console_station, "op1") as client:
        refused = upload(client, not_zip)
        damaged = upload(client, broken)
    assert refused.status_code == 400
    assert "Berkas harus berupa bundel .zip." in refused.text
    assert damaged.status_code == 400, damaged.text[:500]
    assert 'data-testid="import-error"' in damaged.text


def test_field_names_read_as_the_card_names_them() -> None:
    assert field_label("religion", "id") == "Agama"
    assert field_label("address.rt", "id") == "Alamat: RT"
    assert field_label("fingerprints[1].finger", "id") == "Sidik jari (fingerprints[1].finger)"
    assert field_label("religion", "en") == "Religion"
    assert field_label("something_new", "id") == "something_new"
    assert line_reason("'JEDI' is not one of ISLAM", "en") == "'JEDI' is not one of ISLAM"


def test_every_word_of_the_page_has_its_english() -> None:
    from printstation.console import words
    from printstation.console.pages import imports

    template = Path(imports.__file__).parents[1] / "templates" / "imports.html"
    said = re.findall(r"""\bt\(\s*"([^"]+)"\s*\)""", template.read_text())
    assert len(said) > 15
    assert [text for text in said if not words.known(text)] == []
    assert all(words.known(label) for label in imports.FIELDS.values())
    assert all(words.known(label) for label in imports.REPRINT_REASONS.values())
