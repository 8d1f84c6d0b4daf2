"""Fixtures of the app's tests (tests/conftest.py has the app, the emulator and signing in)."""
from __future__ import annotations

import pytest
from helpers.mailbox import GraphAsApp


@pytest.fixture
def graph_app(emu):
    """Graph as the app itself (client credentials) on the emulator: mail put in place."""
    graph = GraphAsApp(emu)
    yield graph
    graph.http.close()
