"""Generated requests against the API: schemathesis builds them from the app's own
/api/v1/openapi.json (bodies, headers, queries and paths that fit the document, and ones that do
not), sends them over real HTTP to the app served by werkzeug threads (live_app), the emulator
behind it, with a real key for every automation sender. Whatever arrives: no answer >= 500.

Cases per operation and mode: ``API_EXAMPLES`` (default 40 under the ``ci`` profile, 1000 under
``HYPOTHESIS_PROFILE=long``); the test prints the statuses it saw (``-s`` shows them):

    HYPOTHESIS_PROFILE=long ./env.sh test tests/api/test_api_generated.py -s
"""
from __future__ import annotations

import collections
import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import FlakyStrategyDefinition
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from api.api_support import ADELE, ALEX, MEGAN, SALES, bearer

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
EXAMPLES = int(os.environ.get("API_EXAMPLES") or (1000 if LONG else 40))
KNOWN = {"mailbox": [SALES, ADELE, MEGAN, ALEX.upper()]}  # in scope (or not) for the key


def test_generated_requests_never_get_a_server_error(live_app, make_key, http):
    key = make_key([SALES, ADELE, MEGAN])
    job = http.post(f"{live_app.url}/api/v1/messages", headers=bearer(key), timeout=30,
                    json={"from": SALES, "to": [ALEX], "subject": "s", "text": "t"}).json()
    known = {**KNOWN, "job_id": [job["id"], "j" + "0" * 24]}
    schema = schemathesis.openapi.from_url(f"{live_app.url}/api/v1/openapi.json", timeout=30)
    statuses: collections.Counter = collections.Counter()
    failures: list[str] = []
    cut_short: list[str] = []  # a run Hypothesis ended because a strategy drew differently
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases = st.tuples(operation.as_strategy(generation_mode=mode),
                              st.sampled_from([None, *range(4)]))

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not LONG,
                      suppress_health_check=list(HealthCheck))
            @given(cases)
            def run(drawn):
                case, pick = drawn
                if pick is not None:  # now and then a value the key or the store knows
                    for name, values in known.items():
                        if name in (case.path_parameters or {}):
                            case.path_parameters[name] = values[pick % len(values)]
                    if isinstance(case.body, dict) and "from" in case.body:  # a sender in scope
                        case.body["from"] = KNOWN["mailbox"][pick]
                        if pick == 1:  # and a message that may go, its text generated
                            kept = {k: v for k, v in case.body.items()
                                    if k in ("text", "importance", "save_to_sent_items")}
                            case.body = {**kept, "from": ADELE, "to": [ALEX], "subject": "g"}
                response = case.call(base_url=live_app.url, headers=bearer(key), timeout=30)
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} -> "
                                    f"{response.status_code}: {response.text[:300]}")
                assert response.status_code < 500, failures[-1]

            try:
                run()
            except* FlakyStrategyDefinition:
                # Seen once in a long run: schemathesis's negative mutation of a header drew
                # differently when Hypothesis replayed it. Not an answer of the app: counted.
                cut_short.append(f"{operation.method.upper()} {operation.path} {mode}")
    print(f"\nAPI generated cases: {sum(statuses.values())}; statuses: "
          f"{dict(sorted(statuses.items()))}; runs cut short by Hypothesis: {cut_short or 0}")
    assert not failures
