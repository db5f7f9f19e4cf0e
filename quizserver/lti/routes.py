"""LTI views: OIDC login and launch (posted by the platform, so CSRF-exempt: the state and the signed id_token
protect them), the JWKS, deep linking, and the instructors' and staff's pages."""
from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import urlsplit

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from pylti1p3.contrib.flask import FlaskOIDCLogin, FlaskRequest
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..accounts import AccountError, start_login_session
from ..catalog import served_bank, served_banks
from ..extensions import csrf, db
from ..grading.messages import N_
from ..models import LtiPlatform, LtiRoleNotice
from ..security import content_security_policy, instructor_required, staff_required
from .blueprint import bp
from .forms import ActionForm, PlatformForm, PlatformSettingsForm
from .grades import LINE_ITEM_TAG, drain, make_due, queue_view, resource_id, send_after_response
from .identity import account_for_launch, find_identity, record_context
from .keys import published_jwks
from .launch import LAUNCH_ERRORS, LaunchRefused, StrictMessageLaunch, read_claims, refusal
from .platforms import PlatformError, PlatformSpec, add_platform, moodle_urls, platforms, remove_platform, split_ids
from .platforms import tool_urls as make_tool_urls
from .registration import RegistrationRefused, frame_origin, issue_registration_key, register_platform, registration_url
from .services import http_session
from .storage import LAUNCH_DATA_LIFETIME, DatabaseCache, DatabaseLaunchStorage, OneTimeSessionService
from .toolconf import DatabaseToolConf, find_platform

log = logging.getLogger(__name__)
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

_NO_ROLE = LaunchRefused(
    403, N_("Your course role is not one this quiz knows"),
    N_("The platform sent no Learner, Teaching assistant or Instructor role for this course. Ask your instructor "
       "to check your enrolment."),
)  # fmt: skip
_UNREGISTERED = LaunchRefused(
    403, N_("This course platform is not registered"),
    N_("An instructor must add the platform under LMS platforms first."),
)  # fmt: skip
_CROSSED = LaunchRefused(
    409, N_("Two launches crossed"),
    N_("Another launch was setting up your account at the same moment. Open the activity again."),
)  # fmt: skip
_BAD_LOGIN = LaunchRefused(
    400, N_("This launch could not be started"),
    N_("The platform's request lacked its issuer or login hint. Open the activity again."),
)  # fmt: skip


def _refused(error: Exception) -> tuple[str, int]:
    db.session.rollback()
    refused = refusal(error)
    log.info("LTI launch refused: %s (%s)", refused, error)
    return render_template("lti/refused.html", refused=refused), refused.status


def _message_launch(flask_request: FlaskRequest, **kwargs: Any) -> StrictMessageLaunch:
    return StrictMessageLaunch(
        flask_request, DatabaseToolConf(), session_service=OneTimeSessionService(flask_request),
        launch_data_storage=DatabaseLaunchStorage(), requests_session=http_session(), **kwargs,
    )  # fmt: skip


@csrf.exempt
@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int]:
    """OIDC login initiation: remember a state (cookie and database) and a nonce, send the browser to the platform."""
    flask_request = FlaskRequest()
    if not flask_request.get_param("iss") or not flask_request.get_param("login_hint"):
        return _refused(_BAD_LOGIN)
    try:
        oidc = FlaskOIDCLogin(
            flask_request, DatabaseToolConf(), session_service=OneTimeSessionService(flask_request),
            launch_data_storage=DatabaseLaunchStorage(),
        )  # fmt: skip
        response = oidc.pass_params_to_launch({"login": "initiated"}).redirect(url_for("lti.launch", _external=True))
    except LAUNCH_ERRORS as error:
        return _refused(_UNREGISTERED if "registration" in str(error).lower() else error)
    DatabaseCache().purge_expired()
    db.session.commit()
    return response


@csrf.exempt
@bp.post("/launch")
def launch() -> Response | tuple[str, int]:
    """The platform's form post: validate everything, sign the person in, and open the week (or the deep-link page)."""
    flask_request = FlaskRequest()
    try:
        message = _message_launch(flask_request)
        message.set_public_key_caching(DatabaseLaunchStorage(), cache_lifetime=600)
        message.set_launch_data_lifetime(LAUNCH_DATA_LIFETIME)
        claims = read_claims(message.get_launch_data())
        if claims.role is None:
            raise _NO_ROLE
        platform = find_platform(claims.issuer, message.get_client_id())
        if platform is None:
            raise _UNREGISTERED
        account = account_for_launch(platform, claims)
        record_context(platform, claims, account.user)
        start_login_session(account.user)
        db.session.commit()
    except LAUNCH_ERRORS as error:
        return _refused(error)
    except IntegrityError:  # the same person's first launch twice at once: the other one made the account
        return _refused(_CROSSED)
    login_user(account.user)
    if account.created:
        flash(_("Welcome: your account here was made from your course platform's login."), "info")
    if account.notice is not None:
        flash(_("Your course platform lists you as %(lms)s; your role here stays %(role)s until an instructor "
                "changes it.", lms=account.notice.lms_role, role=account.notice.account_role), "info")  # fmt: skip
    if claims.is_deep_link:
        return redirect(url_for("lti.deep_link", launch_id=message.get_launch_id()))
    return redirect(_landing(claims.week))


