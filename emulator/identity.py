"""Identity platform v2.0 over HTTPS: discovery, token, JWKS. (stub: being written)"""
from flask import Blueprint

api_bp = Blueprint("identity", __name__)
