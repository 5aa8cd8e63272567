"""A list or report sent as a file: streamed after the request has committed its audit entry."""

from collections.abc import Callable, Iterable

from flask import Response, stream_with_context

from .services import exports
from .transactions import reading


def file_response(columns: list[exports.Column], rows: Callable[[], Iterable], fmt: str, filename: str, **options):
    """The file (csv with a BOM, json or xlsx) as a streamed download; `rows()` is called once the response is
    under way and read in a transaction of its own that only reads."""

    def body():
        with reading():
            for piece in exports.chunks(columns, rows(), fmt, **options):
                yield piece.encode("utf-8") if isinstance(piece, str) else piece

    return Response(
        stream_with_context(body()),
        mimetype=exports.MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
