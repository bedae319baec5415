"""Helpers of the resilience tests, on top of the end-to-end harness of
tests/e2e/e2e.py. They start a TAM process with test hooks in its
environment and kill it with SIGKILL, read its SQLite store, speak CoAP
and raw HTTP, read the resident memory of a process, and take snapshots
of an agent's component store.

Everything listens and connects on 127.0.0.1 only. Only the Python
standard library is used.
"""

import hashlib
import json
import os
import random
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

from e2e import (  # noqa: E402,F401
    Agent, CLASS_ID, COMPONENT_ID_JSON, COMPONENT_NAME, ERROR, EXIT_MANIFEST,
    EXIT_NEGOTIATION, EXIT_OK, EXIT_REJECTED, EXIT_TAM_ERROR, EXIT_TRANSPORT,
    Failure, LABEL_CHALLENGE, LABEL_MANIFEST_LIST, LABEL_SUIT_REPORTS,
    LABEL_SUITES, LABEL_TOKEN, LOOPBACK, MockTam, Proxy, QUERY_REQUEST,
    QUERY_RESPONSE, SUCCESS, Tag, Tam, UPDATE, VENDOR_ID, cbor_decode,
    cbor_encode, check, check_equal, cose_payload, http_post,
    make_component, make_signer, run_case, sha256_hex, teep_open)

# The SIGKILL exit status that subprocess reports.
KILLED = -signal.SIGKILL


# ---------------------------------------------------------------------------
# The TAM with test hooks
# ---------------------------------------------------------------------------

class HookedTam(Tam):
    """A `teepkit tam serve` process whose environment may carry the test
    hooks (TK_TEST_CRASH_AT, TK_TEST_CLOCK_OFFSET), optionally with a
    CoAP listener. It can be killed with SIGKILL and started again on
    the same database and keys."""

    def __init__(self, harness, name="tam"):
        super().__init__(harness, name)
        self.coap_port = None
        self.starts = 0

    def start(self, *extra, env=None, coap=False, config=None):
        """Starts the TAM and waits until it serves HTTP (and CoAP when
        coap is set). Each start logs to its own file, NAME-N.log."""
        self.starts += 1
        self.log_name = f"{self.name}-{self.starts}.log"
        port_file = self.h.path(f"{self.name}.port")
        if os.path.exists(port_file):
            os.remove(port_file)
        args = [self.h.cli, "tam", "serve", "--db", self.db, "--key-dir",
                self.key_dir, "--listen", f"{LOOPBACK}:0", "--port-file",
                port_file, "--log-level", "debug"]
        if coap:
            args += ["--coap", f"{LOOPBACK}:0"]
        if config is not None:
            args += ["--config", config]
        args += list(extra)
        full_env = dict(os.environ)
        full_env.update(env or {})
        out = open(self.h.path(self.log_name), "w")
        self.h.note("$ " + " ".join(args) + " &  # env "
                    + json.dumps(env or {}))
        self.proc = subprocess.Popen(args, stdout=out,
                                     stderr=subprocess.STDOUT, cwd=self.h.dir,
                                     env=full_env, start_new_session=True)
        out.close()
        self.h.processes.append(self.proc)
        self.port = None
        self.coap_port = None
        return self.wait_ready(port_file, coap)

    def wait_ready(self, port_file, coap):
        """Waits until the TAM wrote its HTTP port and, when coap is set,
        printed its CoAP port; returns self."""
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"the TAM exited with {self.proc.returncode}:"
                              f"\n{self.log()}")
            if self.port is None and os.path.exists(port_file):
                text = open(port_file).read().strip()
                if text:
                    self.port = int(text)
            if self.port is not None and not coap:
                return self
            if self.port is not None:
                # The CoAP line follows the port file on standard output.
                match = re.search(r"listening for CoAP on 127\.0\.0\.1:(\d+)",
                                  self.log())
                if match:
                    self.coap_port = int(match.group(1))
                    return self
            time.sleep(0.05)
        raise Failure("the TAM did not start within 60 s")

    @property
    def coap_url(self):
        return f"coap://{LOOPBACK}:{self.coap_port}/tam"

    def kill(self):
        """Kills the TAM with SIGKILL and waits for it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)

    def wait_killed(self, timeout=60):
        """Waits for the TAM to kill itself at a crash point."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"the TAM did not stop within {timeout} s")
        check_equal(code, KILLED, "exit status of the TAM at its crash point")

    def rss_kib(self):
        return rss_kib(self.proc.pid)

    def all_logs(self):
        """Returns the logs of every start of this TAM."""
        text = ""
        for i in range(1, self.starts + 1):
            text += self.h.read_log(f"{self.name}-{i}.log")
        return text


