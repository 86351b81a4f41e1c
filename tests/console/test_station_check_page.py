"""Pemeriksaan stasiun: ``doctor.run`` on a button, each finding in Indonesian with the
station's own words beside it, for every role."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from printstation.console.pages.station_check import FINDINGS, finding_text
from printstation.operations.doctor import Finding

from .conftest import ConsoleStation, console_client, csrf_of, make_console_station


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    return make_console_station(tmp_path_factory.mktemp("check") / "station")


def rows(html: str) -> dict[str, str]:
    """Each check's row (by its data-testid), as text."""
    found = re.findall(r'data-testid="check-([\w-]+)">(.*?)</tr>', html, re.S)
    return {name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for name, row in found}


@pytest.mark.parametrize("account", ["op1", "spv1", "aud1"])
def test_each_role_runs_the_check_and_reads_its_findings(
    station: ConsoleStation, account: str
) -> None:
    with console_client(station, account) as client:
        page = client.get("/pemeriksaan")
        assert page.status_code == 200 and 'data-testid="checks"' in page.text
        done = client.post("/pemeriksaan", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 200
    found = rows(done.text)
    assert set(found) == {"files", "people", "pin-resets", "pki", "audit", "printers"}
    # The test station has a single supervisor: four-eyes is impossible, and it says so.
    assert "Hanya satu pengawas aktif (spv1)" in found["people"]
    assert "only one active supervisor" in found["people"]  # the station's words, in details
    assert all("Baik" in found[name] for name in ("files", "pki", "audit", "printers"))
    assert 'data-testid="station-findings"' in done.text


def test_a_station_folder_others_can_open_is_named_in_indonesian(station: ConsoleStation) -> None:
    home = Path(station.config).parent
    os.chmod(home, 0o755)
    try:
        with console_client(station, "aud1") as client:
            page = client.get("/pemeriksaan")
            done = client.post("/pemeriksaan", data={"csrf": csrf_of(page.text)})
    finally:
        os.chmod(home, 0o700)
    assert (
        "Folder stasiun dapat dibuka orang lain di komputer ini (mode 0755): harus 0700."
        in (rows(done.text)["files"])
    )


def test_a_post_without_the_form_token_is_refused(station: ConsoleStation) -> None:
    with console_client(station, "op1") as client:
        assert client.post("/pemeriksaan", data={"csrf": "x"}).status_code == 403


#: Findings as ``doctor.run`` words them, and what the Indonesian says.
SAMPLES = [
    ("files", "the key file audit.key is owned by uid 0, not by the station's account (uid 1)",
     "Berkas kunci audit.key dimiliki akun komputer lain (uid 0)"),
    ("people", "set-up mode is open: anyone can act as operator, supervisor or auditor "
     "without a PIN until the first supervisor's account is made (user add)",
     "Mode persiapan masih terbuka"),
    ("people", "NIP 1987 has 2 active accounts (a, b): one person could approve their own "
     "requests; disable all but one", "NIP 1987 memegang 2 akun aktif (a, b)"),
    ("pin resets", "request 4 was asked by op1 and decided by spv2 after spv2 had reset "
     "op1's PIN: spv2 knew that PIN, so both sides may be one person; ask them both",
     "Permohonan 4 diajukan op1 dan diputuskan spv2 sesudah spv2 mengatur ulang PIN op1"),
    ("audit", "the last checkpoint is 3 day(s) old and 40 event(s) came after it: run "
     "printstation audit checkpoint", "Titik periksa terakhir berumur 3 hari dan 40 kejadian"),
    ("printers", "printer P2 fed 3 card(s) more than the ledger consumed through it (10 fed, "
     "7 consumed) since the station first saw it: a discrepancy the auditor must explain; "
     "run 'printstation audit reconcile' and tell the auditor",
     "Printer P2 menarik 3 kartu lebih banyak"),
]  # fmt: skip


@pytest.mark.parametrize(("check", "message", "indonesian"), SAMPLES)
def test_findings_read_in_indonesian(check: str, message: str, indonesian: str) -> None:
    finding = Finding(check, "x", message)
    assert indonesian in finding_text(finding, "id")
    if check != "printers":
        assert finding_text(finding, "en") == message


def test_a_finding_the_table_does_not_know_is_shown_as_found() -> None:
    assert finding_text(Finding("new", "x", "something new"), "id") == "something new"
    assert len(FINDINGS) >= len(SAMPLES)
