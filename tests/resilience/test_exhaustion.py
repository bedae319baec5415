#!/usr/bin/env python3
"""Exhaustion: endless, oversized and very slow request bodies over HTTP
and CoAP are cut off while other agents complete their sessions, and the
TAM's resident memory stays within a bound.

Usage: test_exhaustion.py CASE. The environment names the binaries
(TK_CLI, TK_AGENT) and the work folder root (TK_E2E_WORK).
"""

import os
import socket
import sys
import threading
import time

# The tests leave no bytecode files in the source tree.
sys.dont_write_bytecode = True

from harness import (  # noqa: E402
    OPT_SIZE1, CoapClient, check, check_equal, coap_code_text, http_connect,
    http_head, http_status, option_uint, run_case)
from world import World, payload_bytes  # noqa: E402

# The TAM of these tests accepts request bodies of at most 64 KiB.
MAX_BODY = 65536
PAYLOAD = payload_bytes(4000, "exhaustion")

# Bound on the TAM's resident memory growth while it is attacked. Each
# attack below would add far more if the TAM kept what it was sent.
RSS_GROWTH_MAX_KIB = 48 * 1024

# Seconds the HTTP server lets one request take (request_timeout_ms of
# the server, docs/transport.md); the slow clients must be cut after it.
HTTP_REQUEST_TIMEOUT = 30

# Seconds after its first block that the CoAP server drops an unfinished
# block-wise request (transfer_timeout_ms, docs/transport.md).
COAP_TRANSFER_TIMEOUT = 30


class RssSampler:
    """Samples the TAM's resident memory every 0.1 s in a thread."""

    def __init__(self, tam):
        self.tam = tam
        self.samples = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            try:
                self.samples.append(self.tam.rss_kib())
            except (OSError, Exception):
                return
            time.sleep(0.1)

    def finish(self):
        self.stop.set()
        self.thread.join()
        return max(self.samples)


def world_for_attacks(h, coap):
    config = h.write("tam.conf", f"max_body = {MAX_BODY}\n")
    w = World(h, coap=coap, config=config)
    w.add_version(1, PAYLOAD)
    return w


def serve_agents(w, count, coap=False):
    """Runs a first session for count new devices; each must install."""
    for i in range(count):
        agent = w.add_agent(f"served-{'coap' if coap else 'http'}-"
                            f"{time.monotonic_ns()}-{i}")
        w.run(agent=agent, url=w.url(coap))
        w.check_installed(1, agent=agent)


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

def endless_chunked(port, result, limit=256 * 1024 * 1024):
    """Streams a chunked body until the server stops it or limit bytes
    went out; records the bytes sent and the status read, if any."""
    sock = http_connect(port)
    sent = 0
    chunk = b"%x\r\n" % 65536 + b"\xa5" * 65536 + b"\r\n"
    try:
        sock.sendall(http_head(chunked=True))
        while sent < limit:
            sock.sendall(chunk)
            sent += 65536
    except OSError:
        pass
    result["sent"] = sent
    try:
        sock.settimeout(10)
        result["status"] = http_status(sock.recv(4096))
    except OSError:
        result["status"] = None
    sock.close()


def slow_client(port, result, body):
    """Sends a request one byte a second: the head too when body is
    False, else the whole head and then the body. Records the seconds
    until the server closed the connection."""
    sock = http_connect(port, timeout=2)
    start = time.monotonic()
    data = http_head(length=1000)
    if body:
        sock.sendall(data)
        data = b"\xa5" * 1000
    result["closed_after"] = None
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        try:
            reply = sock.recv(4096)
            if reply == b"":
                break
            result["status"] = http_status(reply)
        except socket.timeout:
            continue
        except OSError:
            break
        if time.monotonic() - start > 4 * HTTP_REQUEST_TIMEOUT:
            sock.close()
            return
    result["closed_after"] = time.monotonic() - start
    sock.close()


def case_exhaust_http(h):
    """Twenty endless chunked bodies get 413 or a closed connection. A
    declared 100 MiB body gets 413 before any body byte. Twenty clients
    that send their head or body one byte a second are cut after the
    request timeout. Meanwhile new devices install their component, and
    the TAM's memory stays bounded."""
    w = world_for_attacks(h, coap=False)
    serve_agents(w, 1)
    rss_before = w.tam.rss_kib()
    sampler = RssSampler(w.tam)

    threads = []
    endless = [{} for _ in range(20)]
    slow = [{} for _ in range(20)]
    for result in endless:
        threads.append(threading.Thread(target=endless_chunked,
                                        args=(w.tam.port, result)))
    for i, result in enumerate(slow):
        threads.append(threading.Thread(target=slow_client,
                                        args=(w.tam.port, result, i % 2)))
    for thread in threads:
        thread.start()

    sock = http_connect(w.tam.port)
    sock.sendall(http_head(length=100 * 1024 * 1024))
    declared = http_status(sock.recv(4096))
    sock.close()
    check_equal(declared, 413, "status of a declared 100 MiB body")

    serve_agents(w, 4)
    for thread in threads:
        thread.join(timeout=6 * HTTP_REQUEST_TIMEOUT)
        check(not thread.is_alive(), "an attacking client finished")
    rss_peak = sampler.finish()

    for i, result in enumerate(endless):
        check(result["sent"] < 64 * 1024 * 1024,
              f"endless body {i} was cut after {result['sent']} bytes")
        check(result["status"] in (413, None),
              f"endless body {i} got 413 or a closed connection: "
              f"{result['status']}")
    for i, result in enumerate(slow):
        check(result["closed_after"] is not None,
              f"slow client {i} was cut off")
        check(result["closed_after"] < 3 * HTTP_REQUEST_TIMEOUT,
              f"slow client {i} was cut after {result['closed_after']:.0f} s")
    h.note(f"endless bodies: bytes sent {[r['sent'] for r in endless]}, "
           f"statuses {[r['status'] for r in endless]}")
    h.note("slow clients cut after (s): "
           f"{[round(r['closed_after'], 1) for r in slow]}")
    growth = rss_peak - rss_before
    check(growth < RSS_GROWTH_MAX_KIB,
          f"TAM memory grew by {growth} KiB (bound {RSS_GROWTH_MAX_KIB})")
    log = w.tam.log()
    check("status=413" in log, "the HTTP server logs the 413 replies")
    h.note(f"TAM RSS: {rss_before} KiB before, {rss_peak} KiB at the peak")
    serve_agents(w, 1)


