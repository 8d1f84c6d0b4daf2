"""Vaults: which token cache a worker acts through for a person's send. The latest sign-in
first, then the session that pressed Send, then the person's sends vault: a copy kept for
sends that outlive the session (scheduled after it ends, or still going at sign-out), kept
until the last one's time and never shortened; on files and on Redis alike."""
from __future__ import annotations

import time
import uuid

import pytest
import redis
from cachelib import RedisCache

from mailer.identity.session_files import SessionFiles
from mailer.identity.vaults import FileLocks, RedisLocks, Vaults

TTL = 3600


@pytest.fixture(params=["files", "redis"])
def vaults(request, tmp_path) -> Vaults:
    if request.param == "files":
        cache = SessionFiles(str(tmp_path), max_age=TTL, limit=1000, sweep_every=60)
        return Vaults(cache, FileLocks(tmp_path / "locks", 5), TTL)
    client = redis.Redis.from_url(request.getfixturevalue("redis_server"))
    request.addfinalizer(client.close)
    return Vaults(RedisCache(host=client, key_prefix=f"t{uuid.uuid4().hex}:", default_timeout=0),
                  RedisLocks(client, 5), TTL)


def test_the_latest_sign_in_then_the_session_that_sent_then_the_sends_vault(vaults):
    vaults.of_session("s1").save("cache of s1")
    vaults.of_session("s2").save("cache of s2")
    vaults.delegate("acct", "s2")
    assert vaults.of_person("acct", "s1").load() == "cache of s2"
    vaults.undelegate("acct", "s2")
    assert vaults.of_person("acct", "s1").load() == "cache of s1"
    vaults.keep_for_sends("acct", "s1", time.time() + 600)
    vaults.of_session("s1").delete()  # signed out
    kept = vaults.of_person("acct", "s1")
    assert kept.load() == "cache of s1" and kept.sid == "sends-acct"
    kept.save("refreshed by a worker")
    assert vaults.of_person("acct", "s1").load() == "refreshed by a worker"
    assert vaults.of_person("someone else", "s1") is None


def test_the_sends_vault_is_never_shortened_and_goes_when_nothing_is_left(vaults):
    vaults.of_session("s1").save("cache")
    vaults.keep_for_sends("acct", "s1", time.time() + 3)
    vaults.keep_for_sends("acct", "s1", time.time() + 1)  # an earlier send: keeps the later time
    vaults.of_session("s1").delete()
    time.sleep(1.5)
    assert vaults.of_person("acct", None).load() == "cache"
    time.sleep(2)
    assert vaults.of_person("acct", None) is None  # its last send's time has passed
    vaults.of_session("s2").save("cache 2")
    vaults.keep_for_sends("acct", "s2", time.time() + 600)
    vaults.forget_sends("acct")
    vaults.of_session("s2").delete()
    assert vaults.of_person("acct", "s2") is None


def test_a_session_with_no_tokens_keeps_nothing(vaults):
    vaults.keep_for_sends("acct", "empty", time.time() + 600)
    assert vaults.of_person("acct", "empty") is None
