"""The audit key and signed checkpoints of the audit chain's head, kept outside the database.

The station's folder holds ``keys/`` (mode 0700) with ``audit.key`` (the MAC key of every
audit event, 0600) and ``checkpoints.jsonl`` (0600): one line per checkpoint, the chain's
head (its last event's number and MAC) at a moment, signed with the station's document
signer, or, when ``[pki]`` is not configured, MACed with a key derived from the audit key
(``printstation doctor`` warns about that: such a checkpoint can only be checked by whoever
holds the key). A checkpoint is taken when an event is appended and the last one is a day
old, with every report, and by ``printstation audit checkpoint``; each is also a row of
``audit_checkpoints``, but the file is what ``audit verify`` trusts: whoever can write the
database cannot write it, nor forge a line of it.

A new station creates its key when its chain has no keyed event yet; a key file that is
missing while the chain has keyed events is a ConfigError naming the file, never a new key.
Stations that share one PostgreSQL database share the chain: the first station's
``keys/audit.key`` is copied to every other station before it starts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from printstation.errors import ConfigError
from printstation.ledger.audit import HeadMark, locked_head
from printstation.storage.models import AuditCheckpoint, AuditHead, utcnow

if TYPE_CHECKING:
    from cryptography import x509

    from printstation.chip.pki import Signer

KEYS_DIR = "keys"
KEY_FILE = "audit.key"
CHECKPOINTS_FILE = "checkpoints.jsonl"
KEY_BYTES = 32
_PENDING = "printstation.ledger.checkpoints.pending"


def keys_dir(home: Path) -> Path:
    return home / KEYS_DIR


def _private_dir(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def read_key(path: Path) -> bytes:
    """The MAC key in ``path`` (64 hex digits); a ConfigError naming the file otherwise."""
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError:
        raise ConfigError(f"the audit key file {path} does not exist", where=str(path)) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read the audit key: {exc}", where=str(path)) from exc
    if len(key) < 16:
        raise ConfigError("the audit key file holds no key of 32 bytes", where=str(path))
    return key


def write_key(path: Path) -> bytes:
    """A new random key in ``path`` (0600, refusing to overwrite an existing file)."""
    _private_dir(path.parent)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
    return key


class KeyFile:
    """The station's ``keys/audit.key``, read once; created only for a chain with no keyed event."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: bytes | None = None

    def __call__(self, session: Session) -> bytes:
        if self._key is not None:
            return self._key
        if self.path.exists():
            self._key = read_key(self.path)
            return self._key
        head = session.get(AuditHead, 1)
        if head is not None and head.last_id >= head.keyed_from:
            raise ConfigError(
                f"the audit key file {self.path} is missing, but the audit log has "
                f"{head.last_id - head.keyed_from + 1} events MACed with it: restore the file "
                "from the station's backup (a station sharing the database with another "
                "station needs a copy of that station's keys/audit.key); a new key would "
                "make every event look forged",
                where=str(self.path),
            )
        try:
            self._key = write_key(self.path)
        except FileExistsError:  # another process made it first
            self._key = read_key(self.path)
        return self._key


