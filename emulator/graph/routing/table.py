"""The Graph route table: views register here with ``@route`` / ``@mailbox_route``.

``mailbox_route("POST", "sendMail")`` registers both ``me/sendMail`` (``user=None``) and
``users/{user}/sendMail``, since every ``/me/`` route also exists under ``/users/{id|upn}/``.
Views are called as ``view(caller, **captured)``.
"""
from __future__ import annotations

from .grammar import Router
from .unserved import FALLBACK

ROUTER = Router(FALLBACK)  # paths Graph serves but no view does answer 501 (unserved.py)


def route(methods: str, pattern: str):
    def decorator(view):
        ROUTER.add(methods, pattern, view)
        return view
    return decorator


def mailbox_route(methods: str, pattern: str):
    def decorator(view):
        suffix = f"/{pattern}" if pattern else ""
        ROUTER.add(methods, f"me{suffix}", view)
        ROUTER.add(methods, f"users/{{user}}{suffix}", view)
        return view
    return decorator


def message_route(methods: str, pattern: str):
    """A route under ``messages/`` that Graph also serves under ``mailFolders/{folder}/messages/``."""
    def decorator(view):
        mailbox_route(methods, f"messages/{pattern}" if pattern else "messages")(view)
        folder_pattern = f"mailFolders/{{folder}}/messages/{pattern}" if pattern \
            else "mailFolders/{folder}/messages"
        mailbox_route(methods, folder_pattern)(view)
        return view
    return decorator
