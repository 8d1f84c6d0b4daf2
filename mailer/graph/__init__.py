"""The Microsoft Graph client. Imports nothing else of mailer/.

    client.py    GraphClient: me, photo, sendMail, drafts, attachments, upload sessions, listings
    errors.py    GraphError parsed from Graph's error body; what needs a new sign-in
    retry.py     which failures are retried, Retry-After, the retry loop
    uploads.py   chunked upload-session PUTs with progress
    http.py      the requests.Session (TLS trust, pool) every client shares
    shapes.py    Graph's JSON shapes for messages, attachments and upload items
    mailbox.py   reading a mailbox: folder listings, one message, read state, attachments
    people.py    people suggestions: /me/people and the directory search
    changes.py   mail that arrives: a folder's delta rounds, subscriptions, clientState checks
"""
