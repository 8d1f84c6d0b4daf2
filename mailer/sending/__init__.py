"""Composing and sending, without Flask.

    compose.py        the compose model: addresses, fields, attachments, ``prepare``
    plan.py           how a message goes out (one sendMail or a draft with uploads), its limits
    drafts.py         drafts being written and their attachments
    jobs.py           send jobs: the at-most-once claim, progress, confirmation after a lost answer
    recovery.py       finding what a lost answer left behind in the mailbox
    store.py          the key-value store jobs live in (Redis, or files on one host)
    from_history.py   From addresses Graph refused or accepted, per person
"""
