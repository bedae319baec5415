#!/usr/bin/env python3
"""Crash safety: teep-agent and `teepkit tam serve` killed with SIGKILL at
every step of a session (the TK_TEST_CRASH_AT test hook), restarted, and
checked: the component store contains one whole version, the TAM's store is
consistent, and the next session repairs what is missing.

Usage: test_crash.py CASE. The environment names the binaries (TK_CLI,
TK_AGENT) and the work folder root (TK_E2E_WORK).
"""

import sys
import threading
import time

# The tests leave no bytecode files in the source tree.
sys.dont_write_bytecode = True

from harness import (  # noqa: E402
    COMPONENT_NAME, EXIT_OK, EXIT_TRANSPORT, KILLED, QUERY_RESPONSE,
    RewriteProxy, SUCCESS, check, check_equal, check_store_consistent,
    db_count, http_post, run_case, teep_open)
from world import COMPONENT_ID, World, payload_bytes  # noqa: E402

PAYLOAD_V1 = payload_bytes(3000, "crash v1")
PAYLOAD_V2 = payload_bytes(5000, "crash v2")

# Steps of the component store's commit (apps/suitdev) that one component
# meets, and the agent's own state file writes. A kill at a step of the
# first list leaves the old version, at the second the new one.
STORE_STEPS_OLD = ["after-write", "after-fsync", "before-rename"]
STORE_STEPS_NEW = ["after-journal", "after-rename", "after-metadata",
                   "after-apply"]
AGENT_STEPS_OLD = ["agent-before-save-query", "agent-after-save-query"]
AGENT_STEPS_NEW = ["agent-before-save-update", "agent-after-save-update"]
STEPS_OLD = STORE_STEPS_OLD + AGENT_STEPS_OLD
STEPS_NEW = STORE_STEPS_NEW + AGENT_STEPS_NEW

# Steps that a deletion meets: it stages only the tombstone, without the
# crash points of an image, so it starts at the journal.
DELETE_STEPS_OLD = ["before-rename"] + AGENT_STEPS_OLD
DELETE_STEPS_NEW = ["after-journal", "after-apply"] + AGENT_STEPS_NEW


def check_leftovers(agent, step):
    """Checks that opening the store finished or discarded the commit."""
    agent.show()
    leftovers = [f for f in agent.component_files()
                 if f.endswith(".new") or f.endswith(".journal")]
    check_equal(leftovers, [], f"temporary files after a crash at {step}")


def check_one_version(w, agent, step, sequence):
    """Checks that the store contains version sequence whole, or nothing
    when sequence is None."""
    check_leftovers(agent, step)
    found = agent.component()
    if sequence is None:
        check_equal(found, None, f"component after a crash at {step}")
        check_equal(agent.show()["components"], [],
                    f"components shown after a crash at {step}")
        return
    check(found is not None, f"component missing after a crash at {step}")
    image, meta = found
    check(image == w.versions[sequence],
          f"image after a crash at {step} is version {sequence}, whole")
    check_equal(meta["sequence-number"], sequence,
                f"sequence number after a crash at {step}")
    check_equal(meta["image-digest"], w.versions_digest[sequence],
                f"metadata digest after a crash at {step}")


def crash_devices(w, steps):
    """Returns a new registered device for each step."""
    return [(step, w.add_agent("device-" + step)) for step in steps]


def run_crashed(w, agent, step):
    proc = w.run(agent=agent, expect=None, env={"TK_TEST_CRASH_AT": step})
    check_equal(proc.returncode, KILLED, f"teep-agent killed at {step}")
    return proc


def repair(w, agent, step, sequence, resent):
    """Runs the session after a crash and checks that it ends with
    version sequence on both sides. resent is whether the TAM must send
    the manifest again."""
    proc = w.run(agent=agent)
    sent_again = "processing a manifest" in proc.stderr
    check_equal(sent_again, resent,
                f"the TAM sends the manifest again after a crash at {step}")
    w.check_installed(sequence, agent=agent)
    check_leftovers(agent, step)


def add_digests(w):
    from harness import sha256_hex
    w.versions_digest = {seq: sha256_hex(p) for seq, p in w.versions.items()}


def case_crash_agent_install(h):
    """A first install killed at each step: the store is empty or contains
    version 1 whole, and the next session installs what is missing."""
    w = World(h, policy=True)
    w.add_version(1, PAYLOAD_V1)
    add_digests(w)
    for step, agent in crash_devices(w, STEPS_OLD + STEPS_NEW):
        run_crashed(w, agent, step)
        old = step in STEPS_OLD
        check_one_version(w, agent, step, None if old else 1)
        check_equal(w.tam_installed(agent), {},
                    f"components the TAM records after a crash at {step}")
        repair(w, agent, step, 1, resent=old)
        check_equal(len(w.tam_reports(agent)), 1 if old else 0,
                    f"SUIT reports stored for the device of {step}")


