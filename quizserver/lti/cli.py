"""`flask --app app lti ...`: keys, platforms, grade sending and roster sync. Each command a few lines."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from ..extensions import db

lti_cli = AppGroup("lti", help="LTI 1.3: the tool's keys, platforms (Moodle, ILIAS), grade sync, roster.")


@lti_cli.command("create-key")
def create_key_command() -> None:
    """Create the tool's key pair if there is none (registering a platform does it too)."""
    from .keys import ensure_key

    key = ensure_key()
    db.session.commit()
    click.echo(f"signing key {key.kid}")


@lti_cli.command("rotate-key")
@click.option("--retire", is_flag=True, help="Stop publishing every older key (once platforms fetched the new one).")
def rotate_key_command(retire: bool) -> None:
    """Add a new signing key; the old one stays in /lti/jwks until `rotate-key --retire` or `retire-keys`."""
    from .keys import create_key, retire_old_keys

    key = create_key()
    retired = retire_old_keys() if retire else 0
    db.session.commit()
    click.echo(f"new signing key {key.kid}; {retired} older key(s) retired")


@lti_cli.command("retire-keys")
def retire_keys_command() -> None:
    """Stop publishing every key but the newest."""
    from .keys import retire_old_keys

    count = retire_old_keys()
    db.session.commit()
    click.echo(f"{count} key(s) retired")


@lti_cli.command("add-platform")
@click.option("--issuer", required=True, help="The platform ID (Moodle: its address, e.g. https://moodle.uni.example).")
@click.option("--client-id", required=True)
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True, help="Repeat for several.")
@click.option("--auth-login-url", default="", help="Authentication request URL (Moodle: filled in with --moodle).")
@click.option("--auth-token-url", default="", help="Access token URL.")
@click.option("--key-set-url", default="", help="Public keyset URL.")
@click.option("--auth-audience", default=None, help="Only when the platform names one (rare).")
@click.option("--name", default="", help="Shown on the pages, e.g. 'Moodle'.")
@click.option("--moodle", is_flag=True, help="Fill the three URLs left out from Moodle's address (the issuer).")
@click.option("--trust-emails", is_flag=True, help="Match existing accounts by the email the platform sends.")
@click.option("--no-grades", is_flag=True, help="Never send scores (ILIAS: its grade service is incomplete).")
def add_platform_command(
    issuer: str, client_id: str, deployment_ids: tuple[str, ...], auth_login_url: str, auth_token_url: str,
    key_set_url: str, auth_audience: str | None, name: str, moodle: bool, trust_emails: bool, no_grades: bool,
) -> None:
    """Register a platform (or add deployments to a registered one)."""
    from .platforms import PlatformError, PlatformSpec, add_platform, moodle_urls

    spec = PlatformSpec(
        issuer=issuer, client_id=client_id, deployment_ids=tuple(dict.fromkeys(deployment_ids)),
        auth_login_url=auth_login_url, auth_token_url=auth_token_url, key_set_url=key_set_url,
        auth_audience=auth_audience, name=name, trust_emails=trust_emails, send_grades=not no_grades,
    )  # fmt: skip
    try:
        platform, new = add_platform(moodle_urls(spec) if moodle else spec)
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"platform {platform.id} {platform.name}: {platform.issuer} client {platform.client_id}; "
               f"{len(new)} new deployment(s)")  # fmt: skip


@lti_cli.command("platforms")
def platforms_command() -> None:
    """List the registered platforms."""
    from .platforms import platforms

    for p in platforms():
        deployments = ", ".join(d.deployment_id for d in p.deployments)
        flags = ("trusted emails" if p.trust_emails else "emails not trusted") + (
            ", sends grades" if p.send_grades else ", no grades"
        )
        click.echo(f"{p.id} {p.name}: {p.issuer} client {p.client_id} deployments [{deployments}]; {flags}")


@lti_cli.command("tool-config")
@click.option("--base-url", required=True, help="The quiz server's public address, e.g. https://quiz.uni.example")
def tool_config_command(base_url: str) -> None:
    """Print what to enter in the platform's tool registration."""
    from flask import current_app

    from .keys import ensure_key
    from .platforms import tool_urls

    ensure_key()
    db.session.commit()
    with current_app.test_request_context(base_url=base_url.rstrip("/")):
        urls = tool_urls()
    for label, value in (
        ("Tool URL", urls.tool_url), ("Public keyset URL", urls.jwks_url), ("Initiate login URL", urls.login_url),
        ("Redirection URI(s)", urls.redirect_url), ("Deep linking (Content-Item message) URL", urls.deep_link_url),
    ):  # fmt: skip
        click.echo(f"{label}: {value}")


@lti_cli.command("push-grades")
@click.argument("weeks", nargs=-1, type=click.IntRange(0, 999))
def push_grades_command(weeks: tuple[int, ...]) -> None:
    """Re-send every student's score of WEEKS (default: all weeks) to the platforms' gradebooks now."""
    from .grades import drain, enqueue_all, make_due

    queued = enqueue_all(list(weeks) or None)
    make_due()
    db.session.commit()
    report = drain(limit=1_000_000)
    click.echo(f"{queued} scores queued; {report.summary()}")
    for error in report.errors[:20]:
        click.echo(f"  {error}", err=True)


@lti_cli.command("drain")
@click.option("--loop", is_flag=True, help="Keep running: send what is due every --interval seconds.")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(1, 3600))
def drain_command(loop: bool, interval: int) -> None:
    """Send the queued scores that are due (failed ones wait their backoff): the grade worker."""
    from .grades import drain

    while True:
        report = drain()
        if report.sent or report.failed or not loop:
            click.echo(report.summary())
        if not loop:
            return
        time.sleep(interval)


@lti_cli.command("sync-roster")
@click.option("--context", "context_id", default=None, help="Only this course (the platform's context id).")
def sync_roster_command(context_id: str | None) -> None:
    """Create accounts for every course member through the platform's names and roles service (NRPS)."""
    from pylti1p3.exception import LtiException
    from requests import RequestException

    from .roster import roster_contexts, sync_roster

    contexts = roster_contexts(context_id)
    if not contexts:
        raise click.ClickException("No course has launched with a roster URL yet (launch once from the course).")
    for context in contexts:
        try:
            report = sync_roster(context)
        except (LtiException, RequestException) as exc:
            db.session.rollback()
            click.echo(f"{context.title or context.context_id}: {exc}", err=True)
            continue
        db.session.commit()
        click.echo(f"{context.title or context.context_id}: {report.summary()}")


@lti_cli.command("registration-url")
@click.option("--base-url", required=True, help="The quiz server's public address, e.g. https://quiz.uni.example")
@click.option("--hours", default=24, show_default=True, type=click.IntRange(1, 24 * 14), help="How long it works.")
def registration_url_command(base_url: str, hours: int) -> None:
    """Print a one-time link for a platform's dynamic registration (Moodle 4.x: Manage tools → Tool URL)."""
    from datetime import timedelta

    from flask import current_app

    from .registration import issue_registration_key, registration_url

    key = issue_registration_key(lifetime=timedelta(hours=hours))
    db.session.commit()
    with current_app.test_request_context(base_url=base_url.rstrip("/")):
        click.echo(registration_url(key))
    click.echo(f"Works once, for {hours} hour(s). Paste it into the platform's Tool URL field.", err=True)
