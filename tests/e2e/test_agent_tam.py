#!/usr/bin/env python3
"""End-to-end tests of teep-agent against `teepkit tam serve`.

Usage: test_agent_tam.py CASE (CTest runs one process per case). The
environment names the binaries: TK_CLI (teepkit), TK_AGENT (teep-agent),
and TK_E2E_WORK, the folder for the work folders of the cases.

Every case starts its own TAM on 127.0.0.1 with an ephemeral port and a
temporary SQLite file. It registers devices, components and policy with
the CLI and runs teep-agent processes. Then it checks both sides: the
agent's store folder, and the TAM's store through `teepkit tam device
show`, `reports` and `audit`.
"""

import json
import os
import re
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e import (  # noqa: E402
    Agent, CLASS_ID, COMPONENT_ID_JSON, COMPONENT_NAME,
    ERR_ATTESTATION_REQUIRED, ERR_MANIFEST_PROCESSING_FAILED,
    ERR_PERMANENT_ERROR, ERR_UNSUPPORTED_CIPHER_SUITES,
    ERR_UNSUPPORTED_FRESHNESS_MECHANISMS, ERR_UNSUPPORTED_MSG_VERSION, ERROR,
    EXIT_MANIFEST, EXIT_NEGOTIATION, EXIT_OK, EXIT_REJECTED, EXIT_TAM_ERROR,
    EXIT_TRANSPORT, Failure, LABEL_CHALLENGE, LABEL_FRESHNESS,
    LABEL_MANIFEST_LIST, LABEL_SUIT_REPORTS, LABEL_SUITES, LABEL_TOKEN,
    LABEL_VERSIONS, LOOPBACK, MockTam, Proxy, QUERY_REQUEST, QUERY_RESPONSE,
    REASON_CONDITION_FAILED, REASON_UNAUTHORISED, REPORT_NONCE,
    REPORT_RESULT, RESULT_CODE, RESULT_REASON, SUCCESS, Tam, Tag, UPDATE,
    VENDOR_ID, cbor_decode, cbor_encode, check, check_equal, http_post,
    make_component, make_signer, run_case, sha256_hex, teep_open)

PAYLOAD_V1 = b"trusted component, version 1\n"
PAYLOAD_V2 = b"trusted component, version 2 with more bytes\n"

# tk_err values reported in SUIT reports (include/teepkit/error/suit.def).
TK_ERR_SUIT_ROLLBACK = 143
TK_ERR_SUIT_ROLLBACK_DIGEST = 144
TK_ERR_SUIT_EXPIRED = 157
TK_ERR_SUIT_DELEGATION = 162


class Setup:
    """A TAM, a registered device and a signer, ready for a session."""

    def __init__(self, h, policy=True):
        self.h = h
        self.tam = Tam(h).start()
        self.agent = Agent(h)
        self.agent.register(self.tam)
        self.signer, self.signer_pub = make_signer(h, "author")
        self.v1 = make_component(h, "app-v1", 1, PAYLOAD_V1, self.signer)
        self.tam.cmd("component", "add", self.v1, "--signer", self.signer_pub,
                     "--name", "app")
        if policy:
            self.tam.cmd("policy", "set", "--device", self.agent.ueid,
                         "--component", "app")

    def run(self, agent=None, url=None, expect=EXIT_OK, env=None, extra=()):
        agent = agent or self.agent
        return agent.run(url or self.tam.url, self.tam.keys,
                         [self.signer_pub], extra=extra, env=env,
                         expect=expect)

    def add_version(self, name, sequence, payload):
        envelope = make_component(self.h, name, sequence, payload,
                                  self.signer)
        self.tam.cmd("component", "add", envelope, "--signer",
                     self.signer_pub, "--name", "app")
        return envelope


# ---------------------------------------------------------------------------
# Reading the TAM's state from the CLI
# ---------------------------------------------------------------------------

