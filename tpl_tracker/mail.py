"""Outgoing email over the SMTP server of the settings (MAIL_*), and links that work outside the app.

Nothing is sent while MAIL_SERVER is empty (`configured()` says so). Messages are plain text; the caller builds
them in the recipient's language. Addresses never reach the logs: a refusal is reported by its kind only.
"""

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

TIMEOUT_SECONDS = 30


def configured() -> bool:
    """True when an SMTP server is set (MAIL_SERVER)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def new_message(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message from MAIL_FROM."""
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_FROM", "tpl-tracker@localhost")
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


@contextmanager
def connection() -> Iterator[smtplib.SMTP]:
    """An open SMTP connection (STARTTLS and login as configured), closed at the end of the block."""
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT", 25)), timeout=TIMEOUT_SECONDS) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        yield smtp


def send(message: EmailMessage, smtp: smtplib.SMTP | None = None) -> None:
    """Send one message, on the given connection or on one of its own."""
    if smtp is not None:
        smtp.send_message(message)
        return
    with connection() as own:
        own.send_message(message)


class NoSiteAddress(RuntimeError):
    """A link is wanted outside a request while PUBLIC_URL is not set."""


def external_url(endpoint: str, site_url: str | None = None, **values) -> str:
    """The absolute address of an endpoint, for an email or for handing over.

    Built on `site_url`, else PUBLIC_URL, else (inside a request) the address the request came to, as url_for
    gives it (the host as the trusted proxies passed it, see PROXY_FIX).
    """
    base = site_url or current_app.config.get("PUBLIC_URL")
    if not base:
        if not has_request_context():
            raise NoSiteAddress("PUBLIC_URL is not set: links cannot be built outside a web request.")
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base.rstrip("/"))
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
