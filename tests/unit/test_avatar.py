"""mailer.avatar: which types are served as images, initials, the initials picture."""
import xml.etree.ElementTree as ET

import pytest

from mailer.web.avatar import PALETTE, colour, image_type, initials, initials_svg


@pytest.mark.parametrize("given, served", [
    ("image/jpeg", "image/jpeg"), ("IMAGE/PNG", "image/png"), ("image/jpg", "image/jpeg"),
    ("image/gif; charset=binary", "image/gif"), ("text/html", None), ("image/svg+xml", None),
    ("application/octet-stream", None), ("", None), (None, None)])
def test_only_plain_image_types_are_served_as_they_are(given, served):
    assert image_type(given) == served


@pytest.mark.parametrize("name, expected", [
    ("Adele Vance", "AV"), ("alex wilber", "AW"), ("Cher", "C"), ("Jean-Luc de la Tour", "JT"),
    ("  (Sam)  Taylor ", "ST"), ("alex@contoso.example", "A"), ("山田 太郎", "山太"),
    ("", "?"), (None, "?"), ("- –", "?")])
def test_initials(name, expected):
    assert initials(name) == expected


def test_colour_is_stable_per_key_and_from_the_palette():
    assert colour("a-user-id") == colour("a-user-id") and colour("a-user-id") in PALETTE
    assert len({colour(str(n)) for n in range(50)}) > 3


@pytest.mark.parametrize("name, text", [("Adele Vance", "AV"), ("<script> &amp;x", "SA"),
                                        ("\"' <>", "?")])
def test_the_initials_picture_is_valid_svg_whatever_the_name(name, text):
    svg = initials_svg(name, "id")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}text").text == text
    assert root.find("{http://www.w3.org/2000/svg}circle").get("fill") == colour("id")
    assert b"<script" not in svg
