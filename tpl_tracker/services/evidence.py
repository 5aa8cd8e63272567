"""Evidence files of an activity: checked by their content (never by name or header), stored in the database.

Photos are decoded within a pixel limit and stored re-encoded (orientation applied, EXIF, GPS and every other
piece of metadata dropped); PDFs are parsed and refused when they carry JavaScript or embedded files; the stored
name gets the extension of the detected type. Photos are shown small (`thumbnail`) where a page lists many.
"""

import hashlib
import io
import re
import threading
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps
from werkzeug.utils import secure_filename

from ..extensions import cache, db
from ..models import Activity, Evidence, User
from . import ServiceError, audit

MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILENAME = 200
DEFAULT_MAX_PIXELS = 40_000_000
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF_TYPE = "application/pdf"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", PDF_TYPE: "pdf"}
JPEG_QUALITY = 90
THUMBNAIL_SIDE = 240  # the longest side of a thumbnail, in pixels (shown at 96 CSS pixels: sharp on a phone too)
THUMBNAIL_QUALITY = 80
THUMBNAIL_SECONDS = 7 * 24 * 3600  # kept in the cache by the file's hash (a stored file never changes)
# A JPEG is decoded at 1/2 to 1/8 of its size for a thumbnail; PNG and WebP only whole, and larger ones than these get
# no thumbnail (the page links the file), so that one decoding needs at most about 65 MB (bench/bench_thumbnails.py;
# Pillow's WebP decoder needs about 16 bytes a pixel). Photos sent from a phone arrive as JPEGs of at most 1600 px.
THUMBNAIL_MAX_WHOLE_PIXELS = {"PNG": 16_000_000, "WEBP": 4_000_000}
_one_decoding_at_a_time = threading.Lock()  # per process: memory stays bounded however many thumbnails are asked

# What a PDF may not carry: scripts (JavaScript, XFA forms, actions that launch programs) and embedded files.
_PDF_SCRIPT_KEYS = {"/JS", "/JavaScript", "/XFA"}
_PDF_SCRIPT_ACTIONS = {"/JavaScript", "/Launch"}
_PDF_FILE_KEYS = {"/EmbeddedFiles", "/EF"}
_PDF_MAX_OBJECTS = 200_000
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,10}")


@dataclass
class Upload:
    """One file as received: the name the browser sent and its bytes."""

    filename: str
    data: bytes


@dataclass
class CheckedFile:
    """A file that passed the checks, with the type detected from its content and the bytes to store."""

    filename: str
    content_type: str
    data: bytes
    sha256: str


