"""The outbox for an office without a link: a CMS-signed file carried on a flash disk, and
the central system's acknowledgement file carried back (formats: docs/outbox.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from printstation.errors import InputError
from printstation.outbox import store

if TYPE_CHECKING:
    from printstation.chip.pki import Signer

#: The ``format`` of the signed content and of the acknowledgement file.
EXPORT_FORMAT = "printstation-outbox-export"
ACK_FORMAT = "printstation-outbox-ack"
VERSION = 1


def export_document(
    records: list[dict[str, Any]], *, station: str, since: int, now: datetime | None = None
) -> bytes:
    """The signed content: every record from ``since`` on, as one JSON document."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    document = {
        "format": EXPORT_FORMAT,
        "version": VERSION,
        "station": station,
        "exported_at": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "since": since,
        "first": records[0]["seq"] if records else None,
        "last": records[-1]["seq"] if records else None,
        "count": len(records),
        "records": records,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def sign(content: bytes, signer: Signer, *, pem: bool = False) -> bytes:
    """CMS SignedData over ``content`` (embedded), by the document signer, SHA-256."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(signer.certificate, signer.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return builder.sign(Encoding.PEM if pem else Encoding.DER, [pkcs7.PKCS7Options.Binary])


def ack_document(acks: list[dict[str, Any]], *, central: str, now: datetime | None = None) -> str:
    """An acknowledgement file as the central system writes it."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return json.dumps(
        {
            "format": ACK_FORMAT,
            "version": VERSION,
            "central": central,
            "written_at": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "acks": acks,
        },
        ensure_ascii=False,
        indent=1,
    )


def read_ack_file(path: Path) -> list[store.Ack]:
    """The acknowledgements in an ack file; an InputError naming what is wrong in it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("the acknowledgement file is not there", where=str(path)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"the acknowledgement file is not JSON ({exc})", where=str(path)) from None
    if not isinstance(data, dict) or data.get("format") != ACK_FORMAT:
        raise InputError(
            f"not an outbox acknowledgement file (its format is not {ACK_FORMAT!r})",
            where=str(path),
        )
    acks = data.get("acks")
    if not isinstance(acks, list):
        raise InputError("the acknowledgement file has no list of acks", where=str(path))
    found: list[store.Ack] = []
    for i, ack in enumerate(acks):
        if not isinstance(ack, dict) or not ack.get("key") or ack.get("ack") in (None, ""):
            raise InputError(f"ack {i + 1} has no key or no ack id", where=str(path))
        try:
            at = store.parse_time(ack.get("at"))
        except ValueError:
            raise InputError(f"ack {i + 1}'s time is not ISO 8601", where=str(path)) from None
        found.append(store.Ack(str(ack["key"]), str(ack["ack"]), at))
    return found
