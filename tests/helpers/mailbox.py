"""Putting mail into the emulator through Graph itself, as the demo app (client credentials:
its admin-consented Mail.Send and Mail.ReadWrite), for the mailbox tests."""
from __future__ import annotations

import base64

import msal

from emulator.directory import WORK_TENANT_ID
from mailer.graph.http import build_session

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


class GraphAsApp:
    """Graph as the demo app itself (client credentials): puts mail where a test needs it."""

    def __init__(self, emu):
        demo = emu.client_config()
        self.http = build_session(str(emu.ca_file))
        app = msal.ConfidentialClientApplication(
            demo["client_id"], client_credential=demo["client_secret"],
            authority=f"{emu.api_url}/{WORK_TENANT_ID}", instance_discovery=False,
            http_client=self.http)
        token = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}
        self.graph = demo["graph_endpoint"]

    def send(self, sender: str, to: str | list[str], subject: str, html: str = "<p>Hello</p>",
             attachments: list[dict] | None = None, **props) -> None:
        message = {"subject": subject, "body": {"contentType": "html", "content": html},
                   "toRecipients": [{"emailAddress": {"address": a}}
                                    for a in ([to] if isinstance(to, str) else to)],
                   "attachments": attachments or [], **props}
        response = self.http.post(f"{self.graph}/users/{sender}/sendMail", headers=self.headers,
                                  json={"message": message}, timeout=10)
        assert response.status_code == 202, response.text


def attachment(name: str, data: bytes, content_type: str, cid: str | None = None) -> dict:
    item = {"@odata.type": "#microsoft.graph.fileAttachment", "name": name,
            "contentType": content_type, "contentBytes": base64.b64encode(data).decode()}
    if cid:
        item.update(isInline=True, contentId=cid)
    return item