def case_crash_agent_update(h):
    """An update from version 1 to 2 killed at each step: the store holds
    version 1 or version 2 whole, never a mix, and the next session
    ends with version 2 on both sides."""
    w = World(h, policy=True)
    w.add_version(1, PAYLOAD_V1)
    devices = crash_devices(w, STEPS_OLD + STEPS_NEW)
    for step, agent in devices:
        w.run(agent=agent)
        w.check_installed(1, agent=agent)
    w.add_version(2, PAYLOAD_V2)
    add_digests(w)
    for step, agent in devices:
        run_crashed(w, agent, step)
        old = step in STEPS_OLD
        check_one_version(w, agent, step, 1 if old else 2)
        check_equal(w.tam_installed(agent), {COMPONENT_ID: 1},
                    f"the TAM records version 1 after a crash at {step}")
        repair(w, agent, step, 2, resent=old)
        check_equal(len(w.tam_reports(agent)), 2 if old else 1,
                    f"SUIT reports stored for the device of {step}")


def case_crash_agent_delete(h):
    """A deletion killed at each step: the component is there whole or
    gone, and the next session deletes it on both sides."""
    w = World(h, policy=True)
    w.add_version(1, PAYLOAD_V1)
    add_digests(w)
    devices = crash_devices(w, DELETE_STEPS_OLD + DELETE_STEPS_NEW)
    for step, agent in devices:
        w.run(agent=agent)
        w.set_policy(agent, absent=True)
    for step, agent in devices:
        run_crashed(w, agent, step)
        old = step in DELETE_STEPS_OLD
        check_one_version(w, agent, step, 1 if old else None)
        # A deletion and its tombstone are committed together.
        tomb = agent.tombstone()
        check_equal(tomb is None, old, f"tombstone after a crash at {step}")
        proc = w.run(agent=agent)
        deleted = f"component {COMPONENT_NAME} (sequence 1) deleted"
        check_equal(deleted in proc.stderr, old,
                    f"the TAM sends the deletion again after {step}")
        w.check_nothing_installed(agent=agent)
        check_equal(agent.tombstone()["sequence-number"], 1,
                    f"sequence number of the tombstone after {step}")


# Crash points of the TAM (apps/tam/tam_testhooks.h) in session order,
# what a kill there leaves, and how the agent's session ends once the
# restarted TAM gets the message that the agent sends again:
#   installed  the agent installed the component before the TAM died;
#   stored     the SUIT report of that Success was stored before it died;
#   status     the exit status of the agent's session;
#   last       the message type the agent sent again (None: the empty
#              body that starts a session).
# The TAM writes everything a message changes, with the use of its token,
# in one store transaction after the state machine ran, so a kill before
# that transaction leaves none of it and the copy sent again completes.
# After tam-after-save-update the TAM had recorded the QueryResponse, so
# the copy gets 409 and its Update is lost: the next session installs.
# After tam-after-record the copy of the Success gets 409, which the agent
# takes as recorded.
TAM_STEPS = [
    ("tam-before-save-query", False, False, EXIT_OK, None),
    ("tam-after-save-query", False, False, EXIT_OK, None),
    ("tam-after-take-query", False, False, EXIT_OK, QUERY_RESPONSE),
    ("tam-before-save-update", False, False, EXIT_OK, QUERY_RESPONSE),
    ("tam-after-save-update", False, False, EXIT_TRANSPORT, QUERY_RESPONSE),
    ("tam-after-take-update", True, False, EXIT_OK, SUCCESS),
    ("tam-after-reports", True, False, EXIT_OK, SUCCESS),
    ("tam-after-record", True, True, EXIT_OK, SUCCESS),
]


def start_session(w, agent, proxy):
    """Starts a teep-agent session through proxy in a thread; returns a
    function that waits for it and returns its CompletedProcess."""
    result = {}

    def session():
        try:
            result["proc"] = w.run(agent=agent, url=proxy.url, expect=None)
        except BaseException as error:  # raised again by wait()
            result["error"] = error

    thread = threading.Thread(target=session, daemon=True)
    thread.start()

    def wait():
        thread.join(timeout=180)
        check(not thread.is_alive(), "the agent's session did not end")
        if "error" in result:
            raise result["error"]
        return result["proc"]
    return wait


def successes(w):
    """Returns the number of update.success audit entries."""
    return len(w.audit_actions("update.success"))


