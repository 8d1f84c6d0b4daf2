"""Fixtures shared by every kind of test: the real emulator, in-process, over real TLS.

The emulator runs once per test session on free loopback ports with its own CA in a temporary
folder; its state is reset before each test so tests never see each other's tokens or mail.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from emulator import Emulator
from emulator.directory import DEMO_CLIENT_ID, DEMO_PASSWORD
from mailer.graph.http import build_session

# Generated-input tests (tests/app/test_compose_generated.py): a modest count by default, and
# HYPOTHESIS_PROFILE=long (HOSTILE_EXAMPLES=N per route, default 2000) for a long run. No example
# database: a failure prints its reproduction blob instead of leaving files in the tree.
_GENERATED = dict(deadline=None, database=None, print_blob=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                         HealthCheck.data_too_large, HealthCheck.large_base_example])
settings.register_profile("ci", max_examples=200, **_GENERATED)
settings.register_profile("long", max_examples=int(os.environ.get("HOSTILE_EXAMPLES") or 2000),
                          **_GENERATED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")

pytest_plugins = ["app_fixtures"]  # the app's fixtures (H2): app, client, sign_in, live_app, page, ...


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    """The emulator, started once; tests get it reset by ``emu``."""
    with Emulator(tmp_path_factory.mktemp("emulator"), api_port=0, pages_port=0) as emu:
        yield emu


@pytest.fixture
def emu(emulator):
    """The emulator with fresh state (demo directory, no tokens, no mail, no faults)."""
    emulator.state.reset()
    yield emulator
    emulator.state.reset()


@pytest.fixture
def https(emulator):
    """A requests.Session that trusts the emulator's CA and nothing else."""
    session = build_session(str(emulator.ca_file))
    yield session
    session.close()


@pytest.fixture
def demo_client(emulator):
    """The demo app registration: client id, secret and the emulator's URLs."""
    return emulator.client_config()


@pytest.fixture
def demo_password():
    return DEMO_PASSWORD


@pytest.fixture
def demo_client_id():
    return DEMO_CLIENT_ID
