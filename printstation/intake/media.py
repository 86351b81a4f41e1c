"""An enrolment's media, checked and normalised once, at import.

- The kind of an image is stated by its file name (``.jpg``/``.jpeg`` or ``.png``) and
  must agree with its content: a PNG named ``.jpg`` is rejected, since a file whose
  name and content disagree is the mark of a broken export (the operator is told
  which it is, so the exporting office can fix it).
- Image sizes are read from the header and checked before a single pixel is decoded,
  so a 10,000 x 10,000 image costs nothing; a JPEG is then decoded at the smallest
  scale that still covers the card (libjpeg's draft mode). A truncated or corrupt
  file is rejected with the decoder's reason.
- The photo is cropped around its centre to the aspect of the card's photo box and
  stored at exactly that box's size, as JPEG: printing never decodes the original
  again. The signature is cropped to its ink and stored as greyscale PNG no larger
  than the signature box.
- A fingerprint template must parse as ISO/IEC 19794-2 and name the stated finger
  (or no finger).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from printstation.errors import InputError
from printstation.intake.fields import FieldError
from printstation.intake.minutiae import FINGER_POSITIONS, parse_fmr
from printstation.layout.template import Template
from printstation.records import FINGERS, Fingerprint

#: The smallest photo accepted (the format's rule): portrait, at least this size.
MIN_PHOTO = (300, 400)
#: Larger images are refused from their header, before decoding (16 MP photo, 4 MP signature).
MAX_PHOTO_PIXELS = 16_000_000
MAX_SIGNATURE_PIXELS = 4_000_000
#: A template over this is refused: the chip holds two and a photo in 8 KB.
MAX_TEMPLATE_BYTES = 2048
PHOTO_QUALITY = 90
#: Pixels darker than this are ink (the face uses the same threshold).
INK_THRESHOLD = 200
KINDS_BY_EXTENSION = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG"}
_MAGIC = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"))
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)


@dataclass(frozen=True)
class MediaTargets:
    """The sizes the card face needs, read from the card template."""

    photo: tuple[int, int]
    signature: tuple[int, int]

    @classmethod
    def from_template(cls, template: Template) -> MediaTargets:
        px0, py0, px1, py1 = template.photo_box
        sx0, sy0, sx1, sy1 = template.signature_box
        return cls((px1 - px0, py1 - py0), (sx1 - sx0, sy1 - sy0))


def content_kind(data: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)


def check_kind(field_name: str, relpath: str, data: bytes) -> str:
    """The image kind stated by the name, once the content agrees with it."""
    extension = relpath.rsplit(".", 1)[-1].lower() if "." in relpath else ""
    stated = KINDS_BY_EXTENSION.get(extension)
    if stated is None:
        raise FieldError(
            field_name, f"{relpath!r} is not named .jpg, .jpeg or .png: only JPEG and PNG"
        )
    actual = content_kind(data)
    if actual is None:
        raise FieldError(field_name, f"{relpath!r} is neither a JPEG nor a PNG image")
    if actual != stated:
        raise FieldError(
            field_name,
            f"{relpath!r} is a {actual} image named as {stated}: the export is inconsistent; "
            "ask for the file to be re-exported with its right name",
        )
    return stated


def _open_checked(
    data: bytes, field_name: str, kind: str, max_pixels: int
) -> tuple[Image.Image, tuple[int, int]]:
    """The image opened lazily (header only), once its size is acceptable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
    except Image.DecompressionBombError:
        raise FieldError(field_name, "is far too large an image to be a card photo") from None
    except _DECODE_ERRORS as exc:
        raise FieldError(field_name, f"cannot be read as a {kind} image ({exc})") from None
    width, height = image.size
    if width * height > max_pixels:
        raise FieldError(
            field_name,
            f"is {width}x{height} pixels, more than {max_pixels // 1_000_000} megapixels: "
            "refused before decoding; export a smaller image",
        )
    return image, (width, height)


