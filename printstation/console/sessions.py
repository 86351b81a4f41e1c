"""Console sessions, kept on the server: the cookie carries only a random token.

Every visitor has a session (the sign-in form needs its CSRF token too); signing in
replaces it with a new one (a token seen before sign-in is never a signed-in one), and
signing out or the idle timeout ends it. The signed-in ``Actor`` is held here: the
operations layer accepts only actors its sign-in made, while something holds them.
Sessions live in the server's memory: a restarted server asks everyone to sign in again,
which is what a restart should do.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from printstation.operations.base import Actor

#: The cookie that carries the session's token.
COOKIE = "ps_session"
#: Sessions of people not signed in are kept at most this long, and this many.
ANONYMOUS_SECONDS = 3600.0
ANONYMOUS_MAX = 5000


@dataclass
class ConsoleSession:
    token: str
    csrf: str
    lang: str
    actor: Actor | None = None
    signed_in_at: float | None = None
    last_seen: float = field(default_factory=time.monotonic)
    #: A one-time message for the next page (after a redirect).
    flash: list[tuple[str, str]] = field(default_factory=list)
    #: What a page keeps for this person between requests (a report made once, served
    #: again for download), by the page's own key; gone when the session ends.
    kept: dict[str, Any] = field(default_factory=dict)


class SessionStore:
    """Tokens to sessions; thread-safe; the idle timeout applies to signed-in sessions."""

    def __init__(self, idle_seconds: float, default_lang: str = "id") -> None:
        self.idle_seconds = idle_seconds
        self.default_lang = default_lang
        self._sessions: dict[str, ConsoleSession] = {}
        self._lock = threading.Lock()

    def new(self, lang: str | None = None) -> ConsoleSession:
        session = ConsoleSession(
            token=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            lang=lang or self.default_lang,
        )
        with self._lock:
            self._prune()
            self._sessions[session.token] = session
        return session

    def get(self, token: str | None) -> tuple[ConsoleSession | None, bool]:
        """The live session for ``token`` and whether it just expired (idle)."""
        if not token:
            return None, False
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None, False
            limit = self.idle_seconds if session.actor is not None else ANONYMOUS_SECONDS
            if now - session.last_seen > limit:
                del self._sessions[token]
                return None, session.actor is not None
            session.last_seen = now
            return session, False

    def sign_in(self, old: ConsoleSession, actor: Actor) -> ConsoleSession:
        """A new session for ``actor`` in place of ``old`` (new token and CSRF token)."""
        fresh = self.new(old.lang)
        fresh.actor = actor
        fresh.signed_in_at = time.time()
        with self._lock:
            self._sessions.pop(old.token, None)
        return fresh

    def end(self, session: ConsoleSession) -> None:
        with self._lock:
            self._sessions.pop(session.token, None)

    def end_all(self, name: str) -> int:
        """End every session of the account ``name`` (disabled, PIN reset)."""
        with self._lock:
            gone = [t for t, s in self._sessions.items() if s.actor and s.actor.name == name]
            for token in gone:
                del self._sessions[token]
        return len(gone)

    def signed_in(self) -> list[ConsoleSession]:
        with self._lock:
            return [s for s in self._sessions.values() if s.actor is not None]

    def _prune(self) -> None:
        now = time.monotonic()
        dead = [
            t
            for t, s in self._sessions.items()
            if now - s.last_seen > (self.idle_seconds if s.actor is not None else ANONYMOUS_SECONDS)
        ]
        for token in dead:
            del self._sessions[token]
        anonymous = [s for s in self._sessions.values() if s.actor is None]
        if len(anonymous) >= ANONYMOUS_MAX:
            anonymous.sort(key=lambda s: s.last_seen)
            for s in anonymous[: len(anonymous) - ANONYMOUS_MAX + 1]:
                del self._sessions[s.token]
