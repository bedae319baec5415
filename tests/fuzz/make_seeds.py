#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/.

Seeds are the published examples of tests/vectors, each prefixed with the
mode bytes its target reads (see the comment at the top of each
fuzz_TARGET.c), plus messages signed or MACed with the fixed keys of
tests/hostile/support/hs_keys.c, so that a fuzzer starts from inputs that
pass verification. Run it again after changing those keys or the mode
bytes; it needs the Python package "cryptography".

Usage: tests/fuzz/make_seeds.py
"""
import glob
import hashlib
import hmac
import json
import os
import re
import shutil

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors")
CORPUS = os.path.join(HERE, "corpus")


# ---- A small CBOR encoder (preferred serialization) ----------------------

class Tag:
    def __init__(self, number, content):
        self.number = number
        self.content = content


class Raw:
    """Bytes that are already encoded CBOR."""

    def __init__(self, data):
        self.data = data


def head(major, arg):
    if arg < 24:
        return bytes([major << 5 | arg])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < 1 << (8 * size):
            return bytes([major << 5 | ai]) + arg.to_bytes(size, "big")
    raise ValueError("argument too large")


def enc(v):
    if isinstance(v, Raw):
        return v.data
    if v is None:
        return b"\xf6"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(enc(k) + enc(x) for k, x in v.items())
    if isinstance(v, Tag):
        return head(6, v.number) + enc(v.content)
    raise TypeError(type(v))


# ---- The fixed keys of hs_keys.c -----------------------------------------

def pattern(seed):
    return bytes((seed + i) & 0xFF for i in range(32))


def p256(seed):
    return ec.derive_private_key(int.from_bytes(pattern(seed), "big"),
                                 ec.SECP256R1())


def ed(seed):
    return ed25519.Ed25519PrivateKey.from_private_bytes(pattern(seed))


SUIT_P256 = p256(0x61)
SUIT_ED25519 = ed(0x71)
ATTESTER = p256(0x51)
AGENT_P256 = p256(0x31)
HMAC256 = b"h" * 32
AES128 = b"a" * 16


def sign_p256(key, data):
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def thumbprint(key):
    """RFC 9679 thumbprint of a P-256 public key."""
    nums = key.public_key().public_numbers()
    cose_key = enc({1: 2, -1: 1, -2: nums.x.to_bytes(32, "big"),
                    -3: nums.y.to_bytes(32, "big")})
    return hashlib.sha256(cose_key).digest()


def sign1(key, alg, payload, protected_extra=None, detached=False):
    prot = {1: alg}
    prot.update(protected_extra or {})
    prot_bytes = enc(prot)
    tbs = enc(["Signature1", prot_bytes, b"", payload])
    if isinstance(key, ed25519.Ed25519PrivateKey):
        sig = key.sign(tbs)
    else:
        sig = sign_p256(key, tbs)
    return enc(Tag(18, [prot_bytes, {}, None if detached else payload, sig]))


# ---- Writing seeds -------------------------------------------------------

written = {}


def seed(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    with open(os.path.join(folder, safe), "wb") as f:
        f.write(data)
    written[target] = written.get(target, 0) + 1


def hex_file(path):
    text = open(path).read()
    text = re.sub(r"#[^\n]*", "", text)
    return bytes.fromhex(re.sub(r"\s", "", text))


def vector(relative):
    return hex_file(os.path.join(VECTORS, relative))


# ---- CBOR ----------------------------------------------------------------

def cbor_seeds():
    with open(os.path.join(VECTORS, "cbor", "appendix_a.json")) as f:
        examples = json.load(f)
    for i, ex in enumerate(examples):
        data = bytes.fromhex(ex["hex"])
        seed("cbor", "appendix_a_%03d" % i, b"\x00" + data)
        seed("cbor_diag", "appendix_a_%03d" % i, b"\x00\x10" + data)
    # Checks on: duplicate keys, UTF-8, preferred, deterministic, tags.
    for name, data in (("map_dup", bytes.fromhex("a2010102f60102")),
                       ("indef", bytes.fromhex("9f019f02ffbf6161f5ff" "ff")),
                       ("tags", bytes.fromhex("c1fb41d452d9ec200000d818456449455446"))):
        seed("cbor", name, b"\x1f" + data)
        seed("cbor_diag", name, b"\x03\x07" + data)
    envelope = vector("suit/manifest/example1.hex")
    seed("cbor", "suit_example1", b"\x01" + envelope)
    seed("cbor_diag", "suit_example1", b"\x02\x20" + envelope)


# ---- COSE ----------------------------------------------------------------

COSE_OPS = {"sign1-tests": 0, "ecdsa-examples": 0, "eddsa-examples": 0,
            "sign-tests": 1, "mac0-tests": 2, "hmac-examples": 3,
            "mac-tests": 3, "encrypted-tests": 4, "aes-gcm-examples": 4,
            "enveloped-tests": 5, "aes-wrap-examples": 5,
            "ecdh-direct-examples": 5, "ecdh-wrap-examples": 5}


def cose_seeds():
    for folder, op in COSE_OPS.items():
        for path in sorted(glob.glob(os.path.join(VECTORS, "cose", folder,
                                                  "*.json"))):
            with open(path) as f:
                ex = json.load(f)
            out = ex.get("output", {}).get("cbor")
            if not out:
                continue
            data = bytes.fromhex(out)
            name = folder + "_" + os.path.basename(path)[:-5]
            # Option bits 0 and 1: untagged and unprotected alg allowed, as
            # the working group examples need.
            seed("cose", name, bytes([op, 0x03]) + data)
    payload = b"This is the content."
    seed("cose", "sign1_es256", bytes([0, 0]) +
         sign1(SUIT_P256, -7, payload))
    seed("cose", "sign1_ed25519", bytes([0, 0]) +
         sign1(SUIT_ED25519, -19, payload))
    seed("cose", "sign1_detached", bytes([0, 0x08]) +
         sign1(SUIT_P256, -9, bytes.fromhex("600d"), detached=True))
    # COSE_Sign with two signatures.
    body = enc({3: 0})
    sigs = []
    for key, alg in ((SUIT_P256, -9), (SUIT_ED25519, -19)):
        sp = enc({1: alg})
        tbs = enc(["Signature", body, sp, b"", payload])
        sig = key.sign(tbs) if alg == -19 else sign_p256(key, tbs)
        sigs.append([sp, {}, sig])
    seed("cose", "sign_two", bytes([1, 0x04]) +
         enc(Tag(98, [body, {}, payload, sigs])))
    # COSE_Mac0, HMAC 256/256.
    prot = enc({1: 5})
    tag = hmac.new(HMAC256, enc(["MAC0", prot, b"", payload]),
                   hashlib.sha256).digest()
    seed("cose", "mac0_hmac256", bytes([2, 0]) +
         enc(Tag(17, [prot, {}, payload, tag])))
    # COSE_Mac with a direct recipient whose key is the AES-128 key bytes.
    tag = hmac.new(AES128, enc(["MAC", prot, b"", payload]),
                   hashlib.sha256).digest()
    seed("cose", "mac_direct", bytes([3, 0]) +
         enc(Tag(97, [prot, {}, payload, tag, [[b"", {1: -6}, b""]]])))
    # COSE_Encrypt0, A128GCM.
    iv = bytes(range(12))
    prot = enc({1: 1})
    ct = AESGCM(AES128).encrypt(iv, payload, enc(["Encrypt0", prot, b""]))
    seed("cose", "encrypt0_a128gcm", bytes([4, 0]) +
         enc(Tag(16, [prot, {5: iv}, ct])))
    # COSE_Encrypt, A128GCM content with an A128KW recipient.
    cek = bytes(range(16, 32))
    ct = AESGCM(cek).encrypt(iv, payload, enc(["Encrypt", prot, b""]))
    wrapped = aes_key_wrap(AES128, cek)
    msg = enc(Tag(96, [prot, {5: iv}, ct, [[b"", {1: -3}, wrapped]]]))
    seed("cose", "encrypt_a128kw", bytes([5, 0]) + msg)
    seed("cose", "prepare_a128kw", bytes([6, 0]) + msg)
    nums = SUIT_P256.public_key().public_numbers()
    seed("cose", "key_p256", bytes([7, 0]) +
         enc({1: 2, -1: 1, -2: nums.x.to_bytes(32, "big"),
              -3: nums.y.to_bytes(32, "big"), 2: b"kid"}))
    seed("cose", "key_symmetric", bytes([7, 0]) + enc({1: 4, -1: AES128}))


# ---- SUIT ----------------------------------------------------------------

SUIT_ENVELOPES = ["suit/manifest/example%d.hex" % i for i in range(6)] + [
    "suit/manifest/example2-signed-severed.hex",
    "suit/trust-domains/example0_dependent.hex",
    "suit/trust-domains/example1_process.hex",
    "suit/trust-domains/example2_integrated.hex",
    "suit/teep/suit_uri.hex.txt",
    "suit/teep/suit_integrated.hex.txt",
    "suit/teep/suit_personalization.hex.txt",
    "suit/encryption/suit-manifest-aes-kw.hex.signed",
    "suit/encryption/suit-manifest-aes-kw-content.hex.signed",
    "suit/encryption/suit-manifest-es-ecdh-content.hex.signed",
    "suit/encryption/suit-manifest-es-ecdh-dependency.hex.signed",
]


def suit_envelope(manifest, extra=None):
    """A tagged envelope around manifest, signed with the SUIT P-256 key."""
    wrapped = enc(manifest)
    digest = enc([-16, hashlib.sha256(wrapped).digest()])
    block = sign1(SUIT_P256, -9, digest, detached=True)
    members = {2: enc([digest, block]), 3: manifest}
    members.update(extra or {})
    return enc(Tag(107, members))


TC_ID = ["TEEP-Device".encode(), b"SecureFS",
         bytes.fromhex("8d82573a926d4754935332dc29997f74"), b"ta"]
VENDOR = bytes.fromhex("c0ddd5f15243566087db4f5b0aa26c2f")
CLASS = bytes.fromhex("db42f7093d8c55baa8c5265fc5820f4e")
TC_PAYLOAD = b"Hello, Secure World!"


def tc_manifest(sequence, integrated=False):
    digest = enc([-16, hashlib.sha256(TC_PAYLOAD).digest()])
    common = enc({2: [TC_ID], 4: enc([
        20, {1: VENDOR, 2: CLASS, 3: digest, 14: len(TC_PAYLOAD)},
        1, 15, 2, 15])})
    uri = "#tc" if integrated else (
        "https://example.org/8d82573a-926d-4754-9353-32dc29997f74.ta")
    install = enc([20, {21: uri}, 21, 15, 3, 15])
    return enc({1: 1, 2: sequence, 3: common, 20: install,
                7: enc([3, 15]), 24: enc([33, 15])})


def suit_seeds():
    for rel in SUIT_ENVELOPES:
        data = vector(rel)
        name = rel.split("/", 1)[1]
        seed("suit_envelope", name, b"\x00" + data)
        seed("suit_envelope", name + "_resigned", b"\x01" + data)
        seed("suit_process", name + "_update", b"\x01" + data)
        seed("suit_process", name + "_boot", b"\x09" + data)
    ours = suit_envelope(Raw(tc_manifest(3)))
    seed("suit_envelope", "tc_uri", b"\x00" + ours)
    seed("suit_process", "tc_uri_update", b"\x00" + ours)
    # Operations: bits 3-5 of the mode byte, 0 update ... 5 uninstall.
    seed("suit_process", "tc_uri_uninstall", bytes([5 << 3]) + ours)
    integrated = suit_envelope(Raw(tc_manifest(4, True)),
                               {"#tc": TC_PAYLOAD})
    seed("suit_process", "tc_integrated_update", b"\x00" + integrated)
    seed("suit_process", "tc_integrated_update_boot", b"\x10" + integrated)
    seed("suit_process", "tc_integrated_stage", b"\x18" + integrated)
    # SUIT reports: mode bit 4.
    report = enc({1: {1: "https://example.com/m.cbor",
                      0: [-16, bytes(32)]},
                  2: b"\x01\x02\x03\x04\x05\x06\x07\x08",
                  3: [], 4: True})
    seed("suit_envelope", "report_plain", b"\x10" + report)
    seed("suit_envelope", "report_signed", b"\x10" +
         sign1(SUIT_P256, -9, report))
    return ours, integrated


# ---- TEEP ----------------------------------------------------------------

TEEP_MESSAGES = ["query_request", "query_response", "update",
                 "teep_success", "teep_error"]


def teep_seeds(envelope, integrated):
    payloads = {name: vector("teep/%s.hex.txt" % name)
                for name in TEEP_MESSAGES}
    for name, data in payloads.items():
        seed("teep_decode", name, data)
    token = bytes(range(0xA0, 0xB0))
    update_ours = enc([3, {20: token, 10: [envelope, integrated]}])
    seed("teep_decode", "update_ours", update_ours)
    # Agent: 1 signs with the TAM's ESP256 key, 2 with Ed25519, 4 waits for
    # an Update.
    seed("teep_agent", "query_request_p256", b"\x01" + payloads["query_request"])
    seed("teep_agent", "query_request_ed25519", b"\x02" +
         payloads["query_request"])
    seed("teep_agent", "query_request_multi", b"\x03" +
         payloads["query_request"])
    seed("teep_agent", "update_published", b"\x05" + payloads["update"])
    seed("teep_agent", "update_ours", b"\x05" + update_ours)
    seed("teep_agent", "update_idle", b"\x01" + update_ours)
    seed("teep_agent", "query_request_raw", b"\x00" +
         sign1(AGENT_P256, -9, payloads["query_request"]))
    # TAM: 1 signs with the agent's ESP256 key; bits 2-3 pick the sessions.
    challenge = bytes([0xC5] * 32)
    evidence = sign1(ATTESTER, -9, enc(eat_claims(challenge)),
                     {4: b"attest01"})
    response = enc([2, {20: token, 6: 0, 7: evidence, 8: [{0: TC_ID}]}])
    for name, mode in (("query_response", 0x05), ("teep_success", 0x09),
                       ("teep_error", 0x09)):
        seed("teep_tam", name, bytes([mode]) + payloads[name])
    seed("teep_tam", "query_response_attested", b"\x05" + response)
    seed("teep_tam", "query_response_bound", b"\x45" + response)
    seed("teep_tam", "query_response_table", b"\x01" + payloads["query_response"])
    seed("teep_tam", "success_ed25519", b"\x0a" + payloads["teep_success"])


# ---- EAT -----------------------------------------------------------------

UEID = bytes.fromhex("0198f50a4ff6c05861c8860d13a638ea4f")
NOW = 1767225600


def eat_claims(nonce):
    return {6: NOW, 8: {3: thumbprint(AGENT_P256)}, 10: nonce, 256: UEID,
            258: bytes.fromhex("894823"), 259: bytes.fromhex("549dcecc"),
            260: ["1.0"], 272: [[60, Raw(b"\xa0")]]}


def eat_seeds():
    nonce = b"NONCE" + bytes(27)
    claims = enc(eat_claims(nonce))
    seed("eat", "claims_teep", b"\x02" + claims)
    seed("eat", "claims_plain", b"\x00" + claims)
    seed("eat", "claims_signed", b"\x0b" + claims)
    seed("eat", "token_valid", b"\x03" +
         sign1(ATTESTER, -9, claims, {4: b"attest01"}))
    seed("eat", "rfc9711_cwt", b"\x01" + vector("eat/rfc9711-examples/tokens/valid_cwt.hex"))
    seed("eat", "rfc9711_claims", b"\x00" + enc({
        10: bytes.fromhex("948f8860d13a463e8e"),
        256: bytes.fromhex("0198f50a4ff6c05861c8860d13a638ea")}))


# ---- TAM -----------------------------------------------------------------

def tam_seeds():
    seed("tam", "empty_post", b"\x00")
    for name in ("query_response", "teep_success", "teep_error"):
        data = vector("teep/%s.hex.txt" % name)
        seed("tam", name + "_raw", b"\x00" + data)
        seed("tam", name + "_p256", b"\x01" + data)
        seed("tam", name + "_ed25519", b"\x02" + data)
        # Mode 3: in a live session; bit 2 adds valid evidence.
        seed("tam", name + "_session", b"\x03" + data)
    token = bytes(8)
    response = enc([2, {20: token, 6: 0, 8: [{0: TC_ID}]}])
    seed("tam", "query_response_session_evidence", b"\x07" + response)
    requested = enc([2, {20: token, 6: 0, 14: [{16: Raw(enc(TC_ID))}]}])
    seed("tam", "query_response_requested", b"\x07" + requested)


def main():
    for target in os.listdir(CORPUS) if os.path.isdir(CORPUS) else []:
        shutil.rmtree(os.path.join(CORPUS, target))
    cbor_seeds()
    cose_seeds()
    envelope, integrated = suit_seeds()
    teep_seeds(envelope, integrated)
    eat_seeds()
    tam_seeds()
    for target in sorted(written):
        print("%-14s %3d seeds" % (target, written[target]))


if __name__ == "__main__":
    main()