def section(text, title):
    """Returns the lines under a heading of `tam device show`, up to the
    next blank line, without the column header."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == title:
            body = []
            for row in lines[i + 1:]:
                if not row.strip():
                    break
                body.append(row)
            return body
    return []


def tam_installed(tam, ueid):
    """Returns [(sequence, component text)] that the TAM records."""
    rows = section(tam.cmd("device", "show", ueid), "installed components")
    result = []
    for row in rows:
        fields = row.split(None, 2)
        if fields and fields[0].isdigit():
            result.append((int(fields[0]), fields[2] if len(fields) > 2
                           else ""))
    return result


def tam_attestation(tam, ueid):
    """Returns {"verdict": ..., "reason": ...} of the latest attestation."""
    rows = section(tam.cmd("device", "show", ueid), "latest attestation")
    result = {}
    for row in rows:
        fields = row.split(None, 1)
        if len(fields) == 2:
            result[fields[0]] = fields[1].strip()
    return result


def tam_reports(tam, ueid):
    """Returns the rows of `tam reports --device` as lists of fields."""
    out = tam.cmd("reports", "--device", ueid)
    return [row.split() for row in out.splitlines()[1:] if row.strip()]


def tam_audit_actions(tam):
    """Returns the action column of every audit entry."""
    rows = []
    for row in tam.cmd("audit").splitlines():
        fields = row.split()
        if len(fields) >= 4 and fields[0].isdigit():
            rows.append(fields[3])
    return rows


def check_installed(s, sequence, payload, agent=None):
    """Checks that both sides record component version sequence."""
    agent = agent or s.agent
    found = agent.component()
    check(found is not None, f"{COMPONENT_NAME} is not in the agent store")
    image, meta = found
    check_equal(image, payload, "installed image")
    check_equal(meta["sequence-number"], sequence, "stored sequence number")
    check_equal(meta["image-digest"], sha256_hex(payload), "image digest")
    shown = agent.show()["components"]
    check_equal(len(shown), 1, "components listed by teep-agent show")
    check_equal(shown[0]["sequence"], sequence, "sequence shown")
    installed = tam_installed(s.tam, agent.ueid)
    check_equal([seq for seq, _ in installed], [sequence],
                "sequences the TAM records as installed")


def check_nothing_installed(s, agent=None):
    agent = agent or s.agent
    check_equal(agent.component_files(), [], "files in the component store")
    check_equal(tam_installed(s.tam, agent.ueid), [],
                "components the TAM records as installed")


# ---------------------------------------------------------------------------
# Install, update, delete
# ---------------------------------------------------------------------------

def case_install(h):
    s = Setup(h)
    proc = s.run()
    check("manifest processed: component " + COMPONENT_NAME + " sequence 1"
          in proc.stderr, "the agent log names the installed component")
    check_installed(s, 1, PAYLOAD_V1)
    check(os.path.exists(os.path.join(s.agent.store, "state.cbor")),
          "the agent saved its state")
    check_equal(tam_attestation(s.tam, s.agent.ueid).get("verdict"),
                "affirming", "attestation verdict")
    reports = tam_reports(s.tam, s.agent.ueid)
    check_equal(len(reports), 1, "SUIT reports stored by the TAM")
    check_equal(reports[0][4], "ok", "result of the stored report")
    check("update.success" in tam_audit_actions(s.tam),
          "the TAM audit log records the successful update")
    # A second session finds nothing to do and changes nothing.
    proc = s.run()
    check("processing a manifest" not in proc.stderr,
          "no manifest is sent for an installed component")
    check_installed(s, 1, PAYLOAD_V1)


def case_update(h):
    s = Setup(h)
    s.run()
    check_installed(s, 1, PAYLOAD_V1)
    s.add_version("app-v2", 2, PAYLOAD_V2)
    proc = s.run()
    check("sequence 2 installed" in proc.stderr,
          "the agent log names sequence 2")
    check_installed(s, 2, PAYLOAD_V2)
    check_equal(len(tam_reports(s.tam, s.agent.ueid)), 2,
                "SUIT reports stored by the TAM")


def case_legacy_algs(h):
    """An agent whose keys use the identifiers deployed before the
    algorithm registry changed (ES256 -7, EdDSA -8) works with the TAM,
    whichever of its keys the TAM registered."""
    s = Setup(h)
    for algs in (["ES256", "EdDSA"], ["EdDSA"]):
        name = "device-" + "-".join(algs).lower()
        init_args = []
        for alg in algs:
            init_args += ["--alg", alg]
        agent = Agent(h, name, init_args=init_args)
        check_equal([k["alg"] for k in agent.identity["agent-keys"]], algs,
                    "agent key algorithms")
        agent.register(s.tam)
        s.tam.cmd("policy", "set", "--device", agent.ueid, "--component",
                  "app")
        s.run(agent=agent)
        check_installed(s, 1, PAYLOAD_V1, agent=agent)


def case_no_attestation(h):
    """A TAM configured without attestation sends a QueryRequest without
    a challenge; the agent answers without evidence and still gets the
    component."""
    s = Setup(h)
    s.tam.stop()
    config = h.write("tam.conf", "require_attestation = false\n")
    s.tam.start("--config", config)
    proc = s.run()
    check("attestation evidence" not in proc.stderr,
          "the agent builds no evidence")
    check_installed(s, 1, PAYLOAD_V1)
    check_equal(tam_attestation(s.tam, s.agent.ueid), {},
                "attestations recorded by the TAM")


def case_delete(h):
    s = Setup(h)
    s.run()
    check_installed(s, 1, PAYLOAD_V1)
    s.tam.cmd("policy", "set", "--device", s.agent.ueid, "--component",
              "app", "--absent")
    proc = s.run()
    check("deleted" in proc.stderr, "the agent log records the deletion")
    check_nothing_installed(s)
    check_equal(s.agent.show()["components"], [], "components shown")
    check_equal(s.agent.store_files(), [COMPONENT_NAME + ".tomb"],
                "files after the delete")
    check_equal(s.agent.tombstone()["sequence-number"], 1,
                "sequence number of the tombstone")


def case_request(h):
    """RequestTA and UnrequestTA: with no policy rule for the component,
    the TAM installs it on request and deletes it when it is no longer
    needed (open_requests, the TAM's default)."""
    s = Setup(h, policy=False)
    s.run()
    check_nothing_installed(s)
    proc = s.run(extra=["--request", COMPONENT_NAME])
    check("1 requests pending" in proc.stderr, "the request is sent")
    check_installed(s, 1, PAYLOAD_V1)
    proc = s.run(extra=["--unrequest", json.dumps(COMPONENT_ID_JSON)])
    check("deleted" in proc.stderr, "the agent deletes the component")
    check_nothing_installed(s)
    # The hex form of the identifier names the same component.
    encoded = cbor_encode([b"TEEP-Device", b"SecureFS",
                           bytes.fromhex("8d82573a926d4754935332dc29997f74")])
    s.run(extra=["--request", "hex:" + encoded.hex()])
    check_installed(s, 1, PAYLOAD_V1)


# ---------------------------------------------------------------------------
# Attestation failures
# ---------------------------------------------------------------------------

def check_attestation_failed(s, proc, reason_part):
    check_equal(proc.returncode, EXIT_TAM_ERROR, "agent exit status")
    check(f"err-code {ERR_ATTESTATION_REQUIRED}" in proc.stderr,
          "the agent log records err-code 7 from the TAM")
    check_nothing_installed(s)
    verdict = tam_attestation(s.tam, s.agent.ueid)
    check(verdict.get("verdict") not in (None, "affirming"),
          f"attestation verdict is not affirming: {verdict}")
    check(reason_part in verdict.get("reason", ""),
          f"attestation reason contains {reason_part}: {verdict}")


def case_attest_wrong_key(h):
    s = Setup(h)
    other = h.path("other-attest.pem")
    h.teepkit("key", "generate", "--alg", "ES256", "-o", other)
    shutil.copyfile(other, os.path.join(s.agent.store, "attest.key"))
    proc = s.run(expect=None)
    check_attestation_failed(s, proc, "TK_ERR_EAT_UNKNOWN_KEY")


def case_attest_wrong_hwmodel(h):
    s = Setup(h)
    config = os.path.join(s.agent.store, "agent.json")
    with open(config) as f:
        text = f.read()
    text = text.replace(s.agent.identity["hwmodel"],
                        b"another-model".hex())
    with open(config, "w") as f:
        f.write(text)
    proc = s.run(expect=None)
    check_attestation_failed(s, proc, "TK_ERR_EAT_HWMODEL_UNKNOWN")


def case_attest_stale_nonce(h):
    s = Setup(h, policy=False)
    proxy = Proxy(h, s.tam.url)
    s.run(url=proxy.url)
    query = teep_open(proxy.exchanges[0][2])
    check_equal(query[0], QUERY_REQUEST, "first message of the TAM")
    stale = query[1][LABEL_CHALLENGE]
    s.tam.cmd("policy", "set", "--device", s.agent.ueid, "--component",
              "app")
    proc = s.run(expect=None, env={"TK_TEST_EVIDENCE_NONCE": stale.hex()})
    check_attestation_failed(s, proc, "TK_ERR_EAT_NONCE_MISMATCH")


# ---------------------------------------------------------------------------
# Replays and tokens
# ---------------------------------------------------------------------------

def curl_post(h, url, body_file):
    """POSTs a file with curl; returns (HTTP status, body length)."""
    out = h.path("curl.out")
    proc = h.run(["curl", "-sS", "-o", out, "-w", "%{http_code}", "-X",
                  "POST", "-H", "Content-Type: application/teep+cbor", "-H",
                  "Accept: application/teep+cbor", "--data-binary",
                  "@" + body_file, url])
    return int(proc.stdout.strip()), os.path.getsize(out)


def case_replay_to_tam(h):
    s = Setup(h)
    proxy = Proxy(h, s.tam.url)
    s.run(url=proxy.url)
    check_installed(s, 1, PAYLOAD_V1)
    check_equal([status for _, status, _ in proxy.exchanges],
                [200, 200, 204], "HTTP statuses of the session")
    actions = tam_audit_actions(s.tam)
    for index, kind in ((1, QUERY_RESPONSE), (2, SUCCESS)):
        body = proxy.exchanges[index][0]
        check_equal(teep_open(body)[0], kind, "captured message type")
        path = h.write(f"captured-{index}.cose", body)
        status, length = curl_post(h, s.tam.url, path)
        check_equal(status, 409, f"status of the replayed type {kind}")
        check_equal(length, 0, "body of the rejected replay")
    check_equal(tam_audit_actions(s.tam), actions,
                "audit entries after the replays")
    check_equal(len(tam_reports(s.tam, s.agent.ueid)), 1,
                "SUIT reports after the replays")
    check("TK_ERR_TEEP_TOKEN_UNKNOWN" in s.tam.log(),
          "the TAM logs the token rejection")
    # The TAM keeps serving.
    s.run()


def case_replay_to_agent(h):
    """An Update captured from a real session and sent again, after a fresh
    QueryRequest signed by the same TAM, is rejected as a replay."""
    s = Setup(h)
    proxy = Proxy(h, s.tam.url)
    s.run(url=proxy.url)
    update = proxy.exchanges[1][2]
    check_equal(teep_open(update)[0], UPDATE, "captured TAM message")
    image_before = s.agent.component()
    mock = MockTam(h, os.path.join(s.tam.key_dir, "tam-esp256.pem"))
    mock.update = lambda response: update
    proc = s.run(url=mock.url, expect=EXIT_REJECTED)
    check("TK_ERR_TEEP_UNEXPECTED_UPDATE" in proc.stderr,
          "the agent logs the replayed Update as unexpected")
    check_equal(len(mock.received), 2, "messages the agent sent the mock")
    error = teep_open(mock.received[1])
    check_equal(error[0], ERROR, "reply to the replayed Update")
    check_equal(error[2], ERR_PERMANENT_ERROR, "err-code of the Error")
    check_equal(s.agent.component(), image_before, "component after replay")


def case_wrong_token(h):
    """A QueryResponse whose token was issued by another TAM is
    rejected: the proxy sends the empty POST to TAM B and the agent's
    QueryResponse to TAM A."""
    s = Setup(h)
    other = Tam(h, "tam-b").start()
    s.agent.register(other)
    proxy = Proxy(h, s.tam.url,
                  route=lambda index, body: other.url if index == 0 else None)
    proc = s.agent.run(proxy.url, s.tam.keys + other.keys, [s.signer_pub],
                       expect=EXIT_TRANSPORT)
    check("status 409" in proc.stderr, "the agent logs HTTP 409")
    check_equal([status for _, status, _ in proxy.exchanges], [200, 409],
                "HTTP statuses seen by the proxy")
    check_nothing_installed(s)
    check_equal(tam_attestation(s.tam, s.agent.ueid), {},
                "attestations recorded by TAM A")
    check("TOKEN_UNKNOWN" in s.tam.log(), "TAM A logs the unknown token")


# ---------------------------------------------------------------------------
# Negotiation and message types
# ---------------------------------------------------------------------------

def protected_alg(message):
    """Returns the alg of a COSE_Sign1's protected header."""
    item = cbor_decode(message)
    item = item.value if isinstance(item, Tag) else item
    return cbor_decode(item[0])[1]


def case_unsupported_suite(h):
    s = Setup(h)
    mock = MockTam(h, os.path.join(s.tam.key_dir, "tam-esp256.pem"))
    mock.query = lambda: [QUERY_REQUEST, {LABEL_TOKEN: b"\x11" * 16},
                          [[[18, -35]]], [[-16, -9, -29, -65534]], 3]
    proc = s.run(url=mock.url, expect=EXIT_NEGOTIATION)
    check_equal(len(mock.received), 1, "messages the agent sent")
    error = teep_open(mock.received[0])
    check_equal(error[0], ERROR, "reply to the QueryRequest")
    check_equal(error[2], ERR_UNSUPPORTED_CIPHER_SUITES, "err-code")
    check_equal(error[1].get(LABEL_SUITES), [[[18, -9]], [[18, -19]]],
                "the agent's suites in the Error")
    check(protected_alg(mock.received[0]) in (-9, -19),
          "the Error is signed with a mandatory suite")
    check("err-code 5" in proc.stderr, "the agent logs err-code 5")
    # The TAM offers both mandatory suites, so the same agent succeeds.
    s.run()
    check_installed(s, 1, PAYLOAD_V1)


def case_negotiation(h):
    """QueryRequests with no common version or freshness mechanism get the
    agent's Error with its supported values, signed with a mandatory
    suite; the agent's state stays usable for a real session."""
    s = Setup(h)
    mock = MockTam(h, os.path.join(s.tam.key_dir, "tam-esp256.pem"))
    suites = [[[18, -9]], [[18, -19]]]
    profiles = [[-16, -9, -29, -65534]]
    cases = [
        ("version 99", {LABEL_VERSIONS: [99]}, ERR_UNSUPPORTED_MSG_VERSION,
         LABEL_VERSIONS, [0]),
        ("freshness 7", {LABEL_FRESHNESS: [7]},
         ERR_UNSUPPORTED_FRESHNESS_MECHANISMS, LABEL_FRESHNESS, [0]),
    ]
    for name, options, err_code, label, supported in cases:
        mock.received.clear()
        message = [QUERY_REQUEST, {LABEL_TOKEN: b"\x22" * 16, **options},
                   suites, profiles, 3]
        mock.query = lambda message=message: message
        proc = s.run(url=mock.url, expect=EXIT_NEGOTIATION)
        check_equal(len(mock.received), 1, f"replies to {name}")
        error = teep_open(mock.received[0])
        check_equal(error[0], ERROR, f"reply type to {name}")
        check_equal(error[2], err_code, f"err-code for {name}")
        check_equal(error[1].get(label), supported,
                    f"supported values in the Error for {name}")
        check(protected_alg(mock.received[0]) in (-9, -19),
              f"the Error for {name} is signed with a mandatory suite")
        check(f"err-code {err_code}" in proc.stderr,
              f"the agent logs err-code {err_code}")
    check_nothing_installed(s)
    s.run()
    check_installed(s, 1, PAYLOAD_V1)


def case_tamproto_quirks(h):
    """What tamproto does (docs/teep.md): replies typed
    application/teep+cose, which the agent accepts only with
    --accept-teep-cose, and a QueryRequest without a token, which the agent
    answers without one."""
    s = Setup(h)
    mock = MockTam(h, os.path.join(s.tam.key_dir, "tam-esp256.pem"))
    mock.content_type = "application/teep+cose"
    mock.query = lambda: [QUERY_REQUEST, {LABEL_CHALLENGE: b"\x33" * 32},
                          [[[18, -7]]], [[-16, -7]], 3]
    proc = s.run(url=mock.url, expect=EXIT_TRANSPORT)
    check("TK_ERR_NET_CONTENT_TYPE" in proc.stderr,
          "the agent rejects the content type without the option")
    check_equal(mock.received, [], "messages sent without the option")
    s.run(url=mock.url, extra=["--accept-teep-cose"])
    check_equal(len(mock.received), 1, "messages sent with the option")
    response = teep_open(mock.received[0])
    check_equal(response[0], QUERY_RESPONSE, "reply to the QueryRequest")
    check(LABEL_TOKEN not in response[1], "the reply carries no token")
    check_equal(protected_alg(mock.received[0]), -7,
                "the reply uses the only suite offered, ES256")


def case_unknown_type_agent(h):
    s = Setup(h)
    mock = MockTam(h, os.path.join(s.tam.key_dir, "tam-esp256.pem"))
    token = bytes(range(1, 9))
    cases = [
        ("type 4", [4, {LABEL_TOKEN: token}], token),
        ("type 99", [99, {}], None),
        ("QueryResponse", [QUERY_RESPONSE, {LABEL_TOKEN: token}], token),
        ("bare array", [], None),
    ]
    for name, message, echoed in cases:
        mock.received.clear()
        mock.query = lambda message=message: message
        s.run(url=mock.url, expect=EXIT_REJECTED)
        check_equal(len(mock.received), 1, f"replies to {name}")
        error = teep_open(mock.received[0])
        check_equal(error[0], ERROR, f"reply type to {name}")
        check_equal(error[2], ERR_PERMANENT_ERROR, f"err-code for {name}")
        check_equal(error[1].get(LABEL_TOKEN), echoed,
                    f"token echoed for {name}")
    check_nothing_installed(s)
    s.run()
    check_installed(s, 1, PAYLOAD_V1)


def case_unknown_type_tam(h):
    """The TAM rejects a signed message of unknown type or direction and
    keeps serving."""
    s = Setup(h)
    test_key = h.path("test-agent.cose")
    h.teepkit("key", "generate", "--alg", "ES256", "-o",
              h.path("test-agent.pem"), "--cose", test_key, "--kid",
              "e2e-test-key")
    h.teepkit("key", "public", test_key, "-o", h.path("test-agent.pub"),
              "--cose", h.path("test-agent.pub.cose"))
    other = Agent(h, "device-2")
    s.tam.cmd("device", "add", "--id", other.ueid, "--agent-key",
              h.path("test-agent.pub.cose"))
    token = bytes(range(1, 17))
    for name, message in (
            ("type 4", [4, {LABEL_TOKEN: token}]),
            ("QueryRequest", [QUERY_REQUEST, {LABEL_TOKEN: token},
                              [[[18, -9]]], [[-16, -9, -29, -65534]], 3])):
        payload = h.write("payload.cbor", cbor_encode(message))
        signed = h.path("signed.cose")
        h.teepkit("cose", "sign1", "--key", test_key, "--alg", "ESP256",
                  "--payload", payload, "-o", signed)
        status, length = curl_post(h, s.tam.url, signed)
        check_equal(status, 400, f"status for a {name}")
        check_equal(length, 0, f"body for a {name}")
    s.run()
    check_installed(s, 1, PAYLOAD_V1)


# ---------------------------------------------------------------------------
# Manifests
# ---------------------------------------------------------------------------

def check_error_report(message, token, reason, code=None):
    """Checks an agent Error with err-code 17 and one SUIT report."""
    error = teep_open(message)
    check_equal(error[0], ERROR, "agent reply type")
    check_equal(error[2], ERR_MANIFEST_PROCESSING_FAILED, "err-code")
    reports = error[1].get(LABEL_SUIT_REPORTS, [])
    check_equal(len(reports), 1, "SUIT reports in the Error")
    report = cbor_decode(reports[0])
    check_equal(report.get(REPORT_NONCE), token, "report nonce")
    result = report.get(REPORT_RESULT)
    check(isinstance(result, dict), f"report result is a failure: {result}")
    check_equal(result.get(RESULT_REASON), reason, "report reason")
    if code is not None:
        check_equal(result.get(RESULT_CODE), code, "report result code")


def case_bad_signature(h):
    s = Setup(h, policy=False)
    evil, evil_pub = make_signer(h, "evil")
    forged = make_component(h, "forged", 7, b"forged image\n", evil,
                            component_id=["TEEP-Device", "Forged"])
    s.tam.cmd("component", "add", forged, "--signer", evil_pub, "--name",
              "forged")
    s.tam.cmd("policy", "set", "--device", s.agent.ueid, "--component",
              "forged")
    proxy = Proxy(h, s.tam.url)
    proc = s.run(url=proxy.url, expect=EXIT_MANIFEST)
    check("manifest rejected" in proc.stderr, "the agent logs the rejection")
    update = teep_open(proxy.exchanges[1][2])
    check_error_report(proxy.exchanges[2][0], update[1][LABEL_TOKEN],
                       REASON_UNAUTHORISED)
    check_nothing_installed(s)
    reports = tam_reports(s.tam, s.agent.ueid)
    check_equal(len(reports), 1, "SUIT reports stored by the TAM")
    check(reports[0][4] != "ok", f"stored report is a failure: {reports}")


def mock_update(manifests):
    """Returns an update() for MockTam that sends manifests."""
    def update(response):
        return [UPDATE, {LABEL_TOKEN: os.urandom(16),
                         LABEL_MANIFEST_LIST: manifests}]
    return update


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rollback_setup(h):
    """Installs sequence 5 through the real TAM; returns the setup, the
    mock TAM and the sequence-4 envelope."""
    s = Setup(h, policy=False)
    v5 = s.add_version("app-v5", 5, PAYLOAD_V2)
    s.tam.cmd("policy", "set", "--device", s.agent.ueid, "--component",
              "app")
    s.run()
    check_installed(s, 5, PAYLOAD_V2)
    v4 = make_component(h, "app-v4", 4, b"older version 4\n", s.signer)
    mock = MockTam(h, os.path.join(s.tam.key_dir, "tam-esp256.pem"))
    return s, mock, v4, v5


def expect_rollback_rejected(s, mock, envelope, code):
    """Sends envelope through the mock and checks the rejection."""
    mock.received.clear()
    mock.replies.clear()
    mock.update = mock_update([read(envelope)])
    s.run(url=mock.url, expect=EXIT_MANIFEST)
    token = teep_open(mock.replies[1])[1][LABEL_TOKEN]
    check_error_report(mock.received[1], token, REASON_CONDITION_FAILED, code)
    image, meta = s.agent.component()
    check_equal(meta["sequence-number"], 5, "stored sequence number")
    check_equal(image, PAYLOAD_V2, "component bytes")


def case_rollback_direct(h):
    s, mock, v4, v5 = rollback_setup(h)
    expect_rollback_rejected(s, mock, v4, TK_ERR_SUIT_ROLLBACK)
    # Equal sequence number, different manifest.
    other5 = make_component(h, "app-other5", 5, b"another 5\n", s.signer)
    expect_rollback_rejected(s, mock, other5, TK_ERR_SUIT_ROLLBACK_DIGEST)
    # The same manifest again is not a rollback.
    mock.update = mock_update([read(v5)])
    s.run(url=mock.url)
    check_installed(s, 5, PAYLOAD_V2)


def manifest_digest(envelope_path):
    """Returns the SUIT_Digest bytes in an envelope's authentication
    wrapper: what condition-image-match checks for a dependency
    (draft-ietf-suit-trust-domains-11)."""
    envelope = cbor_decode(read(envelope_path))
    envelope = envelope.value if isinstance(envelope, Tag) else envelope
    wrapper = cbor_decode(envelope[2])
    return cbor_decode(wrapper[0])[1]


def case_rollback_dependency(h):
    s, mock, v4, _ = rollback_setup(h)
    spec = {
        "manifest-sequence-number": 10,
        "components": [["e2e-parent"]],
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
                                 "digest-bytes": manifest_digest(v4).hex()},
                "image-size": {"file": os.path.basename(v4)},
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
            "#dep.suit": {"file": os.path.basename(v4)}},
    }
    spec_file = h.write("parent.json", json.dumps(spec, indent=2))
    parent = h.path("parent.suit")
    h.teepkit("suit", "create", spec_file, "-o", parent, "--key", s.signer)
    mock.update = mock_update([read(parent)])
    s.run(url=mock.url, expect=EXIT_MANIFEST)
    token = teep_open(mock.replies[1])[1][LABEL_TOKEN]
    check_error_report(mock.received[1], token, REASON_CONDITION_FAILED,
                       TK_ERR_SUIT_ROLLBACK)
    image, meta = s.agent.component()
    check_equal(meta["sequence-number"], 5, "stored sequence number")
    check_equal(image, PAYLOAD_V2, "component bytes")
    check_equal(s.agent.component_files(),
                [COMPONENT_NAME + ".img", COMPONENT_NAME + ".meta"],
                "nothing of the parent was installed")