class _Refused(Exception):
    """A file that is not acceptable evidence; `reason` names which message to show."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def detect_type(data: bytes) -> str | None:
    """The evidence content type read from the bytes themselves (JPEG, PNG, WebP or PDF), None otherwise."""
    if data.startswith(b"%PDF-"):
        return PDF_TYPE
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_TYPES)) as image:
            image_format = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds of errors on broken or hostile files
        return None
    return IMAGE_TYPES.get(image_format)


def safe_filename(name: str, content_type: str) -> str:
    """The browser's file name made safe (no path, ASCII letters, digits and ._- only, at most 200 characters),
    ending in the extension of the detected type: a PDF sent as evil.html is stored as evil.pdf."""
    extension = EXTENSIONS[content_type]
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = secure_filename(base)
    stem, dot, old = cleaned.rpartition(".")
    if dot and stem and _EXTENSION.fullmatch(old):
        cleaned = stem.rstrip("._")
    if not cleaned:
        cleaned = "bukti"
    return f"{cleaned[: MAX_FILENAME - len(extension) - 1]}.{extension}"


def _pixel_limit() -> int:
    return int(current_app.config.get("EVIDENCE_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def _clean_image(data: bytes, max_pixels: int) -> tuple[str, bytes]:
    """The image's type and its bytes re-encoded: orientation applied, metadata dropped; _Refused otherwise."""
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_TYPES)) as image:
            # Judged from the header, before a single pixel is decoded.
            if image.width * image.height > max_pixels:
                raise _Refused("pixels")
            image_format = image.format
            icc_profile = image.info.get("icc_profile")
            transparency = image.info.get("transparency")
            clean = ImageOps.exif_transpose(image)  # decodes the first frame; a copy without the orientation
    except _Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _Refused("pixels") from None
    except Exception:  # Pillow raises many kinds of errors on broken or hostile files
        raise _Refused("type") from None
    clean.info = {}  # nothing of the original's metadata is carried into the new file
    options: dict = {"icc_profile": icc_profile} if icc_profile else {}
    if image_format == "JPEG":
        if clean.mode not in ("L", "RGB", "CMYK"):
            clean = clean.convert("RGB")
        options.update(quality=JPEG_QUALITY)
    elif image_format == "PNG":
        if transparency is not None:
            options["transparency"] = transparency
    else:
        if clean.mode not in ("RGB", "RGBA"):
            clean = clean.convert("RGBA" if "A" in clean.mode or transparency is not None else "RGB")
        options.update(quality=JPEG_QUALITY)
    buffer = io.BytesIO()
    try:
        clean.save(buffer, format=image_format, **options)
    except Exception:  # an odd mode or profile the encoder refuses
        raise _Refused("type") from None
    return IMAGE_TYPES[image_format], buffer.getvalue()


