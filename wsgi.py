"""The WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from tpl_tracker import create_app
from tpl_tracker.process import tune_garbage_collector

app = create_app()
tune_garbage_collector()  # once the app is loaded: see tpl_tracker/process.py
