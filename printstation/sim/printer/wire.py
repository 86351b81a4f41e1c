"""The simulated printer's side of the USB pipe: frames in, timed replies out.

Bytes written to the bulk OUT endpoint are cut into whole frames (a ``Db`` frame's
length follows from its header, since its data may hold CR bytes). Replies wait in a
queue until the mechanical time of the command they answer has passed, as a real
printer answers a card move only once the card has moved.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from printstation.drivers import protocol


class FrameSplitter:
    """Collects written bytes and hands each whole frame to ``run``."""

    def __init__(self, run: Callable[[bytes], None], refuse: Callable[[str], None]) -> None:
        self._run = run
        self._refuse = refuse
        self._buffer = bytearray()

    def clear(self) -> None:
        self._buffer.clear()

    def feed(self, data: bytes) -> None:
        self._buffer += data
        buffer = self._buffer
        while buffer:
            start = buffer.find(protocol.ESC)
            if start < 0:
                buffer.clear()
                return
            del buffer[:start]
            if buffer[1:4] == b"Db;":
                try:
                    length = protocol.db_frame_length(bytes(buffer[:24]))
                except ValueError:
                    end = buffer.find(protocol.CR)
                    del buffer[: end + 1 if end >= 0 else len(buffer)]
                    self._refuse("NACK;2")
                    continue
                if length is None or len(buffer) < length:
                    return
            else:
                end = buffer.find(protocol.CR)
                if end < 0:
                    return
                length = end + 1
            frame = bytes(buffer[:length])
            del buffer[:length]
            self._run(frame)


class ReplyQueue:
    """Replies, each ready at a time on the monotonic clock."""

    def __init__(self, end: bytes = b"\r") -> None:
        self._replies: deque[tuple[float, bytes]] = deque()
        #: What ends a reply: CR, or nothing (the bulk-IN transfer ends it).
        self.end = end

    def clear(self) -> None:
        self._replies.clear()

    def add(self, text: str, delay: float, since: float | None = None) -> None:
        """Queue a reply ``delay`` seconds of mechanics after the command arrived.

        The mechanics of a command start when it arrives (``since``) and the previous
        command's mechanics are done; the printer's own work on the command (moving a chip
        into its reader, decoding panels) runs meanwhile, so the reply is ready when both
        are over, as on a real printer.
        """
        now = time.monotonic()
        arrived = now if since is None else since
        start = max(self._replies[-1][0], arrived) if self._replies else arrived
        ready = max(start + delay, now)
        self._replies.append((ready, text.encode("ascii") + self.end))

    def push_back(self, rest: bytes) -> None:
        """Keep the part of a reply the host's read buffer had no room for."""
        self._replies.appendleft((time.monotonic(), rest))

    def next(self, timeout_ms: int) -> bytes | None:
        """The next reply once it is ready, or None after timeout_ms (0: wait as long)."""
        now = time.monotonic()
        limit = now + timeout_ms / 1000 if timeout_ms > 0 else float("inf")
        if not self._replies:
            if timeout_ms > 0:
                time.sleep(min(timeout_ms / 1000, 0.05))
            return None
        ready_at, reply = self._replies[0]
        if ready_at > limit:
            time.sleep(max(0.0, limit - now))
            return None
        if ready_at > now:
            time.sleep(ready_at - now)
        self._replies.popleft()
        return reply
