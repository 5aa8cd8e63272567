"""Transaction boundaries: a request, a CLI command or a job run commits once, or rolls everything back.

Services change the session and flush; they never commit. So a use case may call other use cases, and a use
case that fails writes nothing, its audit entries included (see STYLE.md, "One transaction per request").
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, Response, current_app, request

from .extensions import db

# Whether the transactions begun from here on may write. On SQLite a writing transaction takes the write lock at
# BEGIN (BEGIN IMMEDIATE: writers queue instead of failing later); a reading one does not (plain BEGIN: with WAL it
# reads a snapshot while a job or an import writes). Commands and jobs write; a request writes unless it is a GET
# (or a POST its view marks with `reads_only_when`, such as an import's dry run).
_may_write: ContextVar[bool] = ContextVar("transactions_may_write", default=True)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def may_write() -> bool:
    """True when the transaction about to begin may write (database.py picks its BEGIN by it)."""
    return _may_write.get()


@contextmanager
def writing() -> Iterator[None]:
    """Let the transactions begun in the block write (a GET that records something, an audit of a refusal)."""
    token = _may_write.set(True)
    try:
        yield
    finally:
        _may_write.reset(token)


@contextmanager
def reading() -> Iterator[None]:
    """Let the transactions begun in the block only read: a download streamed after its request has committed
    (its audit entry) reads the rows it sends without holding SQLite's write lock."""
    token = _may_write.set(False)
    try:
        yield
    finally:
        _may_write.reset(token)


def reads_only_when(condition: Callable[[], bool]) -> Callable:
    """Mark a POST view that writes nothing when `condition()` holds (read from the request before any query)."""

    def decorator(view: Callable) -> Callable:
        view.reads_only_when = condition
        return view

    return decorator


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

    @app.before_request
    def declare_write_intent() -> None:
        # Runs before anything queries (the signed-in user is loaded later), so the request's first BEGIN knows.
        view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
        condition = getattr(view, "reads_only_when", None)
        reads = request.method in SAFE_METHODS or (condition is not None and bool(condition()))
        _may_write.set(not reads)

    @app.after_request
    def commit_or_roll_back(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response
