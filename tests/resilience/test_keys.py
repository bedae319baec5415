#!/usr/bin/env python3
"""Private keys. Every command that creates one writes it with mode 0600,
in a 0700 folder where it makes the folder. No log line of a session at
debug level carries a key, token or challenge in any encoding. A
malformed key file is a clear error that names the file.

Usage: test_keys.py CASE. The environment names the binaries (TK_CLI,
TK_AGENT) and the work folder root (TK_E2E_WORK).
"""

import base64
import os
import stat
import subprocess
import sys

# The tests leave no bytecode files in the source tree.
sys.dont_write_bytecode = True

from harness import (  # noqa: E402
    Agent, LABEL_CHALLENGE, LABEL_TOKEN, Proxy, check, check_equal,
    make_integrated_component, private_scalar, read, run_case, teep_open)
from world import World, payload_bytes  # noqa: E402


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def run_umask0(h, args, expect=0):
    """Runs a command with umask 0, so that only the modes the program
    sets itself protect what it creates."""
    h.note("$ (umask 0) " + " ".join(args))
    proc = subprocess.run(args, capture_output=True, text=True, cwd=h.dir,
                          preexec_fn=lambda: os.umask(0), timeout=120)
    h.log.write(proc.stdout + proc.stderr)
    check_equal(proc.returncode, expect,
                f"exit status of {' '.join(args[1:3])}: {proc.stderr}")
    return proc


def case_key_modes(h):
    """teepkit key generate, teepkit tam init and teep-agent init give
    their private keys mode 0600 and the folders they make mode 0700,
    even under umask 0."""
    for alg, name in (("ES256", "p256"), ("EdDSA", "ed25519")):
        pem = h.path(f"{name}.pem")
        cose = h.path(f"{name}.cose")
        run_umask0(h, [h.cli, "key", "generate", "--alg", alg, "-o", pem,
                       "--cose", cose, "--kid", "k1"])
        check_equal(oct(mode(pem)), "0o600", f"mode of the {alg} PEM key")
        check_equal(oct(mode(cose)), "0o600", f"mode of the {alg} COSE_Key")
    for alg in ("A128GCM", "A128KW", "HS256"):
        path = h.path(f"{alg}.cose")
        run_umask0(h, [h.cli, "key", "generate", "--alg", alg, "-o", path])
        check_equal(oct(mode(path)), "0o600", f"mode of the {alg} key")

    key_dir = h.path("tam-keys")
    run_umask0(h, [h.cli, "tam", "init", "--db", h.path("tam.db"),
                   "--key-dir", key_dir])
    check_equal(oct(mode(key_dir)), "0o700", "mode of the TAM key folder")
    for name in ("tam-esp256.pem", "tam-ed25519.pem"):
        check_equal(oct(mode(os.path.join(key_dir, name))), "0o600",
                    f"mode of {name}")

    store = h.path("device")
    run_umask0(h, [h.agent_bin, "init", "--store", store])
    check_equal(oct(mode(store)), "0o700", "mode of the agent store folder")
    for name in ("agent-esp256.key", "agent-ed25519.key", "attest.key",
                 "agent.json"):
        check_equal(oct(mode(os.path.join(store, name))), "0o600",
                    f"mode of {name}")
    # A second init keeps the keys it finds and their modes.
    run_umask0(h, [h.cli, "tam", "init", "--db", h.path("tam.db"),
                   "--key-dir", key_dir])
    check_equal(oct(mode(os.path.join(key_dir, "tam-esp256.pem"))), "0o600",
                "mode of tam-esp256.pem after a second init")


def encodings(secret):
    """Returns the forms a secret could take in a log line."""
    forms = {secret.hex(), secret.hex().upper(),
             base64.b64encode(secret).decode().rstrip("="),
             base64.urlsafe_b64encode(secret).decode().rstrip("=")}
    # Any 12 consecutive bytes in hex would already be a leak.
    for start in range(len(secret) - 11):
        forms.add(secret[start:start + 12].hex())
    return forms


def pem_lines(path):
    """Returns the base64 lines of a PEM file's body."""
    return [line for line in read(path).decode().splitlines()
            if line and not line.startswith("-----")]


