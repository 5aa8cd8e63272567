"""A list or report sent as a file: streamed after the request has committed its audit entry."""

from collections.abc import Callable, Iterable

from flask import Response, stream_with_context
from flask_babel import force_locale, get_locale

from .extensions import db
from .services import exports
from .transactions import reading, writing


def file_response(columns: list[exports.Column], rows: Callable[[], Iterable], fmt: str, filename: str, **options):
    """The file (csv with a BOM, json or xlsx) as a streamed download; `rows()` is called once the response is
    under way and read in a transaction of its own that only reads, in the request's language (chosen now: once
    the request has committed, its signed-in user can no longer be read to choose it). `rows()` must query afresh:
    records loaded before the commit are expired and no longer bound to a session."""
    language = str(get_locale())

    def body():
        with force_locale(language), reading():
            for piece in exports.chunks(columns, rows(), fmt, **options):
                yield piece.encode("utf-8") if isinstance(piece, str) else piece

    return Response(
        stream_with_context(body()),
        mimetype=exports.MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def audit_download(actor, what: str, fmt: str, filters: dict, rows: int) -> None:
    """Audit a download asked for by a GET (whose own transaction only reads), in a transaction of its own,
    committed before the file is sent."""
    db.session.rollback()
    with writing():
        exports.record_export(actor, what, fmt, filters, rows)
        db.session.commit()
