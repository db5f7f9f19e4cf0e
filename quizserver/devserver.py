"""`python app.py`: apply migrations, sync questions/, and serve on http://127.0.0.1:5000."""
from __future__ import annotations

import os

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from .extensions import db
from .models import Role, User
from .services import sync_banks


def prepare(app: Flask) -> None:
    with app.app_context():
        upgrade()
        print(" * syncing questions/: new banks get their verified variant pools (about half a minute at first)")
        report = sync_banks([app.config["QUIZ"]["QUESTIONS_DIR"]], variants=app.config["QUIZ"]["POOL_VARIANTS"])
        db.session.commit()
        for f in report.files:
            print(f" * {f.path}: week {f.week}: {f.outcome}")
            for p in f.problems:
                print(f"   {p}")
        if db.session.scalar(select(User).where(User.role == Role.INSTRUCTOR)) is None:
            print(" * No instructor account yet. Create one with:")
            print("     flask --app app users create you@example.org --role instructor")


def serve(app: Flask) -> None:
    if os.environ.get("WERKZEUG_RUN_MAIN") != "true":  # once, not again in the reloader's child
        prepare(app)
    port = int(os.environ.get("QUIZ_PORT", "5000"))
    app.run(host="127.0.0.1", port=port, debug=app.debug)