# ---------------------------------------------------------------------------
# The TAM's SQLite store
# ---------------------------------------------------------------------------

# Tables that TEEP sessions write, with the columns that identify a row.
SESSION_TABLES = ("sessions", "tokens", "attestation_results", "installed",
                  "reports", "audit_log", "counters")


def db_connect(tam):
    """Opens the TAM's SQLite file for reading (the TAM may be running)."""
    conn = sqlite3.connect(f"file:{tam.db}?mode=ro", uri=True, timeout=30)
    conn.execute("PRAGMA query_only = 1")
    return conn


def db_rows(tam, sql, args=()):
    conn = db_connect(tam)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def db_count(tam, table, where="1", args=()):
    return db_rows(tam, f"SELECT count(*) FROM {table} WHERE {where}",
                   args)[0][0]


def db_snapshot(tam):
    """Returns every row of the tables that sessions write, and the
    devices without their last_seen time, for before/after comparisons."""
    conn = db_connect(tam)
    try:
        snap = {}
        for table in SESSION_TABLES:
            snap[table] = sorted(conn.execute(f"SELECT * FROM {table}")
                                 .fetchall(), key=repr)
        snap["devices"] = conn.execute(
            "SELECT id, ueid, class_id, state FROM devices ORDER BY id"
        ).fetchall()
        return snap
    finally:
        conn.close()


def check_same_store(before, after, what):
    """Checks that two snapshots of db_snapshot() are equal, naming the
    first table that differs."""
    for table in before:
        if before[table] != after[table]:
            added = [r for r in after[table] if r not in before[table]]
            gone = [r for r in before[table] if r not in after[table]]
            raise Failure(f"{what}: table {table} changed; rows added "
                          f"{added!r}, rows removed {gone!r}")


def check_store_consistent(tam, what):
    """Checks the TAM's SQLite file after a crash: SQLite's integrity and
    foreign key checks pass, every session has its context and at least
    one token, no SUIT report is stored twice, and every report belongs
    to the session of the Update it reports on."""
    conn = sqlite3.connect(tam.db, timeout=30)
    try:
        check_equal(conn.execute("PRAGMA integrity_check").fetchall(),
                    [("ok",)], f"{what}: SQLite integrity_check")
        check_equal(conn.execute("PRAGMA foreign_key_check").fetchall(), [],
                    f"{what}: SQLite foreign_key_check")
        half = conn.execute(
            "SELECT id FROM sessions WHERE context IS NULL OR length(context)"
            " = 0 OR id NOT IN (SELECT session_id FROM tokens)").fetchall()
        check_equal(half, [], f"{what}: sessions without context or token")
        twice = conn.execute(
            "SELECT session_id, item, count(*) FROM reports "
            "GROUP BY session_id, item HAVING count(*) > 1").fetchall()
        check_equal(twice, [], f"{what}: reports stored twice")
        orphan = conn.execute(
            "SELECT r.id FROM reports r LEFT JOIN sessions s ON "
            "s.id = r.session_id WHERE s.id IS NULL OR s.state != 3"
        ).fetchall()
        check_equal(orphan, [], f"{what}: reports without their Update")
    finally:
        conn.close()


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

def rss_kib(pid):
    """Returns the resident set size of a process in KiB, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Failure(f"no VmRSS for process {pid}")


# ---------------------------------------------------------------------------
# Agent stores
# ---------------------------------------------------------------------------

def store_snapshot(agent):
    """Returns {file name: SHA-256} of the agent's component folder."""
    folder = os.path.join(agent.store, "components")
    result = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            result[name] = hashlib.sha256(f.read()).hexdigest()
    return result


