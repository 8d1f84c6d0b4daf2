"""The person's own sign-in for the CLI: MSAL's device code flow with a public client.

The token cache is kept by msal-extensions in a file of the user's (``~/.config/mailer/`` or
``--cache``): encrypted where the platform offers it (DPAPI, Keychain, libsecret), else a
file only its owner may read. Tokens are refreshed silently from it; ``login`` asks again.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import msal
import requests
from msal.exceptions import MsalError
from msal_extensions import FilePersistence, PersistedTokenCache, build_encrypted_persistence

from mailer.automation.errors import AutomationError

SCOPES = ["User.Read", "Mail.Send", "Mail.Send.Shared", "Mail.ReadWrite"]
MICROSOFT_HOSTS = {"login.microsoftonline.com"}


class NotSignedIn(Exception):
    """No usable sign-in in the cache: ``python -m mailer login`` first."""


def default_cache() -> Path:
    return Path.home() / ".config" / "mailer" / "token-cache.bin"


def persistence(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        return build_encrypted_persistence(str(path))
    except Exception:  # noqa: BLE001 - no keyring on this machine (a server, a container)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)  # owner-only from the start
            os.close(fd)
        return FilePersistence(str(path))


class Delegated:
    """A public client (CLI_CLIENT_ID) on AUTHORITY, with a persisted token cache."""

    def __init__(self, cfg: dict, http: requests.Session, cache_path: Path | None = None):
        if not cfg.get("CLI_CLIENT_ID"):
            raise AutomationError("CLI_CLIENT_ID", "set it to a public client registration "
                                  "('Allow public client flows' on, Mail.Send delegated)")
        host = urlsplit(cfg["AUTHORITY"]).hostname
        self.cache = PersistedTokenCache(persistence(cache_path or default_cache()))
        try:
            self.app = msal.PublicClientApplication(
                cfg["CLI_CLIENT_ID"], authority=cfg["AUTHORITY"], http_client=http,
                token_cache=self.cache, timeout=cfg["HTTP_TIMEOUT"],
                instance_discovery=None if host in MICROSOFT_HOSTS else False)
        except (requests.RequestException, MsalError, ValueError) as exc:
            raise NotSignedIn(f"the sign-in service at {cfg['AUTHORITY']} did not answer "
                              f"({exc})") from None

    def login(self, out=sys.stderr) -> dict:
        """Device code: print where to go and the code, wait for the person, keep the tokens."""
        flow = self.app.initiate_device_flow(scopes=SCOPES)
        if "user_code" not in flow:
            raise NotSignedIn(f"the sign-in service refused: {flow.get('error_description')}")
        print(flow["message"], file=out, flush=True)
        result = self.app.acquire_token_by_device_flow(flow)
        if "access_token" not in result:
            raise NotSignedIn(f"sign-in did not complete: {result.get('error')}: "
                              f"{str(result.get('error_description') or '').splitlines()[0:1]}")
        return result.get("id_token_claims") or {}

    def account(self) -> dict:
        accounts = self.app.get_accounts()
        if not accounts:
            raise NotSignedIn("nobody is signed in: run python -m mailer login")
        return accounts[0]

    def token(self) -> str:
        """A fresh access token for the signed-in person (refreshed silently)."""
        return self.token_result()["access_token"]

    def token_result(self) -> dict:
        """The access token with its expiry (``expires_on``) and scopes, refreshed silently."""
        try:
            result = self.app.acquire_token_silent(SCOPES, account=self.account())
        except (requests.RequestException, MsalError) as exc:
            raise NotSignedIn(f"could not refresh the sign-in ({exc})") from None
        if not result or "access_token" not in result:
            raise NotSignedIn("the sign-in has expired: run python -m mailer login")
        return {"access_token": result["access_token"], "scopes": SCOPES,
                "expires_on": time.time() + int(result.get("expires_in") or 0)}
