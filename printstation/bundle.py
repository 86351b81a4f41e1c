"""Reading and writing approved-enrolment bundles (format version 1).

A bundle is a folder, or a ``.zip`` of one, holding ``enrolments.jsonl`` and the media
files its lines name (see docs/ENROLMENT_FORMAT.md in the shared documentation). The
writer is what the demo and the tests use, so every synthetic record goes through the
same import an operator uses.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from printstation.errors import InputError
from printstation.records import CardRecord, Fingerprint, record_to_dict

MANIFEST = "enrolments.jsonl"
#: The largest media file a bundle may hold; anything bigger is refused unread.
MAX_MEDIA_BYTES = 8 * 1024 * 1024


class BundleReader(Protocol):
    name: str

    def lines(self) -> Iterator[tuple[int, str]]: ...

    def read_media(self, relpath: str) -> bytes: ...

    def close(self) -> None: ...


def _safe_relpath(relpath: str) -> PurePosixPath:
    path = PurePosixPath(relpath)
    if not relpath or path.is_absolute() or ".." in path.parts or "\\" in relpath:
        raise InputError(f"media path {relpath!r} is not inside the bundle")
    return path


class FolderBundle:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.name = str(root)
        if not (self.root / MANIFEST).is_file():
            raise InputError(f"no {MANIFEST} in the bundle", where=str(root))

    def lines(self) -> Iterator[tuple[int, str]]:
        with (self.root / MANIFEST).open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                yield number, raw.decode("utf-8", errors="strict")

    def read_media(self, relpath: str) -> bytes:
        path = (self.root / _safe_relpath(relpath)).resolve()
        if not path.is_relative_to(self.root):
            raise InputError(f"media path {relpath!r} leads outside the bundle")
        if not path.is_file():
            raise InputError(f"media file {relpath!r} is missing from the bundle")
        if path.stat().st_size > MAX_MEDIA_BYTES:
            raise InputError(f"media file {relpath!r} is larger than {MAX_MEDIA_BYTES} bytes")
        return path.read_bytes()

    def close(self) -> None:
        pass


class ZipBundle:
    def __init__(self, path: Path) -> None:
        self.name = str(path)
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"not a readable zip file: {exc}", where=str(path)) from exc
        names = self.zip.namelist()
        manifests = [n for n in names if PurePosixPath(n).name == MANIFEST]
        if not manifests:
            raise InputError(f"no {MANIFEST} in the zip", where=str(path))
        manifest = min(manifests, key=lambda n: len(PurePosixPath(n).parts))
        self.manifest = manifest
        self.prefix = str(PurePosixPath(manifest).parent)

    def lines(self) -> Iterator[tuple[int, str]]:
        with self.zip.open(self.manifest) as fh:
            for number, raw in enumerate(fh, start=1):
                yield number, raw.decode("utf-8", errors="strict")

    def read_media(self, relpath: str) -> bytes:
        rel = _safe_relpath(relpath)
        name = str(rel) if self.prefix in ("", ".") else f"{self.prefix}/{rel}"
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise InputError(f"media file {relpath!r} is missing from the bundle") from None
        if info.file_size > MAX_MEDIA_BYTES:
            raise InputError(f"media file {relpath!r} is larger than {MAX_MEDIA_BYTES} bytes")
        with self.zip.open(info) as fh:
            data = fh.read(MAX_MEDIA_BYTES + 1)
        if len(data) > MAX_MEDIA_BYTES:
            raise InputError(f"media file {relpath!r} expands beyond {MAX_MEDIA_BYTES} bytes")
        return data

    def close(self) -> None:
        self.zip.close()


def open_bundle(path: Path) -> BundleReader:
    if path.is_dir():
        return FolderBundle(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        return ZipBundle(path)
    raise InputError(
        "not a bundle: expected a folder or a .zip holding enrolments.jsonl", where=str(path)
    )


@dataclass(frozen=True)
class BundleEntry:
    """One record to write into a bundle, with its media bytes."""

    record: CardRecord
    photo: bytes
    photo_ext: str
    signature: bytes
    signature_ext: str
    fingerprints: tuple[Fingerprint, ...]


def record_to_json(entry: BundleEntry, media: dict[str, str]) -> dict[str, Any]:
    line: dict[str, Any] = {"format": 1} | record_to_dict(entry.record)
    line["photo"] = media["photo"]
    line["signature"] = media["signature"]
    line["fingerprints"] = [
        {"finger": fp.finger, "template": media[fp.finger]} for fp in entry.fingerprints
    ]
    return line


def write_bundle(folder: Path, entries: list[BundleEntry]) -> Path:
    """Write ``entries`` as a bundle folder; returns the folder."""
    media_dir = folder / "media"
    media_dir.mkdir(parents=True, exist_ok=True)
    with (folder / MANIFEST).open("w", encoding="utf-8") as manifest:
        for entry in entries:
            nik = entry.record.nik
            media = {
                "photo": f"media/{nik}-photo.{entry.photo_ext}",
                "signature": f"media/{nik}-sign.{entry.signature_ext}",
            }
            (folder / media["photo"]).write_bytes(entry.photo)
            (folder / media["signature"]).write_bytes(entry.signature)
            for fp in entry.fingerprints:
                short = "".join(part[0] for part in fp.finger.split("_"))
                media[fp.finger] = f"media/{nik}-{short}.ist"
                (folder / media[fp.finger]).write_bytes(fp.template)
            manifest.write(json.dumps(record_to_json(entry, media), ensure_ascii=False) + "\n")
    return folder