def read(path):
    with open(path, "rb") as f:
        return f.read()


def make_integrated_component(harness, name, sequence, payload, signer,
                              component_id=None, embed=False):
    """Writes a SUIT envelope whose install fetches the integrated payload
    '#app' and checks its digest, signed with signer. The payload goes
    into the envelope when embed is set, else the TAM adds it when it
    stores the envelope (`component add --payload`). Returns (envelope
    path, payload path)."""
    payload_file = harness.write(f"{name}.bin", payload)
    base = os.path.basename(payload_file)
    spec = {
        "manifest-sequence-number": sequence,
        "components": [component_id or COMPONENT_ID_JSON],
        "shared-sequence": [
            {"directive-override-parameters": {
                "vendor-id": VENDOR_ID, "class-id": CLASS_ID,
                "image-digest": {"file": base},
                "image-size": {"file": base}}},
            {"condition-vendor-identifier": 15},
            {"condition-class-identifier": 15}],
        "install": [
            {"directive-override-parameters": {"uri": "#app"}},
            {"directive-fetch": 15},
            {"condition-image-match": 15}],
        "validate": [{"condition-image-match": 15}],
    }
    if embed:
        spec["integrated-payloads"] = {"#app": {"file": base}}
    spec_file = harness.write(f"{name}.json", json.dumps(spec, indent=2))
    envelope = harness.path(f"{name}.suit")
    harness.teepkit("suit", "create", spec_file, "-o", envelope, "--key",
                    signer)
    return envelope, payload_file


# ---------------------------------------------------------------------------
# CoAP (RFC 7252) over UDP on 127.0.0.1, with Block1 (RFC 7959)
# ---------------------------------------------------------------------------

COAP_CON, COAP_NON, COAP_ACK, COAP_RST = 0, 1, 2, 3
COAP_POST = 2
OPT_URI_PATH, OPT_CONTENT_FORMAT, OPT_ACCEPT = 11, 12, 17
OPT_BLOCK2, OPT_BLOCK1, OPT_SIZE1 = 23, 27, 60
TEEP_FORMAT = 65000


def coap_code(text):
    """Returns the code byte of "c.dd"."""
    cls, detail = text.split(".")
    return int(cls) << 5 | int(detail)


def coap_code_text(code):
    return f"{code >> 5}.{code & 31:02d}"


def _uint_bytes(value):
    if value == 0:
        return b""
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _option_part(value):
    if value < 13:
        return value, b""
    if value < 269:
        return 13, bytes([value - 13])
    return 14, struct.pack(">H", value - 269)


def coap_encode(mtype, code, mid, token, options, payload=b""):
    """Encodes a CoAP message; options is a list of (number, bytes)."""
    out = bytearray([0x40 | mtype << 4 | len(token), code])
    out += struct.pack(">H", mid) + token
    last = 0
    for number, value in sorted(options, key=lambda o: o[0]):
        delta, delta_ext = _option_part(number - last)
        length, length_ext = _option_part(len(value))
        out.append(delta << 4 | length)
        out += delta_ext + length_ext + value
        last = number
    if payload:
        out += b"\xff" + payload
    return bytes(out)


def coap_decode(data):
    """Decodes a CoAP message into a dict."""
    if len(data) < 4 or data[0] >> 6 != 1:
        raise Failure(f"not a CoAP message: {data[:8].hex()}")
    tkl = data[0] & 15
    msg = {"type": data[0] >> 4 & 3, "code": data[1],
           "mid": struct.unpack(">H", data[2:4])[0],
           "token": data[4:4 + tkl], "options": {}, "payload": b""}
    pos = 4 + tkl
    number = 0
    while pos < len(data):
        if data[pos] == 0xFF:
            msg["payload"] = data[pos + 1:]
            break
        delta, length = data[pos] >> 4, data[pos] & 15
        pos += 1
        values = []
        for nibble in (delta, length):
            if nibble == 13:
                values.append(data[pos] + 13)
                pos += 1
            elif nibble == 14:
                values.append(struct.unpack(">H", data[pos:pos + 2])[0] + 269)
                pos += 2
            else:
                values.append(nibble)
        number += values[0]
        msg["options"].setdefault(number, []).append(
            data[pos:pos + values[1]])
        pos += values[1]
    return msg


