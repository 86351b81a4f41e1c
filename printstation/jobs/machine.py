"""The job state machine: one card's way through the station.

Every transition is written to the database (with its audit event) before the caller
tells the hardware to do what the new state stands for (``feeding`` before a blank is
fed, ``printing`` before ``Se`` prints), so after a crash the stored state says what
may have happened: a job caught in a hardware state may have a blank in the printer and
becomes ``unresolved`` until an operator settles it.

    queued -> claimed -> rendered -> feeding -> at_encoder -> encoded -> printing -> issued
    side states: held (a reprint awaiting approval), retry (a blank was spoiled),
    paused (the printer needs an operator),
    failed (attempts exhausted), cancelled, unresolved (a crash left the card's fate open)
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from transitions import Machine, MachineError

from printstation.errors import JobError
from printstation.ledger import audit
from printstation.storage.models import Job, utcnow
from printstation.storage.states import JobState

STATES = tuple(state.value for state in JobState)

#: States in which a blank may be inside a printer (fed, at the encoder, printing).
HARDWARE = frozenset({"feeding", "at_encoder", "encoded", "printing"})
#: States a worker holds a job in; after a crash these are recovered (see jobs.lease).
ACTIVE = frozenset({"claimed", "rendered", "retry"}) | HARDWARE
#: Waiting to be claimed by a worker.
WAITING = frozenset({"queued"})
#: States only a person can move a job out of (held: a reprint awaiting a supervisor).
NEEDS_OPERATOR = frozenset({"held", "paused", "unresolved", "failed"})
TERMINAL = frozenset({"issued", "cancelled"})

TRANSITIONS: list[dict[str, object]] = [
    {"trigger": "claim", "source": "queued", "dest": "claimed"},
    {"trigger": "rendered", "source": "claimed", "dest": "rendered"},
    {"trigger": "feed", "source": ["rendered", "retry"], "dest": "feeding"},
    {"trigger": "reached_encoder", "source": "feeding", "dest": "at_encoder"},
    {"trigger": "encoded", "source": "at_encoder", "dest": "encoded"},
    {"trigger": "start_print", "source": "encoded", "dest": "printing"},
    {"trigger": "issued", "source": "printing", "dest": "issued"},
    # A blank was spoiled or rejected: the same worker tries again on a new blank.
    {"trigger": "retry", "source": sorted(HARDWARE), "dest": "retry"},
    {"trigger": "give_up", "source": ["claimed", "rendered", "retry"], "dest": "failed"},
    # The printer refused before a card left the feeder: nothing consumed.
    {"trigger": "not_fed", "source": "feeding", "dest": "queued"},
    {"trigger": "pause", "source": sorted(ACTIVE), "dest": "paused"},
    {"trigger": "resume", "source": "paused", "dest": "queued"},
    # Work that never touched the hardware goes back to the queue.
    {"trigger": "release", "source": ["claimed", "rendered", "retry"], "dest": "queued"},
    {"trigger": "interrupt", "source": sorted(HARDWARE), "dest": "unresolved"},
    # An unresolved job leaves that state only by being settled (printstation.jobs.resolve):
    # the card came out good, or its blank is spoiled or was never fed and it goes again.
    {"trigger": "resolve_issued", "source": "unresolved", "dest": "issued"},
    {"trigger": "resolve_requeue", "source": "unresolved", "dest": "queued"},
    # A supervisor gives a failed job another go (its blanks are all settled already).
    {"trigger": "requeue", "source": "failed", "dest": "queued"},
    # A supervisor approved the reprint this job waits for.
    {"trigger": "approve", "source": "held", "dest": "queued"},
    {"trigger": "cancel", "source": ["held", "queued", "paused", "failed"], "dest": "cancelled"},
]


class JobFlow:
    """Drives one Job row through the machine, persisting and auditing every step.

    Each transition commits the session, so a state is stored together with whatever the
    caller changed before firing it (the blank ledger, the job's serial): a state and
    its consequences are never stored apart.
    """

    state: str

    def __init__(self, job: Job, session: Session, actor: str) -> None:
        self.job = job
        self.session = session
        self.actor = actor
        self._note: dict[str, object] = {}
        self._commit = True
        self.machine = Machine(
            model=self,
            states=list(STATES),
            transitions=TRANSITIONS,
            initial=job.state,
            auto_transitions=False,
            after_state_change="_persist",
        )

    def step(self, trigger: str, *, commit: bool = True, **note: object) -> None:
        """Fire ``trigger``; ``note`` goes into the transition's audit event.

        ``commit=False`` leaves the new state in the session for the caller's next commit:
        only for a step after which the hardware is not told to act before that commit.
        """
        self._note = note
        self._commit = commit
        try:
            self.trigger(trigger)  # type: ignore[attr-defined]
        except MachineError as exc:
            raise JobError(
                f"job {self.job.id} cannot {trigger} from state {self.state}",
                where=f"job {self.job.id}",
            ) from exc

    def can(self, trigger: str) -> bool:
        return trigger in self.machine.get_triggers(self.state)

    def _persist(self) -> None:
        before = self.job.state
        self.job.state = self.state
        self.job.updated_at = utcnow()
        audit.record(
            self.session,
            self.actor,
            "job." + self.state,
            f"job {self.job.id}",
            before=before,
            **self._note,
        )
        if self._commit:
            self.session.commit()
