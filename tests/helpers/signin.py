"""Drive the emulator's sign-in pages with plain ``requests``, as a browser would, minus the JS.

``sign_in_with_requests(auth_uri, username, password)`` starts at an authorize URL (built by
hand or by MSAL's ``initiate_auth_code_flow``), answers the picker, username, password and
consent pages by submitting their real forms, and stops at the redirect back to the app without
following it: the returned ``SignInResult.params`` is exactly what the app's redirect URI receives
(``code``, ``state``, ``client_info``, ``session_state`` or ``error``...), ready for
``acquire_token_by_auth_code_flow(flow, result.params)``. Pass the same ``session`` to a second
sign-in to exercise single sign-on. Anything unexpected raises ``SignInError`` with the page's text.

``complete_device_login(verification_uri, user_code, username)`` is what a person does for a
device-code flow: open ``/devicelogin``, type the code, sign in and consent; it returns the last
page ("device_done").
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

from emulator.directory import DEMO_PASSWORD


class SignInError(AssertionError):
    """The sign-in did not reach the app: ``page`` is the page kind, ``message`` its error text."""

    def __init__(self, page: str, message: str, response: requests.Response | None = None):
        super().__init__(f"sign-in stopped on the {page} page: {message}")
        self.page, self.message, self.response = page, message, response


@dataclass
class Form:
    action: str
    method: str = "get"
    id: str | None = None
    fields: dict[str, str] = field(default_factory=dict)  # inputs with a name (hidden, text, ...)
    buttons: list[dict] = field(default_factory=list)  # {"name", "value", "id", "text"}


@dataclass
class Page:
    """A parsed sign-in page: ``kind`` is username, password, picker, consent, message, ..."""

    kind: str
    forms: list[Form]
    error: str | None  # the error text shown on the page, if any
    text: str  # all visible text, squeezed

    def form_with(self, name: str) -> Form:
        for form in self.forms:
            if name in form.fields or any(b["name"] == name for b in form.buttons):
                return form
        raise SignInError(self.kind, f"no form with a '{name}' field; page says: {self.text[:300]}")


@dataclass
class SignInResult:
    params: dict[str, str]  # what the app's redirect URI receives
    redirect_uri: str  # where the browser is sent, without the parameters
    response_mode: str  # query, fragment or form_post
    pages: list[str]  # the kinds of page answered on the way ("picker", "password", ...)


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.kind, self.forms, self.error, self.text = "unknown", [], None, []
        self._form: Form | None = None
        self._button: dict | None = None
        self._in_error = False
        self._error_parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag in ("script", "style", "title"):
            self._skip += 1
        if "data-page" in a:
            self.kind = a["data-page"]
        if "error" in a.get("class", "").split():
            self._in_error = True
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower(),
                              id=a.get("id"))
            self.forms.append(self._form)
            if a.get("id") == "hiddenform":
                self.kind = "form_post"
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "button" and self._form is not None:
            self._button = {"name": a.get("name", ""), "value": a.get("value", ""),
                            "id": a.get("id", ""), "test_id": a.get("data-test-id", ""), "text": ""}
            self._form.buttons.append(self._button)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self._skip -= 1
        elif tag == "form":
            self._form = None
        elif tag == "button":
            self._button = None
        elif tag == "p" and self._in_error:
            self._in_error = False
            self.error = " ".join("".join(self._error_parts).split())

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._button is not None:
            self._button["text"] += data
        if self._in_error:
            self._error_parts.append(data)


def parse_page(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    return Page(parser.kind, parser.forms, parser.error, " ".join(" ".join(parser.text).split()))


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), as MSAL makes them."""
    verifier = secrets.token_urlsafe(32)[:43]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_url(pages_url: str, tenant: str, client_id: str, redirect_uri: str,
                  scope: str = "openid profile offline_access User.Read", *,
                  code_challenge: str | None = None, **extra: str) -> str:
    """An authorize URL; with no ``code_challenge`` a fresh S256 one is NOT made: pass one."""
    params = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri,
              "scope": scope, **({"code_challenge": code_challenge,
                                  "code_challenge_method": "S256"} if code_challenge else {})}
    params.update({k: v for k, v in extra.items() if v is not None})
    return f"{pages_url}/{tenant}/oauth2/v2.0/authorize?{urlencode(params)}"


