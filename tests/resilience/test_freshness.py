#!/usr/bin/env python3
"""Replay and freshness: replayed agent messages to the TAM, an old Update
replayed to the agent, evidence that is stale, expired or from the
future, and rolled-back manifests on every install path. Each is
rejected, and both stores are checked for changes.

Usage: test_freshness.py CASE. The environment names the binaries
(TK_CLI, TK_AGENT) and the work folder root (TK_E2E_WORK).
"""

import json
import os
import sys
import time

# The tests leave no bytecode files in the source tree.
sys.dont_write_bytecode = True

from forge import ForgedAgent, check_forged_ok  # noqa: E402
from harness import (  # noqa: E402
    CLASS_ID, COMPONENT_NAME, CoapClient, ERROR, EXIT_MANIFEST,
    EXIT_REJECTED, EXIT_TAM_ERROR, KILLED, LABEL_MANIFEST_LIST,
    LABEL_SUIT_REPORTS, Proxy, RewriteProxy, Tag, UPDATE, VENDOR_ID,
    cbor_decode, check, check_equal, check_same_store, coap_code_text,
    cose_payload, db_rows, db_snapshot, http_post, make_integrated_component,
    read, run_case, sign_teep, store_snapshot, teep_open)
from world import COMPONENT_ID, World, payload_bytes  # noqa: E402

PAYLOAD_V1 = payload_bytes(2000, "freshness v1")
PAYLOAD_V2 = payload_bytes(2500, "freshness v2")

# TEEP labels and err-codes the checks read.
LABEL_ERR_CODE = 23
ERR_PERMANENT_ERROR = 1
ERR_ATTESTATION_REQUIRED = 7

# tk_err values that SUIT reports carry (include/teepkit/error/suit.def).
TK_ERR_SUIT_ROLLBACK = 143
TK_ERR_SUIT_ROLLBACK_DIGEST = 144


# ---------------------------------------------------------------------------
# Replays to the TAM
# ---------------------------------------------------------------------------

def case_replay_tam(h):
    """QueryResponses, a Success and an Error of finished sessions, sent
    again over HTTP and over CoAP, get 409 and 4.09 and change no row of
    the TAM's store."""
    w = World(h, coap=True)
    w.add_version(1, PAYLOAD_V1)
    good = Proxy(h, w.tam.url)
    w.run(url=good.url)
    w.check_installed(1)
    # Version 2 comes with a payload that does not match its digest, so
    # the agent replies to its Update with an Error and a SUIT report.
    envelope, _ = make_integrated_component(h, "app-v2", 2, PAYLOAD_V2,
                                            w.signer)
    wrong = h.write("wrong.bin", b"bytes that are not version 2")
    w.tam.cmd("component", "add", envelope, "--signer", w.signer_pub,
              "--name", "app", "--payload", "#app=" + wrong)
    failed = Proxy(h, w.tam.url)
    w.run(url=failed.url, expect=EXIT_MANIFEST)
    error = failed.exchanges[2][0]
    check_equal(teep_open(error)[0], ERROR, "type of the agent's reply")
    check_equal([r[2] == 0 for r in w.tam_reports()], [True, False],
                "stored reports: the success, then the failure")
    w.check_installed(1)

    replays = [("QueryResponse", good.exchanges[1][0]),
               ("Success", good.exchanges[2][0]),
               ("QueryResponse of the failed session",
                failed.exchanges[1][0]),
               ("Error", error)]
    before = db_snapshot(w.tam)
    client = CoapClient(w.tam.coap_port)
    try:
        for round_number in range(2):
            for name, body in replays:
                status, _, reply = http_post(w.tam.url, body)
                check_equal(status, 409, f"HTTP status of a replayed {name}")
                check_equal(reply, b"", f"HTTP body of a replayed {name}")
                coap = client.post_message(body)
                check_equal(coap_code_text(coap["code"]), "4.09",
                            f"CoAP code of a replayed {name}")
    finally:
        client.close()
    check_same_store(before, db_snapshot(w.tam), "after the replays")
    rejected = w.tam.log().count("message rejected: TK_ERR_TEEP_TOKEN_UNKNOWN")
    check_equal(rejected, 2 * 2 * len(replays),
                "replays that the TAM logs as unknown tokens")
    w.check_installed(1)