def _check_pdf(data: bytes) -> None:
    """Refuse (_Refused) a PDF that cannot be parsed, or that carries JavaScript or embedded files anywhere."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted or len(reader.pages) == 0:
            raise _Refused("pdf")
        stack: list = [reader.trailer]
        for generation, numbers in reader.xref.items():
            stack += [IndirectObject(number, generation, reader) for number in numbers]
        stack += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
        seen: set[tuple[int, int]] = set()
        visited = 0
        while stack:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                if (item.idnum, item.generation) in seen:
                    continue
                seen.add((item.idnum, item.generation))
                item = item.get_object()
            if isinstance(item, DictionaryObject):  # streams too: their dictionary is read, never their data
                visited += 1
                for key, value in item.items():
                    if key in _PDF_SCRIPT_KEYS:
                        raise _Refused("script")
                    if key in _PDF_FILE_KEYS:
                        raise _Refused("embedded")
                    if key in ("/S", "/Type"):
                        value = value.get_object() if isinstance(value, IndirectObject) else value
                        if key == "/S" and value in _PDF_SCRIPT_ACTIONS:
                            raise _Refused("script")
                        if key == "/Type" and value == "/EmbeddedFile":
                            raise _Refused("embedded")
                    stack.append(value)
            elif isinstance(item, ArrayObject):
                visited += 1
                stack.extend(item)
            if visited > _PDF_MAX_OBJECTS:
                raise _Refused("pdf")
    except _Refused:
        raise
    except Exception:  # pypdf raises many kinds of errors on broken or hostile files
        raise _Refused("pdf") from None


def _refusal(reason: str, name: str, max_pixels: int) -> ServiceError:
    if reason == "pixels":
        megapixels = max(1, max_pixels // 1_000_000)
        message = _("The photo %(name)s is too large: at most %(count)d megapixels.", name=name, count=megapixels)
    elif reason == "pdf":
        message = _(
            "The file %(name)s cannot be read as a PDF document: it may be damaged or protected with a password.",
            name=name,
        )
    elif reason == "script":
        message = _("The PDF file %(name)s contains JavaScript or other scripts: it is not accepted.", name=name)
    elif reason == "embedded":
        message = _("The PDF file %(name)s contains embedded files: it is not accepted.", name=name)
    else:
        message = _("The file %(name)s is not a JPEG, PNG or WebP photo or a PDF document.", name=name)
    return ServiceError(message, field="files")


def check_file(upload: Upload, max_pixels: int | None = None) -> CheckedFile:
    """Check one file by its content; photos come back re-encoded without metadata. ServiceError otherwise."""
    name = upload.filename or _("(no name)")
    if not upload.data:
        raise ServiceError(_("The file %(name)s is empty.", name=name), field="files")
    if len(upload.data) > MAX_FILE_BYTES:
        raise ServiceError(_("The file %(name)s is larger than 5 MB.", name=name), field="files")
    max_pixels = max_pixels or _pixel_limit()
    try:
        if upload.data.startswith(b"%PDF-"):
            _check_pdf(upload.data)
            content_type, data = PDF_TYPE, upload.data
        else:
            content_type, data = _clean_image(upload.data, max_pixels)
    except _Refused as refused:
        raise _refusal(refused.reason, name, max_pixels) from None
    return CheckedFile(
        filename=safe_filename(upload.filename, content_type),
        content_type=content_type,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def check_uploads(uploads: list[Upload], existing: int = 0) -> list[CheckedFile]:
    """Check every file (count, size, real type, content); refuse the whole batch with a message naming the file."""
    uploads = [u for u in uploads if u.filename or u.data]
    if existing + len(uploads) > MAX_FILES:
        raise ServiceError(_("An activity can have at most %(count)d evidence files.", count=MAX_FILES), field="files")
    max_pixels = _pixel_limit()
    return [check_file(upload, max_pixels) for upload in uploads]


def attach(actor: User, activity: Activity, files: list[CheckedFile]) -> list[Evidence]:
    """Add checked files to an activity and audit each upload (the caller commits)."""
    added = []
    for checked in files:
        evidence = Evidence(
            activity=activity,
            filename=checked.filename,
            content_type=checked.content_type,
            size=len(checked.data),
            sha256=checked.sha256,
            content=checked.data,
            uploaded_by_id=actor.id,
        )
        db.session.add(evidence)
        added.append(evidence)
    db.session.flush()
    for evidence in added:
        audit.record("upload", actor=actor, entity=evidence, after=evidence_snapshot(evidence))
    return added


def evidence_snapshot(evidence: Evidence) -> dict:
    """The audit snapshot of an evidence row, without its bytes."""
    return {
        "id": evidence.id,
        "activity_id": evidence.activity_id,
        "filename": evidence.filename,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
    }


def make_thumbnail(data: bytes, side: int = THUMBNAIL_SIDE) -> bytes | None:
    """A JPEG of a stored photo fitting `side` x `side` pixels (transparency on white); None when the bytes are not a
    photo, or a PNG or WebP too large to decode whole (THUMBNAIL_MAX_WHOLE_PIXELS)."""
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_TYPES)) as image:
            if image.width * image.height > THUMBNAIL_MAX_WHOLE_PIXELS.get(image.format, _pixel_limit()):
                return None
            if image.width * image.height > _pixel_limit():
                return None
            image.thumbnail((side, side), reducing_gap=2.0)  # a JPEG is decoded at a reduced scale (draft)
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                image = image.convert("RGBA")
                small = Image.new("RGB", image.size, "white")
                small.paste(image, mask=image.getchannel("A"))
            else:
                small = image.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    except Exception:  # Pillow raises many kinds of errors on broken files
        return None
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return buffer.getvalue()


def thumbnail(evidence: Evidence) -> bytes | None:
    """The thumbnail of an evidence photo (a small JPEG, see make_thumbnail), made once and then kept in the cache;
    None for a PDF or a photo that cannot be made small. The caller has checked that the user may see the file."""
    if evidence.content_type == PDF_TYPE:
        return None
    key = f"evidence-thumbnail:{THUMBNAIL_SIDE}:{evidence.sha256}"
    kept = cache.get(key)
    if kept is not None:
        return kept or None  # b"": known not to make a thumbnail
    with _one_decoding_at_a_time:
        made = make_thumbnail(evidence.content)
    cache.set(key, made or b"", timeout=THUMBNAIL_SECONDS)
    return made
