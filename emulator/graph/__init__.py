"""Graph v1.0 over HTTPS: users, mail, drafts, attachments, upload sessions. (stub)"""
from flask import Blueprint

graph_bp = Blueprint("graph", __name__)