def case_rollback_after_failure(h):
    s, mock, v4, _ = rollback_setup(h)
    v6 = s.add_version("app-v6", 6, b"version 6\n")
    proc = s.run(expect=None, env={"TK_TEST_CRASH_AT": "after-write"})
    check_equal(proc.returncode, -9, "agent killed during the install")
    image, meta = s.agent.component()
    check_equal(meta["sequence-number"], 5, "sequence after the crash")
    check(os.path.exists(v6), "the version 6 envelope exists")
    expect_rollback_rejected(s, mock, v4, TK_ERR_SUIT_ROLLBACK)


def case_rollback_after_delete(h):
    """A deleted component keeps its sequence number in a tombstone. An
    older manifest, or another one with the same number, does not install
    it again, and a newer one does. case_request installs the very
    manifest that was deleted again."""
    s, mock, v4, v5 = rollback_setup(h)
    s.tam.cmd("policy", "set", "--device", s.agent.ueid, "--component",
              "app", "--absent")
    proc = s.run()
    check("deleted" in proc.stderr, "the agent log records the deletion")
    check_equal(s.agent.component_files(), [], "component files after the "
                "delete")
    check_equal(s.agent.tombstone()["sequence-number"], 5,
                "sequence number of the tombstone")

    other5 = make_component(h, "app-other5", 5, b"another 5\n", s.signer)
    for envelope, what, code in (
            (v4, "sequence 4", TK_ERR_SUIT_ROLLBACK),
            (other5, "another sequence 5", TK_ERR_SUIT_ROLLBACK_DIGEST)):
        mock.received.clear()
        mock.replies.clear()
        mock.update = mock_update([read(envelope)])
        proc = s.run(url=mock.url, expect=EXIT_MANIFEST)
        token = teep_open(mock.replies[1])[1][LABEL_TOKEN]
        check_error_report(mock.received[1], token, REASON_CONDITION_FAILED,
                           code)
        check_equal(s.agent.store_files(), [COMPONENT_NAME + ".tomb"],
                    f"files after {what} was rejected")
        check("rollback rejected" in proc.stderr,
              f"the agent log names the rollback of {what}")

    v6 = make_component(h, "app-v6", 6, b"version 6\n", s.signer)
    mock.update = mock_update([read(v6)])
    s.run(url=mock.url)
    image, meta = s.agent.component()
    check_equal((image, meta["sequence-number"]), (b"version 6\n", 6),
                "component after sequence 6")