def case_key_logs(h):
    """A TAM and an agent at log level debug run an install, an update
    and a delete over HTTP and CoAP. No log contains a private key (its
    PEM lines, or its private value in hex or base64), nor a TEEP token
    or attestation challenge."""
    w = World(h, coap=True)
    w.add_version(1, payload_bytes(500, "keys v1"))
    proxy = Proxy(h, w.tam.url)
    w.run(url=proxy.url, extra=["--log-level", "debug"])
    w.add_version(2, payload_bytes(600, "keys v2"))
    w.run(url=w.tam.coap_url, extra=["--log-level", "debug"])
    w.set_policy(w.agent, absent=True)
    w.run(extra=["--log-level", "debug"])
    w.check_nothing_installed()

    secrets = {}
    store = w.agent.store
    for name in ("agent-esp256.key", "agent-ed25519.key", "attest.key"):
        secrets[name] = os.path.join(store, name)
    for name in ("tam-esp256.pem", "tam-ed25519.pem"):
        secrets[name] = os.path.join(w.tam.key_dir, name)
    secrets["signer"] = w.signer
    needles = {}
    for name, path in secrets.items():
        for form in encodings(private_scalar(path)):
            needles[form] = f"the private value of {name}"
        for line in pem_lines(path):
            if len(line) >= 16:
                needles[line] = f"a PEM line of {name}"
    for index, (body, _, reply) in enumerate(proxy.exchanges):
        for message in (body, reply):
            if not message:
                continue
            options = teep_open(message)[1]
            for label, what in ((LABEL_TOKEN, "a token"),
                                (LABEL_CHALLENGE, "a challenge")):
                if label in options:
                    for form in encodings(options[label]):
                        needles[form] = f"{what} of exchange {index}"

    logs = {}
    for name in os.listdir(h.dir):
        if name.endswith(".log"):
            with open(h.path(name), errors="replace") as f:
                logs[name] = f.read()
    agent_debug = sum(text.count(" DEBUG ") for name, text in logs.items()
                      if name.startswith("device-run-"))
    check(agent_debug > 0, "the agent logged at debug level")
    check(sum(len(text) for text in logs.values()) > 10000,
          "the sessions produced logs to search")
    for needle, what in needles.items():
        for name, text in logs.items():
            check(needle not in text, f"{name} contains {what}")


# Malformed key files, each a different way to be wrong.
def malformed_files(h):
    random_bytes = bytes((i * 73 + 11) % 256 for i in range(200))
    return {
        "empty": h.write("bad-empty.pem", b""),
        "text": h.write("bad-text.pem", "this is not a key\n"),
        "truncated PEM": h.write(
            "bad-truncated.pem",
            "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49"
            "\n-----END PRIVATE KEY-----\n"),
        "bad base64": h.write(
            "bad-base64.pem",
            "-----BEGIN PRIVATE KEY-----\n!!!!not*base64!!!!\n"
            "-----END PRIVATE KEY-----\n"),
        "random bytes": h.write("bad-random.key", random_bytes),
        "CBOR map": h.write("bad-cbor.cose", bytes.fromhex("a2010203f6")),
    }


def check_named_error(proc, path, expected, what):
    """Checks a rejected key file: the exit status, the file named in the
    message, and no sanitizer report."""
    output = proc.stdout + proc.stderr
    check_equal(proc.returncode, expected, f"exit status for {what}")
    check(path in output, f"the message for {what} names {path}: {output}")
    check("Sanitizer" not in output, f"no sanitizer report for {what}")


