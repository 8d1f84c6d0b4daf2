"""The mail store's spool folder: state.reset() deletes it at once, without a ResourceWarning."""
from __future__ import annotations

import gc
import os
import warnings

from emulator.graph.mail.store import SPOOL_IN_MEMORY, MailStore


def test_reset_closes_the_spool_folder_without_a_resource_warning(emu):
    store = emu.state.extension("mail", MailStore)
    blob = store.blob(b"x" * (SPOOL_IN_MEMORY + 1))  # big enough for a spool file
    folder = os.path.dirname(blob.path)
    assert os.path.isfile(blob.path)
    gc.collect()  # other tests' garbage is not this test's business
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        emu.state.reset()
        del store, blob  # the last references: a store left open would now warn
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert not os.path.exists(folder)  # deleted by reset(), not left to a finalizer or exit
    fresh = emu.state.extension("mail", MailStore)  # the next test gets a working store
    assert os.path.isfile(fresh.blob(b"y" * (SPOOL_IN_MEMORY + 1)).path)


def test_close_forgets_mailboxes_and_upload_sessions(emu):
    store = emu.state.extension("mail", MailStore)
    store.mailbox("someone")
    store.close()
    assert store.mailboxes == {} and store.sessions == {}
    store.close()  # twice is harmless (reset() after a manual close)
