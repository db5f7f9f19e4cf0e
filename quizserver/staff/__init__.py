from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from . import admission_routes, routes  # noqa: E402,F401
