"""Image files of banks in the database: saved at sync (flush, never commit) and read by the route."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from quizserver.extensions import db
from quizserver.figures import ImageFile
from quizserver.models import FigureFile

_READ = select(FigureFile.media_type, FigureFile.data)


def save_figures(files: Iterable[ImageFile]) -> dict[str, dict[str, object]]:
    """Store every file not stored yet; return what BankVersion.images keeps (address -> stored name)."""
    files = list(files)
    by_name = {f.shown.file: f for f in files}
    if by_name:
        stored = set(db.session.scalars(select(FigureFile.name).where(FigureFile.name.in_(by_name))))
        for name, file in by_name.items():
            if name not in stored:
                db.session.add(FigureFile(name=name, media_type=file.media_type, data=file.data))
        db.session.flush()
    return {f.src: f.shown.as_stored() for f in files}


def read_figure(name: str) -> tuple[str, bytes] | None:
    """(media type, bytes) of a stored file, or None."""
    row = db.session.execute(_READ.where(FigureFile.name == name)).first()
    return (row.media_type, bytes(row.data)) if row is not None else None