# ---------------------------------------------------------------------------
# Delegation chains
# ---------------------------------------------------------------------------

def make_delegated(h, name, sequence, payload, anchor, delegate):
    """Writes an envelope signed by delegate under a one-link delegation
    chain (suit-delegation, draft-ietf-suit-trust-domains-11): a CWT that
    anchor signs and whose cnf claim (RFC 8747) is delegate's public key.
    Returns the envelope bytes."""
    cose_key = h.path(f"{name}-delegate.cose")
    h.teepkit("key", "public", delegate, "-o", h.path(f"{name}-delegate.pub"),
              "--cose", cose_key)
    # Claims {1 (iss): "e2e-author", 8 (cnf): {1 (COSE_Key): key}}, built
    # around the encoded key.
    claims = (b"\xa2" + cbor_encode(1) + cbor_encode("e2e-author") +
              cbor_encode(8) + b"\xa1" + cbor_encode(1) + read(cose_key))
    claims_file = h.write(f"{name}-cwt-claims.cbor", claims)
    cwt_file = h.path(f"{name}-cwt.cose")
    h.teepkit("cose", "sign1", "--key", anchor, "--alg", "ES256",
              "--payload", claims_file, "-o", cwt_file)
    envelope = cbor_decode(read(make_component(h, name, sequence, payload,
                                               delegate)))
    check(isinstance(envelope, Tag) and envelope.number == 107,
          "the envelope carries tag 107")
    envelope.value[1] = cbor_encode([[read(cwt_file)]])
    return cbor_encode(envelope)


