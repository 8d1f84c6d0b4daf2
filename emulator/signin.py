"""Sign-in pages over plain HTTP: authorize, account picker, password, consent, logout. (stub)"""
from flask import Blueprint

pages_bp = Blueprint("signin", __name__)
