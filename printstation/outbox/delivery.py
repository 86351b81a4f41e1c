"""Sending the pending records to the central system, in batches, until none waits.

One request carries up to ``[central] batch`` records, oldest first: a JSON body
``{"format": 1, "station": NAME, "records": [PAYLOAD, ...]}`` with each record's
idempotency key in its payload and all of them, comma-separated, in the
``Idempotency-Key`` header. The central system answers ``{"acks": [{"key", "ack", "at"}]}``
and each acknowledgement is stored with its record. A request that fails (no
connection, a timeout, a 5xx or 429 answer) is tried again after a pause that doubles
from ``[central] backoff`` up to ``backoff_max``, ``retries`` times in all; the records
stay pending until acknowledged, so a sender killed at any moment sends them again and the
central system, which deduplicates by key, keeps each once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from printstation.errors import ConfigError, PrintStationError
from printstation.outbox import store

if TYPE_CHECKING:
    from printstation.config import CentralConfig
    from printstation.station import Station

#: The longest batch: every key goes in the request's header too.
MAX_BATCH = 200


class DeliveryFailed(PrintStationError):
    """The central system could not be reached or refused a batch (kept pending)."""

    code = "delivery_failed"


@dataclass
class Delivered:
    """What one delivery did."""

    batches: int = 0
    sent: int = 0
    #: Records newly acknowledged; already acknowledged (sent again after a crash).
    acked: int = 0
    again: int = 0
    #: Why it stopped early (the records stay pending), None when none waits.
    error: str | None = None
    tries: list[str] = field(default_factory=list)


def central_of(station: Station) -> CentralConfig:
    central = station.config.central
    if central is None:
        raise ConfigError(
            "the configuration has no central table with the central system's url: "
            "add one, or carry the reports with printstation export status",
            where=str(station.config.source),
        )
    return central


def client(central: CentralConfig) -> httpx.Client:
    """An HTTPS client with the station's certificate and the configured CA file."""
    for what, path in (("cert", central.cert), ("key", central.key), ("ca", central.ca)):
        if path is not None and not path.is_file():
            raise ConfigError(f"central.{what}: the file is not there", where=str(path))
    import ssl

    context = ssl.create_default_context(cafile=str(central.ca) if central.ca else None)
    if central.cert and central.key:
        try:
            context.load_cert_chain(str(central.cert), str(central.key))
        except (ssl.SSLError, ValueError) as exc:
            raise ConfigError(
                f"central.cert and central.key are not a certificate and its key ({exc})",
                where=str(central.cert),
            ) from None
    return httpx.Client(verify=context, timeout=central.timeout)


def _post(
    http: httpx.Client,
    central: CentralConfig,
    station: str,
    batch: list[dict[str, Any]],
    *,
    stop: threading.Event | None,
    sleep: Callable[[float], object],
    tries: list[str],
) -> list[store.Ack]:
    keys = [str(r["key"]) for r in batch]
    body = {"format": 1, "station": station, "records": batch}
    headers = {"Idempotency-Key": ",".join(keys)}
    pause = central.backoff
    last = ""
    for attempt in range(central.retries):
        if attempt:
            if stop is not None and stop.wait(pause):
                break
            if stop is None:
                sleep(pause)
            pause = min(pause * 2, central.backoff_max)
        try:
            answer = http.post(central.url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
            tries.append(last)
            continue
        if answer.status_code >= 500 or answer.status_code == 429:
            last = f"HTTP {answer.status_code}"
            tries.append(last)
            continue
        if answer.status_code >= 400:
            raise DeliveryFailed(
                f"the central system refused records {batch[0]['seq']} to {batch[-1]['seq']}: "
                f"HTTP {answer.status_code} {answer.text[:200]}",
                where=central.url,
            )
        try:
            found = answer.json()["acks"]
            return [
                store.Ack(str(a["key"]), str(a["ack"]), store.parse_time(a.get("at")))
                for a in found
                if str(a.get("key")) in keys
            ]
        except (ValueError, KeyError, TypeError) as exc:
            last = f"the answer is not a list of acknowledgements ({exc})"
            tries.append(last)
    raise DeliveryFailed(
        f"records {batch[0]['seq']} to {batch[-1]['seq']} were not delivered after "
        f"{len(tries) or 1} tries ({last or 'stopped'}); they stay pending",
        where=central.url,
    )


def deliver(
    station: Station,
    *,
    stop: threading.Event | None = None,
    max_batches: int | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> Delivered:
    """Send pending records until none waits, a batch fails, or ``stop`` is set."""
    central = central_of(station)
    size = max(1, min(central.batch, MAX_BATCH))
    done = Delivered()
    with client(central) as http:
        while max_batches is None or done.batches < max_batches:
            if stop is not None and stop.is_set():
                break
            with station.db.session() as s:
                batch = store.pending(s, size)
            if not batch:
                break
            try:
                acks = _post(
                    http,
                    central,
                    station.config.name,
                    batch,
                    stop=stop,
                    sleep=sleep,
                    tries=done.tries,
                )
            except DeliveryFailed as exc:
                with station.db.transaction() as s:
                    store.note_failure(s, [str(r["key"]) for r in batch], exc.message)
                done.error = exc.message
                break
            with station.db.transaction() as s:
                applied, again = store.apply_acks(s, acks, "sync")
            done.batches += 1
            done.sent += len(batch)
            done.acked += applied
            done.again += again
            if not acks:
                done.error = (
                    f"the central system acknowledged none of records {batch[0]['seq']} to "
                    f"{batch[-1]['seq']}; they stay pending"
                )
                break
    return done
