#!/usr/bin/env python3
"""TEEP over CoAP end to end: real `teepkit tam serve --coap` and
`teep-agent --tam coap://...` processes on 127.0.0.1.

Usage: test_coap.py CASE. The environment names the binaries (TK_CLI,
TK_AGENT) and the work folder root (TK_E2E_WORK).
"""

import json
import os
import re
import sys

# The tests leave no bytecode files in the source tree.
sys.dont_write_bytecode = True

from harness import (  # noqa: E402
    COMPONENT_NAME, CoapClient, Proxy, check, check_equal, check_same_store,
    coap_code, coap_code_text, db_snapshot, make_component, run_case)
from world import World, payload_bytes  # noqa: E402

# Integrated payloads of 64 KiB and more need 64 or more Block2 blocks
# of 1024 bytes in the Update.
PAYLOAD_V1 = payload_bytes(64 * 1024, "coap v1")
PAYLOAD_V2 = payload_bytes(64 * 1024 + 4000, "coap v2")

# Components the agent requests and the TAM does not store: their
# identifiers make the QueryResponse longer than one 1024-byte block, so
# it travels block-wise too (Block1).
REQUESTED = [json.dumps(["resilience-unknown", {"hex": f"{i:02x}" * 200}])
             for i in range(6)]


def coap_exchanges(tam):
    """Returns (code, in, out) of every CoAP request the TAM logged."""
    return [(code, int(n_in), int(n_out)) for code, n_in, n_out in
            re.findall(r"coap: POST /tam code=(\S+) in=(\d+) out=(\d+)",
                       tam.all_logs())]


def case_coap_flow(h):
    """Install, update and delete over CoAP, with Updates of more than
    64 KiB (Block2) and QueryResponses of more than 1 KiB (Block1). Both
    stores are checked after each session."""
    w = World(h, coap=True)
    w.add_version(1, PAYLOAD_V1)
    extra = []
    for text in REQUESTED:
        extra += ["--request", text]
    proc = w.run(extra=extra)
    check("the TAM ended the session" in proc.stderr,
          "the session ends with an empty CoAP reply")
    w.check_installed(1)
    check_equal([r[2] for r in w.tam_reports()], [0],
                "results of the stored SUIT reports")
    check_equal(w.audit_actions("update.success"), ["update.success"],
                "audit entries of successful updates")
    exchanges = coap_exchanges(w.tam)
    check_equal([code for code, _, _ in exchanges],
                ["2.04", "2.04", "2.04"], "CoAP codes of the first session")
    check(exchanges[1][1] > 1024,
          f"the QueryResponse needs Block1: {exchanges[1][1]} bytes")
    check(exchanges[1][2] > len(PAYLOAD_V1),
          f"the Update needs Block2: {exchanges[1][2]} bytes")
    check_equal(exchanges[2][2], 0, "bytes of the reply to the Success")

    w.add_version(2, PAYLOAD_V2)
    proc = w.run()
    check("sequence 2 installed" in proc.stderr,
          "the agent log names sequence 2")
    w.check_installed(2)
    check_equal([r[2] for r in w.tam_reports()], [0, 0],
                "results of the stored SUIT reports")

    w.set_policy(w.agent, absent=True)
    proc = w.run()
    check("deleted" in proc.stderr, "the agent log records the deletion")
    w.check_nothing_installed()
    check_equal(w.audit_actions("update.success"), ["update.success"] * 3,
                "audit entries of successful updates")
    check_equal(w.agent.show()["components"], [], "components shown")
    # A last session has nothing to do.
    w.run()
    w.check_nothing_installed()


def case_coap_same_rules(h):
    """The session rules of HTTP hold over CoAP: a replayed message of a
    finished session gets 4.09 and changes nothing, the TAM serves both
    transports from one store, and an agent may switch between them."""
    w = World(h, coap=True)
    w.add_version(1, PAYLOAD_V1)
    proxy = Proxy(h, w.tam.url)
    w.run(url=proxy.url)
    w.check_installed(1)
    before = db_snapshot(w.tam)
    client = CoapClient(w.tam.coap_port)
    try:
        for index, name in ((1, "QueryResponse"), (2, "Success")):
            reply = client.post_message(proxy.exchanges[index][0])
            check_equal(coap_code_text(reply["code"]), "4.09",
                        f"CoAP code of a replayed {name}")
            check_equal(reply["payload"], b"", f"payload of the 4.09 reply")
        reply = client.post(b"\xa0", token=b"\x01")
        check_equal(reply["code"], coap_code("4.00"),
                    "CoAP code of a message that is not COSE")
    finally:
        client.close()
    check_same_store(before, db_snapshot(w.tam), "after the CoAP replays")
    w.add_version(2, PAYLOAD_V2)
    w.run(url=w.tam.coap_url)
    w.check_installed(2)
    check_equal(w.agent.component_files(),
                [COMPONENT_NAME + ".img", COMPONENT_NAME + ".meta"],
                "files of the component store")


def case_coap_large_manifest(h):
    """A manifest of more than 64 KiB, whose install sequence carries the
    image as its content parameter, installs over CoAP. Its SUIT report,
    too large with the records that copy the parameter, arrives without
    them, and the TAM stores it as a success."""
    w = World(h, coap=True)
    w.versions[3] = PAYLOAD_V1
    envelope = make_component(h, "large", 3, PAYLOAD_V1, w.signer)
    check(os.path.getsize(envelope) > len(PAYLOAD_V1),
          "the manifest carries the image")
    w.tam.cmd("component", "add", envelope, "--signer", w.signer_pub,
              "--name", "app")
    w.set_policy(w.agent)
    proc = w.run()
    check("sending it without records" in proc.stderr,
          "the agent logs the report without records")
    w.check_installed(3)
    check_equal([r[2] for r in w.tam_reports()], [0],
                "results of the stored SUIT reports")
    exchanges = coap_exchanges(w.tam)
    check(exchanges[1][2] > len(PAYLOAD_V1),
          f"the Update needs Block2: {exchanges[1][2]} bytes")


CASES = {
    "coap_flow": case_coap_flow,
    "coap_large_manifest": case_coap_large_manifest,
    "coap_same_rules": case_coap_same_rules,
}

if __name__ == "__main__":
    run_case(CASES, sys.argv)
