"""Mail that arrives, for programs: webhooks on watched mailboxes (no Flask here).

A mailbox with webhooks is watched: the app keeps one Graph subscription on its Inbox, and
each notification (or lifecycle event, or the workers' periodic check) runs a delta round that
finds the new messages; each goes to every webhook of the mailbox as a signed event (Standard
Webhooks), at least once, tried again with a doubling wait for a day. All of it runs in the
send engine's huey workers; the web app only answers Graph and queues.

    service.py    the per-process object: huey tasks, the periodic duty, create/list/delete
    receiver.py   what Graph's POSTs to /graph/notifications do (handshake, clientState)
    catchup.py    one round of a mailbox: upkeep when due, delta, claims, queued deliveries
    rounds.py     a delta round of new mail, with the resync after a refused link (the CLI's too)
    upkeep.py     the subscription: made, renewed, reauthorized, made again; Graph's clock
    attempts.py   one try of one delivery: signed POST, recorded, retried with backoff
    signing.py    the event's body and Standard Webhooks headers; secrets
    targets.py    where a webhook may point, checked again on every connection
    records.py    webhooks, watches and deliveries in the shared store
"""