# ---------------------------------------------------------------------------
# An old Update replayed to the agent
# ---------------------------------------------------------------------------

def case_replay_update(h):
    """An Update of an earlier session put in place of the TAM's fresh
    Update: the agent rejects it as a replay, its component store stays
    byte for byte the same, and the TAM records no report, no install
    and no update outcome. The next honest session installs version 2."""
    w = World(h)
    w.add_version(1, PAYLOAD_V1)
    first = Proxy(h, w.tam.url)
    w.run(url=first.url)
    old_update = first.exchanges[1][2]
    check_equal(teep_open(old_update)[0], UPDATE, "captured TAM message")
    w.add_version(2, PAYLOAD_V2)
    files = store_snapshot(w.agent)
    reports = w.tam_reports()
    audit = w.audit_actions()
    swap = RewriteProxy(h, w.tam.url,
                        rewrite=lambda i, req, rep: old_update if i == 1
                        else rep)
    proc = w.run(url=swap.url, expect=EXIT_REJECTED)
    check("TK_ERR_TEEP_UNEXPECTED_UPDATE" in proc.stderr,
          "the agent logs the replayed Update as unexpected")
    error = teep_open(swap.exchanges[2][0])
    check_equal(error[0], ERROR, "the agent's reply to the replay")
    check_equal(error[2], ERR_PERMANENT_ERROR, "err-code of the Error")
    check_equal(swap.exchanges[2][1], 409,
                "TAM status for an Error that answers the old token")
    check_equal(store_snapshot(w.agent), files,
                "component store after the replay")
    w.check_installed(1)
    check_equal(w.tam_reports(), reports, "reports after the replay")
    check_equal(w.audit_actions(), audit, "audit entries after the replay")
    w.run()
    w.check_installed(2)


# ---------------------------------------------------------------------------
# Evidence freshness
# ---------------------------------------------------------------------------

def latest_attestation(w):
    rows = db_rows(w.tam, "SELECT verdict, reason FROM attestation_results "
                   "WHERE device_id = ? ORDER BY id DESC LIMIT 1",
                   (w.device_id(),))
    check_equal(len(rows), 1, "attestation results of the device")
    return rows[0]


def check_attestation_refused(w, status, reply, reason, what):
    """Checks the TAM's reply to evidence it must not accept: an Update
    with ERR_ATTESTATION_REQUIRED and no manifest, and the reason in the
    stored attestation result."""
    check_equal(status, 200, f"HTTP status for {what}")
    check_equal(reply[0], UPDATE, f"reply type for {what}")
    check_equal(reply[1].get(LABEL_ERR_CODE), ERR_ATTESTATION_REQUIRED,
                f"err-code for {what}")
    check(LABEL_MANIFEST_LIST not in reply[1], f"no manifest for {what}")
    verdict, text = latest_attestation(w)
    check(verdict != 1, f"attestation verdict for {what} is not affirming")
    check(reason in text, f"attestation reason for {what} names {reason}: "
          f"{text}")


