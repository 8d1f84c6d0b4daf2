"""``POST /_emulator/directory/shared-mailboxes``: more shared mailboxes in the demo tenant
(for benchmarks of many mailboxes), reachable app-only, receiving mail, gone at reset."""
from __future__ import annotations

from helpers.mailbox import GraphAsApp


def test_a_shared_mailbox_is_added_receives_mail_and_goes_at_reset(emu, https):
    url = f"{emu.api_url}/_emulator/directory/shared-mailboxes"
    made = https.post(url, json={"address": "Box07@contoso.example"}, timeout=10)
    assert made.status_code == 201 and made.json()["address"] == "box07@contoso.example"
    assert https.post(url, json={"address": "box07@contoso.example"}, timeout=10).status_code \
        == 200
    for bad in ({"address": "box@elsewhere.example"}, {"address": "x y@contoso.example"}, []):
        assert https.post(url, json=bad, timeout=10).status_code == 400
    graph = GraphAsApp(emu)
    try:
        graph.send("adele@contoso.example", "box07@contoso.example", "hello box")
        inbox = graph.http.get(f"{graph.graph}/users/box07@contoso.example/mailFolders/inbox/"
                               "messages", headers=graph.headers, timeout=10)
        assert [m["subject"] for m in inbox.json()["value"]] == ["hello box"]
        emu.state.reset()
        gone = graph.http.get(f"{graph.graph}/users/box07@contoso.example", headers=graph.headers,
                              timeout=10)
        assert gone.status_code == 404
    finally:
        graph.http.close()
