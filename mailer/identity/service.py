"""Sign-in and tokens with MSAL, over any dict-like session. Knows nothing of Flask.

``Identity`` runs the auth-code flow (PKCE, state and nonce come from MSAL's
initiate_auth_code_flow / acquire_token_by_auth_code_flow); the flow waits in the server-side
session, keyed by its state, so two tabs may sign in at once. Access tokens come from
acquire_token_silent for the signed-in account only, refreshed silently when they expire.

The MSAL cache lives in a ``Vault`` beside the session (keyed by its id, Fernet-encrypted,
written only when MSAL changed it). A still-valid access token is read without a lock; anything
that may refresh runs under the vault's lock, so two requests of one session never redeem one
refresh token at once. Every MSAL result is checked (``_checked``); every failure, MSAL's
exceptions included (``_guarded``), becomes ``AuthError``.
"""
from __future__ import annotations

import json
import logging
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Callable, Protocol
from urllib.parse import urlencode, urlsplit

import msal
import requests
from msal.exceptions import MsalError

from mailer.identity.errors import AuthError, first_line
from mailer.identity.msal_results import check_granted, checked, guarded, unavailable
from mailer.identity.tokens import CacheCipher, cached_access_token, granted_scopes

logger = logging.getLogger(__name__)

SESSION_FLOWS = "auth_flows"  # state -> MSAL auth-code flow, for sign-ins under way
SESSION_USER = "user"  # who is signed in: name, username, oid, tid, account_id
MAX_FLOWS = 5
CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
MICROSOFT_HOSTS = {"login.microsoftonline.com"}
REUSE_MARGIN = 300  # a token is reused while it has more than this left (MSAL's own margin)


@dataclass(frozen=True)
class Settings:
    client_id: str
    client_secret: str
    authority: str
    scopes: tuple[str, ...]
    http_client: requests.Session  # mailer.http.build_session(CA_FILE)
    timeout: float = 30.0
    http_cache: dict = field(default_factory=dict)  # MSAL's discovery cache, shared app-wide


class Vault(Protocol):
    """Where one session's encrypted token cache is kept."""

    def load(self) -> str | None: ...
    def save(self, blob: str) -> None: ...
    def delete(self) -> None: ...
    def lock(self) -> AbstractContextManager: ...


