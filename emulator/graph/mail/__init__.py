"""Graph's mail: mailboxes, messages, attachments, upload sessions, sending.

Views (each registers its routes on ``routing.table``):
  sendmail.py        ``POST /me/sendMail`` (JSON or MIME)
  messages.py        one message: create a draft, get, update, delete, send a draft
  listing.py         ``/me/messages``, ``/me/mailFolders`` and a folder's messages
  attachments.py     a message's attachments under 3 MB
  upload_session.py  ``createUploadSession``: an upload URL for 3 MB to 150 MB
  upload_url.py      PUT and DELETE on that URL, as Outlook answers them (no bearer token)
  moves.py           move and copy between folders
  replies.py         reply, reply all, forward (drafts or sent at once)
  mime_out.py        ``GET .../$value``: a message as MIME
  delta.py           ``GET …/mailFolders/{id}/messages/delta``: pages, then only what changed
Behind them:
  store.py           the mailboxes: folders, messages, attachment blobs, upload sessions
  changelog.py       each mailbox's changes per folder (bounded), for delta and notifications
  delta_tokens.py    delta's signed, opaque ``$skiptoken`` / ``$deltatoken``
  lookup.py          folders and messages from URL segments; the body-format preference
  submission.py      submitting a message: send-as rules, size, delivery, Sent Items
  json_in.py         a client's message JSON to stored properties, attachments, headers
  json_out.py        stored messages, attachments and folders as Graph JSON
  mime_in.py         a base64 MIME message (sendMail, create) to stored properties
  extended_props.py  single-value extended properties (deferred delivery)
  query.py           ``$filter``/``$orderby``/``$search``/``$count`` on message lists
  search.py          ``$search``: the KQL subset clients send
"""
