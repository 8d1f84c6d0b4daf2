"""The mailbox viewer on the HTTP pages server. (stub)"""
from flask import Blueprint

viewer_bp = Blueprint("viewer", __name__)
