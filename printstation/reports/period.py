"""Office-local days as moments in UTC, the way the database stores time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from printstation.errors import InputError


@dataclass(frozen=True)
class Period:
    """The office-local days ``first`` to ``last`` inclusive, in zone ``tz``."""

    first: date
    last: date
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise InputError(
                f"the period starts {self.first} after it ends {self.last}: swap --from and --to"
            )

    @property
    def start(self) -> datetime:
        """The first moment of the period, in UTC."""
        return local_midnight(self.first, self.tz)

    @property
    def end(self) -> datetime:
        """The first moment after the period, in UTC (exclusive)."""
        return local_midnight(self.last + timedelta(days=1), self.tz)

    def reaches(self, today: date) -> bool:
        """True when the period ends today or later: its closing is the stock as it is now."""
        return self.last >= today

    @property
    def label(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} .. {self.last.isoformat()}"


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def naive_utc(moment: datetime) -> datetime:
    """``moment`` as a naive UTC value, for columns stored without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)
