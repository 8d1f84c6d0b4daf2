"""Generated hostile input (Hypothesis) against the compose, upload, autosave and remove routes,
through the factory, signed in as Adele. Whatever arrives: no 5xx; every rejection names its
field in words; every field that passes its checks is stored exactly as it arrived, and one
that does not keeps its last saved value and is named.

Examples per route: the ``ci`` profile's 200; ``HYPOTHESIS_PROFILE=long HOSTILE_EXAMPLES=N``
runs N (tests/conftest.py). Each test prints its count and the statuses it saw.
"""
from __future__ import annotations

import collections
from urllib.parse import quote, unquote

import pytest
from helpers.compose import errors_on, new_draft, text, upload
from helpers.hostile import LABELS, TEXT, multipart, stored_fields, urlencoded
from hypothesis import given
from hypothesis import strategies as st

from mailer.sending.compose import ComposeData, sanitize_filename
from mailer.web.forms import BODY_TYPES, FIELD_LIMITS, IMPORTANCES

FORM_MEMORY = 5 * 1024 * 1024  # the setting, smaller than its default: a form over it is cheap
CHOICES = {"body_type": [v for v, _ in BODY_TYPES], "importance": [v for v, _ in IMPORTANCES]}
DEFAULTS = {"body_type": "html", "importance": "normal"}
# A fresh draft stores no fields yet: it reads as ComposeData's defaults.
UNSAVED = {k: v for k, v in vars(ComposeData()).items() if k != "attachments"}
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
FRAMING = '"\\\r\n'  # would break a Content-Disposition header: the framing stays valid


@pytest.fixture
def adele(app, client, sign_in):
    app.config["FORM_MEMORY"] = FORM_MEMORY
    sign_in(client)
    return client


def _sized(limit: int) -> st.SearchStrategy[bytes]:
    """Values at, just over, and far over a limit (and over the form's memory, rarely)."""
    return st.sampled_from([limit, limit + 1, 4 * limit + 5, FORM_MEMORY + 1]).flatmap(
        lambda n: st.sampled_from([b"a", "é".encode(), b"\x00", b"<"]).map(lambda unit: unit * n))


hostile_text = st.one_of(
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),  # invalid UTF-8, NULs, lone surrogates' bytes
    st.sampled_from([b"", b" ", b"\x00", b"\xed\xa0\x80", b"\r\nBcc: evil@example.com",
                     b"megan@contoso.example", b'"Last, First" <megan@contoso.example>',
                     b"user@xn--bcher-kva.example", b"<script>alert(1)</script>",
                     b"html", b"text", b"high", b"low", b"normal", b"%00", b"%ff"]),
)
plain_name = st.text(st.characters(blacklist_characters=FRAMING, blacklist_categories=("Cs",)),
                     max_size=40)
field_name = st.one_of(st.sampled_from(TEXT + ("body_type", "importance", "save_to_sent_items",
                                               "attachments", "action", "resume", "unattached",
                                               "from_confirmed", "csrf_token")), plain_name)
file_name = st.one_of(st.none(), st.sampled_from(["", "..", "../../etc/passwd", "a\x00b.txt",
                                                  "x" * 300, "C:\\boot.ini", "…"]), plain_name)


benign = {"from_address": st.sampled_from(["", "adele@contoso.example"]),
          "to": st.sampled_from(["megan@contoso.example", "Megan <megan@contoso.example>", ""]),
          "cc": st.sampled_from(["", "alex@contoso.example; patti@contoso.example"]),
          "bcc": st.just(""), "reply_to": st.sampled_from(["", "sales@contoso.example"]),
          "subject": st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=60),
          "body": st.text(max_size=200)}


@st.composite
def parts(draw, file_ids=()):
    """Form parts: the known fields (each maybe missing, repeated, a file, huge) and strangers."""
    out = []
    for name in TEXT + ("body_type", "importance"):
        for _ in range(draw(st.sampled_from([1, 1, 1, 0, 2]))):
            if name in benign and draw(st.integers(0, 2)):  # often, a field a person types
                value = draw(benign[name]).encode("utf-8", "surrogatepass")
            elif name in FIELD_LIMITS and draw(st.integers(0, 14)) == 0:
                value = draw(_sized(FIELD_LIMITS[name]))
            elif name in CHOICES and draw(st.integers(0, 3)):
                value = draw(st.sampled_from(CHOICES[name])).encode()
            else:
                value = draw(hostile_text)
            filename = draw(file_name) if draw(st.integers(0, 11)) == 0 else None
            out.append((name, value, filename))
    for _ in range(draw(st.integers(0, 3))):
        out.append((draw(field_name), draw(hostile_text),
                    draw(file_name) if draw(st.booleans()) else None))
    odd = st.text(max_size=40).map(lambda t: "remove:" + t)
    action = draw(st.one_of(st.sampled_from(["send", "save", "save", "save", "remove:"]), odd,
                            st.sampled_from([f"remove:{i}" for i in file_ids] or ["send"]),
                            st.none()))
    if action is not None:
        out.append(("action", action.encode("utf-8", "surrogatepass"), None))
    return draw(st.permutations(out))


