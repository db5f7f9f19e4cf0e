from flask import Blueprint

bp = Blueprint("lti", __name__, url_prefix="/lti", static_folder="static", static_url_path="/static")
