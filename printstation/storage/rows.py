"""Stored rows built from typed records, and typed records rebuilt from stored rows.

The import writes an accepted enrolment and its job with these; the runner and the card
check read a stored enrolment back with ``load_card``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from printstation.records import (
    CardRecord,
    EnrolmentMedia,
    Fingerprint,
    record_from_dict,
    record_to_dict,
)
from printstation.storage.models import Approval, Enrolment, Job

#: Issue reasons that replace a valid card: their job waits for a supervisor.
REPRINT_REASONS = ("lost", "damaged", "data_change")


def new_job(session: Session, record: CardRecord, actor: str) -> Job:
    """The job for a newly imported enrolment: queued, or held if it is a reprint."""
    reprint = record.issue_reason in REPRINT_REASONS
    job = Job(
        enrolment_id=record.enrolment_id, nik=record.nik, state="held" if reprint else "queued"
    )
    session.add(job)
    session.flush()
    if reprint:
        session.add(
            Approval(
                kind="reprint",
                job_id=job.id,
                reason=record.issue_reason,
                note=f"replaces {record.replaces_serial or 'an unknown serial'}",
                requested_by=actor,
            )
        )
        session.flush()
    return job


def enrolment_row(
    record: CardRecord,
    media: EnrolmentMedia,
    *,
    content_hash: str,
    source: str,
    line: int,
    imported_by: str,
) -> Enrolment:
    """The stored form of an accepted record and its normalised media."""
    return Enrolment(
        id=record.enrolment_id,
        nik=record.nik,
        name=record.name,
        record=record_to_dict(record),
        photo=media.photo,
        signature=media.signature,
        finger_1=media.fingerprints[0].finger,
        template_1=media.fingerprints[0].template,
        finger_2=media.fingerprints[1].finger,
        template_2=media.fingerprints[1].template,
        content_hash=content_hash,
        source=source,
        line=line,
        imported_by=imported_by,
    )


def load_card(enrolment: Enrolment) -> tuple[CardRecord, EnrolmentMedia]:
    """Rebuild the typed record and media of a stored enrolment."""
    media = EnrolmentMedia(
        photo=enrolment.photo,
        signature=enrolment.signature,
        fingerprints=(
            Fingerprint(enrolment.finger_1, enrolment.template_1),
            Fingerprint(enrolment.finger_2, enrolment.template_2),
        ),
    )
    return record_from_dict(enrolment.record), media