def case_delegation(h):
    """A manifest signed by a key that a delegation chain vouches for
    installs when the chain's anchor is a --delegation-anchor of the
    agent. Without an anchor, with another one, or with the anchor given
    as a --signer-key, the manifest is rejected as unauthorised and
    nothing is written."""
    s = Setup(h, policy=False)
    anchor, anchor_pub = make_signer(h, "anchor")
    delegate, _ = make_signer(h, "delegate")
    _, other_pub = make_signer(h, "other-anchor")
    envelope = make_delegated(h, "app-delegated", 3, PAYLOAD_V2, anchor,
                              delegate)
    mock = MockTam(h, os.path.join(s.tam.key_dir, "tam-esp256.pem"))
    mock.update = mock_update([envelope])
    rejected = (
        ("no anchor", [s.signer_pub], []),
        ("another anchor", [s.signer_pub],
         ["--delegation-anchor", other_pub]),
        ("the anchor as a signer key", [anchor_pub], []),
    )
    for what, signers, extra in rejected:
        mock.received.clear()
        mock.replies.clear()
        s.agent.run(mock.url, s.tam.keys, signers, extra=extra,
                    expect=EXIT_MANIFEST)
        token = teep_open(mock.replies[1])[1][LABEL_TOKEN]
        check_error_report(mock.received[1], token, REASON_UNAUTHORISED,
                           TK_ERR_SUIT_DELEGATION)
        check_equal(s.agent.store_files(), [],
                    f"files in the component store with {what}")

    mock.received.clear()
    mock.replies.clear()
    proc = s.run(url=mock.url, extra=["--delegation-anchor", anchor_pub])
    check("sequence 3 installed" in proc.stderr,
          "the agent log names the delegated manifest")
    image, meta = s.agent.component()
    check_equal((image, meta["sequence-number"]), (PAYLOAD_V2, 3),
                "component installed under the delegation")
    check_equal(teep_open(mock.received[1])[0], SUCCESS,
                "the agent replies with a Success")

