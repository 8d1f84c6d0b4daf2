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

import base64
import json
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ROOT = Path(__file__).resolve().parent
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
RESERVED_SCOPES = {"openid", "profile", "offline_access"}  # MSAL adds these itself
MB = 1024 * 1024
DEMO_APP_FILE = "demo-app.json"
# Every key load_config() returns that can also come from the environment.
ENV_KEYS = (
    "SECRET_KEY", "CLIENT_ID", "CLIENT_SECRET", "AUTHORITY", "GRAPH_ENDPOINT", "SCOPES",
    "REDIRECT_PATH", "REDIRECT_URI", "TRUST_PROXY", "REDIS_URL", "SESSION_DIR", "TOKEN_CACHE_KEY",
    "CA_FILE", "HTTP_TIMEOUT", "EMULATOR_STATE_DIR", "PORT", "MAX_FILE_SIZE", "MAX_MESSAGE_SIZE",
    "UPLOAD_DIR", "APP_STATE_DIR", "TRUSTED_HOSTS",
)
DEFAULTS = {
    "AUTHORITY": "https://login.microsoftonline.com/common",
    "GRAPH_ENDPOINT": "https://graph.microsoft.com/v1.0",
    "SCOPES": "User.Read",
    "REDIRECT_PATH": "/auth/callback",
    "TRUST_PROXY": "0",
    "HTTP_TIMEOUT": "30",
    "EMULATOR_STATE_DIR": ".local/emulator",
    "APP_STATE_DIR": ".local/app",
    "PORT": "5000",
    "MAX_FILE_SIZE": "150MB",
    "MAX_MESSAGE_SIZE": "35MB",
}


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line telling what to change."""


def load_config(environ=os.environ) -> dict:
    """Read, check and convert the settings; raise ConfigError on the first problem."""
    env = {key: str(environ[key]).strip() for key in ENV_KEYS if str(environ.get(key) or "").strip()}
    get = lambda key: env.get(key, DEFAULTS.get(key))  # noqa: E731
    cfg: dict = {"APP_STATE_DIR": _path(get("APP_STATE_DIR"))}
    cfg["DEMO_MODE"] = "CLIENT_ID" not in env
    if cfg["DEMO_MODE"]:
        if "CLIENT_SECRET" in env:
            raise ConfigError("CLIENT_SECRET is set but CLIENT_ID is not: set both to use "
                              "Microsoft, or neither for demo mode")
        cfg.update(_demo_settings(_path(get("EMULATOR_STATE_DIR"))))
        cfg["SECRET_KEY"] = env.get("SECRET_KEY") or _demo_secret_key(cfg["APP_STATE_DIR"])
    else:
        if "CLIENT_SECRET" not in env:
            raise ConfigError("CLIENT_ID is set but CLIENT_SECRET is not: set the client secret "
                              "*value* from the app registration (Certificates & secrets)")
        if "SECRET_KEY" not in env:
            raise ConfigError("SECRET_KEY is not set: set it to a long random value, e.g. "
                              "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")
        cfg.update(CLIENT_ID=env["CLIENT_ID"], CLIENT_SECRET=env["CLIENT_SECRET"],
                   SECRET_KEY=env["SECRET_KEY"], AUTHORITY=get("AUTHORITY"),
                   GRAPH_ENDPOINT=get("GRAPH_ENDPOINT"), CA_FILE=env.get("CA_FILE"),
                   DEMO_PAGES_URL=None, DEMO_API_URL=None)
    cfg["EMULATOR_STATE_DIR"] = str(_path(get("EMULATOR_STATE_DIR")))
    if len(cfg["SECRET_KEY"]) < 32:
        raise ConfigError("SECRET_KEY is too short: use at least 32 random characters")
    cfg["AUTHORITY"] = _authority(cfg["AUTHORITY"])
    cfg["GRAPH_ENDPOINT"] = _https_url("GRAPH_ENDPOINT", cfg["GRAPH_ENDPOINT"]).rstrip("/")
    if cfg.get("CA_FILE") and not Path(cfg["CA_FILE"]).is_file():
        raise ConfigError(f"CA_FILE {cfg['CA_FILE']} does not exist")
    cfg["SCOPES"] = _scopes(get("SCOPES"))
    cfg.update(_redirect(env.get("REDIRECT_URI"), env.get("REDIRECT_PATH")))
    cfg["TRUSTED_HOSTS"] = _trusted_hosts(env.get("TRUSTED_HOSTS"))
    if not (cfg["DEMO_MODE"] or cfg["REDIRECT_URI"] or cfg["TRUSTED_HOSTS"]):
        raise ConfigError("set REDIRECT_URI (https://your.host/auth/callback) or TRUSTED_HOSTS "
                          "(your.host): without either, sign-in would follow whatever Host "
                          "header a request forges")
    cfg["TRUST_PROXY"] = _proxy_hops(get("TRUST_PROXY"))
    cfg["REDIS_URL"] = _redis_url(env.get("REDIS_URL"))
    cfg["SESSION_DIR"] = str(_path(env.get("SESSION_DIR") or cfg["APP_STATE_DIR"] / "sessions"))
    cfg["UPLOAD_DIR"] = str(_path(env.get("UPLOAD_DIR") or cfg["APP_STATE_DIR"] / "uploads"))
    cfg["APP_STATE_DIR"] = str(cfg["APP_STATE_DIR"])
    cfg["TOKEN_CACHE_KEY"] = _token_cache_keys(env.get("TOKEN_CACHE_KEY"), cfg["SECRET_KEY"])
    cfg["HTTP_TIMEOUT"] = _number("HTTP_TIMEOUT", get("HTTP_TIMEOUT"), float, 0.1, 600)
    cfg["PORT"] = _number("PORT", get("PORT"), int, 1, 65535)
    cfg["MAX_FILE_SIZE"] = _size("MAX_FILE_SIZE", get("MAX_FILE_SIZE"))
    cfg["MAX_MESSAGE_SIZE"] = _size("MAX_MESSAGE_SIZE", get("MAX_MESSAGE_SIZE"))
    return cfg


def _path(value) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else ROOT / path


def _demo_settings(state_dir: Path) -> dict:
    """What the running emulator wrote for its clients (see emulator/server.py)."""
    path = state_dir / DEMO_APP_FILE
    hint = "demo mode needs the emulator: run ./env.sh (or ./env.sh emulator in another terminal)"
    if not path.is_file():
        raise ConfigError(f"{hint}; {path} not found (or set CLIENT_ID and CLIENT_SECRET)")
    try:
        demo = json.loads(path.read_text())
        settings = {"CLIENT_ID": demo["client_id"], "CLIENT_SECRET": demo["client_secret"],
                    "AUTHORITY": demo["authority"], "GRAPH_ENDPOINT": demo["graph_endpoint"],
                    "CA_FILE": demo["ca_file"], "DEMO_PAGES_URL": demo.get("pages_url"),
                    "DEMO_API_URL": demo.get("api_url")}
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is unreadable ({exc}): restart the emulator") from None
    if not Path(settings["CA_FILE"]).is_file():
        raise ConfigError(f"the emulator's CA {settings['CA_FILE']} is missing: restart the emulator")
    return settings


def _demo_secret_key(app_dir: Path) -> str:
    """Demo mode only: a random key made on first start and kept (mode 600) for later runs."""
    path = app_dir / "secret-key"
    if path.is_file() and len(path.read_text().strip()) >= 32:
        return path.read_text().strip()
    app_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def _https_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"{name} must be an https:// URL (MSAL and Graph refuse anything else): "
                          f"got {value!r}")
    return value


def _authority(value: str) -> str:
    value = _https_url("AUTHORITY", value).rstrip("/")
    if not urlsplit(value).path.strip("/"):
        raise ConfigError(f"AUTHORITY needs a tenant, e.g. {DEFAULTS['AUTHORITY']} (or "
                          f"organizations, consumers, your tenant id): got {value!r}")
    return value


def _scopes(value: str) -> list[str]:
    scopes = [s for s in re.split(r"[\s,]+", value) if s]
    reserved = sorted(RESERVED_SCOPES.intersection(s.lower() for s in scopes))
    if reserved:
        raise ConfigError(f"SCOPES must not list {', '.join(reserved)}: the app always asks for "
                          "openid, profile and offline_access itself")
    if not scopes:
        raise ConfigError("SCOPES is empty: the default is User.Read")
    return scopes


def _redirect(uri: str | None, path: str | None) -> dict:
    """REDIRECT_URI (explicit, e.g. behind a proxy) fixes REDIRECT_PATH; http only for localhost."""
    if uri:
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"REDIRECT_URI must be an absolute URL: got {uri!r}")
        if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
            raise ConfigError(f"REDIRECT_URI must use https: Microsoft accepts http only for "
                              f"localhost (got {uri}); behind a TLS proxy use https://"
                              f"{parts.netloc}{parts.path}")
        if parts.query or parts.fragment:
            raise ConfigError(f"REDIRECT_URI must not have a query or fragment: got {uri!r}")
        if path and path != (parts.path or "/"):
            raise ConfigError(f"REDIRECT_PATH {path} disagrees with REDIRECT_URI {uri}: set only "
                              "REDIRECT_URI")
        path = parts.path or "/"
    path = path or DEFAULTS["REDIRECT_PATH"]
    if not path.startswith("/") or path == "/":
        raise ConfigError(f"REDIRECT_PATH must be a path like /auth/callback: got {path!r}")
    return {"REDIRECT_URI": uri, "REDIRECT_PATH": path}


def _trusted_hosts(value: str | None) -> list[str] | None:
    """TRUSTED_HOSTS: host names the app answers to (Flask refuses any other Host header with
    400); a leading dot allows subdomains. Comma or space separated; None when unset."""
    if not value:
        return None
    hosts = []
    for host in (h for h in re.split(r"[\s,]+", value) if h):
        try:  # Host headers carry the ASCII (IDNA) form of a name
            host = host.encode("idna").decode("ascii") if not host.isascii() else host
        except UnicodeError:
            pass  # refused just below, with the name as given
        hosts.append(host)
        if not re.fullmatch(r"\.?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]",
                            host):
            raise ConfigError(f"TRUSTED_HOSTS lists host names like mail.example.org (no scheme, "
                              f"port or path): got {host!r}")
    return hosts


def _proxy_hops(value: str) -> int:
    """TRUST_PROXY: off/false/0, on/true/yes (one proxy) or a number of proxies."""
    lowered = value.lower()
    if lowered in ("0", "false", "no", "off"):
        return 0
    if lowered in ("true", "yes", "on"):
        return 1
    if lowered.isdigit() and int(lowered) <= 5:
        return int(lowered)
    raise ConfigError(f"TRUST_PROXY must be on, off or a number of proxies (1-5): got {value!r}")


def _redis_url(value: str | None) -> str | None:
    if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"REDIS_URL must start with redis://, rediss:// or unix://: got {value!r}")
    return value


def _token_cache_keys(value: str | None, secret_key: str) -> list[bytes]:
    """Fernet keys for the token cache: TOKEN_CACHE_KEY (comma-separated for rotation: the first
    encrypts, all decrypt) or one derived from SECRET_KEY with HKDF."""
    if not value:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mailer token cache v1")
        return [base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))]
    keys = [k.strip().encode() for k in value.split(",") if k.strip()]
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError("TOKEN_CACHE_KEY is not a Fernet key: make one with python3 -c "
                              "'from cryptography.fernet import Fernet; "
                              "print(Fernet.generate_key().decode())'") from None
    return keys


def _number(name: str, value: str, kind, low, high):
    try:
        number = kind(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number: got {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name} must be between {low} and {high}: got {value}")
    return number


def _size(name: str, value: str) -> int:
    """A size in bytes, or with a unit: 35MB, 150 MB, 512KB (binary multiples, as Exchange)."""
    match = re.fullmatch(r"(\d+)\s*(?:([KMG])i?)?B?", value.strip(), re.IGNORECASE)
    if not match or int(match.group(1)) == 0:
        raise ConfigError(f"{name} must be a size like 35MB or a number of bytes: got {value!r}")
    unit = (match.group(2) or "B").upper()
    return int(match.group(1)) * {"B": 1, "K": 1024, "M": MB, "G": 1024 * MB}[unit]
