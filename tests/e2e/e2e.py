"""Harness of the end-to-end tests: real `teepkit tam serve` processes,
real `teep-agent` processes, HTTP on 127.0.0.1 only.

A test creates a Harness, which owns a fresh work folder and every process
it starts; Harness.close() stops them all, and run_case() calls it even
when the test fails. Besides the real TAM, a test may put a recording
Proxy between the agent and the TAM, or talk to the agent through a
MockTam that sends scripted, correctly signed TEEP messages.

Only the Python standard library is used. The CBOR codec below covers
what TEEP messages, SUIT reports and COSE_Sign1 structures need.
"""

import hashlib
import http.client
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

LOOPBACK = "127.0.0.1"

# Exit statuses of teep-agent (docs/agent.md).
EXIT_OK = 0
EXIT_STORE = 3
EXIT_TRANSPORT = 4
EXIT_REJECTED = 5
EXIT_NEGOTIATION = 6
EXIT_MANIFEST = 7
EXIT_TAM_ERROR = 8

# TEEP message types and err-codes.
QUERY_REQUEST, QUERY_RESPONSE, UPDATE, SUCCESS, ERROR = 1, 2, 3, 5, 6
ERR_PERMANENT_ERROR = 1
ERR_UNSUPPORTED_FRESHNESS_MECHANISMS = 3
ERR_UNSUPPORTED_MSG_VERSION = 4
ERR_UNSUPPORTED_CIPHER_SUITES = 5
ERR_ATTESTATION_REQUIRED = 7
ERR_MANIFEST_PROCESSING_FAILED = 17

# TEEP option labels used by the tests.
LABEL_SUITES = 1
LABEL_CHALLENGE = 2
LABEL_VERSIONS = 3
LABEL_TC_LIST = 8
LABEL_MANIFEST_LIST = 10
LABEL_REQUESTED_TC_LIST = 14
LABEL_UNNEEDED_LIST = 15
LABEL_SUIT_REPORTS = 19
LABEL_TOKEN = 20
LABEL_FRESHNESS = 21

# SUIT report labels and reasons (draft-ietf-suit-report-18).
REPORT_NONCE, REPORT_RESULT = 2, 4
RESULT_CODE, RESULT_REASON = 5, 7
REASON_UNAUTHORISED, REASON_CONDITION_FAILED = 4, 10

# The component identifier of the tests: ['TEEP-Device', 'SecureFS',
# h'8d82573a926d4754935332dc29997f74'].
COMPONENT_ID_JSON = ["TEEP-Device", "SecureFS",
                     {"hex": "8d82573a926d4754935332dc29997f74"}]
COMPONENT_NAME = "c_sTEEP-Device_sSecureFS_h8d82573a926d4754935332dc29997f74"
VENDOR_ID = "fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe"
CLASS_ID = "1492af14-2569-5e48-bf42-9b2d51f2ab45"


class Failure(Exception):
    """A check of a test failed."""


def check(condition, message):
    """Raises Failure with message unless condition holds."""
    if not condition:
        raise Failure(message)


def check_equal(actual, expected, what):
    """Raises Failure naming what, the expected and the actual value."""
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


# ---------------------------------------------------------------------------
# CBOR (RFC 8949): definite lengths, preferred serialization on output
# ---------------------------------------------------------------------------

class Tag:
    """A tagged CBOR item."""

    def __init__(self, number, value):
        self.number = number
        self.value = value

    def __eq__(self, other):
        return (isinstance(other, Tag) and other.number == self.number
                and other.value == self.value)

    def __repr__(self):
        return f"Tag({self.number}, {self.value!r})"


def _head(major, arg):
    if arg < 24:
        return bytes([major << 5 | arg])
    for size, code in ((1, 24), (2, 25), (4, 26), (8, 27)):
        if arg < 1 << (8 * size):
            return bytes([major << 5 | code]) + arg.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")


