"""Where a webhook may point, checked when it is made and again on every connection.

A webhook makes this app send requests on a program's behalf, so its URL is fenced: https
only, and never a loopback address, unless WEBHOOK_LOCAL (on in demo mode: ``demo`` below);
never the app itself (its notification receiver, its API) nor the emulator; never a
link-local, multicast, unspecified or reserved address nor a cloud metadata service
(169.254.169.254, Azure's 168.63.129.16, ...). Private networks are allowed: an
organisation's receiver may well be inside it.

A name that resolved to an allowed address when the webhook was made may resolve elsewhere
later (DNS rebinding), so ``session()`` checks the address each connection actually reached,
before a byte is sent, and refuses the others. It follows no redirect, reads no proxy from
the environment, and its callers read at most a short excerpt of an answer.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

URL_MAX = 2000
METADATA = {ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "168.63.129.16", "100.100.100.200", "fd00:ec2::254")}


class RefusedTarget(ValueError):
    """A webhook URL (or the address it reached) this app will not send to; says why."""


def _plain(ip):
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


def address_problem(ip, demo: bool) -> str | None:
    """Why an address may not be reached (None: it may)."""
    ip = _plain(ipaddress.ip_address(ip))
    if ip in METADATA:
        return f"a cloud metadata service ({ip})"
    if ip.is_loopback:
        return None if demo else f"this machine ({ip}, loopback)"
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"a link-local, multicast or reserved address ({ip})"
    return None


def endpoints(host: str, port: int) -> set[tuple[str, int]]:
    """Every (address, port) a name resolves to; empty when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return set()
    return {(str(_plain(ipaddress.ip_address(info[4][0]))), port) for info in infos}


def origin_endpoints(urls) -> set[tuple[str, int]]:
    """The endpoints of these URLs' origins (the app's own, the emulator's)."""
    found: set[tuple[str, int]] = set()
    for url in urls:
        parts = urlsplit(url or "")
        if parts.hostname:
            found |= endpoints(parts.hostname, parts.port or _default_port(parts.scheme))
    return found


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def check_url(url: str, demo: bool, own: set[tuple[str, int]]) -> str:
    """The URL if it may be a webhook; RefusedTarget naming what is wrong otherwise."""
    if not isinstance(url, str) or not url or len(url) > URL_MAX:
        raise RefusedTarget(f"give an absolute URL of at most {URL_MAX} characters")
    try:
        parts = urlsplit(url)
        port = parts.port or _default_port(parts.scheme)
    except ValueError:
        raise RefusedTarget("it is not a valid URL") from None
    allowed = ("https", "http") if demo else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise RefusedTarget("it must be an absolute https:// URL" + (
            " (or http://: WEBHOOK_LOCAL is on)" if demo else ""))
    if parts.username or parts.password:
        raise RefusedTarget("it must not carry a user name or password")
    if parts.fragment:
        raise RefusedTarget("it must not have a #fragment")
    reached = endpoints(parts.hostname, port)
    if not reached:
        raise RefusedTarget(f"its host {parts.hostname} does not resolve")
    for address, _ in sorted(reached):
        problem = address_problem(address, demo)
        if problem:
            raise RefusedTarget(f"its host resolves to {problem}")
    if reached & own:
        raise RefusedTarget("it points at this app itself (or, in demo mode, the emulator)")
    return url


class _Guard:
    """Mixed into urllib3's connections: the peer reached is checked before the request."""
    demo: bool = False
    own: frozenset = frozenset()

    def _new_conn(self):
        sock = super()._new_conn()
        address, port = sock.getpeername()[:2]
        problem = address_problem(address, self.demo)
        if problem is None and (str(_plain(ipaddress.ip_address(address))), port) in self.own:
            problem = "this app itself"
        if problem:
            sock.close()
            raise RefusedTarget(f"the webhook's host reached {problem}")
        return sock


def session(demo: bool, own: set[tuple[str, int]]) -> requests.Session:
    """A requests session whose every connection is checked (see the module's docstring)."""
    guard = {"demo": demo, "own": frozenset(own)}
    plain = type("GuardedHTTPConnection", (_Guard, HTTPConnection), guard)
    secure = type("GuardedHTTPSConnection", (_Guard, HTTPSConnection), guard)
    pools = {"http": type("GuardedPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
             "https": type("GuardedTLSPool", (HTTPSConnectionPool,), {"ConnectionCls": secure})}

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

    http = requests.Session()
    http.trust_env = False  # no proxy from the environment: the peer is the receiver itself
    http.max_redirects = 0
    adapter = Adapter(pool_connections=8, pool_maxsize=16, max_retries=0)
    http.mount("https://", adapter)
    http.mount("http://", adapter)
    return http
