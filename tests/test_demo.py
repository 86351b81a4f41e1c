"""The demo end to end: pyusb's simulated printer, the virtual chip through pcscd, SQLite."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from printstation.cli import main
from printstation.layout.face import render_face
from printstation.layout.panels import face_to_panels, panels_to_face
from printstation.records import IssueInfo
from printstation.station import Station
from printstation.storage.models import Enrolment, IssuedCard, Spoilage
from printstation.storage.rows import load_card
from tests.conftest import port_open, require_service


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    require_service("pcscd with vsmartcard-vpcd", all(port_open(p) for p in (35963, 35964)))
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(
        main,
        [
            "demo",
            "--cards",
            "4",
            "--printers",
            "2",
            "--out",
            str(out),
            "--json",
            "--fail-chip",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), out


def test_demo_issues_every_card_and_balances(demo_json: tuple[dict, Path]) -> None:
    report, out = demo_json
    assert report["issued"] == 4
    assert report["spoiled"] == 1  # the injected chip failure, retried on a new blank
    assert report["unresolved"] == 0
    assert report["stock"] == {"received": 8, "issued": 4, "spoiled": 1, "on_hand": 3}
    assert report["balanced"] is True
    assert len({c["serial"] for c in report["cards"]}) == 4
    assert len({c["nik"] for c in report["cards"]}) == 4
    assert Path(report["proof_pdf"]).read_bytes().startswith(b"%PDF")
    station = Station.open(str(out / "station.toml"))
    with station.db.session() as s:
        spoiled = s.query(Spoilage).one()
        assert spoiled.cause == "encoding_failed"
        assert spoiled.serial not in {c["serial"] for c in report["cards"]}
    station.close()


def test_each_face_is_that_cards_own_face(demo_json: tuple[dict, Path]) -> None:
    """The printed image (rebuilt from the panel bytes) is the face rendered for its NIK."""
    report, out = demo_json
    station = Station.open(str(out / "station.toml"))
    with station.db.session() as s:
        for card in report["cards"]:
            issued = s.get(IssuedCard, card["serial"])
            assert issued is not None and issued.nik == card["nik"]
            record, media = load_card(s.get(Enrolment, issued.enrolment_id))
            assert record.name == card["name"]
            issued_on = issued.issued_at.replace(tzinfo=UTC).astimezone(station.timezone)
            face = render_face(
                record,
                media,
                IssueInfo(station.config.office.issue_place, issued_on.date()),
                station.config.office,
                station.template,
            )
            expected = np.asarray(panels_to_face(face_to_panels(face)), dtype=np.int16)
            printed = np.asarray(Image.open(card["face_png"]).convert("RGB"), dtype=np.int16)
            assert printed.shape == expected.shape == (648, 1016, 3)
            # Y/M/C travel at 6 bits a dot: each channel within 4 levels of 256.
            assert np.abs(printed - expected).max() <= 4
    station.close()


def test_demo_configuration_points_other_commands_at_its_station(
    demo_json: tuple[dict, Path],
) -> None:
    _, out = demo_json
    station = Station.open(str(out / "station.toml"))
    assert station.config.database_url == f"sqlite:///{(out / 'station.db').resolve()}"
    assert [p.name for p in station.config.printers] == ["P1", "P2"]
    station.close()


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.output


def test_init_refuses_a_folder_that_holds_a_station_and_leaves_it_as_it_is(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "kupang"
    code, _, output = _invoke("init", "--out", str(folder), "--name", "KUPANG-01")
    assert code == 0, output
    config = folder / "station.toml"
    renamed = config.read_text().replace('name = "KUPANG-01"', 'name = "KOTA KUPANG OEBOBO"')
    config.write_text(renamed)
    code, stdout, output = _invoke("init", "--out", str(folder), "--json")
    assert code == 2
    error = json.loads(stdout.splitlines()[0])["error"]
    assert str(folder) in error["message"] and "already holds a station" in error["message"]
    assert config.read_text() == renamed
    config.unlink()  # a database alone is a station too
    code, stdout, _ = _invoke("init", "--out", str(folder), "--json")
    assert code == 2 and "(station.db)" in json.loads(stdout.splitlines()[0])["error"]["message"]


def test_init_names_the_station_and_the_reports_print_that_name(tmp_path: Path) -> None:
    from tests.reports.pdftext import pdf_text

    folder = tmp_path / "oebobo"
    code, stdout, output = _invoke("init", "--out", str(folder), "--name", "KUPANG-07", "--json")
    assert code == 0, output
    created = json.loads(stdout)
    assert created["name"] == "KUPANG-07" and created["printers"] == ["P1"]
    assert created["config"] == str((folder / "station.toml").resolve())
    station = Station.open(created["config"])
    assert station.config.name == "KUPANG-07"
    station.close()
    pdf = tmp_path / "posting.pdf"
    code, _, output = _invoke(
        "--config",
        created["config"],
        "--user",
        "auditor",  # set-up mode: the role of that name, no PIN
        "audit",
        "posting",
        "--format",
        "pdf",
        "--out",
        str(pdf),
    )
    assert code == 0, output
    text = pdf_text(pdf)
    assert "KUPANG-07" in text and "DEMO-KUPANG" not in text


def test_init_without_a_name_takes_the_folders(tmp_path: Path) -> None:
    code, stdout, output = _invoke("init", "--out", str(tmp_path / "kupang-02"), "--json")
    assert code == 0, output
    assert json.loads(stdout)["name"] == "KUPANG-02"


def test_init_refuses_a_name_too_long_for_the_records(tmp_path: Path) -> None:
    code, stdout, _ = _invoke("init", "--out", str(tmp_path / "s"), "--name", "K" * 41, "--json")
    assert code == 2
    assert "longer than 40 characters" in json.loads(stdout.splitlines()[0])["error"]["message"]
    assert not (tmp_path / "s").exists()


def test_the_demo_remakes_its_own_station_but_no_other(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    for _ in range(2):
        code, stdout, output = _invoke(
            "demo", "--prepare-only", "--out", str(demo), "--cards", "2", "--json"
        )
        assert code == 0, output
        assert json.loads(stdout) == {
            "config": str((demo / "station.toml").resolve()),
            "name": "DEMO-KUPANG",
            "cards": 2,
            "printers": 1,
        }
    office = tmp_path / "office"
    assert _invoke("init", "--out", str(office), "--name", "KUPANG-01")[0] == 0
    before = (office / "station.db").read_bytes()
    code, stdout, _ = _invoke(
        "demo", "--prepare-only", "--out", str(office), "--cards", "1", "--json"
    )
    assert code == 2
    assert "already holds a station" in json.loads(stdout.splitlines()[0])["error"]["message"]
    assert (office / "station.db").read_bytes() == before