# ---------------------------------------------------------------------------
# Crash safety
# ---------------------------------------------------------------------------

def case_encrypted(h):
    """A payload encrypted with A128GCM whose content key is wrapped with
    an AES-KW key of the device (draft-ietf-suit-firmware-encryption-24):
    the agent with --decrypt-key installs the plaintext, the agent without
    it rejects the manifest and installs nothing."""
    s = Setup(h, policy=False)
    kek = h.write("kek.hex", os.urandom(16).hex() + "\n")
    plain = h.write("secret.bin", b"confidential trusted component\n")
    h.teepkit("suit", "encrypt", "--recipient", kek, "--payload", plain,
              "-o", h.path("secret.enc"), "--info", h.path("secret.info"))
    spec = {
        "manifest-sequence-number": 3,
        "components": [["TEEP-Device", "Secret"], ["e2e-staging"]],
        "shared-sequence": [
            {"directive-set-component-index": 0},
            {"directive-override-parameters": {
                "vendor-id": VENDOR_ID, "class-id": CLASS_ID}},
            {"condition-vendor-identifier": 15},
            {"condition-class-identifier": 15}],
        "install": [
            {"directive-set-component-index": 1},
            {"directive-override-parameters": {"uri": "#secret"}},
            {"directive-fetch": 15},
            {"directive-set-component-index": 0},
            {"directive-override-parameters": {
                "encryption-info": {"file": "secret.info"},
                "source-component": 1,
                "image-digest": {"file": "secret.bin"},
                "image-size": {"file": "secret.bin"}}},
            {"directive-copy": 15},
            {"condition-image-match": 15}],
        "integrated-payloads": {"#secret": {"file": "secret.enc"}},
    }
    spec_file = h.write("secret.json", json.dumps(spec, indent=2))
    envelope = h.path("secret.suit")
    h.teepkit("suit", "create", spec_file, "-o", envelope, "--key", s.signer)
    s.tam.cmd("component", "add", envelope, "--signer", s.signer_pub,
              "--name", "secret")
    s.tam.cmd("policy", "set", "--device", s.agent.ueid, "--component",
              "secret")
    proc = s.run(expect=EXIT_MANIFEST)
    check("TK_ERR_SUIT_DECRYPT" in proc.stderr,
          "without the key the agent cannot unwrap the content key")
    check_equal(s.agent.component_files(), [], "store without the key")
    s.run(extra=["--decrypt-key", kek])
    image, meta = s.agent.component("c_sTEEP-Device_sSecret")
    check_equal(image, read(plain), "decrypted image")
    check_equal(meta["sequence-number"], 3, "stored sequence number")
    check_equal([seq for seq, _ in tam_installed(s.tam, s.agent.ueid)],
                [3], "sequences the TAM records")


# ---------------------------------------------------------------------------
# Transports and long-running agents
# ---------------------------------------------------------------------------

def case_coap(h):
    """A whole session over CoAP (UDP on 127.0.0.1)."""
    s = Setup(h)
    s.tam.stop()
    s.tam.start("--coap", f"{LOOPBACK}:0")
    match = re.search(r"coap=127\.0\.0\.1:(\d+)", s.tam.log())
    check(match is not None, "the TAM logs its CoAP port")
    url = f"coap://{LOOPBACK}:{match.group(1)}/tam"
    proc = s.run(url=url)
    check("the TAM ended the session" in proc.stderr,
          "the session ends with an empty CoAP reply")
    check_installed(s, 1, PAYLOAD_V1)


def wait_for(what, condition, timeout=60):
    """Polls condition() every 0.2 s until it is true."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise Failure(f"timed out after {timeout} s waiting for {what}")


def installed_sequence(agent):
    found = agent.component()
    return found[1]["sequence-number"] if found else None


def case_daemon(h):
    """--daemon runs a session every interval, so policy changes reach the
    device without a restart; SIGTERM stops it with status 0. A one-off
    run on the same store waits for the daemon's lock."""
    s = Setup(h)
    args = [h.agent_bin, "--tam", s.tam.url, "--store", s.agent.store,
            "--daemon", "--interval", "1"]
    for key in s.tam.keys:
        args += ["--tam-key", key]
    args += ["--signer-key", s.signer_pub]
    daemon = h.start(args, "daemon.log")
    wait_for("version 1", lambda: installed_sequence(s.agent) == 1)
    s.add_version("app-v2", 2, PAYLOAD_V2)
    wait_for("version 2", lambda: installed_sequence(s.agent) == 2)
    s.run()
    s.tam.cmd("policy", "set", "--device", s.agent.ueid, "--component",
              "app", "--absent")
    wait_for("the deletion", lambda: s.agent.component() is None)
    check(daemon.poll() is None, "the daemon is still running")
    daemon.send_signal(signal.SIGTERM)
    check_equal(daemon.wait(timeout=60), 0, "daemon exit status")
    check("stopped by a signal" in h.read_log("daemon.log"),
          "the daemon logs its stop")
    check_nothing_installed(s)
    successes = tam_audit_actions(s.tam).count("update.success")
    check(successes >= 3, f"updates recorded by the TAM: {successes}")


# ---------------------------------------------------------------------------
# Retries and the test clock
# ---------------------------------------------------------------------------

class FaultProxy:
    """An HTTP server on 127.0.0.1 in front of a TAM that plays a fault on
    chosen requests, numbered from 0 in arrival order:
      "drop"        close the connection without a reply; the TAM gets
                    nothing
      "lose-reply"  forward the request, then close the connection
                    without the TAM's reply
      a number      reply with that status and no body; the TAM gets
                    nothing
      (status, {field: value})  the same with these header fields
    and forwards every other request. It records (request, status) with
    status None for a closed connection."""

    def __init__(self, harness, target, faults):
        import http.server
        import threading
        self.target = target
        self.faults = faults
        self.exchanges = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                fault = proxy.faults.get(len(proxy.exchanges))
                if fault == "drop":
                    proxy.exchanges.append((body, None))
                    self.close_connection = True
                    return
                fields = {}
                if isinstance(fault, tuple):
                    fault, fields = fault
                if isinstance(fault, int):
                    proxy.exchanges.append((body, fault))
                    self.send_response(fault)
                    for name, value in fields.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, headers, reply = http_post(proxy.target, body)
                if fault == "lose-reply":
                    proxy.exchanges.append((body, None))
                    self.close_connection = True
                    return
                proxy.exchanges.append((body, status))
                self.send_response(status)
                ctype = headers.get("Content-Type")
                if reply and ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()
        harness.servers.append(self.server)

    @property
    def url(self):
        return f"http://{LOOPBACK}:{self.server.server_address[1]}/tam"


