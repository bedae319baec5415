#!/usr/bin/env python3
"""An agent that was offline for a long time: the TAM and the agent run
with their clocks 400 days ahead (the TK_TEST_CLOCK_OFFSET test hook),
after the agent left a session half done. The agent recovers without
manual steps, and what was in flight before is refused.

Usage: test_offline.py CASE. The environment names the binaries
(TK_CLI, TK_AGENT) and the work folder root (TK_E2E_WORK).
"""

import os
import sys

# The tests leave no bytecode files in the source tree.
sys.dont_write_bytecode = True

from harness import (  # noqa: E402
    EXIT_REJECTED, EXIT_TRANSPORT, KILLED, LOOPBACK, MockTam, Proxy,
    RewriteProxy, UPDATE, check, check_equal, check_same_store, db_snapshot,
    http_post, run_case, store_snapshot, teep_open)
from world import World, payload_bytes  # noqa: E402

PAYLOAD_V1 = payload_bytes(2000, "offline v1")
PAYLOAD_V2 = payload_bytes(2100, "offline v2")

# 400 days, longer than any token lifetime the TAM accepts (30 days).
OFFSET = str(400 * 86400)


def case_offline_clock(h):
    """Before going offline the agent installs version 1, then stops in
    the middle of two sessions: killed after saving the state that awaits
    an Update, and cut off after its QueryResponse left. 400 days later
    (both clocks ahead) the agent installs version 2 at its first
    attempt, the held QueryResponse gets 409, and an Update of the old
    days is refused by the agent."""
    w = World(h)
    w.add_version(1, PAYLOAD_V1)
    first = Proxy(h, w.tam.url)
    w.run(url=first.url)
    w.check_installed(1)
    old_update = first.exchanges[1][2]
    check_equal(teep_open(old_update)[0], UPDATE, "captured Update")

    # A session killed once its state awaits an Update.
    proc = w.run(expect=None, env={"TK_TEST_CRASH_AT":
                                   "agent-after-save-query"})
    check_equal(proc.returncode, KILLED, "agent killed awaiting the Update")
    # A session whose QueryResponse never reaches the TAM: the proxy keeps
    # it and the agent's 3 copies sent again, and fails each exchange, so
    # its token stays outstanding.
    held = []

    def hold(index, body):
        if index == 0:
            return None
        held.append(body)
        return f"http://{LOOPBACK}:1/tam"  # refused, so the TAM gets nothing

    cut = RewriteProxy(h, w.tam.url, before=hold)
    w.run(url=cut.url, expect=EXIT_TRANSPORT)
    check_equal(len(held), 4, "QueryResponses the proxy holds")
    check_equal(held.count(held[0]), 4, "copies equal to the first one")

    w.add_version(2, PAYLOAD_V2)
    w.tam.stop()
    w.restart_tam(env={"TK_TEST_CLOCK_OFFSET": OFFSET})
    check("the clock runs 34560000 seconds ahead" in w.tam.log(),
          "the TAM warns about the clock hook")
    before = db_snapshot(w.tam)
    status, _, reply = http_post(w.tam.url, held[0])
    check_equal(status, 409, "status of the QueryResponse held 400 days")
    check_equal(reply, b"", "body of the 409 reply")
    check("TK_ERR_TEEP_TOKEN_EXPIRED" in w.tam.log(),
          "the TAM logs the expired token")
    # Only the token may change: an expired token counts as used.
    after = db_snapshot(w.tam)
    del before["tokens"], after["tokens"]
    check_same_store(before, after, "after the held QueryResponse")

    env = {"TK_TEST_CLOCK_OFFSET": OFFSET}
    proc = w.run(env=env)
    check("test hook TK_TEST_CLOCK_OFFSET" in proc.stderr,
          "the agent warns about the clock hook")
    w.check_installed(2)

    # The Update of 400 days ago, after a fresh QueryRequest of the same
    # TAM keys, is a replay to the agent.
    files = store_snapshot(w.agent)
    mock = MockTam(h, os.path.join(w.tam.key_dir, "tam-esp256.pem"))
    mock.update = lambda response: old_update
    proc = w.run(url=mock.url, env=env, expect=EXIT_REJECTED)
    check("TK_ERR_TEEP_UNEXPECTED_UPDATE" in proc.stderr,
          "the agent refuses the old Update")
    check_equal(store_snapshot(w.agent), files, "component store")
    # Later sessions keep working.
    w.run(env=env)
    w.check_installed(2)


CASES = {
    "offline_clock": case_offline_clock,
}

if __name__ == "__main__":
    run_case(CASES, sys.argv)
