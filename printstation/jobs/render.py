"""Rendering ahead: a card's face panels and chip files, made before its printer asks.

Rendering is pure CPU (Pillow, numpy, JPEG). With one printer a thread keeps ahead of
it; with several, a pool of processes renders on every core, so the workers driving the
printers are not held up by the interpreter's lock. The security object is signed in
the station's own process, where the signer's private key is, never in a helper process.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass

from printstation.chip import card as chip
from printstation.config import OfficeConfig
from printstation.drivers import protocol
from printstation.layout import face
from printstation.layout.panels import face_to_panels
from printstation.layout.template import Template
from printstation.records import CardRecord, EnrolmentMedia, IssueInfo
from printstation.station import Station


@dataclass(frozen=True)
class PreparedCard:
    """Everything a card needs from the CPU, made before the printer asks for it."""

    job_id: int
    #: The five ``Db`` frames, already encoded for the printer.
    panel_frames: list[bytes]
    chip_files: dict[int, bytes]
    render_ms: float


@dataclass(frozen=True)
class RenderJob:
    job_id: int
    record: CardRecord
    media: EnrolmentMedia
    issue: IssueInfo
    office: OfficeConfig
    capacity: int


_TEMPLATE: Template | None = None


#: Rendering processes run at a lower CPU priority: a card is rendered well before its
#: printer needs it, while driving the printers and the chip cannot wait.
RENDER_NICENESS = 10


def _init_process(template: Template) -> None:
    global _TEMPLATE
    _TEMPLATE = template
    os.nice(RENDER_NICENESS)
    face.prepare(template)


def _ready() -> bool:
    return _TEMPLATE is not None


def render_card(item: RenderJob, template: Template | None = None) -> PreparedCard:
    """Face, panels and unsigned chip files for one card (runs in any process)."""
    started = time.perf_counter()
    template = template or _TEMPLATE
    if template is None:
        raise RuntimeError("render_card needs a template")
    image = face.render_face(item.record, item.media, item.issue, item.office, template)
    frames = protocol.encode_panels(face_to_panels(image))
    files = chip.build_files(item.record, item.media, item.capacity, signed=True)
    return PreparedCard(item.job_id, frames, files, (time.perf_counter() - started) * 1000)


class Renderer:
    """Renders cards ahead in threads (``processes`` 0) or in a pool of processes."""

    def __init__(self, station: Station, processes: int = 0) -> None:
        self.station = station
        self.processes = processes
        self._pool: Executor
        if processes:
            self._pool = ProcessPoolExecutor(
                max_workers=processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_process,
                initargs=(station.template,),
            )
            # Start every process now (a spawned interpreter takes a second or two), so
            # the first cards do not wait for it.
            for ready in [self._pool.submit(_ready) for _ in range(processes)]:
                ready.result()
        else:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="render")
            face.prepare(station.template)

    @staticmethod
    def default_processes(printers: int) -> int:
        """One process a core when several printers share the station, else none."""
        return min(os.cpu_count() or 1, printers) if printers > 1 else 0

    def submit(
        self, job_id: int, record: CardRecord, media: EnrolmentMedia
    ) -> Future[PreparedCard]:
        config = self.station.config
        item = RenderJob(
            job_id,
            record,
            media,
            IssueInfo(place=config.office.issue_place, date=self.station.today()),
            config.office,
            config.chip.capacity,
        )
        if self.processes:
            return self._pool.submit(render_card, item)
        return self._pool.submit(render_card, item, self.station.template)

    def finish(self, future: Future[PreparedCard]) -> PreparedCard:
        """The rendered card, its chip files signed by the station's document signer."""
        card = future.result()
        signer = self.station.signer
        if signer is None:
            return card
        started = time.perf_counter()
        files = chip.add_security_object(card.chip_files, signer, self.station.config.chip.capacity)
        sign_ms = (time.perf_counter() - started) * 1000
        return PreparedCard(card.job_id, card.panel_frames, files, card.render_ms + sign_ms)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