def case_key_malformed(h):
    """Every command that reads a key file rejects each kind of malformed
    file with a message that names it, and none crashes."""
    w = World(h)
    w.add_version(1, payload_bytes(300, "malformed v1"))
    envelope, _ = make_integrated_component(h, "plain", 1, b"p", w.signer)
    payload = h.write("payload.bin", b"payload")
    agent = Agent(h, "victim")
    commands = [
        ("key public", 1, lambda bad: [h.cli, "key", "public", bad, "-o",
                                       h.path("out.pub")]),
        ("key thumbprint", 1, lambda bad: [h.cli, "key", "thumbprint", bad]),
        ("cose sign1", 1, lambda bad: [h.cli, "cose", "sign1", "--key", bad,
                                       "--payload", payload, "-o",
                                       h.path("out.cose")]),
        ("suit sign", 1, lambda bad: [h.cli, "suit", "sign", "--key", bad,
                                      envelope, "-o", h.path("out.suit")]),
        ("tam component add --signer", 1,
         lambda bad: [h.cli, "tam", "component", "add", envelope,
                      "--db", w.tam.db, "--signer", bad]),
        ("tam device add --agent-key", 1,
         lambda bad: [h.cli, "tam", "device", "add", "--db", w.tam.db,
                      "--id", "01" * 17, "--agent-key", bad]),
        ("teep-agent --tam-key", 3,
         lambda bad: [h.agent_bin, "--tam", w.tam.url, "--store",
                      agent.store, "--tam-key", bad]),
        ("teep-agent --signer-key", 3,
         lambda bad: [h.agent_bin, "--tam", w.tam.url, "--store",
                      agent.store, "--tam-key", w.tam.keys[0],
                      "--signer-key", bad]),
        ("teep-agent --decrypt-key", 3,
         lambda bad: [h.agent_bin, "--tam", w.tam.url, "--store",
                      agent.store, "--tam-key", w.tam.keys[0],
                      "--decrypt-key", bad]),
    ]
    results = []
    for kind, bad in malformed_files(h).items():
        for name, expected, build in commands:
            proc = h.run(build(bad), expect=None)
            results.append((name, kind, proc.returncode))
            check_named_error(proc, bad, expected, f"{name} with {kind}")
    # A key file that cannot be read is a usage error for the CLI (2),
    # where a file that holds no valid key is rejected input (1).
    missing = h.path("no-such-key.pem")
    for name, expected, build in commands:
        proc = h.run(build(missing), expect=None)
        check_named_error(proc, missing, 2 if expected == 1 else expected,
                          f"{name} with a missing file")

    # Key files inside a store folder or a TAM key folder.
    agent_key = os.path.join(agent.store, "agent-esp256.key")
    original = read(agent_key)
    tam_key = os.path.join(w.tam.key_dir, "tam-esp256.pem")
    tam_original = read(tam_key)
    w.tam.stop()
    for kind, bad in malformed_files(h).items():
        with open(agent_key, "wb") as f:
            f.write(read(bad))
        proc = h.run([h.agent_bin, "--tam", w.tam.url, "--store",
                      agent.store, "--tam-key", w.tam.keys[0]], expect=None)
        check_named_error(proc, agent_key, 3, f"an agent key with {kind}")
        proc = h.run([h.agent_bin, "show", "--store", agent.store],
                     expect=None)
        check_named_error(proc, agent_key, 3,
                          f"teep-agent show with an agent key with {kind}")
        with open(tam_key, "wb") as f:
            f.write(read(bad))
        proc = h.run([h.cli, "tam", "serve", "--db", w.tam.db, "--key-dir",
                      w.tam.key_dir, "--listen", "127.0.0.1:0"], expect=None)
        check_named_error(proc, tam_key, 1, f"a TAM key with {kind}")
    # A public key where a private key belongs.
    with open(tam_key, "wb") as f:
        f.write(read(os.path.join(w.tam.key_dir, "tam-esp256.pub.pem")))
    proc = h.run([h.cli, "tam", "serve", "--db", w.tam.db, "--key-dir",
                  w.tam.key_dir, "--listen", "127.0.0.1:0"], expect=None)
    check_named_error(proc, tam_key, 1, "a public key as the TAM key")
    with open(agent_key, "wb") as f:
        f.write(read(os.path.join(agent.store, "agent-esp256.pub")))
    proc = h.run([h.agent_bin, "show", "--store", agent.store], expect=None)
    check_named_error(proc, agent_key, 3, "a public key as the agent key")

    # Restored, both work again.
    with open(agent_key, "wb") as f:
        f.write(original)
    with open(tam_key, "wb") as f:
        f.write(tam_original)
    w.restart_tam()
    agent.register(w.tam)
    w.set_policy(agent)
    w.run(agent=agent)
    w.check_installed(1, agent=agent)


CASES = {
    "key_modes": case_key_modes,
    "key_logs": case_key_logs,
    "key_malformed": case_key_malformed,
}

if __name__ == "__main__":
    run_case(CASES, sys.argv)
