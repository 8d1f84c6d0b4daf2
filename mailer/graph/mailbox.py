"""Reading a mailbox through Graph: folder listings, one message, read state, delete, attachments.

``Mailbox(client, address)`` works on the signed-in user's mailbox (``address`` None) or on one
they have Full Access to (``/users/{address}``). Listings are newest first; Graph's next link is
returned as it came, for the caller to keep (it is followed only under the client's base URL).
Like GraphClient, every failure is a ``GraphError``; nothing here knows of Flask.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import requests

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

    def message(self, message_id: str) -> dict:
        """One message with its HTML body (Prefer: outlook.body-content-type)."""
        return self.client._request(
            "GET", self._message(message_id), params={"$select": ",".join(READ_FIELDS)},
            headers={"Prefer": 'outlook.body-content-type="html"'}).json()

    def attachments(self, message_id: str) -> list[dict]:
        """The message's attachments, without their content."""
        return self.client._request("GET", f"{self._message(message_id)}/attachments",
                                    params={"$select": ATTACHMENT_FIELDS}).json().get("value", [])

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

    def delete(self, message_id: str) -> dict:
        """Move to Deleted Items (as Outlook's Delete does); returns the moved message."""
        return self.client._request("POST", f"{self._message(message_id)}/move",
                                    json_body={"destinationId": "deleteditems"}).json()
