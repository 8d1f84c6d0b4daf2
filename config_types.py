"""The types and checks of config.py's settings table.

A *type* turns the environment's text into a value, ``type(name, text)``, and a *check* looks at
that value, ``check(name, value)``; both raise ConfigError with one line naming the setting and
saying what to change. Each type has a ``label``: the README's word for it.
"""
from __future__ import annotations

import base64
import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mailer.graph.uploads import check_chunk_size
from mailer.identity.rules import LOCAL_HOSTS, RESERVED_SCOPES

UNITS = {"B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}  # binary multiples, as Exchange


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line telling what to change."""


def labelled(label: str):
    def mark(function):
        function.label = label
        return function
    return mark


# -- types ------------------------------------------------------------------------------------

@labelled("text")
def text(name: str, value: str) -> str:
    return value


@labelled("path")
def path(name: str, value: str) -> str:
    return value  # made absolute from the project folder by load_config


@labelled("file")
def existing_file(name: str, value: str) -> str:
    if not Path(value).is_file():
        raise ConfigError(f"{name} {value} does not exist")
    return value


@labelled("https URL")
def https_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"{name} must be an https:// URL (MSAL and Graph refuse anything else): "
                          f"got {value!r}")
    return value.rstrip("/")


@labelled("https URL")
def authority(name: str, value: str) -> str:
    value = https_url(name, value)
    if not urlsplit(value).path.strip("/"):
        raise ConfigError(f"{name} needs a tenant, e.g. https://login.microsoftonline.com/common "
                          f"(or organizations, consumers, your tenant id): got {value!r}")
    return value


@labelled("scopes")
def scopes(name: str, value: str) -> list[str]:
    found = [s for s in re.split(r"[\s,]+", value) if s]
    reserved = sorted(RESERVED_SCOPES.intersection(s.lower() for s in found))
    if reserved:
        raise ConfigError(f"{name} must not list {', '.join(reserved)}: the app always asks for "
                          "openid, profile and offline_access itself")
    if not found:
        raise ConfigError(f"{name} is empty: the default is User.Read")
    return found


@labelled("host names")
def host_names(name: str, value: str) -> list[str]:
    """Host names, comma or space separated; a leading dot allows subdomains."""
    hosts = []
    for host in (h for h in re.split(r"[\s,]+", value) if h):
        try:  # Host headers carry the ASCII (IDNA) form of a name
            host = host.encode("idna").decode("ascii") if not host.isascii() else host
        except UnicodeError:
            pass  # refused just below, with the name as given
        hosts.append(host)
        if not re.fullmatch(r"\.?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]",
                            host):
            raise ConfigError(f"{name} lists host names like mail.example.org (no scheme, "
                              f"port or path): got {host!r}")
    return hosts or None


@labelled("mail addresses")
def mailboxes(name: str, value: str) -> list[str]:
    """Mail addresses, comma or space separated, lower-cased (Exchange compares them so)."""
    found = []
    for address in (a for a in re.split(r"[\s,;]+", value) if a):
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
            raise ConfigError(f"{name} lists mail addresses like news@example.org: got {address!r}")
        found.append(address.lower())
    return list(dict.fromkeys(found))


@labelled("on or off")
def on_off(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be on or off: got {value!r}")


@labelled("on, off or 1-5")
def proxy_hops(name: str, value: str) -> int:
    lowered = value.lower()
    if lowered in ("0", "false", "no", "off"):
        return 0
    if lowered in ("true", "yes", "on"):
        return 1
    if lowered.isdigit() and int(lowered) <= 5:
        return int(lowered)
    raise ConfigError(f"{name} must be on, off or a number of proxies (1-5): got {value!r}")


@labelled("IP addresses or networks")
def ip_networks(name: str, value: str) -> list[str]:
    """Addresses or networks (``10.0.0.0/8``), comma or space separated; ``*`` means any."""
    found = []
    for item in (a for a in re.split(r"[\s,;]+", value) if a):
        if item != "*":
            try:
                item = str(ipaddress.ip_network(item))  # strict: 10.0.0.1/8 is a mistake
            except ValueError:
                raise ConfigError(f"{name} lists IP addresses or networks like 10.0.0.2 or "
                                  f"10.0.0.0/8 (or *): got {item!r}") from None
        found.append(item)
    return list(dict.fromkeys(found))


@labelled("redis URL")
def redis_url(name: str, value: str) -> str:
    if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"{name} must start with redis://, rediss:// or unix://: got {value!r}")
    return value


@labelled("Fernet keys")
def fernet_keys(name: str, value: str) -> list[bytes]:
    """Comma-separated Fernet keys, for rotation: the first encrypts, all decrypt."""
    keys = [k.strip().encode() for k in value.split(",") if k.strip()]
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(f"{name} is not a Fernet key: make one with python3 -c "
                              "'from cryptography.fernet import Fernet; "
                              "print(Fernet.generate_key().decode())'") from None
    return keys


def derived_fernet_key(secret_key: str) -> list[bytes]:
    """The token cache's key when none is given: HKDF over SECRET_KEY (stable across restarts)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mailer token cache v1")
    return [base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))]


def _number(name: str, value: str, kind):
    try:
        return kind(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number: got {value!r}") from None


@labelled("seconds")
def seconds(name: str, value: str) -> float:
    return _number(name, value, float)


@labelled("number")
def count(name: str, value: str) -> int:
    return _number(name, value, int)


@labelled("size")
def size(name: str, value: str) -> int:
    """Bytes, or with a unit: 35MB, 150 MB, 512KB (binary multiples, as Exchange)."""
    match = re.fullmatch(r"(\d+)\s*(?:([KMG])i?)?B?", value.strip(), re.IGNORECASE)
    if not match:
        raise ConfigError(f"{name} must be a size like 35MB or a number of bytes: got {value!r}")
    return int(match.group(1)) * UNITS[(match.group(2) or "B").upper()]


# -- checks -----------------------------------------------------------------------------------

def between(low, high):
    def check(name: str, value) -> None:
        if not low <= value <= high:
            raise ConfigError(f"{name} must be between {low} and {high}: got {value}")
    check.label = f"{low}–{high}"
    return check


def positive_size(name: str, value: int) -> None:
    if value <= 0:
        raise ConfigError(f"{name} must be a size like 35MB, more than 0: got {value}")


positive_size.label = "more than 0"


def long_secret(name: str, value: str) -> None:
    if len(value) < 32:
        raise ConfigError(f"{name} is too short: use at least 32 random characters")


long_secret.label = "32 characters or more"


def upload_chunk(name: str, value: int) -> None:
    """Graph takes upload-session chunks in multiples of 320 KiB, at most 4 MiB per PUT."""
    try:
        check_chunk_size(value)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


upload_chunk.label = "a multiple of 320 KiB, at most 4 MiB"


def redirect_path(name: str, value: str) -> None:
    if not value.startswith("/") or value == "/":
        raise ConfigError(f"{name} must be a path like /auth/callback: got {value!r}")


redirect_path.label = "a path"


@labelled("URL")
def redirect_uri(name: str, uri: str) -> str:
    """An absolute redirect URI; http only for the local machine (Microsoft's rule)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an absolute URL: got {uri!r}")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ConfigError(f"{name} must use https: Microsoft accepts http only for "
                          f"localhost (got {uri}); behind a TLS proxy use https://"
                          f"{parts.netloc}{parts.path}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{name} must not have a query or fragment: got {uri!r}")
    return uri