def _typed(sent, encode) -> dict:
    """What each known field should read as: its first text part, as the parser decodes it."""
    typed = {}
    for name, value, filename in sent:
        as_text = filename is None or encode is urlencoded
        if name in typed or not as_text:
            continue
        typed[name] = value.decode("utf-8", "replace")
    return typed


def _misplaced(sent, encode) -> set:
    return set() if encode is urlencoded else {n for n, _, f in sent if f is not None}


def assert_named(errors: dict[str, list[str]]) -> None:
    """Each message names its field: by its label, the file, or the stray part's name."""
    for field, messages in errors.items():
        for message in messages:
            if field == "attachments":
                assert "ttach" in message or "file" in message.lower(), message
            elif field in LABELS:  # "Subject: ..." or "The subject must be on one line"
                assert LABELS[field].lower() in message.lower(), (field, message)
            else:
                assert "arrived as a file" in message or "button" in message, (field, message)


def check_fields(before: dict, after: dict, typed: dict, errors: dict, misplaced: set) -> None:
    """What passed its checks is stored exactly as it arrived; what did not is named and keeps
    its last saved value; a field that never arrived is stored empty (or its default)."""
    before, after = {**UNSAVED, **before}, {**UNSAVED, **after}
    for name in TEXT + ("body_type", "importance"):
        arrived = typed.get(name, DEFAULTS.get(name, ""))
        too_long = name in FIELD_LIMITS and len(arrived) > FIELD_LIMITS[name]
        bad_choice = name in CHOICES and arrived not in CHOICES[name]
        if too_long or bad_choice or name in misplaced:
            assert name in errors, (name, errors)
            assert after[name] == before[name], name
        elif name in errors:  # an address or subject check at Send: saved first, as typed
            assert after[name] in (arrived, before[name]), name
        else:
            assert after[name] == arrived, (name, arrived[:80], after[name][:80])


@given(sent=parts(), encode=st.sampled_from([multipart, multipart, urlencoded]))
def test_generated_compose_posts(adele, app, sent, encode):
    seen = _state(adele, "compose")
    body, content_type = encode([("csrf_token", seen["token"].encode(), None), *sent])
    before = stored_fields(app, seen["draft"])
    response = adele.post(f"/compose/{seen['draft']}", data=body, content_type=content_type)
    seen["statuses"][response.status_code] += 1
    assert response.status_code < 500, text(response)[:500]
    page = text(response)
    errors = errors_on(page) if response.status_code == 400 else {}
    if response.status_code == 400:
        alert = 'id="compose-alert"' in page
        assert errors or alert, "a 400 with nothing marked: " + page[:300]
        assert_named(errors)
    else:
        assert response.status_code in (303, 302), page[:300]
    check_fields(before, stored_fields(app, seen["draft"]), _typed(sent, encode), errors,
                 _misplaced(sent, encode))


@given(sent=parts(), encode=st.sampled_from([multipart, urlencoded]))
def test_generated_autosaves(adele, app, sent, encode):
    seen = _state(adele, "autosave")
    body, content_type = encode([("csrf_token", seen["token"].encode(), None), *sent])
    before = stored_fields(app, seen["draft"])
    response = adele.post(f"/compose/{seen['draft']}/autosave", data=body,
                          content_type=content_type, headers={"Accept": "application/json"})
    seen["statuses"][response.status_code] += 1
    assert response.status_code in (200, 400), text(response)[:500]
    answer = response.get_json()
    errors = answer.get("errors", {})
    if response.status_code == 400:
        assert errors and answer["error"], answer
        assert_named({k if k in LABELS else "stray": v for k, v in errors.items()})
    check_fields(before, stored_fields(app, seen["draft"]), _typed(sent, encode), errors,
                 _misplaced(sent, encode))


@given(name=st.one_of(st.text(max_size=300), st.sampled_from(
           ["..", "../draft.json", "%2e%2e%2f", "a%00b", "%ff%fe", "x" * 400, ".", " ", "CON"])),
       quoted=st.booleans(), data=st.binary(max_size=2048),
       content_type=st.text(st.characters(blacklist_characters="\r\n"), max_size=300),
       upload_id=st.one_of(st.none(), st.sampled_from(["0" * 32, "../x", "", "%00"]),
                           st.text(st.characters(blacklist_characters="\r\n",
                                                 max_codepoint=255), max_size=80)),
       inline=st.sampled_from([None, "1", "0", "yes"]))
