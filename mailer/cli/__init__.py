"""``python -m mailer``: the command line (no Flask). See main.py for the commands.

    main.py       the parser, the dispatch, exit codes and one-line errors
    commands.py   what each command does
    watch.py      ``watch MAILBOX``: new mail as it arrives, resumable from a saved delta link
    delegated.py  the person's own sign-in (device code), its token cache
"""
