"""The user's picture: their Graph photo when it is a real image, else initials in a circle.

Knows nothing of Flask or Graph. ``image_type`` says whether bytes Graph handed us may be
served from our own origin as an image (only common image types: anything else, say HTML,
could run as our page); ``initials_svg`` draws the fallback, its colour fixed per user so the
circle stays the same from page to page.
"""
from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"})
# White text reads on each of these (contrast 4.5:1 or better).
PALETTE = ("#0f6cbd", "#8a3ffc", "#007a5a", "#c4314b", "#a35200", "#5c2e91", "#03787c", "#4f52b2")


def image_type(content_type: str | None) -> str | None:
    """The bare media type if it is an image type we serve as is, else None."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media == "image/jpg":  # seen in the wild; browsers take it as JPEG
        media = "image/jpeg"
    return media if media in IMAGE_TYPES else None


def initials(name: str | None) -> str:
    """'Adele Vance' -> 'AV', 'Cher' -> 'C', 'alex@contoso.example' -> 'A', '' -> '?'."""
    words = [w for w in (name or "").split("@")[0].split() if any(c.isalnum() for c in w)]
    if not words:
        return "?"
    letters = [next(c for c in w if c.isalnum()) for w in (words[0], words[-1])]
    return "".join(letters[:1] if len(words) == 1 else letters).upper()


def colour(key: str) -> str:
    """A palette colour chosen by ``key`` (the user's id): stable, spread over users."""
    return PALETTE[hashlib.sha256(key.encode()).digest()[0] % len(PALETTE)]


def initials_svg(name: str | None, key: str) -> bytes:
    """A 96-pixel SVG circle with the initials of ``name``, coloured for ``key``."""
    text = escape(initials(name))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
        f'<circle cx="48" cy="48" r="48" fill="{colour(key)}"/>'
        '<text x="48" y="48" dy=".35em" text-anchor="middle" fill="#fff" font-size="38" '
        'font-weight="600" font-family="Segoe UI,system-ui,-apple-system,Roboto,sans-serif">'
        f'{text}</text></svg>').encode("utf-8")
