from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from quizserver.extensions import db
from quizserver.models import BankFileStatus, BankVersion
from quizserver.security import instructor_required

from . import bp


@bp.get("/banks")
@instructor_required
def banks() -> str:
    versions = db.session.scalars(select(BankVersion).order_by(BankVersion.week, BankVersion.synced_at.desc())).all()
    statuses = db.session.scalars(select(BankFileStatus).order_by(BankFileStatus.path)).all()
    return render_template("instructor/banks.html", versions=versions, statuses=statuses)
