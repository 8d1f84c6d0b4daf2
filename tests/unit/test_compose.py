"""compose.py: addresses, one-line fields, file names, sanitizing, and the message JSON."""
import pytest

from helpers.settings import prepare
from mailer.sending.compose import (Attachment, ComposeData, ComposeInvalid, parse_address,
                                    sanitize_filename, sanitize_html, split_addresses)


@pytest.mark.parametrize("text, expected", [
    ("a@contoso.example, b@contoso.example", ["a@contoso.example", "b@contoso.example"]),
    ("a@x.org; b@x.org\nc@x.org", ["a@x.org", "b@x.org", "c@x.org"]),
    ('"Vance, Adele" <adele@x.org>; bob@x.org', ['"Vance, Adele" <adele@x.org>', "bob@x.org"]),
    ("  ;; ,\n", []),
    ('"a \\" ; b" <q@x.org>', ['"a \\" ; b" <q@x.org>']),
])
def test_split_addresses_respects_quotes(text, expected):
    assert split_addresses(text) == expected


@pytest.mark.parametrize("text, address, name", [
    ("Adele@Contoso.Example", "Adele@contoso.example", ""),
    ("Adele Vance <adele@contoso.example>", "adele@contoso.example", "Adele Vance"),
    ('"Vance, Adele" <adele@contoso.example>', "adele@contoso.example", "Vance, Adele"),
    ("<bare@x.org>", "bare@x.org", ""),
    ("Zoë Ångström <zoe@x.org>", "zoe@x.org", "Zoë Ångström"),
])
def test_parse_address_accepts_the_usual_forms(text, address, name):
    parsed = parse_address(text)
    assert (parsed.address, parsed.name) == (address, name)


@pytest.mark.parametrize("field, text, message", [
    ("to", "bob@", "To: 'bob@' is not a valid email address"),
    ("cc", "ok@x.org, two@@x.org", "Cc: 'two@@x.org' is not a valid email address"),
    ("bcc", "Bob <>", "Bcc: 'Bob <>' has no email address"),
    ("to", "Vance, Adele <a@x.org>", "put the name in quotes"),
    ("to", '"Evil\r\nBcc: x@y.org" <a@x.org>', "contains a line break"),
    ("reply_to", "nobody", "Reply-To: 'nobody' is not a valid email address"),
    ("from_address", "from@", "From: 'from@' is not a valid email address"),
])
def test_bad_address_errors_name_the_exact_address(field, text, message):
    data = ComposeData(to="ok@x.org")
    setattr(data, field, text)
    with pytest.raises(ComposeInvalid) as info:
        prepare(data)
    assert any(message in m for m in info.value.errors[field]), info.value.errors


@pytest.mark.parametrize("subject, message", [
    ("Hello\r\nBcc: victim@x.org", "must be on one line"),
    ("Hello\nthere", "must be on one line"),
    ("tab\x07bell", "control character"),
])
def test_subject_with_line_breaks_is_refused(subject, message):
    with pytest.raises(ComposeInvalid) as info:
        prepare(ComposeData(to="a@x.org", subject=subject))
    assert message in info.value.errors["subject"][0]


def test_all_errors_are_reported_together():
    with pytest.raises(ComposeInvalid) as info:
        prepare(ComposeData(to="bad", cc="worse@", subject="a\nb", importance="urgent"))
    assert set(info.value.errors) == {"to", "cc", "subject", "importance"}


def test_no_recipient_is_refused():
    with pytest.raises(ComposeInvalid) as info:
        prepare(ComposeData(subject="hi"))
    assert info.value.errors["to"] == ["Add at least one recipient (To, Cc or Bcc)."]