def _result(location: str, pages: list[str]) -> SignInResult:
    parts = urlsplit(location)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    if parts.fragment:
        return SignInResult(dict(parse_qsl(parts.fragment)), base, "fragment", pages)
    return SignInResult(dict(parse_qsl(parts.query)), base, "query", pages)


def sign_in_with_requests(auth_uri: str, username: str | None = None,
                          password: str | None = DEMO_PASSWORD, *,
                          session: requests.Session | None = None, consent: bool = True,
                          max_steps: int = 8) -> SignInResult:
    """Answer every page from ``auth_uri`` to the redirect back to the app (not followed).

    ``username``: the account to pick or type (None: rely on single sign-on or login_hint).
    ``consent``: press Accept (True) or Cancel (False) if a consent page appears.
    """
    http = session or requests.Session()
    response = http.get(auth_uri, allow_redirects=False, timeout=10)
    pages: list[str] = []
    for _ in range(max_steps):
        if response.status_code in (301, 302, 303, 307, 308):
            return _result(urljoin(response.url, response.headers["Location"]), pages)
        page = parse_page(response.text)
        if page.kind == "form_post":
            form = page.forms[0]
            return SignInResult(dict(form.fields), form.action, "form_post", pages)
        pages.append(page.kind)
        if page.error or page.kind in ("message", "signed_out", "unknown") or response.status_code >= 400:
            raise SignInError(page.kind, page.error or page.text[:500], response)
        data, form = _answer(page, username, password, consent)
        response = http.post(urljoin(response.url, form.action), data=data,
                             allow_redirects=False, timeout=10)
    raise SignInError(pages[-1] if pages else "first", f"no redirect after {max_steps} pages")


def _answer(page: Page, username, password, consent) -> tuple[dict, Form]:
    if page.kind == "picker":
        form = page.form_with("account")
        wanted = (username or "").lower()
        tile = next((b for b in form.buttons if wanted and b["test_id"].lower() == wanted), None)
        if tile is None and not wanted:
            tile = form.buttons[0]  # first signed-in account
        choice = tile["value"] if tile else "other"
        return {**form.fields, "account": choice}, form
    if page.kind == "username":
        if not username:
            raise SignInError(page.kind, "a username is needed and none was given")
        form = page.form_with("loginfmt")
        return {**form.fields, "loginfmt": username}, form
    if page.kind == "password":
        form = page.form_with("passwd")
        return {**form.fields, "passwd": password or ""}, form
    if page.kind == "consent":
        form = page.form_with("action")
        return {**form.fields, "action": "accept" if consent else "cancel"}, form
    raise SignInError(page.kind, page.text[:500])


def complete_device_login(verification_uri: str, user_code: str, username: str,
                          password: str | None = DEMO_PASSWORD, *, consent: bool = True,
                          session: requests.Session | None = None) -> Page:
    """Answer /devicelogin for ``user_code`` and every page after it, up to "device_done"."""
    http = session or requests.Session()
    http.trust_env = False
    try:
        page = parse_page(http.get(verification_uri, timeout=10).text)
        if page.kind != "devicecode":
            raise SignInError(page.kind, page.text[:500])
        response = http.post(verification_uri, data={"otc": user_code.lower()}, timeout=10)
        for _ in range(5):
            page = parse_page(response.text)
            if page.kind == "device_done":
                return page
            if page.kind not in ("username", "password", "consent"):
                raise SignInError(page.kind, page.error or page.text[:500], response)
            data, form = _answer(page, username, password, consent)
            response = http.post(urljoin(verification_uri, form.action), data=data, timeout=10)
        raise SignInError(page.kind, "no end page after the device sign-in")
    finally:
        if session is None:
            http.close()
