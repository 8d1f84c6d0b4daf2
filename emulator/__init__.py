"""A local, faithful emulator of the Microsoft identity platform (v2.0) and Graph's mail API.

Never imports the app (``mailer``); the app never imports it. ``python -m emulator`` runs it.
"""
from .server import Emulator

__all__ = ["Emulator"]
