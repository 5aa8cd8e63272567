"""Transaction boundaries: a request, a CLI command or a job run commits once, or rolls everything back.

Services change the session and flush; they never commit. So a use case may call other use cases, and a use
case that fails writes nothing, its audit entries included (see STYLE.md, "One transaction per request").
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, Response

from .extensions import db


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block wrote when it ends normally; roll all of it back when it raises."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def committed(func: Callable) -> Callable:
    """Run a function (a CLI command) as one unit of work."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with unit_of_work():
            return func(*args, **kwargs)

    return wrapper


def init_app(app: Flask) -> None:
    """Commit each request that answers below 400 once, after its view; roll back any other."""

    @app.after_request
    def commit_or_roll_back(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response