def _landing(week: int | None) -> str:
    if week is not None and served_bank(week) is not None:
        return url_for("quiz.week", week=week)
    if week is not None:
        flash(_("There is no quiz for week %(week)s (yet); here are the weeks there are.", week=week), "info")
    return url_for("quiz.weeks")


@bp.get("/jwks")
def jwks() -> Response:
    response = jsonify(published_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# ---------------------------------------------------------------- deep linking


def _deep_link_launch(launch_id: str) -> StrictMessageLaunch:
    """The stored deep-link launch, for the same person who launched it (an instructor or TA of the course)."""
    if not launch_id.startswith("lti1p3-launch-") or len(launch_id) > 80:
        abort(404)
    flask_request = FlaskRequest()
    try:
        message = StrictMessageLaunch.from_cache(
            launch_id, flask_request, DatabaseToolConf(), session_service=OneTimeSessionService(flask_request),
            launch_data_storage=DatabaseLaunchStorage(), requests_session=http_session(),
        )  # fmt: skip
        claims = read_claims(message.get_launch_data())
    except LAUNCH_ERRORS:
        abort(404, _("This deep-linking launch has expired. Add the activity again from the course page."))
    platform = find_platform(claims.issuer, message.get_client_id())
    if not claims.is_deep_link or platform is None or claims.role is None or claims.role.value == "student":
        abort(403)
    identity = find_identity(claims.issuer, claims.subject)
    if not current_user.is_authenticated or identity is None or identity.user_id != current_user.id:
        abort(403, _("This deep-linking choice belongs to another launch."))
    assert isinstance(message, StrictMessageLaunch)
    return message


@bp.get("/deep-link/<launch_id>")
def deep_link(launch_id: str) -> str:
    message = _deep_link_launch(launch_id)
    return render_template(
        "lti/deep_link.html", served=served_banks(), launch_id=launch_id, form=ActionForm(),
        multiple=_accepts_multiple(message),
    )  # fmt: skip


def _accepts_multiple(message: StrictMessageLaunch) -> bool:
    """Whether the platform takes several items from one choice (Moodle does; the claim may say "false")."""
    return _deep_linking_settings(message).get("accept_multiple", True) not in (False, "false")


def _deep_linking_settings(message: StrictMessageLaunch) -> dict[str, Any]:
    body = cast(dict[str, Any], message.get_launch_data())
    settings = body.get(DEEP_LINKING_SETTINGS)
    return settings if isinstance(settings, dict) else {}


@bp.post("/deep-link/<launch_id>")
def deep_link_choose(launch_id: str) -> Response | str:
    message = _deep_link_launch(launch_id)
    if not ActionForm().validate_on_submit():
        abort(400, _("The form expired. Choose the week again."))
    weeks = list(dict.fromkeys(w for w in request.form.getlist("week") if w.isdigit() and len(w) < 4))
    chosen = [served_bank(int(w)) for w in weeks[: None if _accepts_multiple(message) else 1]]
    served = [s for s in chosen if s is not None]
    if not served:
        flash(_("Choose at least one week."), "error")
        return redirect(url_for("lti.deep_link", launch_id=launch_id))
    platform = find_platform(message.get_iss(), message.get_client_id())
    deep_link = message.get_deep_link()
    launch_url = url_for("lti.launch", _external=True)
    resources = []
    for bank in served:
        resource = (
            DeepLinkResource()
            .set_url(launch_url)
            .set_title(f"Week {bank.week}: {bank.bank.title}")
            .set_custom_params({"week": str(bank.week)})
        )
        if platform is not None and platform.send_grades:
            resource.set_lineitem(
                LineItem()
                .set_score_maximum(bank.bank.total_points or 1)
                .set_label(f"Week {bank.week}: {bank.bank.title}"[:200])
                .set_resource_id(resource_id(bank.week))
                .set_tag(LINE_ITEM_TAG)
            )
        resources.append(resource)
    token = deep_link.get_response_jwt(resources)
    return_url = str(_deep_linking_settings(message).get("deep_link_return_url", ""))
    parts = urlsplit(return_url)
    if parts.scheme not in ("http", "https"):
        abort(400)
    response = current_app.make_response(
        render_template("lti/deep_link_return.html", return_url=return_url, token=token, served=served)
    )
    # the form goes to the platform: this page alone may post there
    response.headers["Content-Security-Policy"] = content_security_policy(
        form_action=f"'self' {parts.scheme}://{parts.netloc}"
    )
    return response


# ---------------------------------------------------------------- instructors: platforms and roles


@bp.route("/platforms", methods=["GET", "POST"])
@instructor_required
def platform_list() -> str | Response:
    form = PlatformForm()
    if form.validate_on_submit():
        spec = PlatformSpec(
            name=form.name.data or "",
            issuer=(form.issuer.data or "").strip(),
            client_id=(form.client_id.data or "").strip(),
            deployment_ids=split_ids(form.deployment_ids.data or ""),
            auth_login_url=(form.auth_login_url.data or "").strip(),
            auth_token_url=(form.auth_token_url.data or "").strip(),
            key_set_url=(form.key_set_url.data or "").strip(),
            trust_emails=bool(form.trust_emails.data),
            send_grades=bool(form.send_grades.data),
        )
        if form.moodle.data:
            spec = moodle_urls(spec)
        try:
            platform, new = add_platform(spec)
        except PlatformError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            message = _("Registered %(name)s (%(count)s new deployment(s)).", name=platform.name, count=len(new))
            flash(message, "success")
            return redirect(url_for("lti.platform_list"))
    return _platforms_page(form)


def _platforms_page(form: PlatformForm, registration_link: str | None = None) -> str:
    return render_template(
        "lti/platforms.html", form=form, platforms=platforms(), urls=make_tool_urls(), action=ActionForm(),
        registration_link=registration_link, settings_form=PlatformSettingsForm,
    )  # fmt: skip


@bp.post("/platforms/registration-link")
@instructor_required
def platform_registration_link() -> str:
    """A one-time link for a platform's dynamic registration, shown once on the page (only its hash is kept)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    key = issue_registration_key(created_by_id=current_user.id)
    db.session.commit()
    return _platforms_page(PlatformForm(formdata=None), registration_url(key))


@bp.post("/platforms/<int:platform_id>/settings")
@instructor_required
def platform_settings(platform_id: int) -> Response:
    """Whether a platform's emails match existing accounts, and whether it gets week scores."""
    form = PlatformSettingsForm()
    if not form.validate_on_submit():
        abort(400)
    platform = db.session.get(LtiPlatform, platform_id)
    if platform is None:
        abort(404)
    platform.trust_emails, platform.send_grades = bool(form.trust_emails.data), bool(form.send_grades.data)
    db.session.commit()
    flash(_("Saved the settings of %(name)s.", name=platform.name), "success")
    return redirect(url_for("lti.platform_list"))


# ---------------------------------------------------------------- dynamic registration (opened by the platform)


@bp.get("/register")
def register() -> Response:
    """The platform's administrator pasted the registration link; the platform opens it in a frame with
    `openid_configuration` and `registration_token`. Public, but it acts only with an unused registration key."""
    configuration_url = request.args.get("openid_configuration", "")
    try:
        platform = register_platform(
            request.args.get("key", ""), configuration_url, request.args.get("registration_token", "")
        )
    except RegistrationRefused as refused:
        log.info("LTI dynamic registration refused: %s", refused)
        response = current_app.make_response(
            (render_template("lti/registration_failed.html", refused=refused), refused.status)
        )
    else:
        log.info("LTI dynamic registration: platform %s %s client %s", platform.id, platform.issuer, platform.client_id)
        response = current_app.make_response(render_template("lti/registered.html", platform=platform))
    # the platform shows this page in a frame: its origin (and only it) may frame it
    origin = frame_origin(configuration_url)
    if origin is not None:
        response.headers["Content-Security-Policy"] = content_security_policy(frame_ancestors=origin)
    return response


@bp.post("/platforms/<int:platform_id>/remove")
@instructor_required
def platform_remove(platform_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    platform = db.session.get(LtiPlatform, platform_id)
    if platform is None:
        abort(404)
    name = platform.name
    remove_platform(platform_id)
    db.session.commit()
    flash(_("Removed %(name)s: its launches are refused from now on (accounts and scores are kept).", name=name),
          "success")
    return redirect(url_for("lti.platform_list"))


@bp.post("/role-notices/<int:notice_id>/<decision>")
@instructor_required
def role_notice(notice_id: int, decision: str) -> Response:
    from .identity import resolve_role_notice

    if decision not in ("apply", "dismiss"):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    notice = db.session.get(LtiRoleNotice, notice_id)
    if notice is None:
        abort(404)
    try:
        resolve_role_notice(notice, apply=decision == "apply", by=current_user)
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Role changed.") if decision == "apply" else _("Kept the account's role."), "success")
    return redirect(url_for("admin.users"))


# ---------------------------------------------------------------- staff: grade sync


@bp.get("/grades")
@staff_required
def grade_sync() -> str:
    return render_template("lti/grades.html", view=queue_view(), form=ActionForm())


@bp.post("/grades/retry")
@instructor_required
def grade_retry() -> Response:
    """Send every queued score now, backoff or not (the platform is back)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    make_due()
    db.session.commit()
    report = drain()
    summary = _("Grade sync: %(sent)s sent, %(failed)s failed (queued for a retry).", sent=report.sent,
                failed=report.failed)  # fmt: skip
    flash(summary, "success" if not report.failed else "error")
    return redirect(url_for("lti.grade_sync"))


bp.after_app_request(send_after_response)


@bp.app_template_global("lti_role_notices")
def lti_role_notices() -> SimpleNamespace:
    """The open role notices and recent decisions, for the accounts page: queried only where a template calls it
    (a global, not a context processor, so other pages pay nothing for it)."""
    from .identity import open_role_notices, recent_role_decisions

    return SimpleNamespace(open=open_role_notices(), decided=recent_role_decisions())
