"""Report fragments rendered once and kept in the app's cache (Flask-Caching) under a digest of everything they show:
a changed figure, word, language or time zone makes another key, so nothing kept can be out of date."""

import hashlib
from types import SimpleNamespace

from markupsafe import Markup

from ..extensions import cache

KEPT_SECONDS = 24 * 3600  # a fragment unseen for a day is dropped


def snapshot_values(rows) -> list[tuple]:
    """Every value of the figures' rows (plain rows of every column, or the namespaces of a scope's figures computed
    from the records), for a digest."""
    return [tuple(vars(row).values()) if isinstance(row, SimpleNamespace) else tuple(row) for row in rows]


def kept(kind: str, shown, render) -> Markup:
    """The fragment `render()` makes of `shown` (every value it depends on, hashable by repr), rendered at most once
    per digest of `shown`."""
    digest = hashlib.sha256(repr((kind, shown)).encode()).hexdigest()
    key = f"report:{kind}:{digest}"
    html = cache.get(key)
    if html is None:
        html = str(render())
        cache.set(key, html, timeout=KEPT_SECONDS)
    return Markup(html)