def option_uint(msg, number):
    values = msg["options"].get(number)
    return int.from_bytes(values[0], "big") if values else None


class CoapClient:
    """A CoAP client on one UDP socket (one peer session at the server).
    It sends Confirmable POSTs to /tam and waits for the piggybacked or
    separate response; it does not retransmit, since loopback loses
    nothing."""

    def __init__(self, port, timeout=30):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.settimeout(timeout)
        self.mid = random.randrange(0x10000)

    def close(self):
        self.sock.close()

    def next_mid(self):
        self.mid = (self.mid + 1) & 0xFFFF
        return self.mid

    def post(self, payload=b"", token=None, extra=(), content_format=True):
        """Sends one POST and returns the decoded response. extra adds
        options (number, bytes)."""
        token = token if token is not None else os.urandom(4)
        options = [(OPT_URI_PATH, b"tam")]
        if payload and content_format:
            options.append((OPT_CONTENT_FORMAT, _uint_bytes(TEEP_FORMAT)))
        options += list(extra)
        mid = self.next_mid()
        self.sock.sendto(coap_encode(COAP_CON, COAP_POST, mid, token, options,
                                     payload), (LOOPBACK, self.port))
        return self.receive(mid, token)

    def receive(self, mid, token):
        while True:
            data, _ = self.sock.recvfrom(70000)
            msg = coap_decode(data)
            if msg["type"] == COAP_ACK and msg["mid"] == mid:
                if msg["code"] != 0:
                    return msg
                continue  # empty ACK: a separate response follows
            if msg["token"] == token and msg["type"] in (COAP_CON, COAP_NON):
                if msg["type"] == COAP_CON:
                    self.sock.sendto(coap_encode(COAP_ACK, 0, msg["mid"], b"",
                                                 []), (LOOPBACK, self.port))
                return msg

    def post_block(self, num, more, chunk, token, size1=None, szx=6):
        """Sends block num of a Block1 transfer (block size 16 << szx)."""
        extra = [(OPT_BLOCK1, _uint_bytes(num << 4 | more << 3 | szx))]
        if size1 is not None:
            extra.append((OPT_SIZE1, _uint_bytes(size1)))
        return self.post(chunk, token=token, extra=extra)

    def post_message(self, body):
        """Sends a TEEP message, block-wise when it needs more than one
        1024-byte block, and returns the final response."""
        token = os.urandom(4)
        if len(body) <= 1024:
            return self.post(body, token=token)
        blocks = [body[i:i + 1024] for i in range(0, len(body), 1024)]
        for num, chunk in enumerate(blocks):
            reply = self.post_block(num, int(num + 1 < len(blocks)), chunk,
                                    token)
            if num + 1 < len(blocks) and reply["code"] != coap_code("2.31"):
                return reply
        return reply


# ---------------------------------------------------------------------------
# Raw HTTP
# ---------------------------------------------------------------------------

class RewriteProxy:
    """An HTTP proxy on 127.0.0.1 in front of a TAM that records every
    request it receives (requests), the index of every request it answered
    with 502 (failed) and every exchange as (request, status, reply), and
    lets rewrite(index, request, reply) replace a reply before
    the agent gets it. before(index, request), when given, runs before a
    request is forwarded and may return another URL to forward it to. A
    TAM that cannot be reached, or that drops the connection, gives 502.
    With hold set, the requests that follow such a 502 wait (up to 25 s,
    less than the agents' 30-second timeout) until resume() names the
    TAM to forward to, so an agent's retry reaches a restarted TAM."""

    def __init__(self, harness, target, rewrite=None, before=None,
                 hold=False):
        import http.server
        import threading
        self.target = target
        self.rewrite = rewrite
        self.before = before
        self.hold = hold
        self.down = False
        self.resumed = threading.Event()
        self.failed = []
        self.requests = []
        self.exchanges = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                proxy.requests.append(body)
                if proxy.hold and proxy.down:
                    proxy.resumed.wait(timeout=25)
                target = proxy.target
                if proxy.before is not None:
                    target = proxy.before(len(proxy.requests) - 1,
                                          body) or target
                try:
                    status, headers, reply = http_post(target, body)
                except OSError:
                    proxy.down = True
                    proxy.failed.append(len(proxy.requests) - 1)
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if proxy.rewrite is not None:
                    reply = proxy.rewrite(len(proxy.exchanges), body, reply)
                proxy.exchanges.append((body, status, reply))
                self.send_response(status)
                if reply:
                    self.send_header("Content-Type", "application/teep+cbor")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        harness.servers.append(self.server)

    def resume(self, target):
        """Forwards the held request and every later one to target."""
        self.target = target
        self.down = False
        self.resumed.set()

    @property
    def url(self):
        return f"http://{LOOPBACK}:{self.server.server_address[1]}/tam"