def case_evidence_freshness(h):
    """Evidence signed with the device's own attestation key, in a
    QueryResponse signed with its own agent key, is refused when its
    eat_nonce is stale or missing. It is refused when it has expired,
    was issued in the future or is not valid yet. Nothing is installed
    and no report is stored."""
    w = World(h)
    w.add_version(1, PAYLOAD_V1)
    forged = ForgedAgent(h, w.agent, w.tam.url)
    check_forged_ok(forged)
    old_token, old_challenge = forged.start()
    old_evidence = forged.evidence(old_challenge)
    now = int(time.time())
    cases = [
        ("a stale eat_nonce", {"nonce": old_challenge},
         "TK_ERR_EAT_NONCE_MISMATCH"),
        ("no eat_nonce", {"drop": [10]}, "TK_ERR_EAT_NONCE_MISSING"),
        ("an exp one hour ago", {"exp": now - 3600}, "TK_ERR_EAT_EXPIRED"),
        ("an iat one hour ahead", {"iat": now + 3600},
         "TK_ERR_EAT_FUTURE_IAT"),
        ("an nbf one hour ahead", {"nbf": now + 3600},
         "TK_ERR_EAT_NOT_YET_VALID"),
        ("whole evidence of an earlier session", {"evidence": old_evidence},
         "TK_ERR_EAT_NONCE_MISMATCH"),
    ]
    for what, change, reason in cases:
        token, challenge = forged.start()
        change = dict(change)
        evidence = change.pop("evidence", None)
        if evidence is None:
            nonce = change.pop("nonce", challenge)
            evidence = forged.evidence(nonce, **change)
        status, reply = forged.send(forged.query_response(token, evidence))
        check_attestation_refused(w, status, reply, reason, what)
        check_equal(w.tam_installed(), {}, f"TAM installed after {what}")
        check_equal(w.tam_reports(), [], f"TAM reports after {what}")
    check_equal(w.agent.component_files(), [], "files in the agent store")

    # The real agent with a clock one hour ahead.
    proc = w.run(expect=EXIT_TAM_ERROR,
                 env={"TK_TEST_CLOCK_OFFSET": "3600"})
    check("test hook TK_TEST_CLOCK_OFFSET" in proc.stderr,
          "the agent warns about the clock hook")
    verdict, text = latest_attestation(w)
    check("TK_ERR_EAT_FUTURE_IAT" in text,
          f"reason for the agent with a clock ahead: {text}")
    w.check_nothing_installed()
    # With its real clock it attests and installs.
    w.run()
    w.check_installed(1)


# ---------------------------------------------------------------------------
# Rollback on every install path
# ---------------------------------------------------------------------------

def replace_manifests(w, update, envelopes):
    """Returns update (a TAM's signed Update) with its manifest-list
    replaced by envelopes, signed again with the TAM's ESP256 key."""
    message = cbor_decode(cose_payload(update))
    check_equal(message[0], UPDATE, "message to rewrite")
    message[1][LABEL_MANIFEST_LIST] = envelopes
    key = os.path.join(w.tam.key_dir, "tam-esp256.pem")
    w.swaps = getattr(w, "swaps", 0) + 1
    return sign_teep(w.h, key, message, name=f"swapped-{w.swaps}")


def rollback_world(h):
    """Installs version 5 through the TAM and stores version 6, whose
    Updates the tests rewrite. Returns the world and the envelope of an
    older version 4 with its payload inside."""
    w = World(h)
    w.add_version(5, payload_bytes(3000, "rollback v5"))
    w.run()
    w.check_installed(5)
    w.add_version(6, payload_bytes(3100, "rollback v6"))
    v4, _ = make_integrated_component(h, "app-v4", 4,
                                      payload_bytes(2900, "rollback v4"),
                                      w.signer, embed=True)
    return w, v4


def check_rollback_refused(w, envelope, code, what):
    """Runs a session whose Update carries envelope in place of version 6
    and checks that nothing changes: the component store byte for byte,
    the TAM's installed state, and a stored failure report naming code."""
    w.agent.show()  # opening the store discards what a crash left
    files = store_snapshot(w.agent)
    reports = len(w.tam_reports())
    swap = RewriteProxy(w.h, w.tam.url, rewrite=lambda i, req, rep:
                        replace_manifests(w, rep, [read(envelope)])
                        if i == 1 else rep)
    w.run(url=swap.url, expect=EXIT_MANIFEST)
    error = teep_open(swap.exchanges[2][0])
    check_equal(error[0], ERROR, f"agent reply to {what}")
    report = cbor_decode(error[1][LABEL_SUIT_REPORTS][0])
    check_equal(report[4].get(5), code, f"SUIT report result code, {what}")
    check_equal(swap.exchanges[2][1], 204, f"TAM status for the Error, {what}")
    check_equal(store_snapshot(w.agent), files, f"component store, {what}")
    check_equal(w.tam_installed(), {COMPONENT_ID: 5},
                f"TAM installed state, {what}")
    stored = w.tam_reports()
    check_equal(len(stored), reports + 1, f"reports stored, {what}")
    check_equal(stored[-1][2], code, f"stored report result, {what}")
    check_equal(w.audit_actions()[-1], "update.error",
                f"last audit entry, {what}")


