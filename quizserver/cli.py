"""Command line: `flask --app app quiz ...` and `flask --app app users ...`. Each command is a few lines."""
from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from .extensions import db
from .i18n import cli_problem, cli_text  # in the language of LANG / LC_MESSAGES
from .lti.cli import lti_cli  # noqa: F401  (create_app registers it beside quiz and users)

quiz_cli = AppGroup("quiz", help="Question banks: check, sync, regrade.")
users_cli = AppGroup("users", help="Accounts.")


def _default_paths(paths: tuple[str, ...]) -> list[str]:
    return list(paths) or [current_app.config["QUIZ"]["QUESTIONS_DIR"]]


@quiz_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--variants", default=None, type=click.IntRange(0, 2000),
              help="Pool variants verified per question, those sync stores (default: QUIZ_POOL_VARIANTS, 200).")
@click.option("--random", "random_variants", default=20, show_default=True, type=click.IntRange(0, 2000),
              help="Random variants verified per question as well.")
@click.option("--seed", default=None, type=int, help="Base seed of the random variants (printed; repeats a run).")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON list.")
@click.option("--explain", nargs=2, type=(click.IntRange(0, 2**31 - 1), str), default=None,
              metavar="SEED QUESTION",
              help="Show one variant (a seed from a message) of QUESTION: its text, values, key and every check.")
def check_command(
    paths: tuple[str, ...], variants: int | None, random_variants: int, seed: int | None, as_json: bool,
    explain: tuple[int, str] | None,
) -> None:
    """Validate banks and verify their answer keys; exit 1 on any error."""
    from .checking import ExplainError, check_paths, explain_paths

    if explain is not None:
        try:
            explanation = explain_paths(_default_paths(paths), *explain)
        except ExplainError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo("\n".join(explanation.lines))
        sys.exit(0 if explanation.ok else 1)

    size = variants if variants is not None else current_app.config["QUIZ"]["POOL_VARIANTS"]
    # the bar and the summary go to stderr, so stdout stays a clean list (or JSON) for editors and CI
    result = check_paths(_default_paths(paths), variants=size, random_variants=random_variants, seed=seed,
                         progress_file=sys.stderr)  # fmt: skip
    if result.random_seed is not None:
        click.echo(cli_text(f"random variants drawn from --seed {result.random_seed}"), err=True)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in result.problems], indent=2))
    else:
        for problem in result.problems:
            click.echo(cli_problem(problem))
    click.echo(cli_text(result.summary()), err=True)
    sys.exit(0 if result.ok else 1)


@quiz_cli.command("sync")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--variants", default=None, type=click.IntRange(1, 2000),
              help="Verified variants per question (default: QUIZ_POOL_VARIANTS, 200); a bank's `variants:` wins.")
@click.option("--prune", is_flag=True,
              help="Unpublish weeks whose bank file was removed (students' history and staff pages keep them).")
def sync_command(paths: tuple[str, ...], variants: int | None, prune: bool) -> None:
    """Validate banks, compute and verify every question's pool of variants (in the sandbox), and serve
    every good bank; a bad bank keeps its last good version. A published week whose file is gone is
    reported, and unpublished with --prune."""
    from .bank import bank_paths, load_banks
    from .banksync import sync_banks

    size = variants if variants is not None else current_app.config["QUIZ"]["POOL_VARIANTS"]
    chosen = _default_paths(paths)
    banks, _ = load_banks(bank_paths(chosen))
    with click.progressbar(length=sum(len(b.questions) for b in banks), label="Building verified variant pools",
                           file=sys.stderr) as bar:  # fmt: skip
        report = sync_banks(chosen, variants=size, progress=lambda _: bar.update(1))
    from .unpublish import missing_banks, record_sync, unpublish_missing

    missing = missing_banks(chosen, report)
    record_sync(report, missing)
    pruned = set(unpublish_missing([m.week for m in missing])) if prune else set()
    db.session.commit()
    for f in report.files:
        click.echo(cli_text(f"{f.path}: week {f.week if f.week is not None else '?'}: {f.outcome}"))
        for problem in f.problems:
            click.echo(f"  {cli_problem(problem)}", err=True)
    for gone in missing:
        click.echo(gone.line(pruned=gone.week in pruned))
    if report.counts.questions:
        click.echo(cli_text(report.counts.summary()), err=True)
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
        if summary.scores_up or summary.scores_down:  # the changed week scores go to the LMS gradebooks too
            from .lti.grades import enqueue_all

            enqueue_all([summary.week])
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
    unnamed = "" if user.name else " (no display name: pages show the e-mail address once; add one with --name)"
    click.echo(f"created {user.role} {user.email}{unnamed}")