def test_generated_uploads(adele, name, quoted, data, content_type, upload_id, inline):
    seen = _state(adele, "upload")
    header = quote(name) if quoted else name.encode("utf-8", "replace").decode("latin-1")
    header = header.replace("\r", "").replace("\n", "")
    extra = {k: v for k, v in (("X-Upload-Id", upload_id), ("X-File-Inline", inline)) if v}
    response = adele.post(f"/compose/{seen['draft']}/files", data=data,
                          headers={"X-File-Name": header, "X-File-Type": content_type,
                                   "X-CSRFToken": seen["token"], "Accept": "application/json",
                                   **extra},
                          content_type="application/octet-stream")
    seen["statuses"][response.status_code] += 1
    assert response.status_code < 500, text(response)[:500]
    answer = response.get_json()
    if response.status_code == 201:
        assert answer["file"]["name"] == sanitize_filename(unquote(header))
        assert answer["file"]["size"] == len(data)
    else:
        message = answer["error"]
        assert response.status_code in (400, 413) and "file" in message.lower(), message


@given(file_id=st.one_of(st.text(max_size=300), st.sampled_from(
           ["..", ".", "", "%2e%2e", "a\x00b", "0" * 32, "f" * 31, "F" * 32, "0" * 33,
            "../files", "draft.json"])), how=st.sampled_from(["xhr", "form"]))
def test_generated_removals(adele, app, file_id, how):
    seen = _state(adele, "remove")
    kept = seen.setdefault("kept", upload(adele, seen["draft"], seen["token"], "kept.txt",
                                          b"keep").get_json()["file"]["id"])
    if how == "xhr":
        response = adele.post(f"/compose/{seen['draft']}/files/{quote(file_id, safe='')}/delete",
                              data={"csrf_token": seen["token"]},
                              headers={"Accept": "application/json"})
    else:
        body, content_type = multipart([("csrf_token", seen["token"].encode(), None),
                                        ("action", f"remove:{file_id}".encode("utf-8",
                                                                             "surrogatepass"),
                                         None)])
        response = adele.post(f"/compose/{seen['draft']}", data=body, content_type=content_type)
    seen["statuses"][response.status_code] += 1
    assert response.status_code < 500, text(response)[:500]
    if file_id == kept:
        seen.pop("kept")
        return
    assert kept in text(adele.get(f"/compose/{seen['draft']}")), "another file was removed"
    if response.status_code in (400, 404):
        body = text(response)
        if how == "form":
            assert_named(errors_on(body))
            assert errors_on(body).get("attachments"), body[:300]
        elif file_id and "/" not in unquote(file_id) and file_id not in (".", ".."):
            assert "attachment" in response.get_json()["error"], body[:300]


@given(draft_id=st.text(max_size=300),
       route=st.sampled_from([("GET", ""), ("POST", ""), ("POST", "/autosave"),
                              ("POST", "/files"), ("POST", "/files/" + "0" * 32 + "/delete"),
                              ("POST", "/copy"), ("GET", "/status"), ("GET", "/status.json"),
                              ("POST", "/discard"), ("GET", "/uploads/" + "0" * 32),
                              ("GET", "/files/" + "0" * 32 + "/inline")]))
def test_generated_draft_ids(adele, draft_id, route):
    seen = _state(adele, "draft ids")
    method, tail = route
    response = adele.open(f"/compose/{quote(draft_id, safe='')}{tail}", method=method,
                           data={"csrf_token": seen["token"], "to": "megan@contoso.example"},
                           headers={"Accept": "application/json", "X-CSRFToken": seen["token"],
                                    "X-File-Name": "a.txt"})
    seen["statuses"][response.status_code] += 1
    assert response.status_code < 500, text(response)[:500]
    shaped = draft_id and "/" not in draft_id and draft_id.strip(".") != ""
    if shaped and response.status_code == 404:
        assert "draft" in text(response), text(response)[:300]


@given(upload_id=st.one_of(st.text(max_size=200), st.sampled_from(
           ["0" * 32, "f" * 31, "..", "%2e%2e", "a\x00b", "F" * 32, "0" * 33])))
def test_generated_upload_progress_ids(adele, upload_id):
    """The page's poll for an upload's progress: any id gets JSON, never a 5xx or a key."""
    seen = _state(adele, "upload progress")
    response = adele.get(f"/compose/{seen['draft']}/uploads/{quote(upload_id, safe='')}",
                         headers={"Accept": "application/json"})
    seen["statuses"][response.status_code] += 1
    # 308: an id ending in "/" is redirected to the same path without it, as for any route.
    assert response.status_code in (200, 308, 404), text(response)[:300]
    if response.status_code == 200:
        assert response.get_json() == {"done": None, "total": None}


_SEEN: dict = {}


def _state(client, route: str) -> dict:
    """This route's draft, token and status counts, made once per test (fixtures are reused
    across a test's examples)."""
    seen = _SEEN.get(route)
    if seen is None or seen["client"] is not client:
        draft, token = new_draft(client)
        seen = _SEEN[route] = {"client": client, "draft": draft, "token": token,
                               "statuses": collections.Counter()}
    return seen


@pytest.fixture(autouse=True, scope="module")
def _report():
    yield
    for route, seen in _SEEN.items():
        total = sum(seen["statuses"].values())
        print(f"\n{route}: {total} generated requests, statuses {dict(seen['statuses'])}")
