"""A received message's HTML made safe to show: nh3 (ammonia) keeps a known-safe subset, inline
``cid:`` pictures point at the app's own route, and remote pictures stay out until asked for.

Defence in depth: the result is also served in a sandboxed frame under its own strict CSP
(content.py), so a gap here still runs no script and loads nothing the CSP does not list.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import unquote, urlsplit

import nh3

# Inline styles keep their look; nothing here can fetch (no background-image, no url()).
STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight",
    "text-align", "text-decoration", "text-indent", "text-transform", "line-height",
    "letter-spacing", "white-space", "vertical-align", "width", "height", "max-width",
    "min-width", "margin", "margin-top", "margin-bottom", "margin-left", "margin-right", "padding",
    "padding-top", "padding-bottom", "padding-left", "padding-right", "border", "border-top",
    "border-bottom", "border-left", "border-right", "border-collapse", "border-spacing",
    "border-color", "border-style", "border-width", "border-radius", "display", "list-style-type",
}
TAGS = set(nh3.ALLOWED_TAGS) | {"font", "center", "u", "s"}
_ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag, _extra in {"img": {"src", "alt", "width", "height", "title"},
                     "font": {"color", "face", "size"},
                     "table": {"width", "border", "cellpadding", "cellspacing", "align", "bgcolor"},
                     "td": {"width", "align", "valign", "bgcolor", "colspan", "rowspan"},
                     "th": {"width", "align", "valign", "bgcolor", "colspan", "rowspan"},
                     "tr": {"align", "valign", "bgcolor"}, "p": {"align"}, "div": {"align"}}.items():
    _ATTRIBUTES[_tag] = _ATTRIBUTES.get(_tag, set()) | _extra
_ATTRIBUTES["*"] = _ATTRIBUTES.get("*", set()) | {"style", "dir"}
_HOST = re.compile(r"^[a-z0-9.-]{1,253}(:[0-9]{1,5})?$")
MAX_REMOTE_HOSTS = 40


@dataclass
class CleanBody:
    html: str
    remote_hosts: set[str] = field(default_factory=set)  # scheme://host[:port] of shown pictures
    blocked: int = 0  # pictures left out
    remote: int = 0  # pictures from http(s) hosts, shown or not


def clean(html: str, cid_url: Callable[[str], str], show_remote: bool) -> CleanBody:
    """``html`` sanitized; ``cid:x`` pictures rewritten to ``cid_url(x)``; remote pictures kept
    (and their hosts named) only when ``show_remote``."""
    result = CleanBody("")

    def attribute(tag: str, name: str, value: str) -> str | None:
        if tag != "img" or name != "src":
            return value
        if value[:4].lower() == "cid:":
            return cid_url(unquote(value[4:]))
        parts = urlsplit(value)
        origin = f"{parts.scheme}://{(parts.netloc or '').lower()}"
        result.remote += parts.scheme in ("http", "https")
        if (parts.scheme in ("http", "https") and _HOST.match(parts.netloc.lower())
                and show_remote and (origin in result.remote_hosts
                                     or len(result.remote_hosts) < MAX_REMOTE_HOSTS)):
            result.remote_hosts.add(origin)
            return value
        result.blocked += 1
        return None

    result.html = nh3.clean(html or "", tags=TAGS, attributes=_ATTRIBUTES,
                            url_schemes={"http", "https", "mailto", "cid"},
                            attribute_filter=attribute, strip_comments=True,
                            link_rel="noopener noreferrer",
                            set_tag_attribute_values={"a": {"target": "_blank"}},
                            filter_style_properties=STYLE_PROPERTIES)
    return result


def remote_pictures(html: str) -> int:
    """How many remote pictures ``clean`` would hold back: "Show images" is offered only then."""
    return clean(html, lambda cid: "", show_remote=False).remote
