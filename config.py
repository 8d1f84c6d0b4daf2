"""The app's settings: the only module that reads ``os.environ``.

``load_config(environ)`` returns a dict whose keys are the environment variables' names, checked
and converted (SCOPES is a list, sizes and PORT are ints, ...). Anything wrong stops start-up with
one ``ConfigError`` line that says what to change.

With ``CLIENT_ID`` unset the app runs in DEMO MODE: it reads what the running local emulator wrote
to ``EMULATOR_STATE_DIR/demo-app.json`` (client id and secret, authority, Graph endpoint, its CA)
and trusts that CA only. ``SECRET_KEY`` is then generated once and kept in ``.local/app/``.
Relative paths are taken from the project folder, so the app finds them from any working directory.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from config_types import (ConfigError, authority, between, count, derived_fernet_key,
                          existing_file, fernet_keys, host_names, https_url, ip_networks,
                          long_secret, mailboxes, on_off, path,
                          positive_size, proxy_hops, redirect_path, redirect_uri, redis_url,
                          scopes, seconds, size, text, upload_chunk)
from config_demo import DEMO_AUTOMATION_SENDERS, demo_secret_key, demo_settings
from mailer.graph.uploads import CHUNK_SIZE

__all__ = ["ConfigError", "SETTINGS", "DEFAULTS", "ENV_KEYS", "load_config", "defaults",
           "server_settings"]

ROOT = Path(__file__).resolve().parent
# The emulator's public "Mail CLI (demo)" registration (`python -m emulator accounts --json`).
DEMO_CLI_CLIENT_ID = "0c5e7a2d-94b1-4f6e-8d3a-7b2f1e9c4a68"
DAY = 86400


@dataclass(frozen=True)
class Setting:
    """One setting: its name (as in the environment), type, default, check and meaning."""

    name: str
    type: Callable[[str, str], Any]  # (name, text) -> value, or ConfigError
    default: str | None  # as the environment would spell it; None: unset, or see ``shown``
    meaning: str  # one line, as the README's configuration table shows it
    check: Callable[[str, Any], None] | None = None  # raises ConfigError
    env: bool = True  # False: worked out by load_config, never read from the environment
    shown: str = ""  # the default in words, when it is not a plain value


SETTINGS: tuple[Setting, ...] = (
    # -- who the app is, and whom it trusts
    Setting("CLIENT_ID", text, None, "the app registration's client id", shown="unset → demo mode"),
    Setting("CLIENT_SECRET", text, None, "its client secret value",
            shown="— (required with `CLIENT_ID`)"),
    Setting("SECRET_KEY", text, None, "signs the session cookie", long_secret,
            shown="generated in `.local/app/` in demo mode; required otherwise"),
    Setting("AUTHORITY", authority, "https://login.microsoftonline.com/common",
            "`common`, `organizations`, `consumers` or your tenant"),
    Setting("GRAPH_ENDPOINT", https_url, "https://graph.microsoft.com/v1.0",
            "Microsoft Graph's base URL"),
    Setting("SCOPES", scopes, "User.Read",
            "scopes asked at sign-in (mail scopes are added when needed); "
            "`https://graph.microsoft.com/.default` once an admin consented for the tenant"),
    Setting("REDIRECT_PATH", text, "/auth/callback", "the sign-in callback's path",
            redirect_path),
    Setting("REDIRECT_URI", redirect_uri, None,
            "the callback's full URL: set it behind a proxy (it fixes `REDIRECT_PATH`)",
            shown="derived from the request"),
    Setting("TRUSTED_HOSTS", host_names, None,
            "host names the app answers to (`.example.org` takes subdomains); outside demo "
            "mode needed unless `REDIRECT_URI` is set", shown="unset"),
    Setting("TRUST_PROXY", proxy_hops, "0", "trust `X-Forwarded-*` from this many proxies "
            "(ProxyFix)", shown="off"),
    Setting("FORWARDED_ALLOW_IPS", ip_networks, None, "the proxies gunicorn takes "
            "`X-Forwarded-Proto` from (gunicorn.conf.py; `*`: any): set it with `TRUST_PROXY`",
            shown="none: gunicorn ignores it, even from loopback"),
    Setting("TOKEN_CACHE_KEY", fernet_keys, None, "Fernet keys encrypting the token cache at "
            "rest (comma-separated: the first encrypts, all decrypt)",
            shown="derived from `SECRET_KEY`"),
    Setting("CA_FILE", existing_file, None, "the only CA trusted for identity and Graph (set it "
            "only for a private PKI)", shown="the emulator's CA in demo mode; else the system's"),
    Setting("HTTP_TIMEOUT", seconds, "30", "seconds, for every call to identity and Graph",
            between(0.1, 600)),
    # -- where state lives
    Setting("REDIS_URL", redis_url, None, "sessions, drafts and send jobs in Redis (several hosts)",
            shown="unset → files under `APP_STATE_DIR`"),
    Setting("APP_STATE_DIR", path, ".local/app", "the app's files: secret key, sessions, "
            "uploads, jobs"),
    Setting("SESSION_DIR", path, None, "server-side sessions, without Redis",
            shown="`APP_STATE_DIR`/sessions"),
    Setting("DRAFT_DIR", path, None, "drafts being written and their files under "
            "`SMALL_ATTACHMENT_MAX`, without Redis (larger files go to the mailbox's draft)",
            shown="`APP_STATE_DIR`/drafts"),
    Setting("JOB_DIR", path, None, "send jobs' records, without Redis",
            shown="`APP_STATE_DIR`/jobs"),
    Setting("EMULATOR_STATE_DIR", path, ".local/emulator",
            "the emulator's CA, keys, demo app secret and kept demo mail"),
    Setting("PORT", count, "5000", "`python app.py`'s port", between(1, 65535)),
    # -- Microsoft's limits, checked before anything is uploaded
    Setting("MAX_FILE_SIZE", size, "150MB", "largest attachment (upload sessions take 150 MB)",
            positive_size),
    Setting("MAX_MESSAGE_SIZE", size, "35MB", "largest message (Exchange Online's default)",
            positive_size),
    Setting("MAX_RECIPIENTS", count, "500", "To, Cc and Bcc together (Exchange's default)",
            between(1, 100_000)),
    Setting("SENDMAIL_MAX_REQUEST", size, "4MB", "Graph's cap on one request (sendMail's "
            "JSON)", positive_size),
    Setting("SENDMAIL_MARGIN", size, "512KB", "kept free under that cap: headers, rounding"),
    Setting("SMALL_ATTACHMENT_MAX", size, "3MB", "files below this are posted to a draft; "
            "others go through an upload session", positive_size),
    Setting("UPLOAD_CHUNK_SIZE", size, str(CHUNK_SIZE), "bytes per upload-session PUT",
            upload_chunk),
    # -- tuning
    Setting("RETRY_MAX_ATTEMPTS", count, "5", "tries of one Graph call on 429/503/504, the "
            "first included", between(1, 20)),
    Setting("RETRY_MAX_WAIT", seconds, "60", "seconds one Graph call may spend waiting to "
            "retry", between(0, 600)),
    Setting("GRAPH_BATCH", on_off, "on", "several Graph calls of one page in one `$batch` round "
            "trip (off: one request each)"),
    Setting("QUICK_SEND_WAIT", seconds, "3", "seconds a small send that goes at once (next in "
            "its lane) may hold the Send request before the progress page", between(0, 60)),
    Setting("SEND_CONFIRM_TRIES", count, "3", "looks for a sent copy after a send's answer was "
            "lost", between(1, 20)),
    Setting("SEND_CONFIRM_DELAY", seconds, "1", "seconds between those looks", between(0, 60)),
    Setting("SEND_LEASE", seconds, "20", "seconds a send's lease lasts unrenewed (renewed every "
            "third of it): after an instance dies, another settles its sends this long after",
            between(3, 600)),
    Setting("JOB_TTL", seconds, str(7 * DAY), "seconds a send's record is kept (a resubmit "
            "finds it)", between(60, 366 * DAY), shown="604800 (7 days)"),
    Setting("DRAFT_MAX_SIZE", size, None, "attachments one draft may hold", positive_size,
            shown="`MAX_MESSAGE_SIZE`"),
    Setting("DRAFT_MAX_AGE", seconds, str(7 * DAY), "seconds an untouched draft is kept",
            between(60, 366 * DAY), shown="604800 (7 days)"),
    Setting("DRAFT_MAX_PER_USER", count, "20", "drafts one person may have at once",
            between(1, 10_000)),
    Setting("FORM_MEMORY", size, "20MB", "text one compose form may carry in memory: the "
            "longest body in UTF-8 and every other field", positive_size),
    Setting("DRAIN_MAX", size, "16MB", "most of a refused request's body read to keep its "
            "connection", positive_size),
    Setting("SESSION_LIFETIME", seconds, str(7 * DAY), "seconds a session lasts unused",
            between(60, 366 * DAY), shown="604800 (7 days)"),
    Setting("SESSION_TOUCH_EVERY", seconds, "300", "seconds between writes of an unchanged "
            "session (its expiry slides)", between(0, DAY)),
    Setting("TOKEN_LOCK_TIMEOUT", seconds, "30", "seconds a token refresh may hold its "
            "session's lock", between(1, 600)),
    Setting("ROLE_CHECK_EVERY", seconds, "300", "seconds between re-checks of an admin's app "
            "role on the admin pages (a silent token refresh; a role taken away ends access)",
            between(0, 3600)),
    # -- automation: the task queue's worker, app-only sending, the CLI (mailer/automation, cli)
    Setting("AUTOMATION_SENDERS", mailboxes, None, "mailboxes automation may send as, app-only "
            "(Exchange's application access policy is the production fence)",
            shown="none: app-only sending refused; in demo mode `" +
            DEMO_AUTOMATION_SENDERS.replace(",", ", ") + "`"),
    Setting("AUTOMATION_TENANT", text, None, "the tenant (id or domain) app-only tokens are "
            "asked of", shown="the domain of the first `AUTOMATION_SENDERS` address"),
    Setting("MESSAGES_PER_MINUTE", count, "30", "messages one sender mailbox sends a minute, "
            "spread evenly (Exchange's limit)", between(1, 100_000)),
    Setting("RECIPIENTS_PER_DAY", count, "10000", "recipients one sender mailbox reaches in any "
            "24 hours (Exchange's limit)", between(1, 10_000_000)),
    Setting("MAILBOX_CONCURRENCY", count, "4", "requests at once per sender mailbox, across "
            "workers (Outlook's limit)", between(1, 64)),
    Setting("CLI_CLIENT_ID", text, None, "the public client registration `python -m mailer login` "
            "signs in with (device code)", shown="the emulator's Mail CLI (demo) in demo mode"),
    # -- mail that arrives: watched mailboxes and programs' webhooks (mailer/automation/webhooks)
    Setting("NOTIFICATION_URL", redirect_uri, None, "where Microsoft Graph posts change "
            "notifications for watched mailboxes: this app's `/graph/notifications`, reachable "
            "from the internet (https)", shown="`REDIRECT_URI`'s origin, else the origin of the "
            "API request that made the webhook"),
    Setting("WEBHOOK_LOCAL", on_off, None, "webhooks may use http:// and this machine's "
            "loopback addresses (the demo and tests: never where untrusted programs hold keys)",
            shown="on in demo mode, else off"),
    Setting("WATCH_EVERY", seconds, "300", "seconds between a watched mailbox's checks: its "
            "subscription renewed or reauthorized when due, and a delta round even without a "
            "notification", between(0.5, DAY)),
    Setting("WEBHOOK_TIMEOUT", seconds, "10", "seconds a webhook receiver has to answer one "
            "delivery", between(1, 60)),
    Setting("WEBHOOK_BACKOFF", seconds, "5", "seconds before a failed delivery is tried again, "
            "doubling each time", between(0.1, 3600)),
    Setting("WEBHOOK_BACKOFF_MAX", seconds, "3600", "the longest wait between two tries",
            between(0.1, DAY)),
    Setting("WEBHOOK_RETRY_FOR", seconds, str(DAY), "seconds a delivery is tried before it is "
            "given up", between(10, 7 * DAY), shown="86400 (a day)"),
    # -- worked out, never read from the environment
    Setting("DEMO_MODE", bool, None, "`CLIENT_ID` unset: the local emulator", env=False),
    Setting("DEMO_PAGES_URL", text, None, "the emulator's sign-in pages (demo mode)", env=False),
    Setting("DEMO_API_URL", text, None, "the emulator's API origin (demo mode)", env=False),
)
BY_NAME = {s.name: s for s in SETTINGS}
ENV_KEYS = tuple(s.name for s in SETTINGS if s.env)
DEFAULTS = {s.name: s.default for s in SETTINGS if s.default is not None}
SERVER_KEYS = ("FORWARDED_ALLOW_IPS",)  # read by gunicorn.conf.py too (server_settings)
DEMO_KEYS = ("CLIENT_ID", "CLIENT_SECRET", "AUTHORITY", "GRAPH_ENDPOINT", "CA_FILE")


def _read(name: str, value: str):
    setting = BY_NAME[name]
    result = setting.type(name, value)
    if setting.check:
        setting.check(name, result)
    return result


def defaults() -> dict:
    """Every setting with a declared default, converted (tests build services from these)."""
    values = {name: _read(name, text) for name, text in DEFAULTS.items()}
    values["DRAFT_MAX_SIZE"] = values["MAX_MESSAGE_SIZE"]
    return values


def server_settings(environ=os.environ) -> dict:
    """The settings gunicorn.conf.py hands gunicorn, read alone: gunicorn reads that file
    before it loads the app (and before demo mode needs the emulator)."""
    values = {}
    for name in SERVER_KEYS:
        given = str(environ.get(name) or "").strip() or BY_NAME[name].default
        values[name] = None if given is None else _read(name, given)
    values["FORWARDED_ALLOW_IPS"] = values["FORWARDED_ALLOW_IPS"] or []
    return values


def markdown_table() -> str:
    """The README's configuration table, from SETTINGS (``python config.py`` prints it)."""
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        if s.env:
            kind = s.type.label + (f", {s.check.label}" if s.check else "")
            default = s.shown or (f"`{s.default}`" if s.default is not None else "unset")
            rows.append(f"| `{s.name}` | {kind} | {default} | {s.meaning} |")
    return "\n".join(rows)


