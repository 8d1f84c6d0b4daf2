"""Events as Standard Webhooks sends them (standardwebhooks.com; the ``standardwebhooks``
package signs): a JSON body ``{"type", "timestamp", "data"}`` and three headers,
``webhook-id`` (one per message per webhook, the same on every retry: receivers dedupe by it),
``webhook-timestamp`` (seconds, at this attempt) and ``webhook-signature`` (``v1,`` and the
HMAC-SHA256 of ``id.timestamp.body`` under the webhook's secret, base64).

Each webhook has its own secret, ``whsec_`` and 32 random bytes in base64, shown to the program
once when the webhook is made; the app keeps it sealed with the token cache's Fernet key (it
must sign with it, so a hash would not do).
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import secrets

from standardwebhooks.webhooks import Webhook

MESSAGE_RECEIVED = "message.received"
TEST_EVENT = "webhook.test"
EVENTS = (MESSAGE_RECEIVED,)  # what a webhook may ask for (the test event goes to every one)
SELECT = ["subject", "from", "toRecipients", "receivedDateTime", "bodyPreview",
          "hasAttachments", "importance", "isRead", "internetMessageId"]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def message_data(mailbox: str, m: dict) -> dict:
    """What a message.received event says of a message (the API's field names; its body is
    read with GET /api/v1/mailboxes/{mailbox}/messages/{id})."""
    sender = (m.get("from") or {}).get("emailAddress") or {}
    return {"mailbox": mailbox, "message": {
        "id": m.get("id"), "subject": m.get("subject") or "", "from": sender.get("address"),
        "to": [r["emailAddress"]["address"] for r in m.get("toRecipients") or []
               if (r.get("emailAddress") or {}).get("address")],
        "received": m.get("receivedDateTime"), "is_read": bool(m.get("isRead")),
        "has_attachments": bool(m.get("hasAttachments")),
        "importance": m.get("importance") or "normal", "preview": m.get("bodyPreview") or "",
        "internet_message_id": m.get("internetMessageId")}}


def body(event: str, data: dict, moment: dt.datetime) -> bytes:
    return json.dumps({"type": event, "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "data": data}, separators=(",", ":"), ensure_ascii=False).encode()


def headers(secret: str, message_id: str, payload: bytes, moment: dt.datetime) -> dict:
    """The three Standard Webhooks headers for this attempt."""
    return {"webhook-id": message_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, moment, payload),
            "Content-Type": "application/json"}
