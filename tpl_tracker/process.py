"""Settings of the Python process that serves the app (called by `wsgi.py`, the entry point of gunicorn and `flask`).

The cycle collector: a page loads a few hundred ORM objects and renders a few thousand strings, so that with
Python's default threshold (a collection of the young objects every 700 new containers, and of everything on every
tenth of those) a request paid for several collections, some of which walked the 180,000 objects the app keeps from
its start (SQLAlchemy's mappings, the templates, the translations). After the start those are frozen (left out of
every collection; they live as long as the process), and young objects are collected every 10,000 new ones: at
100,000 TPL the busiest pages spent 0.45 to 0.65 ms a request in collections, 0.08 to 0.15 after (README,
Performance). Objects freed by their reference count, nearly all of a request's, are freed at once as before; only
garbage in cycles waits a little longer.
"""

import gc

YOUNG_THRESHOLD = 10_000  # new container objects between two collections of the youngest (Python: 700)
OLDER_THRESHOLDS = (10, 10)  # collections of a generation between two of the next older: Python's, so that garbage
# in cycles that lived through a request still goes within a few hundred requests


def tune_garbage_collector() -> None:
    """Freeze what the process holds once started and collect the young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
