"""Evidence files of an activity: checked by their content (never by name or header), stored in the database."""

import hashlib
import io
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image
from werkzeug.utils import secure_filename

from ..extensions import db
from ..models import Activity, Evidence, User
from . import ServiceError, audit

MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILENAME = 200
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF_TYPE = "application/pdf"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", PDF_TYPE: "pdf"}


@dataclass
class Upload:
    """One file as received: the name the browser sent and its bytes."""

    filename: str
    data: bytes


@dataclass
class CheckedFile:
    """A file that passed the checks, with the type detected from its content."""

    filename: str
    content_type: str
    data: bytes
    sha256: str


def detect_type(data: bytes) -> str | None:
    """The evidence content type read from the bytes themselves (JPEG, PNG, WebP or PDF), None otherwise."""
    if data.startswith(b"%PDF-"):
        return PDF_TYPE
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds of errors on broken or hostile files
        return None
    return IMAGE_TYPES.get(image_format)


def safe_filename(name: str, content_type: str) -> str:
    """The original file name made safe for a header and a download (at most 200 characters)."""
    cleaned = secure_filename(name or "")
    if not cleaned:
        cleaned = f"bukti.{EXTENSIONS[content_type]}"
    if len(cleaned) > MAX_FILENAME:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and len(extension) <= 10:
            cleaned = stem[: MAX_FILENAME - len(extension) - 1] + "." + extension
        else:
            cleaned = cleaned[:MAX_FILENAME]
    return cleaned


def check_uploads(uploads: list[Upload], existing: int = 0) -> list[CheckedFile]:
    """Check every file (count, size, real type); refuse the whole batch with a message naming the file."""
    uploads = [u for u in uploads if u.filename or u.data]
    if existing + len(uploads) > MAX_FILES:
        raise ServiceError(_("An activity can have at most %(count)d evidence files.", count=MAX_FILES), field="files")
    checked = []
    for upload in uploads:
        name = upload.filename or _("(no name)")
        if not upload.data:
            raise ServiceError(_("The file %(name)s is empty.", name=name), field="files")
        if len(upload.data) > MAX_FILE_BYTES:
            raise ServiceError(_("The file %(name)s is larger than 5 MB.", name=name), field="files")
        content_type = detect_type(upload.data)
        if content_type is None:
            raise ServiceError(
                _("The file %(name)s is not a JPEG, PNG or WebP photo or a PDF document.", name=name), field="files"
            )
        checked.append(
            CheckedFile(
                filename=safe_filename(upload.filename, content_type),
                content_type=content_type,
                data=upload.data,
                sha256=hashlib.sha256(upload.data).hexdigest(),
            )
        )
    return checked


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
