"""Indonesian wording for the office's documents: dates, numbers in words, cause names."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")

#: Spoil causes as an office writes them (the station's codes are in printstation.ledger.stock).
CAUSE_LABELS = {
    "encoding_failed": "Gagal tulis chip",
    "print_failed": "Gagal cetak",
    "damaged": "Rusak fisik",
    "data_changed": "Perubahan data",
    "misfeed": "Salah tarik (misfeed)",
    "test_print": "Cetak uji",
    "lost": "Hilang",
}

#: Indonesia's three time zones by their usual abbreviations.
ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}

_UNITS = (
    "",
    "satu",
    "dua",
    "tiga",
    "empat",
    "lima",
    "enam",
    "tujuh",
    "delapan",
    "sembilan",
    "sepuluh",
    "sebelas",
)


def cause_label(cause: str) -> str:
    return CAUSE_LABELS.get(cause, cause.replace("_", " ").capitalize())


def zone_name(tz: ZoneInfo) -> str:
    return ZONE_NAMES.get(tz.key, tz.key)


def long_date(day: date) -> str:
    """``3 Mei 2024``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def day_and_date(day: date) -> str:
    """``Jumat, 3 Mei 2024``."""
    return f"{DAYS[day.weekday()]}, {long_date(day)}"


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    """``14:05`` in the office's zone (a naive moment is UTC, as the database stores it)."""
    return as_local(moment, tz).strftime("%H:%M")


def as_local(moment: datetime, tz: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)


def in_words(number: int) -> str:
    """A whole number in Indonesian words, as written in an official record ("terbilang")."""
    if number < 0:
        return "minus " + in_words(-number)
    if number == 0:
        return "nol"
    return _words(number).strip()


def _words(n: int) -> str:
    if n < 12:
        return _UNITS[n]
    if n < 20:
        return f"{_UNITS[n - 10]} belas"
    if n < 100:
        return f"{_UNITS[n // 10]} puluh {_words(n % 10)}".strip()
    if n < 200:
        return f"seratus {_words(n - 100)}".strip()
    if n < 1000:
        return f"{_UNITS[n // 100]} ratus {_words(n % 100)}".strip()
    if n < 2000:
        return f"seribu {_words(n - 1000)}".strip()
    for size, name in ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"), (10**3, "ribu")):
        if n >= size:
            return f"{_words(n // size)} {name} {_words(n % size)}".strip()
    raise ValueError(n)  # unreachable: every n >= 2000 meets one of the sizes