def load_config(environ=os.environ) -> dict:
    """Read, check and convert the settings; raise ConfigError on the first problem."""
    env = {key: str(environ[key]).strip() for key in ENV_KEYS if str(environ.get(key) or "").strip()}
    given = {**DEFAULTS, **env}
    cfg: dict = {"DEMO_MODE": "CLIENT_ID" not in env, "DEMO_PAGES_URL": None, "DEMO_API_URL": None}
    app_dir = _path(given["APP_STATE_DIR"])
    if cfg["DEMO_MODE"]:
        if "CLIENT_SECRET" in env:
            raise ConfigError("CLIENT_SECRET is set but CLIENT_ID is not: set both to use "
                              "Microsoft, or neither for demo mode")
        demo = demo_settings(_path(given["EMULATOR_STATE_DIR"]))
        given.update({key: demo[key] for key in DEMO_KEYS})  # the emulator's win
        cfg.update(DEMO_PAGES_URL=demo["DEMO_PAGES_URL"], DEMO_API_URL=demo["DEMO_API_URL"])
        given["SECRET_KEY"] = env.get("SECRET_KEY") or demo_secret_key(app_dir)
        given.setdefault("AUTOMATION_SENDERS", DEMO_AUTOMATION_SENDERS)  # works at once
    else:
        if "CLIENT_SECRET" not in env:
            raise ConfigError("CLIENT_ID is set but CLIENT_SECRET is not: set the client secret "
                              "*value* from the app registration (Certificates & secrets)")
        if "SECRET_KEY" not in env:
            raise ConfigError("SECRET_KEY is not set: set it to a long random value, e.g. "
                              "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")
    for setting in SETTINGS:  # each converted and checked, in the table's order
        if setting.env:
            value = given.get(setting.name)
            cfg[setting.name] = None if value is None else _read(setting.name, value)
    cfg.update(_redirect(cfg["REDIRECT_URI"], env.get("REDIRECT_PATH"), cfg["REDIRECT_PATH"]))
    if not (cfg["DEMO_MODE"] or cfg["REDIRECT_URI"] or cfg["TRUSTED_HOSTS"]):
        raise ConfigError("set REDIRECT_URI (https://your.host/auth/callback) or TRUSTED_HOSTS "
                          "(your.host): without either, sign-in would follow whatever Host "
                          "header a request forges")
    cfg["TOKEN_CACHE_KEY"] = cfg["TOKEN_CACHE_KEY"] or derived_fernet_key(cfg["SECRET_KEY"])
    for name, folder in (("SESSION_DIR", "sessions"), ("DRAFT_DIR", "drafts"),
                         ("JOB_DIR", "jobs")):
        cfg[name] = str(_path(cfg[name] or app_dir / folder))
    cfg["APP_STATE_DIR"] = str(app_dir)
    cfg["EMULATOR_STATE_DIR"] = str(_path(cfg["EMULATOR_STATE_DIR"]))
    cfg["DRAFT_MAX_SIZE"] = cfg["DRAFT_MAX_SIZE"] or cfg["MAX_MESSAGE_SIZE"]
    cfg["AUTOMATION_SENDERS"] = cfg["AUTOMATION_SENDERS"] or []
    cfg["FORWARDED_ALLOW_IPS"] = cfg["FORWARDED_ALLOW_IPS"] or []
    if not cfg["AUTOMATION_TENANT"] and cfg["AUTOMATION_SENDERS"]:
        cfg["AUTOMATION_TENANT"] = cfg["AUTOMATION_SENDERS"][0].rsplit("@", 1)[1]
    if cfg["WEBHOOK_LOCAL"] is None:
        cfg["WEBHOOK_LOCAL"] = cfg["DEMO_MODE"]
    if cfg["DEMO_MODE"] and not cfg["CLI_CLIENT_ID"]:
        cfg["CLI_CLIENT_ID"] = DEMO_CLI_CLIENT_ID
    return cfg


def _redirect(uri: str | None, given_path: str | None, default_path: str) -> dict:
    """REDIRECT_URI (explicit, e.g. behind a proxy) fixes REDIRECT_PATH."""
    if not uri:
        return {"REDIRECT_PATH": default_path}
    uri_path = urlsplit(uri).path or "/"
    if given_path and given_path != uri_path:
        raise ConfigError(f"REDIRECT_PATH {given_path} disagrees with REDIRECT_URI {uri}: set "
                          "only REDIRECT_URI")
    redirect_path("REDIRECT_PATH", uri_path)
    return {"REDIRECT_PATH": uri_path}


def _path(value) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else ROOT / path


if __name__ == "__main__":
    print(markdown_table())