class Identity:
    """One person's sign-in and tokens over any dict-like ``session`` (no Flask here): MSAL's
    auth-code flow (``start_login``, ``complete_login``), access tokens for the signed-in account
    only (``get_token``) from the MSAL cache ``vault`` keeps encrypted, refreshed under its lock;
    failures are ``AuthError``. One Identity serves one request (or one background job), so it
    keeps the tokens it fetched for the next ask; ``sign_out`` forgets them and the session."""

    def __init__(self, settings: Settings, session, vault: Vault, cipher: CacheCipher):
        self.settings, self._session, self._vault, self._cipher = settings, session, vault, cipher
        self._held: dict[tuple[str, ...], dict] = {}  # scopes -> the token get_token returned
        self._granted: set[str] | None = None  # granted(), read once per Identity

    @property
    def user(self) -> dict | None:
        """The signed-in user (from the id token), or None."""
        return self._session.get(SESSION_USER)

    def start_login(self, redirect_uri: str, scopes=(), next_url: str = "/",
                    login_hint: str | None = None, prompt: str | None = "select_account") -> str:
        """Begin a sign-in; return the authorize URL to send the browser to. With SCOPES set to
        a resource's ``/.default`` (the app's configured permissions, as an admin consented
        them) no scope is added: the platform refuses ``/.default`` mixed with named scopes."""
        base = list(self.settings.scopes)
        default = any(s.lower().endswith("/.default") for s in base)
        wanted = base if default else list(dict.fromkeys([*base, *scopes]))
        app = self._app(msal.SerializableTokenCache())
        flow = app.initiate_auth_code_flow(wanted, redirect_uri=redirect_uri,
                                           prompt=prompt, login_hint=login_hint)
        flow["next_url"] = next_url
        flows = dict(self._session.get(SESSION_FLOWS) or {})
        flows[flow["state"]] = flow
        self._session[SESSION_FLOWS] = dict(list(flows.items())[-MAX_FLOWS:])
        return flow["auth_uri"]

    def complete_login(self, auth_response: dict,
                       rotate: Callable[[], Vault] | None = None) -> str:
        """Redeem the code Microsoft sent back; return where the user wanted to go.

        ``rotate`` is called on success, before anything is stored: it gives the session a new
        id (and drops the old one's tokens) and returns the vault for the new id.
        """
        flows = dict(self._session.get(SESSION_FLOWS) or {})
        flow = flows.pop(str(auth_response.get("state") or ""), None)
        self._session[SESSION_FLOWS] = flows  # a flow is good for one answer, even a failed one
        if flow is None:
            raise AuthError("state_mismatch", "The sign-in answer matches no sign-in started "
                            "in this browser session.")
        next_url = flow.pop("next_url", "/")
        if not ({"code", "error"} & set(auth_response)):
            raise AuthError("invalid_response", "The sign-in answer had neither a code nor an "
                            "error.")
        cache = msal.SerializableTokenCache()  # a new sign-in never sees an older account's tokens
        app = self._app(cache)
        try:
            with guarded():
                result = app.acquire_token_by_auth_code_flow(flow, dict(auth_response))
        except RuntimeError:  # MSAL's nonce (or auth_time) check of the id token
            raise AuthError("nonce_mismatch", "The id token was not issued for this sign-in.") from None
        checked(result)
        check_granted(flow.get("scope", []), result)
        accounts = app.get_accounts()
        if not accounts:
            raise AuthError("no_account", "Microsoft's answer identified no account.")
        claims = result.get("id_token_claims") or {}
        if rotate is not None:
            self._vault = rotate()
        self._held.clear()
        self._session.pop(SESSION_FLOWS, None)
        self._session[SESSION_USER] = {
            "name": claims.get("name") or accounts[0].get("username"),
            "username": claims.get("preferred_username") or accounts[0].get("username"),
            "oid": claims.get("oid"), "tid": claims.get("tid"),
            "personal": claims.get("tid") == CONSUMERS_TENANT_ID,
            "account_id": accounts[0]["home_account_id"], "signed_in_at": int(time.time()),
            "roles": [str(r) for r in claims.get("roles") or []],  # app roles: admin pages
        }
        self._save(cache)
        logger.info("signed in: oid=%s tid=%s", claims.get("oid"), claims.get("tid"))
        return next_url

    def get_token(self, scopes=None, force_refresh: bool = False) -> dict:
        """An access token for ``scopes`` (default: SCOPES), refreshed silently when needed.

        Returns access_token, expires_in, expires_on, scopes; raises AuthError (with
        ``interaction_required`` when the user must sign in or consent again).
        """
        scopes = list(scopes or self.settings.scopes)
        held = self._held.get(tuple(scopes))
        if held and not force_refresh and held["expires_on"] - time.time() > REUSE_MARGIN:
            # A view's guard and its Graph call ask for the same token: the vault is read,
            # decrypted and searched once per request, not once per ask.
            return {**held, "source": "cache"}
        try:
            result, cache = self._silent(scopes, force_refresh)
        except AuthError as err:
            err.scopes = scopes  # what to ask for when the user signs in again
            raise
        token = result["access_token"]
        entry = next(iter(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN,
                                       query={"secret": token})), {})
        expires_in = int(result.get("expires_in") or 0)
        held = {"access_token": token, "expires_in": expires_in,
                "expires_on": int(time.time()) + expires_in,
                "scopes": (entry.get("target") or " ".join(scopes)).split(),
                "source": result.get("token_source")}
        self._held[tuple(scopes)] = held
        self._granted = None  # a new token may list more
        return dict(held)

    def refresh_roles(self) -> list[str]:
        """The app roles the person holds now, kept in the session's user (``roles``,
        ``roles_checked_at``): a silent refresh redeems the refresh token for a new id token,
        whose ``roles`` the identity platform reads from the app role assignments afresh."""
        scopes = list(self.settings.scopes)
        try:
            result, _ = self._silent(scopes, force_refresh=True)
        except AuthError as err:
            err.scopes = scopes
            raise
        self._held.clear()  # the refresh replaced the access token too
        if "id_token_claims" not in result:  # nothing to read the roles from: never assume
            raise AuthError("roles_unknown", "The sign-in service's answer carried no id token "
                            "to read your app roles from.")
        roles = [str(r) for r in result["id_token_claims"].get("roles") or []]
        self._session[SESSION_USER] = {**self.user, "roles": roles,
                                       "roles_checked_at": int(time.time())}
        return roles

    def granted(self) -> set[str]:
        """The Graph permissions this account has granted the app, as far as its tokens tell
        (lower-case short names: ``mail.readwrite``). A token response lists every permission
        granted for its resource, not only those asked (Microsoft's and the emulator's), so a
        page can choose among scopes it holds without a round trip; a grant withdrawn since
        shows when its token is next asked for (interaction_required)."""
        if self._granted is None:
            user = self.user
            self._granted = granted_scopes(self._load(), user["account_id"],
                                           self.settings.client_id) if user else set()
        return self._granted

    def _silent(self, scopes: list[str], force_refresh: bool):
        """acquire_token_silent under the vault's lock, on the freshest copy of the cache."""
        user = self.user
        if not user:
            raise AuthError("login_required", "Nobody is signed in.")
        if not force_refresh:  # a token still good: no lock, nothing written
            cache = self._load()
            found = cached_access_token(cache, user["account_id"], self.settings.client_id,
                                        scopes, REUSE_MARGIN)
            if found:
                return found, cache
        with self._vault.lock():
            cache = self._load()
            app = self._app(cache)
            account = next((a for a in app.get_accounts()
                            if a.get("home_account_id") == user["account_id"]), None)
            if account is None:
                raise AuthError("login_required", "The tokens of this sign-in are gone.")
            try:
                with guarded():
                    result = app.acquire_token_silent_with_error(scopes, account,
                                                                 force_refresh=force_refresh)
            finally:
                self._save(cache)
        if result is None:
            raise AuthError("interaction_required", f"No token for {' '.join(scopes)} yet.")
        return checked(result), cache

    def token_details(self, scopes=None, force_refresh: bool = False) -> dict:
        """For the token page: the access token, the id token, and whether a refresh token is
        held (the refresh token itself is never returned)."""
        token = self.get_token(scopes, force_refresh=force_refresh)
        cache = self._load()
        query = {"home_account_id": self.user["account_id"]}
        kinds = msal.TokenCache.CredentialType
        id_token = next(iter(cache.search(kinds.ID_TOKEN, query=query)), {}).get("secret")
        has_refresh = next(iter(cache.search(kinds.REFRESH_TOKEN, query=query)), None) is not None
        return {**token, "id_token": id_token, "refresh_token_held": has_refresh}

    def sign_out(self, post_logout_redirect_uri: str) -> str:
        """Forget the tokens and the session; return Microsoft's sign-out URL."""
        self._held.clear()
        self._vault.delete()
        self._session.clear()
        query = urlencode({"post_logout_redirect_uri": post_logout_redirect_uri})
        return f"{self._end_session_endpoint()}?{query}"

    def _end_session_endpoint(self) -> str:
        fallback = f"{self.settings.authority}/oauth2/v2.0/logout"
        url = f"{self.settings.authority}/v2.0/.well-known/openid-configuration"
        try:  # MSAL's http client caches discovery, so this is normally no network call
            app = self._app(msal.SerializableTokenCache())
            return json.loads(app.http_client.get(url).text).get("end_session_endpoint") or fallback
        except (AuthError, ValueError, requests.RequestException):
            return fallback

    def _app(self, cache) -> msal.ConfidentialClientApplication:
        s = self.settings
        host = urlsplit(s.authority).hostname
        try:
            return msal.ConfidentialClientApplication(
                s.client_id, client_credential=s.client_secret, authority=s.authority,
                token_cache=cache, http_client=s.http_client, http_cache=s.http_cache,
                timeout=s.timeout,
                instance_discovery=None if host in MICROSOFT_HOSTS else False)
        except (requests.RequestException, MsalError) as exc:
            raise unavailable(exc) from None
        except ValueError as exc:  # discovery failed or answered nonsense
            raise AuthError("authority_unreachable", f"The sign-in service at {s.authority} did "
                            f"not describe itself ({first_line(str(exc))}).") from None

    def _load(self) -> msal.SerializableTokenCache:
        cache = msal.SerializableTokenCache()
        blob = self._vault.load()
        if blob:
            text = self._cipher.decrypt(blob)
            if text is None:
                logger.warning("token cache not readable with TOKEN_CACHE_KEY (key changed?): "
                               "the user signs in again")
            else:
                cache.deserialize(text)
        return cache

    def _save(self, cache: msal.SerializableTokenCache) -> None:
        if cache.has_state_changed:
            self._vault.save(self._cipher.encrypt(cache.serialize()))
            cache.has_state_changed = False
