"""Reading and writing approved-enrolment bundles (format version 1).

A bundle is a folder, or a ``.zip`` of one, holding ``enrolments.jsonl`` and the media
files its lines name (see docs/ENROLMENT_FORMAT.md in the shared documentation). The
writer is what the demo and the tests use, so every synthetic record goes through the
same import an operator uses.

Reading is bounded everywhere: a line of the manifest is read at most ``MAX_LINE_BYTES``
at a time, a media file at most ``MAX_MEDIA_BYTES``, whatever the folder or the zip's
directory claims, so a hostile bundle (a zip bomb, a manifest without line breaks)
cannot exhaust memory.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from printstation.errors import InputError
from printstation.records import CardRecord, Fingerprint, record_to_dict

MANIFEST = "enrolments.jsonl"
#: The largest media file a bundle may hold; anything bigger is refused unread.
MAX_MEDIA_BYTES = 8 * 1024 * 1024
#: The longest manifest line; a longer one is rejected and skipped without being kept.
MAX_LINE_BYTES = 64 * 1024
#: Zip members whose declared size is this many times their compressed size are refused.
MAX_ZIP_RATIO = 200
#: Blank lines a manifest may hold in all; a flood of them stops the reading at once.
MAX_BLANK_LINES = 10_000
_CHUNK = 64 * 1024


class BundleError(InputError):
    """A bundle, or one file in it, that cannot be read safely."""

    code = "bundle"


@dataclass(frozen=True)
class ManifestLine:
    number: int
    #: The line's bytes (without the line break), or None when it was too long to keep.
    data: bytes | None
    size: int


class BundleReader(Protocol):
    name: str

    def lines(self) -> Iterator[ManifestLine]: ...

    def count_lines(self) -> int: ...

    def read_media(self, relpath: str) -> bytes: ...

    def close(self) -> None: ...


def read_lines(fh: IO[bytes], *, max_blank: int = MAX_BLANK_LINES) -> Iterator[ManifestLine]:
    """The lines of ``fh`` one at a time; an over-long line is skipped in chunks, not kept.

    Blank lines are skipped here, unyielded; more than ``max_blank`` of them is not an
    export but a flood, and the reading stops with a BundleError naming the line.
    """
    number = 0
    blank = 0
    while True:
        raw = fh.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) <= MAX_LINE_BYTES or raw.endswith(b"\n"):
            data = raw.rstrip(b"\r\n")
            if not data.strip():
                blank += 1
                if blank > max_blank:
                    raise BundleError(
                        f"{MANIFEST} has more than {max_blank:,} blank lines (line {number:,}): "
                        "not an export; the import stopped there",
                        where=f"line {number}",
                    )
                continue
            yield ManifestLine(number, data, len(raw))
            continue
        size = len(raw)
        while raw and not raw.endswith(b"\n"):
            raw = fh.readline(_CHUNK)
            size += len(raw)
        yield ManifestLine(number, None, size)


def _count_newlines(fh: IO[bytes]) -> int:
    """The manifest's lines, for a progress bar; a flood of blank lines (the import stops
    at MAX_BLANK_LINES of them) ends the count early instead of being read to its end."""
    count = 0
    blank = 0
    last = b"\n"
    while chunk := fh.read(_CHUNK):
        count += chunk.count(b"\n")
        blank += chunk.count(b"\n\n")  # at least half the blank lines in the chunk
        last = chunk[-1:]
        if blank > MAX_BLANK_LINES:
            break
    return count + (last != b"\n")


def safe_relpath(relpath: str) -> PurePosixPath:
    """A media path that stays inside the bundle: relative, no ``..``, no backslash."""
    path = PurePosixPath(relpath)
    if not relpath or "\x00" in relpath:
        raise BundleError("media path is empty")
    if path.is_absolute() or relpath.startswith("/") or (len(relpath) > 1 and relpath[1] == ":"):
        raise BundleError(f"media path {relpath!r} is absolute; it must be inside the bundle")
    if ".." in path.parts or "\\" in relpath:
        raise BundleError(f"media path {relpath!r} leads outside the bundle")
    return path


def _too_large(relpath: str) -> BundleError:
    return BundleError(
        f"media file {relpath!r} is larger than {MAX_MEDIA_BYTES // (1024 * 1024)} MB"
    )


class FolderBundle:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.name = str(root)
        if not (self.root / MANIFEST).is_file():
            raise BundleError(f"no {MANIFEST} in the bundle folder", where=str(root))

    def lines(self) -> Iterator[ManifestLine]:
        with (self.root / MANIFEST).open("rb") as fh:
            yield from read_lines(fh)

    def count_lines(self) -> int:
        with (self.root / MANIFEST).open("rb") as fh:
            return _count_newlines(fh)

    def read_media(self, relpath: str) -> bytes:
        path = (self.root / safe_relpath(relpath)).resolve()
        if not path.is_relative_to(self.root):
            raise BundleError(f"media path {relpath!r} is a link that leads outside the bundle")
        if not path.is_file():
            raise BundleError(f"media file {relpath!r} is missing from the bundle")
        with path.open("rb") as fh:
            data = fh.read(MAX_MEDIA_BYTES + 1)
        if len(data) > MAX_MEDIA_BYTES:
            raise _too_large(relpath)
        return data

    def close(self) -> None:
        pass


class ZipBundle:
    """A zipped bundle; members are read through a size cap, never trusted to be small."""

    def __init__(self, path: Path) -> None:
        self.name = str(path)
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BundleError(f"not a readable zip file ({exc})", where=str(path)) from None
        seen: set[str] = set()
        for info in self.zip.infolist():
            name = str(PurePosixPath(info.filename))
            if name in seen:
                self.zip.close()
                raise BundleError(
                    f"the zip holds two members named {info.filename!r}: which one is meant "
                    "cannot be told (one could put another person's photo or data on a card); "
                    "export the bundle again",
                    where=str(path),
                )
            seen.add(name)
        manifests = [n for n in self.zip.namelist() if PurePosixPath(n).name == MANIFEST]
        if not manifests:
            self.zip.close()
            raise BundleError(f"no {MANIFEST} in the zip", where=str(path))
        self.manifest = min(manifests, key=lambda n: len(PurePosixPath(n).parts))
        self.prefix = str(PurePosixPath(self.manifest).parent)

    def _open(self, info: zipfile.ZipInfo) -> IO[bytes]:
        if info.flag_bits & 0x1:
            raise BundleError(f"{info.filename} is encrypted; export the bundle without a password")
        return self.zip.open(info)

    def _damaged(self, exc: Exception) -> BundleError:
        return BundleError(f"{MANIFEST} in the zip is damaged ({exc})", where=self.name)

    def lines(self) -> Iterator[ManifestLine]:
        try:
            with self._open(self.zip.getinfo(self.manifest)) as fh:
                yield from read_lines(fh)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise self._damaged(exc) from None

    def count_lines(self) -> int:
        try:
            with self._open(self.zip.getinfo(self.manifest)) as fh:
                return _count_newlines(fh)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise self._damaged(exc) from None

    def read_media(self, relpath: str) -> bytes:
        rel = safe_relpath(relpath)
        name = str(rel) if self.prefix in ("", ".") else f"{self.prefix}/{rel}"
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise BundleError(f"media file {relpath!r} is missing from the bundle") from None
        if info.file_size > MAX_MEDIA_BYTES:
            raise _too_large(relpath)
        if info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1) + 1024:
            raise BundleError(
                f"media file {relpath!r} claims {info.file_size} bytes from "
                f"{info.compress_size} compressed: refused as a zip bomb"
            )
        try:
            with self._open(info) as fh:
                data = fh.read(MAX_MEDIA_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise BundleError(f"media file {relpath!r} is damaged in the zip ({exc})") from None
        if len(data) > MAX_MEDIA_BYTES:
            raise BundleError(
                f"media file {relpath!r} expands beyond {MAX_MEDIA_BYTES // (1024 * 1024)} MB: "
                "refused as a zip bomb"
            )
        return data

    def close(self) -> None:
        self.zip.close()


def open_bundle(path: Path) -> BundleReader:
    if path.is_dir():
        return FolderBundle(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        return ZipBundle(path)
    if not path.exists():
        raise BundleError("no such folder or file", where=str(path))
    raise BundleError(
        "not a bundle: expected a folder or a .zip holding enrolments.jsonl", where=str(path)
    )


# --- writing ----------------------------------------------------------------------------


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


def _entry_files(entry: BundleEntry) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    nik = entry.record.nik
    key = entry.record.enrolment_id
    media = {
        "photo": f"media/{key}-{nik}-photo.{entry.photo_ext}",
        "signature": f"media/{key}-{nik}-sign.{entry.signature_ext}",
    }
    files = [(media["photo"], entry.photo), (media["signature"], entry.signature)]
    for fp in entry.fingerprints:
        short = "".join(part[0] for part in fp.finger.split("_"))
        media[fp.finger] = f"media/{key}-{nik}-{short}.ist"
        files.append((media[fp.finger], fp.template))
    return media, files


def write_bundle(folder: Path, entries: Iterable[BundleEntry]) -> Path:
    """Write ``entries`` (consumed one at a time) as a bundle folder; returns the folder."""
    media_dir = folder / "media"
    media_dir.mkdir(parents=True, exist_ok=True)
    with (folder / MANIFEST).open("w", encoding="utf-8") as manifest:
        for entry in entries:
            media, files = _entry_files(entry)
            for relpath, data in files:
                (folder / relpath).write_bytes(data)
            manifest.write(json.dumps(record_to_json(entry, media), ensure_ascii=False) + "\n")
    return folder


def write_bundle_zip(path: Path, entries: Iterable[BundleEntry]) -> Path:
    """Write ``entries`` as a zipped bundle (manifest at the zip's root); returns ``path``.

    Media go straight into the zip; the manifest is spooled to a file beside it and
    added last, so memory does not grow with the number of entries.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    spool = path.with_name(path.name + ".manifest.tmp")
    try:
        with (
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf,
            spool.open("w", encoding="utf-8") as manifest,
        ):
            for entry in entries:
                media, files = _entry_files(entry)
                for relpath, data in files:
                    zf.writestr(relpath, data, compress_type=zipfile.ZIP_STORED)
                manifest.write(json.dumps(record_to_json(entry, media), ensure_ascii=False) + "\n")
            manifest.close()
            zf.write(spool, MANIFEST)
    finally:
        spool.unlink(missing_ok=True)
    return path
