"""What Microsoft's identity platform and MSAL fix, checked by config.py and the web layer alike.

Plain constants with no imports, so config.py can read them without loading MSAL or Flask.
"""
from __future__ import annotations

# MSAL adds these to every request itself and raises ValueError when a caller passes one
# (msal.application.ClientApplication._decorate_scope's reserved_scope).
RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})
# Scopes that shape the ID token rather than grant an API: a token response's ``scope`` may
# leave them out, so they are never counted as "not granted". MSAL does not reserve ``email``
# (a caller may ask for it), but like the three above it grants nothing to call.
ID_TOKEN_SCOPES = RESERVED_SCOPES | {"email"}
# Microsoft accepts an http:// redirect URI only for the local machine; anywhere else it
# must be https://.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
