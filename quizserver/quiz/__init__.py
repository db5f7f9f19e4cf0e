from flask import Blueprint

bp = Blueprint("quiz", __name__)

from . import filters, review_routes, routes, syntax_help  # noqa: E402,F401
