"""The command line's help: every option and argument of every command says what it does."""
from __future__ import annotations

import argparse

from mailer.cli.main import parser


def test_every_option_of_every_command_has_help_text():
    top = parser()
    commands = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    missing = [f"{name} {'/'.join(action.option_strings) or action.dest}"
               for name, sub in commands.choices.items() for action in sub._actions
               if not isinstance(action, argparse._HelpAction) and not action.help]
    assert missing == []
    assert set(commands.choices) == {"login", "send", "inbox", "watch", "merge", "status",
                                     "worker"}
