"""Harness of the fleet tests: a throwaway PostgreSQL server, `teepkit tam
serve` workers with their admin listeners, HAProxy in front of them, and
an HTTP client for the admin API. Everything listens on 127.0.0.1 only.

A test creates a Fleet, which owns a fresh work folder and every process
it starts. run() stops them all (HAProxy, the workers, PostgreSQL) when the
test ends, fails or is terminated by CTest. Only the Python standard
library is used.
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback

LOOPBACK = "127.0.0.1"

# CTest counts a test that exits with this status as skipped.
SKIP = 77


class Failure(Exception):
    """A check of a test failed."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


def free_port():
    """Returns a TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, log, timeout=30):
    """Waits until port accepts connections, failing when proc exits."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise Failure(f"process exited with {proc.returncode}; see {log}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise Failure(f"nothing listens on port {port} after {timeout} s")


def parse_metrics(text):
    """Returns {series: value} of a Prometheus text exposition."""
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        values[series] = float(value)
    return values


class Fleet:
    """The work folder and every process of one test."""

    def __init__(self, name):
        self.cli = os.environ["TK_CLI"]
        root = os.environ.get("TK_FLEET_WORK") or "/tmp"
        self.dir = os.path.join(root, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.processes = []
        self.pg_dir = None
        self.token = secrets.token_hex(24)
        self.token_file = self.path("admin-token")
        with open(os.open(self.token_file, os.O_CREAT | os.O_WRONLY, 0o600),
                  "w") as f:
            f.write(self.token + "\n")
        self.log = open(self.path("commands.log"), "w")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def note(self, text):
        self.log.write(text + "\n")
        self.log.flush()

    def run(self, args, expect=0, timeout=300):
        """Runs a command and returns the CompletedProcess."""
        self.note("$ " + " ".join(args))
        proc = subprocess.run(args, capture_output=True, text=True,
                              timeout=timeout, cwd=self.dir)
        self.log.write(proc.stdout + proc.stderr)
        self.log.flush()
        if expect is not None and proc.returncode != expect:
            raise Failure(f"{os.path.basename(args[0])} {' '.join(args[1:3])} "
                          f"exited with {proc.returncode}, expected {expect}\n"
                          f"stdout:\n{proc.stdout[-4000:]}\n"
                          f"stderr:\n{proc.stderr[-4000:]}")
        return proc

    def start(self, args, log_name):
        """Starts a background process writing to log_name."""
        out = open(self.path(log_name), "w")
        self.note("$ " + " ".join(args) + " &")
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                cwd=self.dir, start_new_session=True)
        self.processes.append(proc)
        return proc

    def stop(self, proc, timeout=30):
        """Stops proc with SIGTERM (SIGKILL after timeout); returns its
        exit status."""
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def close(self):
        """Stops every process in reverse start order, then PostgreSQL."""
        for proc in reversed(self.processes):
            self.stop(proc)
        if self.pg_dir is not None:
            subprocess.run([os.environ["TK_PG_SERVER"], "stop", self.pg_dir],
                           capture_output=True, timeout=60)
            self.pg_dir = None
        self.log.close()

    # ---- PostgreSQL --------------------------------------------------------

    def start_postgres(self):
        """Starts a throwaway server; returns its connection string."""
        self.pg_dir = self.path("pg")
        proc = self.run([os.environ["TK_PG_SERVER"], "start", self.pg_dir],
                        timeout=120)
        return proc.stdout.strip().splitlines()[-1]

    # ---- TAM workers -------------------------------------------------------

    def start_worker(self, name, db, key_dir, extra=()):
        """Starts `teepkit tam serve` with an admin listener; returns a
        Worker once both listeners accept connections."""
        port_file = self.path(f"{name}.port")
        admin_file = self.path(f"{name}.admin-port")
        proc = self.start(
            [self.cli, "tam", "serve", "--db", db, "--key-dir", key_dir,
             "--listen", f"{LOOPBACK}:0", "--port-file", port_file,
             "--admin", f"{LOOPBACK}:0", "--admin-token-file",
             self.token_file, "--admin-port-file", admin_file,
             "--log-level", "warn", *extra], f"{name}.log")
        deadline = time.time() + 60
        while time.time() < deadline:
            if proc.poll() is not None:
                raise Failure(f"worker {name} exited with {proc.returncode}:"
                              f"\n{self.read(name + '.log')}")
            if os.path.exists(port_file) and os.path.exists(admin_file):
                port = int(open(port_file).read().strip() or 0)
                admin = int(open(admin_file).read().strip() or 0)
                if port and admin:
                    return Worker(self, name, proc, port, admin)
            time.sleep(0.05)
        raise Failure(f"worker {name} did not start within 60 s")

    def read(self, name):
        with open(self.path(name), errors="replace") as f:
            return f.read()

    # ---- HAProxy -----------------------------------------------------------

    def start_haproxy(self, workers):
        """Starts HAProxy on 127.0.0.1 in front of workers, balancing each
        request round robin, and returns its TEEP URL. Replies carry the
        worker's name in X-Worker."""
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        port = free_port()
        servers = "\n".join(
            f"    server {w.name} {LOOPBACK}:{w.port}" for w in workers)
        config = f"""# Written by tests/fleet/fleet.py for one test run.
global
    maxconn 1024

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend teep
    bind {LOOPBACK}:{port}
    default_backend tam_workers

backend tam_workers
    balance roundrobin
    http-response set-header X-Worker %[srv_name]
{servers}
"""
        path = self.path("haproxy.cfg")
        with open(path, "w") as f:
            f.write(config)
        self.run([haproxy, "-c", "-f", path])
        proc = self.start([haproxy, "-db", "-f", path], "haproxy.log")
        wait_for_port(port, proc, self.path("haproxy.log"))
        return f"http://{LOOPBACK}:{port}/tam"