def check_tam_crash(w, agent, step, expected, proxy, wait, audit_before):
    """Checks the store of the killed TAM and restarts it while the agent
    waits to send its message again. Then checks that the message arrives.
    The session ends as expected, its SUIT report and update.success entry
    are stored once, and a further copy of its Success gets 409."""
    installed, stored, status, last = expected
    check_store_consistent(w.tam, f"after the TAM was killed at {step}")
    check_equal(agent.component() is not None, installed,
                f"the agent installed the component before {step}")
    check_equal(len(w.tam_reports(agent)), 1 if stored else 0,
                f"SUIT reports stored before the crash at {step}")
    w.restart_tam()
    check_store_consistent(w.tam, f"after a restart that followed {step}")
    proxy.resume(w.tam.url)
    proc = wait()
    check_equal(proc.returncode, status, f"exit status of the agent, {step}")
    check("POST to the TAM failed" in proc.stderr and
          "again in 1000 ms (retry 1 of 3)" in proc.stderr,
          f"the agent logs the failure and its retry at {step}")
    # The message sent again is the one that failed, byte for byte.
    check_equal(len(proxy.failed), 1, f"exchanges that failed at {step}")
    failed = proxy.requests[proxy.failed[0]]
    again = proxy.requests[proxy.failed[0] + 1]
    check_equal(again, failed, f"the copy sent again at {step}")
    check_equal(teep_open(again)[0] if again else None, last,
                f"the type of the message sent again at {step}")
    check_equal("it had recorded an earlier copy" in proc.stderr,
                step == "tam-after-record",
                f"the agent takes a 409 as recorded at {step}")
    arrived = status == EXIT_OK
    check_equal(len(w.tam_reports(agent)), 1 if arrived else 0,
                f"SUIT reports after the session of {step}")
    check_equal(successes(w) - audit_before, 1 if arrived else 0,
                f"update.success entries after the session of {step}")
    if arrived:
        w.check_installed(1, agent=agent)
    if last == SUCCESS:
        check_equal(again, proxy.requests[-1], f"the last message, {step}")
        status_again, _, _ = http_post(w.tam.url, again)
        check_equal(status_again, 409, f"status of a further copy, {step}")
    proc = w.run(agent=agent)
    check_equal("processing a manifest" in proc.stderr, not arrived,
                f"the TAM sends the manifest again after {step}")
    w.check_installed(1, agent=agent)
    check_equal(len(w.tam_reports(agent)), 1,
                f"SUIT reports after the session that followed {step}")
    check_equal(successes(w) - audit_before, 1,
                f"update.success entries after the session after {step}")
    check_store_consistent(w.tam, f"after the session that followed {step}")


def case_crash_tam(h):
    """The TAM killed at each step of an install session (its own crash
    points), and between the Update and the Success. Its SQLite store
    stays consistent, a restart on the same database serves again, and
    the agent's copy of the interrupted message reaches the restarted
    TAM: the SUIT report of the session is stored once."""
    w = World(h, policy=True)
    w.add_version(1, PAYLOAD_V1)
    for step, *expected in TAM_STEPS:
        agent = w.add_agent("device-" + step)
        w.tam.stop()
        w.restart_tam(env={"TK_TEST_CRASH_AT": step})
        proxy = RewriteProxy(h, w.tam.url, hold=True)
        audit_before = successes(w)
        wait = start_session(w, agent, proxy)
        w.tam.wait_killed()
        check_tam_crash(w, agent, step, expected, proxy, wait, audit_before)

    # Killed from outside after it sent the Update: the proxy kills the
    # TAM when the agent's Success arrives, before forwarding it.
    agent = w.add_agent("device-between")
    proxy = RewriteProxy(h, w.tam.url, hold=True, before=lambda index, body:
                         w.tam.kill() if index == 2 else None)
    audit_before = successes(w)
    wait = start_session(w, agent, proxy)
    deadline = time.time() + 120
    while w.tam.proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    check_equal(w.tam.proc.returncode, KILLED, "TAM killed by the proxy")
    check_tam_crash(w, agent, "the Success", (True, False, EXIT_OK, SUCCESS),
                    proxy, wait, audit_before)
    # The sessions that the crashes interrupted keep their context and
    # their unused tokens.
    check_equal(db_count(w.tam, "tokens", "consumed = 0") > 0, True,
                "tokens of the interrupted sessions stay outstanding")


CASES = {
    "crash_agent_install": case_crash_agent_install,
    "crash_agent_update": case_crash_agent_update,
    "crash_agent_delete": case_crash_agent_delete,
    "crash_tam": case_crash_tam,
}

if __name__ == "__main__":
    run_case(CASES, sys.argv)
