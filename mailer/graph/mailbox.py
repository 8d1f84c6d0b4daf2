"""Reading a mailbox through Graph: folder listings, one message, read state, delete, attachments.

``Mailbox(client, address)`` works on the signed-in user's mailbox (``address`` None) or on one
they have Full Access to (``/users/{address}``). Listings are newest first; Graph's next link is
returned as it came, for the caller to keep (it is followed only under the client's base URL).
A message and its attachments, and several small attachments' bytes, come in one round trip
(``GraphClient.batch``).
Like GraphClient, every failure is a ``GraphError``; nothing here knows of Flask.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import requests

from mailer.graph.batch import Call
from mailer.graph.client import GraphClient, _mailbox
from mailer.graph.errors import GraphError

LIST_FIELDS = ("id", "subject", "from", "sender", "toRecipients", "receivedDateTime",
               "sentDateTime", "lastModifiedDateTime", "isRead", "isDraft", "hasAttachments",
               "importance", "bodyPreview")
READ_FIELDS = ("id", "subject", "from", "sender", "toRecipients", "ccRecipients", "bccRecipients",
               "replyTo", "receivedDateTime", "sentDateTime", "isRead", "isDraft",
               "hasAttachments", "importance", "body", "parentFolderId", "lastModifiedDateTime")
# contentId is fileAttachment's; selecting it through the base type is what the emulator takes
# (UNCONFIRMED for Microsoft's Graph, whose docs show no such $select).
ATTACHMENT_FIELDS = "id,name,contentType,size,isInline,contentId"
# Graph refuses a $filter whose $orderby property is not filtered on first (InefficientFilter),
# so "unread only" filters on the date too, with a bound every message meets.
ALL_DATES = "receivedDateTime ge 1900-01-01T00:00:00Z"


@dataclass
class Page:
    """One page of a folder: its messages and Graph's link to the next page (or None)."""
    messages: list[dict] = field(default_factory=list)
    next_link: str | None = None


class Mailbox:
    """One mailbox as the signed-in user sees it."""

    def __init__(self, client: GraphClient, address: str | None = None):
        self.client, self.address = client, address
        self.root = _mailbox(address)

    def _message(self, message_id: str) -> str:
        return f"{self.root}/messages/{quote(message_id, safe='')}"

    def list_folder(self, folder: str, *, top: int, unread: bool = False,
                    search: str | None = None) -> Page:
        """GET …/mailFolders/{folder}/messages, newest first. ``search`` uses $search, which Graph
        allows with neither $filter nor $orderby (it sorts by date itself)."""
        params = {"$top": str(top), "$select": ",".join(LIST_FIELDS)}
        if search:
            params["$search"] = '"' + search.replace('"', " ").replace("\\", " ") + '"'
        else:
            params["$orderby"] = "receivedDateTime desc"
            if unread:
                params["$filter"] = f"{ALL_DATES} and isRead eq false"
        body = self.client._request(
            "GET", f"{self.root}/mailFolders/{quote(folder, safe='')}/messages",
            params=params).json()
        return Page(body.get("value", []), body.get("@odata.nextLink"))

    def follow(self, next_link: str) -> Page:
        """The page at a next link Graph gave before (only ever under the client's base URL)."""
        if not next_link.startswith(self.client.base_url + "/"):
            raise GraphError(400, "InvalidNextLink", "The next link is not Microsoft Graph's.")
        body = self.client._request("GET", next_link).json()
        return Page(body.get("value", []), body.get("@odata.nextLink"))

    def unread_count(self, folder: str = "inbox") -> int:
        """The folder's unreadItemCount: one small GET."""
        body = self.client._request("GET", f"{self.root}/mailFolders/{quote(folder, safe='')}",
                                    params={"$select": "unreadItemCount"}).json()
        return int(body.get("unreadItemCount") or 0)

    def _read(self, message_id: str) -> Call:
        return Call("message", "GET", self._message(message_id),
                    params={"$select": ",".join(READ_FIELDS)},
                    headers={"Prefer": 'outlook.body-content-type="html"'})

    def _listing(self, message_id: str) -> Call:
        return Call("attachments", "GET", f"{self._message(message_id)}/attachments",
                    params={"$select": ATTACHMENT_FIELDS})

    def message(self, message_id: str) -> dict:
        """One message with its HTML body (Prefer: outlook.body-content-type)."""
        return self.client.batch([self._read(message_id)])["message"].result()

    def attachments(self, message_id: str) -> list[dict]:
        """The message's attachments, without their content."""
        found = self.client.batch([self._listing(message_id)])["attachments"].result()
        return found.get("value", [])

    def message_and_attachments(self, message_id: str) -> tuple[dict, list[dict]]:
        """``message`` and ``attachments`` in one round trip (the message's failure first)."""
        answers = self.client.batch([self._read(message_id), self._listing(message_id)])
        message = answers["message"].result()
        return message, answers["attachments"].result().get("value", [])

    def attachment_contents(self, message_id: str, attachment_ids: list[str]) -> dict[str, bytes]:
        """The bytes of a few small attachments, by id, in one round trip (their ``$value``s,
        which a batch carries as base64); an attachment Graph could not give is left out."""
        calls = [Call(str(n), "GET", f"{self._message(message_id)}/attachments/"
                                     f"{quote(attachment_id, safe='')}/$value")
                 for n, attachment_id in enumerate(attachment_ids)]
        answers = self.client.batch(calls)
        return {attachment_id: answers[str(n)].content
                for n, attachment_id in enumerate(attachment_ids) if answers[str(n)].ok}

    def attachment(self, message_id: str, attachment_id: str) -> dict:
        """One attachment's name, type, size and whether it is inline (no content)."""
        return self.client._request(
            "GET", f"{self._message(message_id)}/attachments/{quote(attachment_id, safe='')}",
            params={"$select": ATTACHMENT_FIELDS}).json()

    def attachment_content(self, message_id: str, attachment_id: str) -> requests.Response:
        """GET …/attachments/{id}/$value, streamed: the caller reads and closes the response."""
        return self.client._request(
            "GET", f"{self._message(message_id)}/attachments/{quote(attachment_id, safe='')}"
                   "/$value", stream=True)

    def set_read(self, message_id: str, is_read: bool) -> None:
        """PATCH isRead (Mail.ReadWrite, the least privilege Microsoft documents for it)."""
        self.client._request("PATCH", self._message(message_id), json_body={"isRead": is_read})

    def read_call(self, message_id: str, is_read: bool = True) -> Call:
        """set_read as a call to send in a batch with others (its answer id: "read")."""
        return Call("read", "PATCH", self._message(message_id), json_body={"isRead": is_read})

    def delete(self, message_id: str) -> dict:
        """Move to Deleted Items (as Outlook's Delete does); returns the moved message."""
        return self.client._request("POST", f"{self._message(message_id)}/move",
                                    json_body={"destinationId": "deleteditems"}).json()