def test_duplicates_across_fields_keep_the_first():
    p = prepare(ComposeData(to="A@x.org, b@x.org", cc="a@x.org; c@x.org", bcc="B@x.org, c@x.org"))
    addrs = lambda key: [r["emailAddress"]["address"] for r in p.message[key]]
    assert (addrs("toRecipients"), addrs("ccRecipients"), addrs("bccRecipients")) == \
        (["A@x.org", "b@x.org"], ["c@x.org"], [])
    assert p.recipient_count == 3


def test_at_most_500_recipients():
    ok = ", ".join(f"u{i}@x.org" for i in range(500))
    assert prepare(ComposeData(to=ok)).recipient_count == 500
    with pytest.raises(ComposeInvalid) as info:
        prepare(ComposeData(to=ok, bcc="one.more@x.org"))
    assert "501 recipients" in info.value.errors["to"][0]


def test_message_json_shape():
    p = prepare(ComposeData(to='"Vance, Adele" <adele@contoso.example>', reply_to="r@x.org",
                            subject="Hi", body="plain <b>text</b>", body_type="text",
                            importance="high", save_to_sent_items=False))
    assert p.message == {
        "subject": "Hi", "body": {"contentType": "text", "content": "plain <b>text</b>"},
        "toRecipients": [{"emailAddress": {"address": "adele@contoso.example",
                                           "name": "Vance, Adele"}}],
        "ccRecipients": [], "bccRecipients": [], "importance": "high",
        "replyTo": [{"emailAddress": {"address": "r@x.org"}}],
    }
    assert p.save_to_sent_items is False and p.from_address is None


def test_from_is_set_only_for_another_mailbox_and_sender_never():
    own = prepare(ComposeData(to="a@x.org", from_address="Adele@contoso.example"),
                  me_address="adele@contoso.example")
    assert "from" not in own.message and own.from_address is None
    other = prepare(ComposeData(to="a@x.org", from_address="Sales <sales@contoso.example>"),
                    me_address="adele@contoso.example")
    assert other.message["from"] == {"emailAddress": {"address": "sales@contoso.example",
                                                      "name": "Sales"}}
    assert other.from_address == "sales@contoso.example" and "sender" not in other.message


def test_html_is_sanitized_but_cid_images_stay():
    html = ('<p onclick="steal()">Hi<script>alert(1)</script>'
            '<a href="javascript:alert(1)">x</a><img src="cid:logo@mailer"></p>')
    clean = sanitize_html(html)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean
    assert '<img src="cid:logo@mailer">' in clean
    assert prepare(ComposeData(to="a@x.org", body=html)).message["body"]["content"] == clean


@pytest.mark.parametrize("name, expected", [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\adele\\Desktop\\budget 2025.xlsx", "budget 2025.xlsx"),
    ("naïve résumé – 東京.docx", "naïve résumé – 東京.docx"),
    ("bad\x00na\nme.txt", "badname.txt"),
    ('what?<is>"this".txt', "what__is__this_.txt"),
    ("..hidden", "hidden"),
])
def test_file_names_are_sanitized(name, expected):
    assert sanitize_filename(name) == expected


@pytest.mark.parametrize("name", ["", "../", "C:\\folder\\", " . ", "\x00\x01"])
def test_empty_file_names_are_refused(name):
    with pytest.raises(ValueError, match="empty once folder parts are removed"):
        sanitize_filename(name)


def test_long_file_names_keep_their_extension():
    name = sanitize_filename("é" * 300 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= 255


def test_zero_byte_attachment_is_refused(tmp_path):
    empty = Attachment("empty.txt", tmp_path / "x", 0)
    with pytest.raises(ComposeInvalid) as info:
        prepare(ComposeData(to="a@x.org", attachments=[empty]))
    assert info.value.errors["attachments"] == [
        "'empty.txt' is empty (0 bytes); attach a file with content."]


def test_unknown_body_type_is_refused():
    with pytest.raises(ComposeInvalid) as info:
        prepare(ComposeData(to="a@x.org", body_type="rtf"))
    assert "HTML or plain text" in info.value.errors["body_type"][0]
