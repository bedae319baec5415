#!/usr/bin/env python3
"""Downgrade: a QueryRequest that offers only weaker or unknown cipher
suites, and an Update or a Success signed with another algorithm than
the negotiated suite, are refused and change nothing.

Usage: test_downgrade.py CASE. The environment names the binaries
(TK_CLI, TK_AGENT) and the work folder root (TK_E2E_WORK).
"""

import os
import sys

# The tests leave no bytecode files in the source tree.
sys.dont_write_bytecode = True

from forge import ForgedAgent  # noqa: E402
from harness import (  # noqa: E402
    ERROR, EXIT_NEGOTIATION, EXIT_REJECTED, LABEL_MANIFEST_LIST,
    LABEL_SUITES, LABEL_TOKEN, MockTam, QUERY_REQUEST, SUCCESS, UPDATE,
    cbor_decode, cbor_encode, check, check_equal, check_same_store,
    db_snapshot, http_post, read, run_case, sign_teep, store_snapshot,
    teep_open, write_private_cose_key)
from world import COMPONENT_ID, World, payload_bytes  # noqa: E402

PAYLOAD_V1 = payload_bytes(1500, "downgrade v1")
PAYLOAD_V2 = payload_bytes(1600, "downgrade v2")

ERR_PERMANENT_ERROR = 1
ERR_UNSUPPORTED_CIPHER_SUITES = 5
MANDATORY_SUITES = [[[18, -9]], [[18, -19]]]
PROFILES = [[-16, -9, -29, -65534]]

# Cipher suites that a TAM may offer and the agent must not accept:
# (what, suites). COSE algorithm numbers: -35 ES384, -36 ES512, -37 PS256,
# -257 RS256, 5 HMAC 256/256, 4 HMAC 256/64, 0 reserved, -65535 RS1.
WEAK_SUITES = [
    ("ES384 only", [[[18, -35]]]),
    ("ES512 only", [[[18, -36]]]),
    ("RSASSA-PSS only", [[[18, -37]]]),
    ("RSASSA-PKCS1-v1_5 with SHA-256 only", [[[18, -257]]]),
    ("RSASSA-PKCS1-v1_5 with SHA-1 only", [[[18, -65535]]]),
    ("HMAC 256/256 in COSE_Mac0 only", [[[17, 5]]]),
    ("truncated HMAC 256/64 only", [[[17, 4]]]),
    ("the reserved algorithm 0", [[[18, 0]]]),
    ("an unknown COSE structure with ESP256", [[[99, -9]]]),
    ("ESP256 combined with an unknown operation", [[[18, -9], [99, 1]]]),
    ("several weak suites", [[[18, -35]], [[17, 5]], [[18, -257]]]),
]


def case_downgrade_query(h):
    """A signed QueryRequest whose suites are all weaker or unknown gets
    an Error with ERR_UNSUPPORTED_CIPHER_SUITES. The Error lists the
    agent's suites and is signed with a mandatory suite. The agent
    installs nothing and then completes a session with the real TAM."""
    w = World(h)
    w.add_version(1, PAYLOAD_V1)
    mock = MockTam(h, os.path.join(w.tam.key_dir, "tam-esp256.pem"))
    for what, suites in WEAK_SUITES:
        mock.received.clear()
        message = [QUERY_REQUEST, {LABEL_TOKEN: os.urandom(16)}, suites,
                   PROFILES, 3]
        mock.query = lambda message=message: message
        proc = w.run(url=mock.url, expect=EXIT_NEGOTIATION)
        check_equal(len(mock.received), 1, f"replies to {what}")
        error = teep_open(mock.received[0])
        check_equal(error[0], ERROR, f"reply type to {what}")
        check_equal(error[2], ERR_UNSUPPORTED_CIPHER_SUITES,
                    f"err-code for {what}")
        check_equal(error[1].get(LABEL_SUITES), MANDATORY_SUITES,
                    f"suites listed in the Error for {what}")
        header = cbor_decode(cbor_decode(mock.received[0]).value[0])
        check(header[1] in (-9, -19),
              f"the Error for {what} is signed with a mandatory suite")
        check("err-code 5" in proc.stderr,
              f"the agent logs err-code 5, {what}")
    w.check_nothing_installed()
    w.run()
    w.check_installed(1)