class Worker:
    """A running `teepkit tam serve` process."""

    def __init__(self, fleet, name, proc, port, admin_port):
        self.fleet = fleet
        self.name = name
        self.proc = proc
        self.port = port
        self.admin_port = admin_port

    @property
    def url(self):
        return f"http://{LOOPBACK}:{self.port}/tam"

    def api(self, method, path, body=None, content_type=None, token=True):
        """Calls the admin listener; returns (status, headers, body), the
        body parsed when it is JSON."""
        conn = http.client.HTTPConnection(LOOPBACK, self.admin_port,
                                          timeout=30)
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {self.fleet.token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            content_type = content_type or "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        ctype = resp.getheader("Content-Type", "")
        if ctype.startswith("application/json") and data:
            data = json.loads(data)
        elif ctype.startswith("text/"):
            data = data.decode()
        return resp.status, dict(resp.getheaders()), data

    def metrics(self):
        status, _, text = self.api("GET", "/metrics")
        check_equal(status, 200, f"GET /metrics of {self.name}")
        return parse_metrics(text)


def _terminated(signum, frame):
    raise SystemExit(f"terminated by signal {signum}")


def run(cases, argv):
    """Runs the case named by argv[1] and exits 0 (passed), 1 (failed) or
    77 (skipped: a required program is missing)."""
    if len(argv) != 2 or argv[1] not in cases:
        print(f"usage: {argv[0]} CASE\ncases: {' '.join(sorted(cases))}")
        sys.exit(2)
    name = argv[1]
    # CTest ends a test that runs too long with SIGTERM: turn it into an
    # exception, so that the processes of the case are stopped below.
    signal.signal(signal.SIGTERM, _terminated)
    fleet = Fleet(name)
    status = 0
    try:
        cases[name](fleet)
        print(f"PASSED {name}")
    except Failure as failure:
        print(f"FAILED {name}: {failure}\nwork folder: {fleet.dir}",
              flush=True)
        status = 1
    except BaseException:
        traceback.print_exc()
        print(f"ERROR in {name}; work folder: {fleet.dir}", flush=True)
        status = 1
    finally:
        fleet.close()
    sys.exit(status)
