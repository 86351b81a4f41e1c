"""One station: its configuration, database, region table and card template, opened once.

Commands and the runner reach hardware and storage through this object, so a test can
build a station on a temporary folder and drive it exactly as the command line does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from printstation.config import PrinterConfig, StationConfig, load_config
from printstation.intake.regions import Regions, load_regions
from printstation.layout.template import Template, load_template
from printstation.storage.db import AuditSetup, Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from printstation.chip.pki import Signer


@dataclass
class Station:
    config: StationConfig
    db: Database = field(init=False)

    def __post_init__(self) -> None:
        from printstation.ledger.checkpoints import KeyFile

        self.audit_key = KeyFile(self.audit_key_path)
        self.db = Database(
            self.config.database_url,
            audit=AuditSetup(self.audit_key, self.checkpoint, station=self.config.name),
        )

    @property
    def keys_dir(self) -> Path:
        """The station's ``keys/`` folder (0700): the audit key and the checkpoints."""
        return self.config.home / "keys"

    @property
    def audit_key_path(self) -> Path:
        return self.keys_dir / "audit.key"

    @property
    def checkpoints_path(self) -> Path:
        return self.keys_dir / "checkpoints.jsonl"

    def checkpoint(self, session: Session, reason: str) -> object:
        """Sign the audit chain's head in ``session`` (see printstation.ledger.checkpoints)."""
        from printstation.errors import ConfigError
        from printstation.ledger.checkpoints import take

        try:
            signer = self.signer
        except ConfigError:
            if reason != "daily":
                raise
            signer = None  # a daily checkpoint never stops the station: MACed instead
        return take(
            session,
            reason,
            station=self.config.name,
            key=self.audit_key(session),
            signer=signer,
            file=self.checkpoints_path,
        )

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
