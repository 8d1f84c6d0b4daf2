"""mailer.graph.shapes: the file description the Graph client takes, and Graph's JSON for it."""
from mailer.graph.shapes import FileSource, base64_length, encode_json, file_attachment_json, \
    upload_item_json


def _file(tmp_path, name, size, inline=False):
    path = tmp_path / name
    path.write_bytes(b"x" * size)
    return FileSource(name, path, size, "application/pdf", inline, "logo@x" if inline else None)


def test_inline_attachment_json_carries_its_content_id(tmp_path):
    item = file_attachment_json(_file(tmp_path, "logo.png", 5, inline=True), "AAAA")
    assert item == {"@odata.type": "#microsoft.graph.fileAttachment", "name": "logo.png",
                    "contentType": "application/pdf", "contentBytes": "AAAA",
                    "isInline": True, "contentId": "logo@x"}


def test_an_upload_item_and_the_inline_bytes(tmp_path):
    file = _file(tmp_path, "a.pdf", 4)
    assert upload_item_json(file) == {"attachmentType": "file", "name": "a.pdf", "size": 4,
                                      "contentType": "application/pdf"}
    assert file.base64() == "eHh4eA==" and len(file.base64()) == base64_length(4)
    assert encode_json({"name": "é"}) == '{"name":"é"}'.encode("utf-8")
