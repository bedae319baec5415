"""A stand-in for a real device. It sends TEEP messages in the name of a
teep-agent store folder, signed with that device's own keys, with the
evidence claims and tokens a test chooses. The TAM cannot tell them from
the device's messages, so only its checks of freshness and tokens can
stop them."""

import json
import os
import time

from harness import (
    LABEL_CHALLENGE, LABEL_TOKEN, QUERY_RESPONSE, check, check_equal,
    cbor_decode, cbor_encode, http_post, read, teep_open,
    write_private_cose_key)

# EAT claim keys (RFC 9711) used in the evidence of teep-agent.
CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_CNF, CLAIM_NONCE = 4, 5, 6, 8, 10
CLAIM_UEID, CLAIM_OEMID, CLAIM_HWMODEL, CLAIM_HWVERSION = 256, 258, 259, 260
CLAIM_MANIFESTS = 272

# QueryResponse option labels.
LABEL_SELECTED_VERSION, LABEL_EVIDENCE, LABEL_TC_LIST = 6, 7, 8


class ForgedAgent:
    """Signs QueryResponses and evidence with the keys of agent (an
    e2e.Agent) through `teepkit cose sign1`."""

    def __init__(self, h, agent, url):
        self.h = h
        self.agent = agent
        self.url = url
        store = agent.store
        name = os.path.basename(store)
        self.agent_key = write_private_cose_key(
            os.path.join(store, "agent-esp256.cose"),
            os.path.join(store, "agent-esp256.key"),
            h.path(f"{name}-agent-private.cose"))
        self.attest_key = write_private_cose_key(
            os.path.join(store, "attest.cose"),
            os.path.join(store, "attest.key"),
            h.path(f"{name}-attest-private.cose"))
        with open(os.path.join(store, "agent.json")) as f:
            identity = json.load(f)
        agent_key = cbor_decode(read(os.path.join(store,
                                                  "agent-esp256.cose")))
        self.base_claims = {
            CLAIM_UEID: bytes.fromhex(identity["ueid"]),
            CLAIM_OEMID: bytes.fromhex(identity["oemid"]),
            CLAIM_HWMODEL: bytes.fromhex(identity["hwmodel"]),
            CLAIM_HWVERSION: [identity["hwversion"]],
            CLAIM_CNF: {3: agent_key[2]},
            CLAIM_MANIFESTS: [[60, ["", [-16, bytes(32)]]]],
        }
        self.count = 0

    def sign(self, key, payload):
        """Returns payload signed as a COSE_Sign1 with ESP256."""
        self.count += 1
        name = os.path.basename(self.agent.store)
        payload_file = self.h.write(f"{name}-forged-{self.count}.cbor",
                                    payload)
        out = self.h.path(f"{name}-forged-{self.count}.cose")
        self.h.teepkit("cose", "sign1", "--key", key, "--alg", "ESP256",
                       "--payload", payload_file, "-o", out)
        return read(out)

    def start(self):
        """Starts a session; returns (token, challenge) of the TAM's
        QueryRequest."""
        status, _, body = http_post(self.url, b"")
        check_equal(status, 200, "status of the session start")
        query = teep_open(body)
        return query[1][LABEL_TOKEN], query[1][LABEL_CHALLENGE]

    def evidence(self, nonce, **changes):
        """Returns signed evidence with eat_nonce nonce and iat now, with
        claims changed by changes: iat, exp, nbf (seconds since the
        epoch), or drop (a list of claim keys to leave out)."""
        claims = dict(self.base_claims)
        claims[CLAIM_NONCE] = nonce
        claims[CLAIM_IAT] = changes.get("iat", int(time.time()))
        for key, label in (("exp", CLAIM_EXP), ("nbf", CLAIM_NBF)):
            if key in changes:
                claims[label] = changes[key]
        for label in changes.get("drop", ()):
            claims.pop(label, None)
        return self.sign(self.attest_key, cbor_encode(claims))

    def query_response(self, token, evidence, tc_list=()):
        """Returns a signed QueryResponse that carries token."""
        message = [QUERY_RESPONSE, {LABEL_TOKEN: token,
                                    LABEL_SELECTED_VERSION: 0,
                                    LABEL_EVIDENCE: evidence,
                                    LABEL_TC_LIST: list(tc_list)}]
        return self.sign(self.agent_key, cbor_encode(message))

    def send(self, body):
        """POSTs body to the TAM; returns (status, decoded TEEP reply or
        None)."""
        status, _, reply = http_post(self.url, body)
        return status, (teep_open(reply) if reply else None)


def check_forged_ok(forged):
    """Checks that a forged QueryResponse with fresh evidence passes, so
    that the rejections of a test come from the one claim it changes."""
    token, challenge = forged.start()
    status, reply = forged.send(forged.query_response(
        token, forged.evidence(challenge)))
    check(status in (200, 204),
          f"a well-formed forged QueryResponse is accepted: {status}")
    return reply