def parent_with_dependency(w, dependency, sequence):
    """Writes a manifest of another component that carries dependency as
    an integrated dependency and processes it."""
    envelope = cbor_decode(read(dependency))
    envelope = envelope.value if isinstance(envelope, Tag) else envelope
    digest = cbor_decode(cbor_decode(envelope[2])[0])[1]
    spec = {
        "manifest-sequence-number": sequence,
        "components": [["resilience-parent"]],
        "dependencies": [{"component-index": 1, "prefix": ["dep.suit"]}],
        "shared-sequence": [
            {"directive-set-component-index": 0},
            {"directive-override-parameters": {
                "vendor-id": VENDOR_ID, "class-id": CLASS_ID}},
            {"condition-vendor-identifier": 15},
            {"condition-class-identifier": 15}],
        "dependency-resolution": [
            {"directive-set-component-index": 1},
            {"directive-override-parameters": {
                "image-digest": {"algorithm-id": "sha256",
                                 "digest-bytes": digest.hex()},
                "image-size": {"file": os.path.basename(dependency)},
                "uri": "#dep.suit"}},
            {"directive-fetch": 2},
            {"condition-image-match": 15}],
        "install": [
            {"directive-set-component-index": 1},
            {"directive-process-dependency": 0},
            {"directive-set-component-index": 0},
            {"directive-override-parameters": {"content": "parent"}},
            {"directive-write": 15}],
        "integrated-dependencies": {
            "#dep.suit": {"file": os.path.basename(dependency)}},
    }
    spec_file = w.h.write("parent.json", json.dumps(spec, indent=2))
    parent = w.h.path("parent.suit")
    w.h.teepkit("suit", "create", spec_file, "-o", parent, "--key", w.signer)
    return parent


def case_rollback_paths(h):
    """A manifest older than the installed version 5 reaches the agent in
    an Update signed by the TAM's key. It comes directly, with the same
    sequence number and another digest, as a dependency of another
    manifest, and after an install of version 6 that a crash
    interrupted. Each is rejected before anything is written, on both
    sides."""
    w, v4 = rollback_world(h)
    check_rollback_refused(w, v4, TK_ERR_SUIT_ROLLBACK, "a direct rollback")
    other5, _ = make_integrated_component(h, "app-other5", 5,
                                          payload_bytes(10, "other 5"),
                                          w.signer, embed=True)
    check_rollback_refused(w, other5, TK_ERR_SUIT_ROLLBACK_DIGEST,
                           "sequence 5 with another digest")
    parent = parent_with_dependency(w, v4, 11)
    check_rollback_refused(w, parent, TK_ERR_SUIT_ROLLBACK,
                           "a rollback through a dependency")
    check("c_sresilience-parent.img" not in w.agent.component_files(),
          "nothing of the parent manifest is installed")

    # Version 6 killed part-way, then the rolled-back manifest.
    proc = w.run(expect=None, env={"TK_TEST_CRASH_AT": "after-write"})
    check_equal(proc.returncode, KILLED, "agent killed during version 6")
    image, meta = w.agent.component()
    check_equal(meta["sequence-number"], 5, "sequence after the crash")
    check_rollback_refused(w, v4, TK_ERR_SUIT_ROLLBACK,
                           "a rollback after an interrupted install")
    # The honest Update installs version 6.
    w.run()
    w.check_installed(6)
    check_equal(w.agent.component_files(),
                [COMPONENT_NAME + ".img", COMPONENT_NAME + ".meta"],
                "files of the component store")


CASES = {
    "replay_tam": case_replay_tam,
    "replay_update": case_replay_update,
    "evidence_freshness": case_evidence_freshness,
    "rollback_paths": case_rollback_paths,
}

if __name__ == "__main__":
    run_case(CASES, sys.argv)