# ---------------------------------------------------------------------------
# CoAP
# ---------------------------------------------------------------------------

def endless_blocks(port, result):
    """Sends 1024-byte Block1 blocks of one request until the server
    replies with another code than 2.31; records the block number and
    the code."""
    client = CoapClient(port)
    token = os.urandom(4)
    try:
        for num in range(4 * MAX_BODY // 1024):
            reply = client.post_block(num, 1, b"\xa5" * 1024, token)
            code = coap_code_text(reply["code"])
            if code != "2.31":
                result["num"] = num
                result["code"] = code
                result["size1"] = option_uint(reply, OPT_SIZE1)
                return
        result["num"] = None
    finally:
        client.close()


def case_exhaust_coap(h):
    """Endless block-wise requests get 4.13 once they pass max_body, and a
    declared oversized one at once. More concurrent transfers than the
    server tracks get 5.03. A transfer that stalls is dropped after the
    transfer timeout. Meanwhile new devices install over CoAP, and the
    TAM's memory stays bounded."""
    w = world_for_attacks(h, coap=True)
    serve_agents(w, 1, coap=True)
    rss_before = w.tam.rss_kib()
    sampler = RssSampler(w.tam)

    results = [{} for _ in range(16)]
    threads = [threading.Thread(target=endless_blocks,
                                args=(w.tam.coap_port, r)) for r in results]
    for thread in threads:
        thread.start()
    serve_agents(w, 2, coap=True)
    for thread in threads:
        thread.join(timeout=120)
        check(not thread.is_alive(), "an endless block-wise request ended")
    # The block that fills max_body still announces more, which already
    # makes the request too large, so it is the one refused.
    for i, result in enumerate(results):
        check_equal((result.get("num"), result.get("code")),
                    (MAX_BODY // 1024 - 1, "4.13"),
                    f"block and code that ended endless request {i}")
        check_equal(result.get("size1"), MAX_BODY, f"Size1 of 4.13 {i}")

    # A request of exactly max_body bytes passes the transport; the TAM
    # then finds no COSE message in it.
    client = CoapClient(w.tam.coap_port)
    reply = client.post_message(b"\xa5" * MAX_BODY)
    check_equal(coap_code_text(reply["code"]), "4.00",
                "code for a request of exactly max_body bytes")
    reply = client.post_block(0, 1, b"\xa5" * 1024, os.urandom(4),
                              size1=100 * 1024 * 1024)
    check_equal(coap_code_text(reply["code"]), "4.13",
                "code for a declared 100 MiB request")
    client.close()

    # Transfers that start and stall: the server tracks 64 at a time.
    stalled = [CoapClient(w.tam.coap_port) for _ in range(70)]
    codes = []
    tokens = []
    for client in stalled:
        tokens.append(os.urandom(4))
        reply = client.post_block(0, 1, b"\xa5" * 1024, tokens[-1])
        codes.append(coap_code_text(reply["code"]))
    check_equal(codes.count("2.31"), 64, "transfers the server accepted")
    check_equal(codes.count("5.03"), 6, "transfers beyond the table")
    serve_agents(w, 1, coap=True)
    started = time.monotonic()
    # After the transfer timeout the stalled transfers are gone: their
    # next block is out of sequence, and new transfers fit again.
    time.sleep(COAP_TRANSFER_TIMEOUT + 2)
    reply = stalled[0].post_block(1, 1, b"\xa5" * 1024, tokens[0])
    check_equal(coap_code_text(reply["code"]), "4.08",
                "next block of a transfer that stalled "
                f"{time.monotonic() - started:.0f} s")
    fresh = CoapClient(w.tam.coap_port)
    reply = fresh.post_block(0, 1, b"\xa5" * 1024, os.urandom(4))
    check_equal(coap_code_text(reply["code"]), "2.31",
                "a new transfer after the stalled ones expired")
    fresh.close()
    for client in stalled:
        client.close()
    rss_peak = sampler.finish()
    growth = rss_peak - rss_before
    check(growth < RSS_GROWTH_MAX_KIB,
          f"TAM memory grew by {growth} KiB (bound {RSS_GROWTH_MAX_KIB})")
    check("dropped" in w.tam.log() or "timed out" in w.tam.log(),
          "the CoAP server logs the dropped transfers")
    h.note(f"TAM RSS: {rss_before} KiB before, {rss_peak} KiB at the peak")
    serve_agents(w, 1, coap=True)


CASES = {
    "exhaust_http": case_exhaust_http,
    "exhaust_coap": case_exhaust_coap,
}

if __name__ == "__main__":
    run_case(CASES, sys.argv)