def case_downgrade_update(h):
    """After the agent chose ESP256, an Update signed with Ed25519 (a key
    of the same TAM), with legacy EdDSA, with ES384, or not signed at all
    is refused with an Error. The component store stays the same."""
    w = World(h)
    w.add_version(1, PAYLOAD_V1)
    w.run()
    w.check_installed(1)
    envelope = w.add_version(2, PAYLOAD_V2)
    files = store_snapshot(w.agent)
    es384 = h.path("es384.pem")
    h.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
           "ec_paramgen_curve:P-384", "-out", es384])
    mock = MockTam(h, os.path.join(w.tam.key_dir, "tam-esp256.pem"))
    mock.query = lambda: [QUERY_REQUEST, {LABEL_TOKEN: os.urandom(16)},
                          [[[18, -9]]], PROFILES, 3]
    ed_key = os.path.join(w.tam.key_dir, "tam-ed25519.pem")
    # (what, key, alg, reason, agent exit status, err-code of its Error).
    # ES384 is no suite of the agent at all, so the agent treats it as a
    # failed negotiation.
    cases = [("Ed25519", ed_key, "Ed25519", "TK_ERR_TEEP_SUITE_MISMATCH",
              EXIT_REJECTED, ERR_PERMANENT_ERROR),
             ("legacy EdDSA", ed_key, "EdDSA", "TK_ERR_TEEP_SUITE_MISMATCH",
              EXIT_REJECTED, ERR_PERMANENT_ERROR),
             ("ES384", es384, "ES384", "TK_ERR_TEEP_SUITE_MISMATCH",
              EXIT_NEGOTIATION, ERR_UNSUPPORTED_CIPHER_SUITES),
             ("no signature", None, None, "TK_ERR_TEEP_NOT_COSE",
              EXIT_REJECTED, ERR_PERMANENT_ERROR)]
    for index, (what, key, alg, reason, status, err_code) in \
            enumerate(cases):
        mock.received.clear()
        message = [UPDATE, {LABEL_TOKEN: os.urandom(16),
                            LABEL_MANIFEST_LIST: [read(envelope)]}]
        if key is None:
            signed = cbor_encode(message)
        else:
            signed = sign_teep(h, key, message, alg=alg,
                               name=f"update-{index}")
        mock.update = lambda response, signed=signed: signed
        proc = w.run(url=mock.url, expect=status)
        check(reason in proc.stderr,
              f"the agent logs {reason} for an Update with {what}")
        check_equal(len(mock.received), 2, f"agent messages, {what}")
        error = teep_open(mock.received[1])
        check_equal(error[0], ERROR, f"reply to an Update with {what}")
        check_equal(error[2], err_code, f"err-code for an Update with {what}")
        check("processing a manifest" not in proc.stderr,
              f"no manifest is processed for an Update with {what}")
        check_equal(store_snapshot(w.agent), files,
                    f"component store after an Update with {what}")
    w.run()
    w.check_installed(2)


def case_downgrade_tam(h):
    """The TAM refuses a Success signed with the device's Ed25519 key when
    ESP256 was negotiated, and a QueryResponse without a signature. Its
    store keeps the installed state and records no report."""
    w = World(h)
    w.add_version(1, PAYLOAD_V1)
    forged = ForgedAgent(h, w.agent, w.tam.url)
    store = w.agent.store
    ed_key = write_private_cose_key(
        os.path.join(store, "agent-ed25519.cose"),
        os.path.join(store, "agent-ed25519.key"), h.path("agent-ed.cose"))

    token, challenge = forged.start()
    unsigned = cbor_encode([2, {LABEL_TOKEN: token, 6: 0,
                                7: forged.evidence(challenge), 8: []}])
    before = db_snapshot(w.tam)
    status, _, _ = http_post(w.tam.url, unsigned)
    check_equal(status, 400, "status of an unsigned QueryResponse")
    check_same_store(before, db_snapshot(w.tam),
                     "after an unsigned QueryResponse")

    status, update = forged.send(forged.query_response(
        token, forged.evidence(challenge)))
    check_equal(status, 200, "status of the forged QueryResponse")
    check_equal(update[0], UPDATE, "the TAM's reply")
    update_token = update[1][LABEL_TOKEN]
    success = [SUCCESS, {LABEL_TOKEN: update_token}]
    signed = sign_teep(h, ed_key, success, alg="Ed25519", name="success-ed")
    status, _ = forged.send(signed)
    check_equal(status, 400, "status of a Success signed with Ed25519")
    check("TK_ERR_TEEP_SUITE_MISMATCH" in w.tam.log(),
          "the TAM logs the suite mismatch")
    # The protocol expires a token after its first validly signed use, so
    # the properly signed Success now finds no outstanding request.
    status, _ = forged.send(forged.sign(forged.agent_key,
                                        cbor_encode(success)))
    check_equal(status, 409, "status of the Success after the mismatch")
    check_equal(w.tam_installed(), {}, "TAM installed state")
    check_equal(w.tam_reports(), [], "TAM reports")
    check_equal(w.audit_actions("update.success"), [],
                "audit entries of successful updates")
    w.run()
    w.check_installed(1)
    check_equal(w.tam_installed(), {COMPONENT_ID: 1},
                "TAM installed state after an honest session")


CASES = {
    "downgrade_query": case_downgrade_query,
    "downgrade_update": case_downgrade_update,
    "downgrade_tam": case_downgrade_tam,
}

if __name__ == "__main__":
    run_case(CASES, sys.argv)
