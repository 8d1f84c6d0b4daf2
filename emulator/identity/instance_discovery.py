"""``GET /common/discovery/instance``: which authority hosts are Microsoft's, and their aliases.

MSAL calls it with an ``authorization_endpoint`` to validate an authority it does not know
(``api-version=1.0``, at construction) and, for Microsoft's own hosts, to learn which host names
share one token cache (``api-version=1.1``, when looking for accounts). The answer is Microsoft's:
``tenant_discovery_endpoint`` for the authority asked about, the ``api-version`` and a
``metadata`` list of clouds, each with ``preferred_network``, ``preferred_cache`` and
``aliases``. A host that is neither Microsoft's nor this emulator's own gets ``invalid_instance``.

One deliberate addition: the emulator's own host names (127.0.0.1 and localhost) count as known
instances, forming one cloud of their own, so an authority on the emulator validates.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, jsonify, request

from .authorize_request import safe_split
from ..errors import aadsts_response
from ..state import get_state

instance_bp = Blueprint("instance_discovery", __name__)

# The public clouds as Microsoft lists them (recorded answers of login.microsoftonline.com).
CLOUDS = [
    {"preferred_network": "login.microsoftonline.com", "preferred_cache": "login.windows.net",
     "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com",
                 "sts.windows.net"]},
    {"preferred_network": "login.partner.microsoftonline.cn",
     "preferred_cache": "login.partner.microsoftonline.cn",
     "aliases": ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"]},
    {"preferred_network": "login.microsoftonline.de", "preferred_cache": "login.microsoftonline.de",
     "aliases": ["login.microsoftonline.de"]},
    {"preferred_network": "login.microsoftonline.us", "preferred_cache": "login.microsoftonline.us",
     "aliases": ["login.microsoftonline.us", "login.usgovcloudapi.net"]},
    {"preferred_network": "login-us.microsoftonline.com",
     "preferred_cache": "login-us.microsoftonline.com",
     "aliases": ["login-us.microsoftonline.com"]},
]
API_VERSIONS = ("1.0", "1.1")


def _own_cloud() -> dict:
    """The emulator's two host names (its API origin and the upload origin) as one cloud."""
    urls = get_state().urls
    api, other = urlsplit(urls.api).hostname, urlsplit(urls.upload).hostname
    return {"preferred_network": api, "preferred_cache": api, "aliases": [api, other]}


@instance_bp.get("/common/discovery/instance")
def instance():
    """Validate an authority's host and name the aliases of every known cloud."""
    version = request.args.get("api-version", "")
    if not version:
        # UNCONFIRMED: Microsoft's code and wording for a missing or unknown api-version.
        return aadsts_response("invalid_request", 900144, "The request body must contain the "
                               "following parameter: 'api-version'.")
    if version not in API_VERSIONS:
        return aadsts_response("invalid_request", 90100, f"The api-version '{version}' is not "
                               f"supported. Use one of: {', '.join(API_VERSIONS)}.")
    own = _own_cloud()
    clouds = [own] + CLOUDS
    endpoint = request.args.get("authorization_endpoint", "")
    parts = safe_split(endpoint) if endpoint else None
    if parts is None or parts.scheme != "https" or not parts.hostname:
        # UNCONFIRMED which requests Microsoft calls malformed (AADSTS50050 in its reference).
        return aadsts_response("invalid_request", 50050, "Request is malformed: "
                               "'authorization_endpoint' must be an https URL.")
    host = parts.hostname.lower()
    if not any(host in cloud["aliases"] for cloud in clouds):
        return aadsts_response("invalid_instance", 50049, "Unknown or invalid instance.")
    segments = [s for s in parts.path.split("/") if s]
    tenant = segments[0] if segments else "common"
    # The emulator's own host answers with its real origin (MSAL drops the port from the
    # authority's host); Microsoft's hosts keep their own name.
    origin = get_state().urls.api if host in own["aliases"] else f"https://{host}"
    # UNCONFIRMED: a v1 authorize endpoint gets the v1 discovery document (MSAL's comment).
    version_path = "/v2.0" if "v2.0" in segments else ""
    response = jsonify({
        "tenant_discovery_endpoint":
            f"{origin}/{tenant}{version_path}/.well-known/openid-configuration",
        "api-version": version,
        "metadata": clouds,
    })
    response.headers["Cache-Control"] = "max-age=86400, private"
    return response
