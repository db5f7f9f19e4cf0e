"""GET /figures/<name>: an image file a question shows, from the database, by its content hash.

The name is the file's sha256 and extension, so a response never goes stale: browsers keep it for a
year without asking again, and an edited image gets a new name at sync. Only names of that form are
looked up; nothing here touches the file system.
"""
from __future__ import annotations

from flask import Response, abort, request
from flask_login import login_required

from quizserver.figures import STORED_NAME

from . import bp
from .store import read_figure

# An SVG opened on its own is a document: it may draw, never run or fetch anything.
IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
CACHE_FOR = 365 * 24 * 3600


@bp.get("/figures/<name>")
@login_required
def figure(name: str) -> Response:
    if not STORED_NAME.fullmatch(name):
        abort(404)
    found = read_figure(name)
    if found is None:
        abort(404)
    media_type, data = found
    response = Response(data, mimetype=media_type)
    response.headers["Content-Security-Policy"] = IMAGE_POLICY
    response.headers["Content-Disposition"] = f"inline; filename={name}"
    # private: the page that shows it needs a login, so shared caches must not keep it
    response.headers["Cache-Control"] = f"private, max-age={CACHE_FOR}, immutable"
    response.set_etag(name)
    response.make_conditional(request)  # 304 for a browser that asks again with If-None-Match
    return response