def cbor_encode(value):
    """Encodes int, bytes, str, list, dict, bool, None and Tag values."""
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode()
        return _head(3, len(data)) + data
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor_encode(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(
            cbor_encode(k) + cbor_encode(v) for k, v in value.items())
    if isinstance(value, Tag):
        return _head(6, value.number) + cbor_encode(value.value)
    raise TypeError(f"cannot encode {type(value)}")


def _decode(data, pos, depth):
    if depth > 32:
        raise ValueError("CBOR nesting too deep")
    if pos >= len(data):
        raise ValueError("truncated CBOR")
    first = data[pos]
    major, info = first >> 5, first & 31
    pos += 1
    if info < 24:
        arg = info
    elif info <= 27:
        size = 1 << (info - 24)
        if pos + size > len(data):
            raise ValueError("truncated CBOR head")
        arg = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    else:
        raise ValueError(f"unsupported CBOR head 0x{first:02x}")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        if pos + arg > len(data):
            raise ValueError("truncated CBOR string")
        chunk = data[pos:pos + arg]
        return (chunk if major == 2 else chunk.decode()), pos + arg
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = _decode(data, pos, depth + 1)
            items.append(item)
        return items, pos
    if major == 5:
        items = {}
        for _ in range(arg):
            key, pos = _decode(data, pos, depth + 1)
            items[key], pos = _decode(data, pos, depth + 1)
        return items, pos
    if major == 6:
        item, pos = _decode(data, pos, depth + 1)
        return Tag(arg, item), pos
    simple = {20: False, 21: True, 22: None}
    if info in simple:
        return simple[info], pos
    raise ValueError(f"unsupported CBOR simple value {info}")


def cbor_decode(data):
    """Decodes exactly one CBOR item."""
    value, pos = _decode(bytes(data), 0, 0)
    if pos != len(data):
        raise ValueError(f"{len(data) - pos} bytes after the CBOR item")
    return value


def cose_payload(message):
    """Returns the payload of a COSE_Sign1 or COSE_Sign, without checking
    its signature (the peer under test does that)."""
    item = cbor_decode(message)
    if isinstance(item, Tag):
        item = item.value
    check(isinstance(item, list) and len(item) == 4,
          "expected a COSE_Sign1 or COSE_Sign array of 4 items")
    return item[2]


def teep_open(message):
    """Returns the decoded TEEP message inside a signed message."""
    decoded = cbor_decode(cose_payload(message))
    check(isinstance(decoded, list) and len(decoded) >= 2,
          f"not a TEEP message: {decoded!r}")
    return decoded


# ---------------------------------------------------------------------------
# Processes and files
# ---------------------------------------------------------------------------

class Harness:
    """The work folder and every process of one test."""

    def __init__(self, name):
        self.cli = os.environ["TK_CLI"]
        self.agent_bin = os.environ["TK_AGENT"]
        root = os.environ.get("TK_E2E_WORK") or tempfile.gettempdir()
        self.dir = os.path.join(root, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.processes = []
        self.servers = []
        self.log = open(os.path.join(self.dir, "commands.log"), "w")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def note(self, text):
        self.log.write(text + "\n")
        self.log.flush()

    def run(self, args, expect=0, env=None, timeout=120, stdin=None):
        """Runs a command and returns the CompletedProcess. expect is the
        exit status required, or None to accept any."""
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.note("$ " + " ".join(args))
        proc = subprocess.run(args, capture_output=True, text=True,
                              env=full_env, timeout=timeout, input=stdin,
                              cwd=self.dir)
        self.log.write(proc.stdout + proc.stderr)
        self.log.flush()
        if expect is not None and proc.returncode != expect:
            raise Failure(
                f"{os.path.basename(args[0])} {' '.join(args[1:3])} exited "
                f"with {proc.returncode}, expected {expect}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def teepkit(self, *args, expect=0):
        return self.run([self.cli, *args], expect=expect)

    def start(self, args, log_name):
        """Starts a background process whose output goes to log_name."""
        out = open(self.path(log_name), "w")
        self.note("$ " + " ".join(args) + " &")
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                cwd=self.dir, start_new_session=True)
        self.processes.append(proc)
        return proc

    def close(self):
        """Stops every server thread and process this harness started."""
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.log.close()

    def write(self, name, data):
        path = self.path(name)
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(path, mode) as f:
            f.write(data)
        return path

    def read_log(self, name):
        with open(self.path(name), errors="replace") as f:
            return f.read()


class Tam:
    """A `teepkit tam serve` process with its SQLite file and keys."""

    def __init__(self, harness, name="tam"):
        self.h = harness
        self.name = name
        self.db = harness.path(f"{name}.db")
        self.key_dir = harness.path(f"{name}-keys")
        self.log_name = f"{name}.log"
        harness.teepkit("tam", "init", "--db", self.db, "--key-dir",
                        self.key_dir)
        self.keys = [os.path.join(self.key_dir, "tam-esp256.pub.cose"),
                     os.path.join(self.key_dir, "tam-ed25519.pub.cose")]
        self.proc = None
        self.port = None

    def start(self, *extra):
        port_file = self.h.path(f"{self.name}.port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.proc = self.h.start(
            [self.h.cli, "tam", "serve", "--db", self.db, "--key-dir",
             self.key_dir, "--listen", f"{LOOPBACK}:0", "--port-file",
             port_file, "--log-level", "debug", *extra], self.log_name)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"the TAM exited with {self.proc.returncode}:\n"
                              + self.h.read_log(self.log_name))
            if os.path.exists(port_file):
                text = open(port_file).read().strip()
                if text:
                    self.port = int(text)
                    return self
            time.sleep(0.05)
        raise Failure("the TAM did not write its port within 30 s")

    @property
    def url(self):
        return f"http://{LOOPBACK}:{self.port}/tam"

    def stop(self):
        """Stops the TAM process with SIGTERM and waits for it."""
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def cmd(self, *args, expect=0):
        """Runs `teepkit tam ARGS --db DB` and returns its stdout."""
        return self.h.teepkit("tam", *args, "--db", self.db,
                              expect=expect).stdout

    def log(self):
        return self.h.read_log(self.log_name)


class Agent:
    """A device: its store folder and the teep-agent runs on it."""

    def __init__(self, harness, name="device", init_args=()):
        self.h = harness
        self.store = harness.path(name)
        out = harness.run([harness.agent_bin, "init", "--store", self.store,
                           "--hwmodel", "e2e-test-model",
                           "--vendor-id", VENDOR_ID, "--class-id", CLASS_ID,
                           "--json", *init_args]).stdout
        self.identity = json.loads(out)
        self.ueid = self.identity["ueid"]
        self.runs = 0

    def register(self, tam, hwmodel=None):
        """Registers the device at tam with its keys and hwmodel."""
        args = ["device", "add", "--id", self.ueid]
        for key in self.identity["agent-keys"]:
            args += ["--agent-key", key["cose"]]
        args += ["--attestation-key",
                 self.identity["attestation-key"]["cose"],
                 "--hwmodel", hwmodel or self.identity["hwmodel"]]
        tam.cmd(*args)

    def run(self, url, tam_keys, signer_keys, extra=(), env=None,
            expect=EXIT_OK):
        """Runs one session; returns the CompletedProcess."""
        self.runs += 1
        name = os.path.basename(self.store)
        args = [self.h.agent_bin, "--tam", url, "--store", self.store,
                "--timeout", "30"]
        for key in tam_keys:
            args += ["--tam-key", key]
        for key in signer_keys:
            args += ["--signer-key", key]
        args += list(extra)
        proc = self.h.run(args, expect=None, env=env)
        with open(self.h.path(f"{name}-run-{self.runs}.log"), "w") as f:
            f.write(proc.stderr)
        if expect is not None and proc.returncode != expect:
            raise Failure(f"teep-agent exited with {proc.returncode}, "
                          f"expected {expect}\n{proc.stderr}")
        return proc

    def show(self):
        out = self.h.run([self.h.agent_bin, "show", "--store", self.store,
                          "--json"]).stdout
        return json.loads(out)

    def component(self, name=COMPONENT_NAME):
        """Returns (image bytes, metadata dict) of a component, or None."""
        base = os.path.join(self.store, "components", name)
        if not os.path.exists(base + ".img"):
            return None
        with open(base + ".img", "rb") as f:
            image = f.read()
        with open(base + ".meta") as f:
            meta = json.load(f)
        return image, meta

    def component_files(self):
        """Returns the files of the component store other than the
        tombstones that deleted components leave."""
        return [name for name in self.store_files()
                if not name.endswith(".tomb")]

    def store_files(self):
        """Returns every file of the component store, sorted."""
        return sorted(os.listdir(os.path.join(self.store, "components")))

    def tombstone(self, name=COMPONENT_NAME):
        """Returns the tombstone of a deleted component as a dict, or
        None."""
        path = os.path.join(self.store, "components", name + ".tomb")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def make_signer(harness, name, alg="ES256"):
    """Creates a Trusted Component signer key; returns (private, public)."""
    private = harness.path(f"{name}.pem")
    public = harness.path(f"{name}.pub")
    harness.teepkit("key", "generate", "--alg", alg, "-o", private)
    harness.teepkit("key", "public", private, "-o", public)
    return private, public


def make_component(harness, name, sequence, payload, signer,
                   component_id=None, with_vendor=True):
    """Writes payload and a SUIT envelope that installs it with the
    integrated-content write directive, signed with signer. Returns the
    envelope path."""
    payload_file = harness.write(f"{name}.bin", payload)
    shared = [{"directive-override-parameters": {
        "vendor-id": VENDOR_ID, "class-id": CLASS_ID,
        "image-digest": {"file": os.path.basename(payload_file)},
        "image-size": {"file": os.path.basename(payload_file)}}}]
    if with_vendor:
        shared += [{"condition-vendor-identifier": 15},
                   {"condition-class-identifier": 15}]
    spec = {
        "manifest-sequence-number": sequence,
        "components": [component_id or COMPONENT_ID_JSON],
        "shared-sequence": shared,
        "install": [
            {"directive-override-parameters": {
                "content": {"file": os.path.basename(payload_file)}}},
            {"directive-write": 15},
            {"condition-image-match": 15}],
        "validate": [{"condition-image-match": 15}],
    }
    spec_file = harness.write(f"{name}.json", json.dumps(spec, indent=2))
    unsigned = harness.path(f"{name}.unsigned.suit")
    envelope = harness.path(f"{name}.suit")
    harness.teepkit("suit", "create", spec_file, "-o", unsigned)
    harness.teepkit("suit", "sign", "--key", signer, unsigned, "-o", envelope)
    return envelope


# ---------------------------------------------------------------------------
# HTTP servers on 127.0.0.1: a recording proxy and a scripted TAM
# ---------------------------------------------------------------------------

def _serve(harness, handler_class):
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler_class)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    harness.servers.append(server)
    return server


