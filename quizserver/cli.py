"""Command line: `flask --app app quiz ...` and `flask --app app users ...`. Each command is a few lines."""
from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from .extensions import db

quiz_cli = AppGroup("quiz", help="Question banks: check, sync, regrade.")
users_cli = AppGroup("users", help="Accounts.")


def _default_paths(paths: tuple[str, ...]) -> list[str]:
    return list(paths) or [current_app.config["QUIZ"]["QUESTIONS_DIR"]]


@quiz_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--variants", default=100, show_default=True, help="Variants sampled per question.")
@click.option("--seed", default=0, show_default=True, help="Base seed; the same seed re-creates the run.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON list.")
def check_command(paths: tuple[str, ...], variants: int, seed: int, as_json: bool) -> None:
    """Validate banks and verify their answer keys; exit 1 on any error."""
    from .checking import check_paths

    # the bar and the summary go to stderr, so stdout stays a clean list (or JSON) for editors and CI
    result = check_paths(_default_paths(paths), variants=variants, seed=seed, progress_file=sys.stderr)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in result.problems], indent=2))
    else:
        for problem in result.problems:
            click.echo(str(problem))
    click.echo(result.summary(), err=True)
    sys.exit(0 if result.ok else 1)


@quiz_cli.command("sync")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--variants", default=None, type=int, help="Variants sampled per question while validating.")
def sync_command(paths: tuple[str, ...], variants: int | None) -> None:
    """Validate banks and serve every good one; a bad bank keeps its last good version."""
    from .services import sync_banks

    sample = variants if variants is not None else current_app.config["QUIZ"]["SYNC_SAMPLE_VARIANTS"]
    report = sync_banks(_default_paths(paths), sample=sample)
    db.session.commit()
    for f in report.files:
        click.echo(f"{f.path}: week {f.week if f.week is not None else '?'}: {f.outcome}")
        for problem in f.problems:
            click.echo(f"  {problem}", err=True)
    sys.exit(0 if report.ok else 1)


@quiz_cli.command("regrade")
@click.argument("bank")
@click.argument("question", required=False)
@click.option("--dry-run", is_flag=True, help="Report what would change and write nothing.")
def regrade_command(bank: str, question: str | None, dry_run: bool) -> None:
    """Recompute stored keys from their seeds with the served BANK (a week number or a bank file) and
    re-grade every stored answer, optionally of one QUESTION only. Running it twice changes nothing."""
    from .regrade import RegradeError, regrade, served_for

    try:
        summary = regrade(served_for(bank), question, dry_run=dry_run)
    except RegradeError as exc:
        raise click.ClickException(str(exc)) from exc
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in summary.lines():
        click.echo(line)


@quiz_cli.command("demo-data")
@click.option("--students", default=1000, show_default=True, help="Synthetic students to create.")
@click.option("--seed", default=0, show_default=True, help="The same seed re-creates the same cohort.")
@click.option("--replace", is_flag=True, help="Remove an earlier demo cohort first.")
def demo_data_command(students: int, seed: int, replace: bool) -> None:
    """Fill the database with a synthetic cohort for the staff dashboards."""
    from .demo import run_demo_data

    run_demo_data(students, seed, replace=replace)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["student", "staff", "instructor"]), default="student", show_default=True)
@click.option("--name", default="", help="Display name.")
@click.password_option(help="The password (asked for when not given).")
def create_user_command(email: str, role: str, name: str, password: str) -> None:
    """Create an account, e.g. the first instructor."""
    from .accounts import AccountError, create_user

    try:
        user = create_user(email, password, role=role, name=name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.role} {user.email}")
