"""The console server's part of the station: its batch host started and stopped, and
the live events pages listen to.

``start`` is called once when ``printstation serve`` starts: it settles what a crashed
server's batches left (their jobs become unresolved or go back to the queue, as the
runner's recovery decides) and starts watching the printers; ``stop`` stops the
batches (each finishes the card in its printer) when the server stops. ``subscribe``
gives a signed-in person the stream of events (printers, batches) for ``/events``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from printstation.operations.base import Actor, operation

if TYPE_CHECKING:
    from printstation.station import Station

#: Seconds the server waits for its batches to stop when it stops.
STOP_SECONDS = 60.0


def start(station: Station) -> None:
    try:
        from printstation.jobs.host import host_for
    except ModuleNotFoundError:  # TEMP
        return

    host = host_for(station)
    host.recover()


def stop(station: Station) -> None:
    try:
        from printstation.jobs.host import close_host
    except ModuleNotFoundError:  # TEMP
        return

    close_host(station, timeout=STOP_SECONDS)


@operation("printer.read")
def subscribe(station: Station, actor: Actor) -> Any:
    """A subscription to the station's live events (see printstation.jobs.host)."""
    from printstation.jobs.host import host_for

    return host_for(station).subscribe()


def unsubscribe(station: Station, subscription: Any) -> None:
    from printstation.jobs.host import host_for

    host_for(station).unsubscribe(subscription)
