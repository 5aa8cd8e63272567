"""The WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from tpl_tracker import create_app

app = create_app()