def _decode(image: Image.Image, field_name: str, mode: str) -> Image.Image:
    try:
        image.load()
        return ImageOps.exif_transpose(image).convert(mode)
    except _DECODE_ERRORS as exc:
        raise FieldError(
            field_name, f"is damaged or truncated and cannot be decoded ({exc})"
        ) from None


def _turned(image: Image.Image) -> bool:
    """Whether the EXIF orientation turns the image a quarter (width and height swap)."""
    try:
        return image.getexif().get(0x0112) in (5, 6, 7, 8)
    except _DECODE_ERRORS:
        return False


def _centre_crop(image: Image.Image, aspect: float) -> Image.Image:
    w, h = image.size
    if w / h > aspect:
        new_w = round(h * aspect)
        return image.crop(((w - new_w) // 2, 0, (w - new_w) // 2 + new_w, h))
    new_h = round(w / aspect)
    return image.crop((0, (h - new_h) // 2, w, (h - new_h) // 2 + new_h))


def normalise_photo(data: bytes, relpath: str, target: tuple[int, int]) -> bytes:
    """Crop to the photo box's aspect around the centre, scale to the box; JPEG."""
    kind = check_kind("photo", relpath, data)
    image, (w, h) = _open_checked(data, "photo", kind, MAX_PHOTO_PIXELS)
    if _turned(image):
        w, h = h, w
    if w >= h:
        raise FieldError("photo", f"is {w}x{h}, landscape: a portrait photo is needed")
    if w < MIN_PHOTO[0] or h < MIN_PHOTO[1]:
        raise FieldError(
            "photo", f"is {w}x{h} pixels; at least {MIN_PHOTO[0]}x{MIN_PHOTO[1]} is needed"
        )
    if kind == "JPEG":
        side = max(target)
        image.draft("RGB", (side, side))
    rgb = _decode(image, "photo", "RGB")
    cropped = _centre_crop(rgb, target[0] / target[1])
    out = io.BytesIO()
    cropped.resize(target, Image.Resampling.LANCZOS).save(out, "JPEG", quality=PHOTO_QUALITY)
    return out.getvalue()


def normalise_signature(data: bytes, relpath: str, box: tuple[int, int]) -> bytes:
    """The signature's ink, scaled down to fit the signature box; greyscale PNG."""
    kind = check_kind("signature", relpath, data)
    image, _ = _open_checked(data, "signature", kind, MAX_SIGNATURE_PIXELS)
    grey = _decode(image, "signature", "L")
    ink = grey.point(lambda v: 255 if v < INK_THRESHOLD else 0).getbbox()
    if ink is None:
        raise FieldError("signature", f"{relpath!r} is blank: no ink was found")
    grey = grey.crop(ink)
    grey.thumbnail(box, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    grey.save(out, "PNG", optimize=True)
    return out.getvalue()


def check_template(field_name: str, finger: str, template: bytes) -> Fingerprint:
    """A parsed ISO/IEC 19794-2 record for ``finger``; FieldError otherwise."""
    if len(template) > MAX_TEMPLATE_BYTES:
        raise FieldError(
            field_name,
            f"is {len(template)} bytes; a finger template on the chip may be at most "
            f"{MAX_TEMPLATE_BYTES}",
        )
    try:
        record = parse_fmr(template)
    except InputError as exc:
        where = f" at {exc.where}" if exc.where else ""
        raise FieldError(
            field_name, f"is not an ISO/IEC 19794-2 finger minutiae record{where}: {exc.message}"
        ) from None
    position = record.finger_position
    if position not in (0, FINGER_POSITIONS[finger]):
        named = FINGERS[position - 1] if 1 <= position <= len(FINGERS) else str(position)
        raise FieldError(field_name, f"is a record of the {named}, but the line says {finger}")
    return Fingerprint(finger=finger, template=template)