def http_post(url, body, content_type="application/teep+cbor"):
    """POSTs body to url; returns (status, headers dict, body)."""
    parts = urllib.parse.urlsplit(url)
    check(parts.hostname == LOOPBACK, f"refusing to connect to {url}")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Accept": "application/teep+cbor"}
    if body:
        headers["Content-Type"] = content_type
    conn.request("POST", parts.path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    result = (resp.status, dict(resp.getheaders()), data)
    conn.close()
    return result


class Proxy:
    """Forwards each POST to a TAM and records (request, status, reply).
    route(index, body) may return another TAM URL for request index."""

    def __init__(self, harness, target, route=None):
        self.target = target
        self.route = route
        self.exchanges = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                index = len(proxy.exchanges)
                url = proxy.target
                if proxy.route is not None:
                    url = proxy.route(index, body) or url
                status, headers, reply = http_post(url, body)
                proxy.exchanges.append((body, status, reply))
                self.send_response(status)
                ctype = headers.get("Content-Type")
                if reply and ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = _serve(harness, Handler)

    @property
    def url(self):
        return f"http://{LOOPBACK}:{self.server.server_address[1]}/tam"


class MockTam:
    """A scripted TAM: it replies to the empty POST with query() and to an
    agent's QueryResponse with update(message), and records every agent
    message.
    Messages are signed with `teepkit cose sign1` and the key signing_key,
    so the agent verifies them like any TAM's."""

    def __init__(self, harness, signing_key):
        self.h = harness
        self.key = signing_key
        self.received = []
        self.replies = []
        self.query = self.default_query
        self.update = None
        self.count = 0
        self.content_type = "application/teep+cbor"
        mock = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                reply = mock.handle(body)
                if reply is None:
                    self.send_response(204)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", mock.content_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = _serve(harness, Handler)

    @property
    def url(self):
        return f"http://{LOOPBACK}:{self.server.server_address[1]}/tam"

    def sign(self, message):
        """Signs the encoded TEEP message as a COSE_Sign1."""
        self.count += 1
        payload = self.h.write(f"mock-{self.count}.cbor", cbor_encode(message))
        out = self.h.path(f"mock-{self.count}.cose")
        self.h.teepkit("cose", "sign1", "--key", self.key, "--alg", "ESP256",
                       "--payload", payload, "-o", out)
        with open(out, "rb") as f:
            return f.read()

    def default_query(self):
        token = os.urandom(16)
        return [QUERY_REQUEST, {LABEL_TOKEN: token,
                                LABEL_CHALLENGE: os.urandom(32)},
                [[[18, -9]], [[18, -19]]],
                [[-16, -9, -29, -65534]], 3]

    def handle(self, body):
        try:
            if not body:
                message = self.query()
                return self.record_reply(message)
            self.received.append(body)
            decoded = teep_open(body)
            if decoded[0] == QUERY_RESPONSE and self.update is not None:
                message = self.update(decoded)
                return self.record_reply(message)
            return None
        except Exception:  # reported by the test through received/replies
            traceback.print_exc()
            return None

    def record_reply(self, message):
        if message is None:
            return None
        signed = message if isinstance(message, bytes) else self.sign(message)
        self.replies.append(signed)
        return signed


def _terminated(signum, frame):
    raise SystemExit(f"terminated by signal {signum}")


def run_case(cases, argv):
    """Runs the case named by argv[1] from the dict cases and exits with
    0 on success, 1 on a failed check."""
    if len(argv) != 2 or argv[1] not in cases:
        print(f"usage: {argv[0]} CASE\ncases: {' '.join(sorted(cases))}")
        sys.exit(2)
    name = argv[1]
    # CTest ends a test that runs too long with SIGTERM: turn it into an
    # exception, so the processes of the case are stopped below.
    signal.signal(signal.SIGTERM, _terminated)
    harness = Harness(name)
    try:
        cases[name](harness)
    except Failure as failure:
        print(f"FAILED {name}: {failure}\nwork folder: {harness.dir}",
              flush=True)
        harness.close()
        sys.exit(1)
    except BaseException:
        traceback.print_exc()
        print(f"ERROR in {name}; work folder: {harness.dir}", flush=True)
        harness.close()
        sys.exit(1)
    harness.close()
    print(f"PASSED {name}")
    sys.exit(0)