def sign_teep(harness, key, message, alg="ESP256", name="signed"):
    """Signs a TEEP message (a list, or its encoding) as a COSE_Sign1 with
    `teepkit cose sign1`; returns the bytes."""
    data = message if isinstance(message, bytes) else cbor_encode(message)
    payload = harness.write(f"{name}.cbor", data)
    out = harness.path(f"{name}.cose")
    harness.teepkit("cose", "sign1", "--key", key, "--alg", alg, "--payload",
                    payload, "-o", out)
    return read(out)


def http_connect(port, timeout=30):
    sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
    return sock


def http_head(length=None, chunked=False):
    """Returns the request head of a TEEP POST to /tam."""
    head = ("POST /tam HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/teep+cbor\r\n"
            "Accept: application/teep+cbor\r\n")
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    elif length is not None:
        head += f"Content-Length: {length}\r\n"
    return (head + "\r\n").encode()


def http_status(data):
    """Returns the status code of the first response line in data, or
    None."""
    match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------

def _der_items(data):
    """Yields (tag, value) of the DER items in data, one level."""
    pos = 0
    while pos + 2 <= len(data):
        tag = data[pos]
        length = data[pos + 1]
        pos += 2
        if length & 0x80:
            size = length & 0x7F
            if size == 0 or size > 4 or pos + size > len(data):
                raise ValueError("unsupported DER length")
            length = int.from_bytes(data[pos:pos + size], "big")
            pos += size
        if pos + length > len(data):
            raise ValueError("truncated DER item")
        yield tag, data[pos:pos + length]
        pos += length


def _octet_leaves(data, depth=0):
    """Returns the OCTET STRING values inside DER data that contain no
    further DER structure."""
    found = []
    if depth > 8:
        return found
    try:
        items = list(_der_items(data))
    except ValueError:
        return found
    for tag, value in items:
        if tag in (0x30, 0xA0, 0xA1):
            found += _octet_leaves(value, depth + 1)
        elif tag == 0x04:
            inner = _octet_leaves(value, depth + 1)
            found += inner if inner else [value]
    return found


def pem_der(path):
    """Returns the DER bytes of the first PEM block of a file."""
    import base64
    text = open(path).read()
    match = re.search(r"-----BEGIN [A-Z ]+-----(.*?)-----END", text, re.S)
    check(match is not None, f"{path} is not a PEM file")
    return base64.b64decode("".join(match.group(1).split()))


def private_scalar(path):
    """Returns the 32-byte private value of a PKCS#8 P-256 or Ed25519
    PEM key file."""
    leaves = [v for v in _octet_leaves(pem_der(path)) if len(v) == 32]
    check_equal(len(leaves), 1, f"private values of 32 bytes in {path}")
    return leaves[0]


def write_private_cose_key(public_cose, private_pem, out):
    """Writes a private COSE_Key: the public COSE_Key file (with its kid)
    plus the private value d (label -4) of the PEM file."""
    key = cbor_decode(read(public_cose))
    check(isinstance(key, dict), f"{public_cose} is not a COSE_Key map")
    key[-4] = private_scalar(private_pem)
    with open(out, "wb") as f:
        f.write(cbor_encode(key))
    os.chmod(out, 0o600)
    return out
