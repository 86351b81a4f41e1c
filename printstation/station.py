"""One station: its configuration, database, region table and card template, opened once.

Commands and the runner reach hardware and storage through this object, so a test can
build a station on a temporary folder and drive it exactly as the command line does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from printstation.config import PrinterConfig, StationConfig, load_config
from printstation.intake.regions import Regions, load_regions
from printstation.layout.template import Template, load_template
from printstation.storage.db import Database

if TYPE_CHECKING:
    from printstation.chip.pki import Signer


@dataclass
class Station:
    config: StationConfig
    db: Database = field(init=False)

    def __post_init__(self) -> None:
        self.db = Database(self.config.database_url)

    @classmethod
    def open(cls, config_path: str | None = None, *, create: bool = True) -> Station:
        station = cls(load_config(config_path))
        if create:
            station.db.create_schema()
        return station

    @cached_property
    def template(self) -> Template:
        return load_template(self.config.template)

    @cached_property
    def regions(self) -> Regions:
        return load_regions()

    @cached_property
    def signer(self) -> Signer | None:
        """The document signer for EF 6FF6 (``[pki]``); None when none is configured."""
        pki = self.config.pki
        if pki is None:
            return None
        from printstation.chip.pki import PkiPaths, load_signer

        return load_signer(PkiPaths(pki.ca_cert, pki.signer_cert, pki.signer_key))

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.config.office.timezone)

    def today(self) -> date:
        return datetime.now(self.timezone).date()

    def printer_config(self, name: str) -> PrinterConfig:
        return self.config.printer(name)

    def close(self) -> None:
        self.db.dispose()