def case_retry(h):
    """The agent sends a message again after a dropped connection and a
    503, and takes the TAM's 409 to a Success whose first copy the TAM
    recorded (its reply was lost) as the end of the session. Another
    status is final, and --retries 0 turns retrying off."""
    s = Setup(h)
    proxy = FaultProxy(h, s.tam.url, {1: "drop", 2: 503, 4: "lose-reply"})
    proc = s.run(url=proxy.url)
    check_installed(s, 1, PAYLOAD_V1)
    bodies = [body for body, _ in proxy.exchanges]
    check_equal([status for _, status in proxy.exchanges],
                [200, None, 503, 200, None, 409],
                "statuses of the exchanges")
    check_equal(teep_open(bodies[1])[0], QUERY_RESPONSE, "message 1")
    check(bodies[2] == bodies[1] and bodies[3] == bodies[1],
          "the QueryResponse is sent again byte for byte")
    check_equal(teep_open(bodies[4])[0], SUCCESS, "message 4")
    check_equal(bodies[5], bodies[4], "the Success sent again")
    for line in ["sending QueryResponse again in 1000 ms (retry 1 of 3)",
                 "TK_ERR_NET_PROTOCOL",
                 "sending QueryResponse again in 2000 ms (retry 2 of 3)",
                 "sending Success again in 1000 ms (retry 1 of 3)",
                 "it had recorded an earlier copy"]:
        check(line in proc.stderr, f"the agent logs '{line}'")
    check_equal(len(tam_reports(s.tam, s.agent.ueid)), 1,
                "SUIT reports stored by the TAM")
    check_equal(tam_audit_actions(s.tam).count("update.success"), 1,
                "update.success entries")

    # A 500 is final, and so is every failure with --retries 0.
    s.add_version("app-v2", 2, PAYLOAD_V2)
    proxy = FaultProxy(h, s.tam.url, {1: 500})
    proc = s.run(url=proxy.url, expect=EXIT_TRANSPORT)
    check_equal(len(proxy.exchanges), 2, "exchanges after a 500")
    check("again in" not in proc.stderr, "no retry after a 500")
    proxy = FaultProxy(h, s.tam.url, {1: 503})
    s.run(url=proxy.url, expect=EXIT_TRANSPORT, extra=["--retries", "0"])
    check_equal(len(proxy.exchanges), 2, "exchanges with --retries 0")
    check_installed(s, 1, PAYLOAD_V1)
    s.run()
    check_installed(s, 2, PAYLOAD_V2)
    proc = s.run(expect=2, extra=["--retries", "11"])
    check("--retries needs a whole number from 0 to 10" in proc.stderr,
          "the agent rejects --retries 11")


def case_retry_after(h):
    """A 503 with Retry-After: 1 makes the real agent wait one second
    before it sends the message again, and a malformed Retry-After leaves
    its own delay, which doubled meanwhile. The retries stay within the
    limit and the session installs."""
    s = Setup(h)
    proxy = FaultProxy(h, s.tam.url, {1: (503, {"Retry-After": "1"}),
                                      2: (503, {"Retry-After": "soon"})})
    proc = s.run(url=proxy.url)
    check_installed(s, 1, PAYLOAD_V1)
    check_equal([status for _, status in proxy.exchanges],
                [200, 503, 503, 200, 204], "statuses of the exchanges")
    for line in ["sending QueryResponse again in 1000 ms as the TAM asked "
                 "(retry 1 of 3)",
                 "ignoring a Retry-After field",
                 "sending QueryResponse again in 2000 ms (retry 2 of 3)"]:
        check(line in proc.stderr, f"the agent logs '{line}'")
    check_equal(proc.stderr.count("as the TAM asked"), 1,
                "pauses that the TAM set")


def make_use_before(h, name, payload, signer, use_before):
    """Writes an envelope like make_component() whose shared sequence
    requires suit-condition-use-before with use_before
    (draft-ietf-suit-update-management-14 section 3.6)."""
    payload_file = h.write(f"{name}.bin", payload)
    base = os.path.basename(payload_file)
    spec = {
        "manifest-sequence-number": 1,
        "components": [COMPONENT_ID_JSON],
        "shared-sequence": [
            {"directive-override-parameters": {
                "vendor-id": VENDOR_ID, "class-id": CLASS_ID,
                "image-digest": {"file": base}, "image-size": {"file": base},
                "use-before": use_before}},
            {"condition-vendor-identifier": 15},
            {"condition-class-identifier": 15},
            {"condition-use-before": 15}],
        "install": [
            {"directive-override-parameters": {"content": {"file": base}}},
            {"directive-write": 15},
            {"condition-image-match": 15}],
        "validate": [{"condition-image-match": 15}],
    }
    spec_file = h.write(f"{name}.json", json.dumps(spec, indent=2))
    envelope = h.path(f"{name}.suit")
    h.teepkit("suit", "create", spec_file, "-o", envelope, "--key", signer)
    return envelope


def case_clock_offset(h):
    """The component store's clock follows TK_TEST_CLOCK_OFFSET: a manifest
    usable for one more day is refused by an agent whose clock runs two
    days ahead (TK_ERR_SUIT_EXPIRED) and installed by one without the
    offset."""
    s = Setup(h, policy=False)
    envelope = make_use_before(h, "expiring", PAYLOAD_V1, s.signer,
                               int(time.time()) + 86400)
    mock = MockTam(h, os.path.join(s.tam.key_dir, "tam-esp256.pem"))
    mock.update = mock_update([read(envelope)])
    proc = s.run(url=mock.url, expect=EXIT_MANIFEST,
                 env={"TK_TEST_CLOCK_OFFSET": str(2 * 86400)})
    check("the clock runs 172800 seconds ahead" in proc.stderr,
          "the agent warns about the clock hook")
    token = teep_open(mock.replies[1])[1][LABEL_TOKEN]
    check_error_report(mock.received[1], token, REASON_CONDITION_FAILED,
                       TK_ERR_SUIT_EXPIRED)
    check_equal(s.agent.component_files(), [], "files in the store")
    mock.received.clear()
    mock.replies.clear()
    s.run(url=mock.url)
    check_equal(teep_open(mock.received[1])[0], SUCCESS, "reply to the "
                "Update without the offset")
    image, meta = s.agent.component()
    check_equal(image, PAYLOAD_V1, "installed image")
    check_equal(meta["sequence-number"], 1, "stored sequence number")


# Commit steps of the component store (docs/suit.md): a crash at one of
# the first three leaves every component old, at the others every one new.
CRASH_STEPS_OLD = ["after-write", "after-fsync", "before-rename"]
CRASH_STEPS_NEW = ["after-journal", "after-rename", "after-metadata",
                   "between-renames", "after-apply"]
HELPER_ID = ["TEEP-Device", "Helper"]
HELPER_NAME = "c_sTEEP-Device_sHelper"
HELPER_PAYLOAD = b"helper component of version 2\n"


