"""GraphClient.photo(): the signed-in user's photo bytes and type, None without one, errors."""
import pytest

from helpers.settings import retry_policy
from mailer.graph.client import GraphError


def test_photo_returns_the_bytes_and_their_type(graph, emu, https, token_for):
    data, content_type = graph.photo()
    assert content_type == "image/jpeg" and data[:2] == b"\xff\xd8"
    raw = https.get(f"{emu.client_config()['graph_endpoint']}/me/photo/$value", timeout=10,
                    headers={"Authorization": f"Bearer {token_for()}"})
    assert data == raw.content


def test_a_png_photo_keeps_its_type(graph_for):
    data, content_type = graph_for("megan@contoso.example", ["User.Read"]).photo()
    assert content_type == "image/png" and data.startswith(b"\x89PNG")


def test_no_photo_is_none(graph_for):
    assert graph_for("alex@contoso.example", ["User.Read"]).photo() is None


def test_other_failures_raise(graph_for, faults):
    with pytest.raises(GraphError) as denied:
        graph_for(scopes=["Mail.Send"]).photo()  # no User.Read
    assert denied.value.status == 403
    faults.add(path=r"/photo/\$value$", status=503)
    with pytest.raises(GraphError) as down:
        graph_for(retry=retry_policy(max_attempts=1)).photo()
    assert down.value.status == 503
