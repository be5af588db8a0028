"""Command-line tools: seed-demo, seed-scale, create-admin, backup, tick."""
import sqlite3
from pathlib import Path

import click
from flask import Flask, current_app

from ..extensions import db
from ..services.accounts import find_by_phone, needs_password_to_administer, set_up_admin
from ..services.errors import DomainError
from ..services.phones import normalize_phone


def register(app: Flask) -> None:
    from . import scale

    scale.register(app)

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo org tree, accounts and activities (does nothing when present)."""
        from .seed import seed_demo

        created = seed_demo()
        db.session.commit()
        click.echo("Demo data loaded." if created else "Demo data already present.")

    @app.cli.command("create-admin")
    @click.option("--phone", required=True)
    @click.option("--name", required=True)
    def create_admin(phone: str, name: str):
        """Create an administrator (asks for the password)."""
        normalized = normalize_phone(phone)
        if normalized is None:
            raise click.BadParameter("not a mainland mobile number", param_hint="--phone")
        password = None
        if needs_password_to_administer(find_by_phone(normalized)):
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = set_up_admin(normalized, name, password)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"Admin {user.name} ({user.masked_phone}) is ready.")

    @app.cli.command("tick")
    def tick():
        """Do what is due now (reminders, allocations, case deadlines); running it twice does nothing twice."""
        from ..models.base import utcnow
        from ..services.tick import run_due

        for name, count in run_due(utcnow()).items():
            click.echo(f"{name}: {count}")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False))
    def backup(path: str):
        """Write a consistent copy of the live SQLite database to PATH."""
        url = db.engine.url
        if url.get_backend_name() != "sqlite":
            raise click.ClickException("backup copies SQLite databases; use pg_dump for PostgreSQL (see README).")
        target = Path(path)
        if target.exists():
            raise click.ClickException(f"{target} exists already.")
        source = sqlite3.connect(url.database)
        try:
            dest = sqlite3.connect(target)
            with dest:
                source.backup(dest)
            ok = dest.execute("PRAGMA integrity_check").fetchone()[0]
            dest.close()
        finally:
            source.close()
        if ok != "ok":
            raise click.ClickException(f"integrity check of the copy failed: {ok}")
        current_app.logger.info("backup written to %s", target)
        click.echo(f"Backup written to {target} (integrity ok).")