def make_two_components(h, signer):
    """Writes a sequence-2 manifest that updates the test component to
    PAYLOAD_V2 and installs a second component, HELPER_ID, in one
    procedure."""
    h.write("v2.bin", PAYLOAD_V2)
    h.write("helper.bin", HELPER_PAYLOAD)
    install = []
    for index, payload in ((0, "v2.bin"), (1, "helper.bin")):
        install += [
            {"directive-set-component-index": index},
            {"directive-override-parameters": {
                "image-digest": {"file": payload},
                "image-size": {"file": payload},
                "content": {"file": payload}}},
            {"directive-write": 15},
            {"condition-image-match": 15}]
    spec = {
        "manifest-sequence-number": 2,
        "components": [COMPONENT_ID_JSON, HELPER_ID],
        "shared-sequence": [
            {"directive-set-component-index": True},
            {"directive-override-parameters": {
                "vendor-id": VENDOR_ID, "class-id": CLASS_ID}},
            {"condition-vendor-identifier": 15},
            {"condition-class-identifier": 15}],
        "install": install,
    }
    spec_file = h.write("two.json", json.dumps(spec, indent=2))
    envelope = h.path("two.suit")
    h.teepkit("suit", "create", spec_file, "-o", envelope, "--key", signer)
    return envelope


def check_crash_state(agent, step):
    """Checks that a store killed at step contains one whole version of
    the procedure: every component old or every component new."""
    shown = agent.show()["components"]
    image, meta = agent.component()
    helper = agent.component(HELPER_NAME)
    if step in CRASH_STEPS_OLD:
        check_equal(len(shown), 1, f"components after a crash at {step}")
        check_equal(image, PAYLOAD_V1, f"image after {step}")
        check_equal(meta["sequence-number"], 1, f"sequence after {step}")
        check_equal(helper, None, f"helper component after {step}")
    else:
        check_equal(len(shown), 2, f"components after a crash at {step}")
        check_equal(image, PAYLOAD_V2, f"image after {step}")
        check_equal(meta["sequence-number"], 2, f"sequence after {step}")
        check(helper is not None, f"helper component after {step}")
        check_equal(helper[0], HELPER_PAYLOAD, f"helper image after {step}")
    check_equal(meta["image-digest"], sha256_hex(image),
                f"metadata digest after {step}")
    leftovers = [f for f in agent.component_files()
                 if f.endswith(".new") or f.endswith(".journal")]
    check_equal(leftovers, [], f"temporary files after {step}")


def case_crash_install(h):
    """The agent is killed at each commit step of a procedure that updates
    one component and installs another. Each store then contains every
    component old or every one new, and the next session ends with the
    new version on both sides."""
    s = Setup(h)
    devices = []
    for step in CRASH_STEPS_OLD + CRASH_STEPS_NEW:
        agent = Agent(h, "device-" + step)
        agent.register(s.tam)
        s.tam.cmd("policy", "set", "--device", agent.ueid, "--component",
                  "app")
        s.run(agent=agent)
        devices.append((step, agent))
    envelope = make_two_components(h, s.signer)
    s.tam.cmd("component", "add", envelope, "--signer", s.signer_pub,
              "--name", "app")
    for step, agent in devices:
        proc = s.run(agent=agent, expect=None,
                     env={"TK_TEST_CRASH_AT": step})
        check_equal(proc.returncode, -9, f"agent killed at {step}")
        # Opening the store completes or discards the interrupted commit.
        check_crash_state(agent, step)
        s.run(agent=agent)
        image, meta = agent.component()
        check_equal((image, meta["sequence-number"]), (PAYLOAD_V2, 2),
                    f"component after the session that follows {step}")
        check_equal(agent.component(HELPER_NAME)[0], HELPER_PAYLOAD,
                    f"helper after the session that follows {step}")
        # The TAM records what the reports or the tc-list name: the test
        # component, and also the helper when the tc-list listed it.
        recorded = tam_installed(s.tam, agent.ueid)
        check(len(recorded) in (1, 2), f"TAM records after {step}")
        check_equal({seq for seq, _ in recorded}, {2},
                    f"sequences the TAM records after {step}")


# ---------------------------------------------------------------------------
# Many installed components
# ---------------------------------------------------------------------------

MANY_COMPONENTS = 20


def case_many_components(h):
    """An agent with 20 installed components lists them all in its
    QueryResponse and attests them in the manifests claim of its evidence
    (one entry each, plus the agent's own), and the TAM appraises the
    evidence as affirming."""
    s = Setup(h)
    store = os.path.join(s.agent.store, "components")
    for i in range(MANY_COMPONENTS):
        name = f"extra-{i}"
        envelope = make_component(h, name, 1, f"component {i}\n".encode(),
                                  s.signer, component_id=["e2e-extra",
                                                          name])
        h.teepkit("suit", "process", "--key", s.signer_pub, "--store",
                  store, "--vendor-id", VENDOR_ID, "--class-id", CLASS_ID,
                  envelope)
    check_equal(len(s.agent.show()["components"]), MANY_COMPONENTS,
                "components installed before the session")

    proc = s.run()
    check(f"session started: {MANY_COMPONENTS} components installed"
          in proc.stderr, "the agent starts with 20 components")
    check_equal(tam_attestation(s.tam, s.agent.ueid).get("verdict"),
                "affirming", "attestation verdict with 20 components")
    image, meta = s.agent.component()
    check_equal(image, PAYLOAD_V1, "component the TAM installed")
    check_equal(len(s.agent.show()["components"]), MANY_COMPONENTS + 1,
                "components after the session")
    # The next session attests all 21 and changes nothing.
    proc = s.run()
    check(f"session started: {MANY_COMPONENTS + 1} components installed"
          in proc.stderr, "the second session starts with 21 components")
    check("processing a manifest" not in proc.stderr,
          "no manifest is sent in the second session")
    check_equal(tam_attestation(s.tam, s.agent.ueid).get("verdict"),
                "affirming", "attestation verdict with 21 components")

CASES = {
    "install": case_install,
    "update": case_update,
    "delete": case_delete,
    "legacy_algs": case_legacy_algs,
    "no_attestation": case_no_attestation,
    "request": case_request,
    "attest_wrong_key": case_attest_wrong_key,
    "attest_wrong_hwmodel": case_attest_wrong_hwmodel,
    "attest_stale_nonce": case_attest_stale_nonce,
    "replay_to_tam": case_replay_to_tam,
    "replay_to_agent": case_replay_to_agent,
    "wrong_token": case_wrong_token,
    "unsupported_suite": case_unsupported_suite,
    "negotiation": case_negotiation,
    "tamproto_quirks": case_tamproto_quirks,
    "unknown_type_agent": case_unknown_type_agent,
    "unknown_type_tam": case_unknown_type_tam,
    "bad_signature": case_bad_signature,
    "rollback_direct": case_rollback_direct,
    "rollback_dependency": case_rollback_dependency,
    "rollback_after_failure": case_rollback_after_failure,
    "rollback_after_delete": case_rollback_after_delete,
    "delegation": case_delegation,
    "crash_install": case_crash_install,
    "encrypted": case_encrypted,
    "coap": case_coap,
    "daemon": case_daemon,
    "retry": case_retry,
    "retry_after": case_retry_after,
    "clock_offset": case_clock_offset,
    "many_components": case_many_components,
}

if __name__ == "__main__":
    run_case(CASES, sys.argv)
