"""The console's messages: every error code has its Indonesian; the messages the station
raises are told in Indonesian with their values and no English left; every import rule's
reason is told in Indonesian; English shows the station's own words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import printstation.intake.bundle
import printstation.intake.fields
import printstation.intake.minutiae
import printstation.jobs.approvals
import printstation.layout.text
import printstation.ledger.writeoffs
from printstation import errors
from printstation.console.messages import (
    CODES,
    PRINTER,
    explain,
    explain_line,
    explain_printer,
    field_word,
)
from printstation.drivers.printer import WARNINGS
from printstation.drivers.protocol import nack_error
from printstation.errors import PrintStationError
from printstation.storage.db import Database
from tests.test_enrolment_rules import FIELD_CASES, MEDIA_CASES, judge

#: Words that would show English was left in a message meant to be Indonesian.
ENGLISH_WORDS = {
    "the", "is", "are", "was", "not", "and", "or", "of", "to", "on", "in", "has",
    "have", "cannot", "must", "should", "job", "blank", "blanks", "printer's", "card",
    "please", "already", "first", "give", "say", "missing", "empty", "only", "with",
    "there", "no", "found", "open", "close", "press", "resume", "load", "replace",
    "remove", "jammed", "cover", "ribbon", "feeder's", "settle", "request", "user",
    "unknown", "wrong", "locked", "minutes", "digits", "date", "before", "after",
    "future", "photo", "pixels", "needed", "least", "most", "characters", "long",
}  # fmt: skip


def english_left(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z']+", text.lower()) if w in ENGLISH_WORDS}


def every_error_class() -> list[type[PrintStationError]]:
    found: list[type[PrintStationError]] = []
    todo: list[type[PrintStationError]] = [PrintStationError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_code_has_an_indonesian_entry() -> None:
    codes = {cls.code for cls in every_error_class()}
    assert {"jam", "invalid_nik", "enrolment_field", "own_request", "bundle"} <= codes
    missing = sorted(c for c in codes if c not in CODES and c not in PRINTER)
    assert missing == []
    for code in codes:
        title, message, action = CODES.get(code) or PRINTER[code]
        assert not english_left(title + " " + message + " " + (action or "")), code


def test_an_error_of_every_code_is_told_in_indonesian_with_the_english_in_the_details() -> None:
    for cls in every_error_class():
        error = cls.__new__(cls)  # some take other arguments (FieldError: field, reason)
        PrintStationError.__init__(error, "something odd happened here", where="printer P2")
        told = explain(error)
        assert told.title and told.message, cls
        assert not english_left(f"{told.title} {told.message} {told.action or ''}"), cls
        assert "something odd happened here" in (told.detail or "")
        assert "something odd" not in told.message


@pytest.mark.parametrize(
    ("error", "said", "todo"),
    [
        (
            nack_error("T", "", command="Sis", printer="P1"),
            "Kartu macet di printer P1.",
            "Buka penutup, keluarkan kartu, lalu tekan Lanjutkan.",
        ),
        (
            nack_error("C", "", command="Prn", printer="P1"),
            "Penutup printer P1 terbuka.",
            "Tutup penutupnya, lalu tekan Lanjutkan.",
        ),
        (
            nack_error("F", "", command="Sis", printer="P3"),
            "Feeder printer P3 kosong.",
            "Isi blangko, lalu tekan Lanjutkan.",
        ),
        (
            nack_error("R", "", command="Prn", printer="P1"),
            "Pita printer P1 habis.",
            "Ganti pita, lalu tekan Lanjutkan.",
        ),
        (
            nack_error("F", "misfeed", command="Sis", printer="P1"),
            "Blangko tidak tertarik dari feeder printer P1.",
            None,
        ),
        (
            nack_error("T", "reject_full", command="Sis", printer="P2"),
            "Kotak tolak printer P2 penuh.",
            None,
        ),
        (
            errors.PermissionDenied("ani is operator: only supervisor may do job.cancel"),
            "Anda tidak berwenang melakukan tindakan ini: ani adalah operator, hanya "
            "pengawas yang boleh membatalkan pekerjaan cetak.",
            "Minta pengawas untuk melakukannya.",
        ),
        (
            errors.PermissionDenied("login refused for 'ani': unknown user or wrong PIN"),
            "Nama pengguna atau PIN salah.",
            None,
        ),
        (
            errors.PermissionDenied(
                "login refused for 'ani': 5 wrong PINs, the account is locked for 15 "
                "minutes; a supervisor can unlock it"
            ),
            "Akun ani dikunci selama 15 menit karena PIN salah 5 kali.",
            None,
        ),
        (errors.InputError("there is no job 12"), "Pekerjaan cetak 12 tidak ada.", None),
        (
            errors.JobError(
                "job 7 is unresolved and cannot be requeued: look at the printer and "
                "settle what came out first (job resolve)"
            ),
            "Pekerjaan cetak 7 belum jelas nasib kartunya.",
            None,
        ),
        (
            errors.JobError("job 3 is issued: only a waiting job can be made priority"),
            "Pekerjaan cetak 3 dalam keadaan Tercetak: hanya pekerjaan yang masih menunggu "
            "yang dapat diprioritaskan.",
            None,
        ),
        (
            errors.InputError(
                "the deadline 2026-11-01 has already passed (today is 2026-12-03): give "
                "the date by which the card is needed"
            ),
            "Tenggat 1 November 2026 sudah lewat (hari ini 3 Desember 2026).",
            None,
        ),
        (
            errors.InputError(
                "NIK 5371015708900002 has no valid card issued by this station: a reprint "
                "replaces one; import the enrolment as a new card instead"
            ),
            "NIK 5371015708900002 belum punya kartu sah yang dicetak stasiun ini: cetak "
            "ulang hanya menggantikan kartu yang ada.",
            None,
        ),
        (
            errors.StockError(
                "loading 8 blanks would leave 2 on hand, below the priority reserve of 5 "
                "the supervisor keeps for approved priority prints: load at most 5, or "
                "confirm that the reserve may be used (--use-reserve)",
                where="printer P1",
            ),
            "Memuat 8 blangko akan menyisakan 2, di bawah cadangan prioritas 5.",
            "Muat paling banyak 5, atau nyatakan bahwa cadangan prioritas boleh dipakai.",
        ),
        (
            errors.UnknownBlank(
                "blank S000099 at the encoder of printer P1 is not in this station's "
                "received stock: the card was rejected; take it out of the reject box and "
                "report it to the supervisor"
            ),
            "Blangko S000099 di pembaca chip printer P1 tidak tercatat dalam stok stasiun "
            "ini: kartunya ditolak.",
            None,
        ),
        (
            printstation.jobs.approvals.OwnRequest(
                "budi asked for request 4: another supervisor must decide it"
            ),
            "Permintaan 4 diajukan oleh budi sendiri.",
            "Pengawas lain harus memutuskannya.",
        ),
        (
            errors.InputError("printer P1 is already printing: pause or stop it first"),
            "Printer P1 sedang mencetak.",
            None,
        ),
    ],
)
def test_a_raised_message_is_told_in_indonesian_with_its_values(
    error: PrintStationError, said: str, todo: str | None
) -> None:
    told = explain(error)
    assert told.message == said
    if todo is not None:
        assert told.action == todo
    assert not english_left(f"{told.title} {told.message} {told.action or ''}")
    assert error.message in (told.detail or "")


@pytest.mark.parametrize(
    ("message", "said"),
    [
        (
            "card jammed on printer P1 during Sis: open the cover, remove the card and press "
            "resume; a blank may be in printer P1: clear it, then resolve the job",
            "Kartu macet di printer P1. Mungkin ada blangko di printer P1.",
        ),
        (
            "two blanks fed together on printer P1 during Sis: open the cover, take both "
            "cards out, record them, and press resume; printer P1 could not move card "
            "S000004 to the reject box (card jammed on printer P1 during Ser): it is still "
            "in the printer; open the cover, remove the card and press resume, then resolve "
            "the job",
            "Dua blangko tertarik bersamaan di printer P1. Printer P1 tidak dapat memindahkan "
            "kartu S000004 ke kotak tolak: kartunya masih di dalam printer.",
        ),
        (
            "printer P2 could not move the card (its serial was not read) to the reject box "
            "(cover open on printer P2): it is still in the printer; close the cover and "
            "press resume, then resolve the job",
            "Printer P2 tidak dapat memindahkan kartu ke kotak tolak: kartunya masih di dalam "
            "printer.",
        ),
        (
            "the chip of the card at printer P1 could not be read (no answer); its blank is "
            "in the reject box: record its serial as spoiled",
            "Chip kartu di printer P1 tidak dapat dibaca; blangkonya ada di kotak tolak.",
        ),
    ],
)
def test_a_card_left_open_by_the_printer_is_told_with_what_stopped_it(
    message: str, said: str
) -> None:
    told = explain(errors.PrinterNeedsOperator(message, where="P1"))
    assert told.message == said
    assert told.action is not None and "belum jelas" in told.action
    assert not english_left(f"{told.title} {told.message} {told.action}")


def test_messages_raised_by_the_operations_are_told_in_indonesian(tmp_path: Path) -> None:
    from printstation.operations import jobs
    from tests.factories import station_with_people, who

    station = station_with_people(f"sqlite:///{tmp_path / 'station.db'}", tmp_path)
    ani = who(station, "ani")
    raised: list[PrintStationError] = []
    for attempt in (
        lambda: jobs.cancel(station, ani, 1, "x"),
        lambda: jobs.show_job(station, ani, 99),
        lambda: jobs.request_reprint(station, ani, "123", "lost"),
        lambda: jobs.request_reprint(station, ani, "5371015708900002", "stolen"),
        lambda: jobs.request_reprint(station, ani, "5371015708900002", "lost"),
        lambda: jobs.search_jobs(station, ani, state="gone"),
    ):
        with pytest.raises(PrintStationError) as caught:
            attempt()
        raised.append(caught.value)
    station.close()
    for error in raised:
        told = explain(error)
        assert not english_left(f"{told.title} {told.message} {told.action or ''}"), (
            error.message,
            told,
        )
        assert told.message != CODES[error.code][1], error.message  # matched, not fallen back


def test_english_shows_the_station_own_words() -> None:
    error = nack_error("T", "", command="Sis", printer="P1")
    told = explain(error, "en")
    assert told.message == str(error)
    assert "open the cover" in told.message


def test_printer_states_warnings_and_stops_are_told_by_code() -> None:
    assert explain_printer("jammed", "P1").message == "Kartu macet di printer P1."
    assert explain_printer("jam", "P1").action == (
        "Buka penutup, keluarkan kartu, lalu tekan Lanjutkan."
    )
    low = explain_printer("ribbon_low", "P2", fallback="ribbon low on printer P2: 12 prints left")
    assert low.message == "Pita printer P2 hampir habis: tinggal 12 cetakan."
    feeder = explain_printer("feeder_low", "P1", fallback="feeder low on printer P1: 4 blanks left")
    assert feeder.message == "Feeder printer P1 hampir kosong: tinggal 4 blangko."
    for code in [*WARNINGS, "not_found", "disconnected", "not_answering", "card_in_path"]:
        told = explain_printer(code, "P1")
        assert "P1" in told.message, code
        assert not english_left(f"{told.title} {told.message} {told.action or ''}"), code
    english = explain_printer("ribbon_low", "P2", "en", fallback="ribbon low on printer P2: 3")
    assert english.message == "ribbon low on printer P2: 3"
    unknown = explain_printer("strange_noise", "P4", fallback="printer P4 hums")
    assert unknown.message == "Printer P4 perlu diperhatikan."
    assert "printer P4 hums" in (unknown.detail or "")


REJECTED = [c for c in FIELD_CASES + MEDIA_CASES if c[2] is not None]


@pytest.mark.parametrize(
    ("change", "field"), [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED]
)
def test_every_import_rules_reason_is_told_in_indonesian(
    tmp_path: Path, change: Any, field: str
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'rules.db'}")
    db.create_schema()
    try:
        report = judge(db, tmp_path / "b", change)
    finally:
        db.dispose()
    reason = report.errors[0]["reason"]
    told = explain_line(reason)
    assert not told.startswith("tidak dapat diterima ("), reason
    assert not english_left(told), (reason, told)
    assert field_word(report.errors[0]["field"]) != report.errors[0]["field"] or field == "nik"
    assert explain_line(reason, "en") == reason


def test_a_reason_not_listed_keeps_its_english_after_an_indonesian_word() -> None:
    assert explain_line("is odd in a new way") == "tidak dapat diterima (is odd in a new way)"


def test_every_action_of_the_role_table_has_its_indonesian() -> None:
    from printstation.console.messages import ACTION_WORDS
    from printstation.people.roles import PERMISSIONS

    assert sorted(set(PERMISSIONS) - set(ACTION_WORDS)) == []
    assert all(not english_left(words) for words in ACTION_WORDS.values())
