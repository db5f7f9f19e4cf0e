"""Image files that bank texts show: stored at sync (store.py), served by content hash (routes.py)."""
from flask import Blueprint

bp = Blueprint("media", __name__)

from . import routes  # noqa: E402,F401
