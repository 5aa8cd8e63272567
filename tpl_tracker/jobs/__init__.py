"""The one list of scheduled jobs, with their default schedules (cron fields, Asia/Jakarta time).

A schedule can be changed without code: JOB_SCHEDULE_<NAME> (name upper-cased, dashes as
underscores) holds cron fields "minute hour day month day_of_week", e.g.
JOB_SCHEDULE_COMPUTE_METRICS="30 1 * * *".
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Job:
    """A scheduled job: its function takes the as-of date and returns the rows it wrote. A job with `due` runs a
    scheduled slot only when `due()` says there is work (nothing is recorded otherwise)."""

    name: str
    func: Callable[[date], int]
    schedule: str
    description: str
    due: Callable[[], bool] | None = None


def compute_metrics(as_of: date) -> int:
    """Store the WUB snapshot of every grouping as of the date."""
    from ..services.metric import store_snapshot

    return store_snapshot(as_of)


def notify_contracts_ending(as_of: date) -> int:
    """Notify TPL and supervisors of contracts ending within 30 days."""
    from ..services.notifications import contracts_ending

    return contracts_ending(as_of)


def notify_tracer_due(as_of: date) -> int:
    """Notify alumni and supervisors of tracer surveys due or overdue."""
    from ..services.notifications import tracer_due

    return tracer_due(as_of)


def notify_inactive(as_of: date) -> int:
    """Notify TPL (and supervisors) with no activity logged in 14 days."""
    from ..services.notifications import inactive_facilitators

    return inactive_facilitators(as_of)


def notify_permits_expiring(as_of: date) -> int:
    """Notify TPL and supervisors of permits expiring within 60 days."""
    from ..services.notifications import permits_expiring

    return permits_expiring(as_of)


def notify_months_not_submitted(as_of: date) -> int:
    """Notify TPL and supervisors of months not submitted 5 days after they ended."""
    from ..services.reminders import months_not_submitted

    return months_not_submitted(as_of)


def notify_reviews_waiting(as_of: date) -> int:
    """Notify supervisors of submitted months waiting for review for more than 7 days."""
    from ..services.reminders import reviews_waiting

    return reviews_waiting(as_of)


def email_digest(as_of: date) -> int:
    """Send the daily email digest of unread notifications (no-op without MAIL_SERVER)."""
    from ..extensions import db
    from ..services.notifications import send_email_digests

    sent = 0
    for _user in send_email_digests(as_of):
        db.session.commit()  # per user: a later failure does not resend what went out
        sent += 1
    return sent


def send_account_emails(as_of: date) -> int:
    """Send the invitations and password reset links queued by the web pages (no-op without MAIL_SERVER)."""
    from ..extensions import db
    from ..services.password_links import send_queued

    sent = 0
    for _link in send_queued():
        db.session.commit()  # per link: a later failure does not resend what went out
        sent += 1
    return sent


def account_emails_waiting() -> bool:
    """Whether an invitation or reset link waits to be emailed (ending the reading transaction)."""
    from ..extensions import db
    from ..services.password_links import queued_links_waiting

    waiting = queued_links_waiting()
    db.session.commit()
    return waiting


def refresh_roster_flags(as_of: date) -> int:
    """Compute every TPL's roster flags of the day (they change with the date alone)."""
    from ..services.roster_flags import refresh

    return refresh(as_of)


def roster_flags_due() -> bool:
    """Whether a TPL who may have a roster flag has no flags of today yet (ending the reading transaction)."""
    from ..extensions import db
    from ..services.roster_flags import refresh_due

    due = refresh_due()
    db.session.commit()
    return due


def run_queued_work(as_of: date) -> int:
    """Run the large imports and the job runs queued by the web pages (outside any web request)."""
    from .background import run_queued_work as run_queue

    return run_queue()


def queued_work_waiting() -> bool:
    """Whether an import or a job run is queued."""
    from .background import work_waiting

    return work_waiting()


JOBS: dict[str, Job] = {
    job.name: job
    for job in [
        Job("compute-metrics", compute_metrics, "30 1 * * *", "WUB snapshot of every grouping (docs/metric.md)"),
        Job(
            "run-queued-work",
            run_queued_work,
            "* * * * *",
            "Large imports and runs started with Run now, queued by the web pages: run outside the web request",
            due=queued_work_waiting,
        ),
        Job(
            "send-account-emails",
            send_account_emails,
            "* * * * *",
            "Invitations and password reset links queued by the web pages: send them by email",
            due=account_emails_waiting,
        ),
        Job(
            "refresh-roster-flags",
            refresh_roster_flags,
            "*/10 * * * *",
            "Each TPL's roster flags of the day, read by the roster's flag filters: after midnight or a new database",
            due=roster_flags_due,
        ),
        Job(
            "notify-contracts-ending",
            notify_contracts_ending,
            "0 6 * * *",
            "Contracts ending within 30 days: notify the TPL and the supervisor",
        ),
        Job(
            "notify-tracer-due",
            notify_tracer_due,
            "10 6 * * *",
            "Tracer surveys due (6, 12, 24 months after exit) and overdue",
        ),
        Job("notify-no-activity", notify_inactive, "15 6 * * *", "TPL under contract with no activity in 14 days"),
        Job("notify-permits-expiring", notify_permits_expiring, "20 6 * * *", "Permits expiring within 60 days"),
        Job(
            "notify-month-not-submitted",
            notify_months_not_submitted,
            "25 6 * * *",
            "Monthly reports not submitted 5 days after the month ended: notify the TPL and the supervisor",
        ),
        Job(
            "notify-review-waiting",
            notify_reviews_waiting,
            "30 6 * * *",
            "Monthly reports waiting for review for more than 7 days: notify the supervisor",
        ),
        Job(
            "email-digest",
            email_digest,
            "0 7 * * *",
            "Daily email digest of unread notifications (when MAIL_SERVER is set)",
        ),
    ]
}
