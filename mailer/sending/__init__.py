"""What a message is before it goes, without Flask.

    compose.py         the compose model: addresses, fields, attachments, ``prepare``
    description.py     a program's message (API, CLI, merge row) checked into the same model
    plan.py            how a message goes out (one sendMail or a draft with uploads), its limits
    sizes.py           sizes in words; the per-file and per-message refusals
    send_later.py      a send-later time in the person's zone; the deferred-send property
    drafts.py          drafts being written (the shared store): a record's lifecycle
    draft_file_ops.py  a draft's files: taken in, recorded, moved to the mailbox, read back
    draft_files.py     a draft's file entries and small files' bytes
    draft_owners.py    each person's bound on drafts
    mailbox_drafts.py  a draft that outgrew one sendMail, kept in the person's mailbox
    adopt.py           a Graph draft (reply, forward, Outlook's) turned into a compose draft
    recovery.py        finding a message by its x-mailer-draft-id tag after a lost answer
    from_history.py    From addresses Graph refused or accepted, per person
    lease.py           a lease in the shared store, renewed by a heartbeat
    store.py           the key-value store (files on one host); redis_store.py, on Redis
    redis_store.py     the same on Redis, and the process's one Redis client
"""
