"""``/api/v1/docs``: the API's documentation page, Swagger UI over the OpenAPI document.

Swagger UI comes from the npm registry (package.json, copied into static/vendor/ by env.sh),
served by the app itself under the app's Content-Security-Policy: its settings are a static
script (static/api-docs.js), not an inline one. "Try it out" calls the API from the page with
the key typed into Authorize; the key is kept in the page only (not in the browser's storage).
"""
from __future__ import annotations

from flask import Blueprint, render_template, url_for

bp = Blueprint("docs", __name__)


@bp.get("/api/v1/docs")
def page():
    """The documentation page (public, as the OpenAPI document is: it holds no secret)."""
    return render_template("api/docs.html", spec=url_for("api-docs.openapi_json"))
