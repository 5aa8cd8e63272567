"""Drafts of forms, kept in the browser (static/drafts.js): the server only tells the next page which to forget.

A form opts in with `data-draft`; what is typed in it is kept in the browser's storage under the signed-in user and
the form's address (never passwords, CSRF tokens or other hidden fields) and put back when the form is opened
again: after a failed validation, or after the session or the form expired and the user signed in again. A post
that ends in a redirect while its user is still signed in has been taken (the form was saved), so the next page
says to forget the draft of that address (only of addresses that are pages too: a draft form posts to its own
page); signing out says to forget every draft of the browser (a shared phone).
"""

from flask import Flask, g, request, session
from flask_login import current_user

from .security import PUBLIC, declared_access

SAVED = "drafts_saved"  # the paths of forms saved since the last page was shown
CLEAR_ALL = "drafts_clear_all"
MAX_SAVED = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def forget_all() -> None:
    """Have the next page forget every draft kept in this browser (signing out)."""
    session[CLEAR_ALL] = True


def keep_draft() -> None:
    """Keep the draft of this request's form although the request ends in a redirect (nothing was saved)."""
    g.keep_draft = True


def init_app(app: Flask) -> None:
    """Note the forms saved by each request; hand the notes to the next page rendered."""

    @app.after_request
    def note_saved_form(response):
        if (
            request.method == "POST"
            and response.status_code in REDIRECTS
            and current_user.is_authenticated
            and not g.get("keep_draft")
            and declared_access(request.endpoint) != PUBLIC  # the sign-in and language forms keep no draft
            and request.url_rule is not None
            and "GET" in (request.url_rule.methods or ())  # a draft belongs to a page (the form posts to itself)
        ):
            saved = [path for path in session.get(SAVED, []) if path != request.path]
            session[SAVED] = [request.path, *saved][:MAX_SAVED]
        return response

    @app.context_processor
    def drafts_to_forget():
        return {"drafts_saved": session.pop(SAVED, None), "drafts_clear_all": session.pop(CLEAR_ALL, False)}
