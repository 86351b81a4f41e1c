"""Rows the tests need without going through an import: an enrolment and its job."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from printstation.storage.models import Enrolment, Job


def add_job(session: Session, n: int, *, nik: str | None = None, **fields: Any) -> Job:
    """Enrolment ``E-n`` (placeholder media) and a job for it; ``fields`` set on the job."""
    nik = nik or f"53710157089{n:05d}"
    session.add(
        Enrolment(
            id=f"E-{n}",
            nik=nik,
            name="MARIA",
            record={},
            photo=b"p",
            signature=b"s",
            finger_1="right_index",
            template_1=b"t",
            finger_2="left_index",
            template_2=b"t",
            content_hash="x" * 64,
            source="test",
            line=n,
            imported_by="op",
        )
    )
    job = Job(enrolment_id=f"E-{n}", nik=nik, **fields)
    session.add(job)
    session.flush()
    return job
