"""``python -m mailer``: the command line (no Flask). See main.py for the commands."""