# -- checkpoints ----------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint as the file (or the table) holds it."""

    station: str
    at: str
    reason: str
    event_id: int
    mac: str
    keyed_from: int
    method: str
    signature: str

    def body(self) -> bytes:
        """The signed bytes: every field but the signature, canonical JSON."""
        fields = {
            "station": self.station,
            "at": self.at,
            "reason": self.reason,
            "event": self.event_id,
            "mac": self.mac,
            "keyed_from": self.keyed_from,
            "method": self.method,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def line(self) -> str:
        data = json.loads(self.body()) | {"signature": self.signature}
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    def label(self) -> str:
        return f"the checkpoint of {self.at[:16].replace('T', ' ')} UTC ({self.reason})"

    def mark(self) -> HeadMark:
        return HeadMark(self.event_id, self.mac, self.keyed_from, self.label())

    @classmethod
    def from_row(cls, row: AuditCheckpoint) -> Checkpoint:
        return cls(
            row.station,
            row.at.isoformat(timespec="microseconds"),
            row.reason,
            row.event_id,
            row.mac,
            row.keyed_from,
            row.method,
            row.signature,
        )

    @classmethod
    def from_line(cls, text: str, where: str) -> Checkpoint:
        try:
            data = json.loads(text)
            return cls(
                str(data["station"]),
                str(data["at"]),
                str(data["reason"]),
                int(data["event"]),
                str(data["mac"]),
                int(data["keyed_from"]),
                str(data["method"]),
                str(data["signature"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"not a checkpoint line: {exc}", where=where) from exc


def _checkpoint_key(key: bytes) -> bytes:
    """The key checkpoints are MACed with when the station has no document signer."""
    return hmac.new(key, b"printstation audit checkpoint", hashlib.sha256).digest()


def _method(signer: Signer | None) -> str:
    if signer is None:
        return "hmac-sha256"
    from cryptography.hazmat.primitives.asymmetric import ec

    return "ecdsa-sha256" if isinstance(signer.key, ec.EllipticCurvePrivateKey) else "rsa-sha256"


def take(
    session: Session,
    reason: str,
    *,
    station: str,
    key: bytes,
    signer: Signer | None,
    file: Path | None,
) -> Checkpoint:
    """Sign the chain's head now, in the session's transaction (the file line is written
    once the transaction commits, so a rolled-back event never has a checkpoint)."""
    head = locked_head(session)
    at = utcnow().replace(tzinfo=None)
    unsigned = Checkpoint(
        station,
        at.isoformat(timespec="microseconds"),
        reason[:120],
        head.last_id,
        head.last_hash,
        head.keyed_from,
        _method(signer),
        "",
    )
    body = unsigned.body()
    if signer is None:
        signature = hmac.new(_checkpoint_key(key), body, hashlib.sha256).hexdigest()
    else:
        from printstation.chip.pki import sign

        signature = base64.b64encode(sign(signer.key, body)).decode("ascii")
    checkpoint = Checkpoint(**{**unsigned.__dict__, "signature": signature})
    session.add(
        AuditCheckpoint(
            at=at,
            station=station,
            reason=checkpoint.reason,
            event_id=checkpoint.event_id,
            mac=checkpoint.mac,
            keyed_from=checkpoint.keyed_from,
            method=checkpoint.method,
            signature=signature,
        )
    )
    head.checkpoint_at = at
    from printstation.ledger.outbox import append

    append(
        session,
        "audit.checkpoint",
        {
            "reason": checkpoint.reason,
            "event_id": checkpoint.event_id,
            "mac": checkpoint.mac,
            "keyed_from": checkpoint.keyed_from,
            "method": checkpoint.method,
            "signature": signature,
        },
        at=at,
    )
    if file is not None:
        _after_commit(session, file, checkpoint.line())
    return checkpoint


def _after_commit(session: Session, file: Path, line: str) -> None:
    pending: list[tuple[Path, str]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []

        def write(s: Session) -> None:
            lines = s.info.pop(_PENDING, [])
            for path, text in lines:
                append_line(path, text)

        def drop(s: Session) -> None:
            s.info.pop(_PENDING, None)

        event.listen(session, "after_commit", write, once=True)
        event.listen(session, "after_soft_rollback", drop, once=True)
    pending.append((file, line))


def append_line(path: Path, line: str) -> None:
    _private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())


def read_file(path: Path) -> list[Checkpoint]:
    """The checkpoints in a ``checkpoints.jsonl`` (none when the file does not exist)."""
    if not path.exists():
        return []
    found: list[Checkpoint] = []
    with path.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, 1):
            if text.strip():
                found.append(Checkpoint.from_line(text, f"{path}:{number}"))
    return found


def in_table(session: Session) -> Iterator[Checkpoint]:
    for row in session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).scalars():
        yield Checkpoint.from_row(row)


def last_checkpoint_at(path: Path) -> datetime | None:
    """When the file's last checkpoint was taken (UTC, naive); None without one."""
    found = read_file(path) if path.exists() else []
    return datetime.fromisoformat(found[-1].at) if found else None


def genuine(
    checkpoint: Checkpoint, *, key: bytes | None, certificate: x509.Certificate | None
) -> bool | None:
    """Whether the checkpoint's signature holds: None when it cannot be checked here
    (an HMAC checkpoint without the key, a signed one without the signer's certificate)."""
    body = checkpoint.body()
    if checkpoint.method == "hmac-sha256":
        if key is None:
            return None
        expected = hmac.new(_checkpoint_key(key), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, checkpoint.signature)
    if certificate is None:
        return None
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        public = certificate.public_key()
        if checkpoint.method == "ecdsa-sha256" and isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, body, ec.ECDSA(hashes.SHA256()))
        elif checkpoint.method == "rsa-sha256" and isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def as_json(checkpoint: Checkpoint) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(checkpoint.line())
    return data
