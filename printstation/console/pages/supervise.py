"""Changes to a job from its page: a supervisor cancels it (with a reason) or requeues a
failed one; an operator returns a paused one to the queue once its printer is cleared.
The role table decides on the server: a direct POST by another role is refused (403,
audited) whatever the page showed."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words

words.add(
    {
        "Batalkan pekerjaan": "Cancel the job",
        "Alasan pembatalan": "Reason for cancelling",
        "Antrekan ulang": "Requeue",
        "Pekerjaan {job} dibatalkan.": "Job {job} cancelled.",
        "Pekerjaan {job} masuk antrean lagi.": "Job {job} is back in the queue.",
        "Isi alasan pembatalan.": "Give the reason for cancelling.",
        "Pekerjaan ini dijeda karena printer {printer} perlu petugas. Setelah printernya "
        "dibereskan, kembalikan pekerjaan ke antrean.": "This job was paused because printer "
        "{printer} needed a person. Once the printer is cleared, return the job to the queue.",
        "Kembalikan ke antrean": "Return to the queue",
        "Pekerjaan {job} kembali ke antrean.": "Job {job} is back in the queue.",
    }
)


@web.action
async def cancel(request: Request, form: FormData) -> Response:
    from printstation.operations import jobs

    job_id = int(request.path_params["job_id"])
    reason = str(form.get("reason") or "").strip()
    back = f"/antrean/{job_id}"
    if not reason:
        web.flash(request, "error", "Isi alasan pembatalan.")
        return web.redirect(request, back)
    await _act(request, jobs.cancel, job_id, reason, done="Pekerjaan {job} dibatalkan.")
    return web.redirect(request, back)


@web.action
async def requeue(request: Request, form: FormData) -> Response:
    from printstation.operations import jobs

    job_id = int(request.path_params["job_id"])
    await _act(request, jobs.requeue, job_id, done="Pekerjaan {job} masuk antrean lagi.")
    return web.redirect(request, f"/antrean/{job_id}")


@web.action
async def resume(request: Request, form: FormData) -> Response:
    from printstation.operations import jobs

    job_id = int(request.path_params["job_id"])
    await _act(request, jobs.resume, job_id, done="Pekerjaan {job} kembali ke antrean.")
    return web.redirect(request, f"/antrean/{job_id}")


async def _act(request: Request, fn: Any, *args: object, done: str) -> None:
    if await web.attempt(request, fn, *args) is not None:
        text = words.translate(done, web.lang(request)).format(job=args[0])
        web.flash(request, "ok", text)


routes = [
    Route("/antrean/{job_id:int}/batalkan", cancel, methods=["POST"]),
    Route("/antrean/{job_id:int}/antre-ulang", requeue, methods=["POST"]),
    Route("/antrean/{job_id:int}/lanjutkan", resume, methods=["POST"]),
]
