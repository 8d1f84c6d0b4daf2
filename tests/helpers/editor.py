"""The compose body as a person fills it in the browser: the formatted-text editor when it is
shown (compose-editor.js hides the textarea named ``body`` behind it), else the textarea."""
from __future__ import annotations

EDITOR = "#body-editor .ql-editor"


def fill_body(page, text: str) -> None:
    """Type ``text`` as the message (as words: in the editor, HTML tags are typed, not parsed)."""
    if page.locator("#body").is_visible():
        page.fill("#body", text)
    else:
        page.fill(EDITOR, text)


def body_text(page) -> str:
    """The message's words as shown: the editor's text, or the textarea's value."""
    if page.locator("#body").is_visible():
        return page.input_value("#body")
    return page.inner_text(EDITOR).rstrip("\n")
