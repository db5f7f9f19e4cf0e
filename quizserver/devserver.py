"""`python app.py`: apply migrations, sync questions/, and serve on http://127.0.0.1:5000."""
from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from .banksync import sync_banks
from .extensions import db
from .models import Role, User


def prepare(app: Flask) -> None:
    with app.app_context():
        upgrade()
        print(" * syncing questions/: new banks get their verified variant pools (about half a minute at first)")
        report = sync_banks([app.config["QUIZ"]["QUESTIONS_DIR"]], variants=app.config["QUIZ"]["POOL_VARIANTS"])
        from .unpublish import missing_banks, record_sync

        missing = missing_banks([app.config["QUIZ"]["QUESTIONS_DIR"]], report)
        record_sync(report, missing)  # the Banks page then offers to unpublish them
        db.session.commit()
        for f in report.files:
            print(f" * {f.path}: week {f.week}: {f.outcome}")
            for p in f.problems:
                print(f"   {p}")
        for gone in missing:
            print(f" * {gone.line(pruned=False)}")
        if db.session.scalar(select(User).where(User.role == Role.INSTRUCTOR)) is None:
            print(" * No instructor account yet. Create one with:")
            print("     flask --app app users create you@example.org --role instructor")


_OFF = {"0", "false", "no", "off"}


def use_debugger(app: Flask, environ: Mapping[str, str] = os.environ) -> bool:
    """Werkzeug's interactive debugger and reloader: on for `python app.py` (a development server on
    127.0.0.1), off with QUIZ_DEBUG=0, e.g. to try the app as students get it or to share a screen."""
    return bool(app.debug) and environ.get("QUIZ_DEBUG", "").strip().lower() not in _OFF


def serve(app: Flask) -> None:
    if os.environ.get("WERKZEUG_RUN_MAIN") != "true":  # once, not again in the reloader's child
        prepare(app)
    port = int(os.environ.get("QUIZ_PORT", "5000"))
    app.run(host="127.0.0.1", port=port, debug=use_debugger(app))
