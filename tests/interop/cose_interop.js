// Interoperability of teepkit with the npm packages cbor and cose-js:
// a COSE_Sign1 (ES256) made by teepkit verifies with cose-js, one made by
// cose-js verifies with teepkit, tampered messages fail on both sides, and
// cbor decodes teepkit's deterministic encodings to the expected values.
//
// Usage: node cose_interop.js TEEPKIT INTEROP_ITEMS WORKDIR
// (run with NODE_PATH pointing at the node_modules of cbor and cose-js).
'use strict';

const assert = require('assert');
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const cbor = require('cbor');
const cose = require('cose-js');

const [teepkit, itemsTool, workdir] = process.argv.slice(2);
let checks = 0;

function run(args, expectStatus) {
  const r = childProcess.spawnSync(teepkit, args, { cwd: workdir });
  if (r.status !== expectStatus) {
    throw new Error(`teepkit ${args.join(' ')} exited ${r.status}, ` +
                    `expected ${expectStatus}: ${r.stderr}`);
  }
  return r;
}

function file(name) {
  return path.join(workdir, name);
}

// Reads the P-256 key pair that teepkit wrote as a COSE_Key.
function readCoseKey(name) {
  const m = cbor.decodeFirstSync(fs.readFileSync(file(name)));
  assert.strictEqual(m.get(1), 2, 'kty EC2');
  assert.strictEqual(m.get(-1), 1, 'crv P-256');
  return { x: m.get(-2), y: m.get(-3), d: m.get(-4), kid: m.get(2) };
}

async function signatures() {
  run(['key', 'generate', '--alg', 'ES256', '-o', 'k.pem', '--cose', 'k.cose',
       '--kid', 'interop'], 0);
  const key = readCoseKey('k.cose');
  const payload = Buffer.from('interoperability payload');
  fs.writeFileSync(file('payload.bin'), payload);

  // teepkit signs, cose-js verifies.
  run(['cose', 'sign1', '--key', 'k.pem', '--payload', 'payload.bin', '-o',
       'teepkit.cbor'], 0);
  const ours = fs.readFileSync(file('teepkit.cbor'));
  const verified = await cose.sign.verify(ours, { key: { x: key.x, y: key.y } });
  assert.ok(verified.equals(payload), 'cose-js returns the payload');
  checks++;
  const tampered = Buffer.from(ours);
  tampered[tampered.length - 70] ^= 1; // a payload byte
  await assert.rejects(cose.sign.verify(tampered, { key: { x: key.x, y: key.y } }),
                       /Signature missmatch/);
  checks++;

  // cose-js signs, teepkit verifies.
  const theirs = await cose.sign.create(
    { p: { alg: 'ES256' }, u: { kid: 'interop' } }, payload, { key: { d: key.d } });
  fs.writeFileSync(file('cose-js.cbor'), theirs);
  const r = run(['cose', 'verify1', '--key', 'k.cose', 'cose-js.cbor', '-o',
                 'out.bin'], 0);
  assert.ok(fs.readFileSync(file('out.bin')).equals(payload),
            'teepkit returns the payload');
  assert.match(String(r.stderr), /signature valid \(alg -7, kid 696e7465726f70/);
  checks++;
  const other = await cose.sign.create(
    { p: { alg: 'ES256' }, u: { kid: 'interop' } }, Buffer.from('other payload'),
    { key: { d: key.d } });
  const swapped = cbor.decodeFirstSync(other);
  swapped.value[2] = payload; // the signature covers the other payload
  fs.writeFileSync(file('swapped.cbor'), cbor.encode(swapped));
  const bad = run(['cose', 'verify1', '--key', 'k.cose', 'swapped.cbor'], 1);
  assert.match(String(bad.stderr), /TK_ERR_COSE_SIGNATURE_INVALID/);
  checks++;
}

// Reduces a decoded value to a form that compares with deepStrictEqual:
// maps become sorted entry lists, byte strings hex, tags {tag, value}.
function norm(v) {
  if (v instanceof Map) {
    return { map: [...v.entries()].map(([k, x]) => [norm(k), norm(x)])
      .sort((a, b) => JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1) };
  }
  if (Buffer.isBuffer(v)) {
    return { bstr: v.toString('hex') };
  }
  if (v instanceof cbor.Tagged) {
    return { tag: v.tag, value: norm(v.value) };
  }
  if (Array.isArray(v)) {
    return v.map(norm);
  }
  if (typeof v === 'bigint') {
    return { bigint: v.toString() };
  }
  if (typeof v === 'number' && !Number.isSafeInteger(v) && Number.isInteger(v)) {
    return { bigint: BigInt(v).toString() };
  }
  if (typeof v === 'number' && !Number.isFinite(v)) {
    return { float: String(v) };
  }
  if (v !== null && typeof v === 'object') {
    return norm(new Map(Object.entries(v)));
  }
  return v;
}

const bytes = (n) => Buffer.from([...Array(n).keys()].map((i) => i & 0xff));

// The values that interop_items encodes, by name.
const expected = {
  uints: [0, 23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296,
          9007199254740992n, 18446744073709551615n],
  nints: [-1, -24, -25, -256, -257, -65537, -4294967297,
          -9223372036854775808n, -18446744073709551616n],
  bstrs: [Buffer.alloc(0), bytes(1), bytes(24), bytes(300)],
  tstrs: ['', 'a', 'IETF', '\u00fc\u20ac\u{10348}'],
  arrays: [[], [1, [2, 3]], [...Array(25).keys()].map((i) => i + 1)],
  map: new Map([['a', 6], [100, 5], [-1, 3], [Buffer.from([0]), 7], [10, 4],
                [1, 2]]),
  nested: new Map([['teep', [1, new Map([[20, Buffer.from([1, 2, 3, 4])]])]]]),
  tags: [new cbor.Tagged(10000, Buffer.from([0xa1])),
         new cbor.Tagged(18, [Buffer.from([0xa1, 0x01, 0x26]), new Map(), null,
                              Buffer.alloc(0)])],
  simple: [true, false, null, 1.5, 100000, 1.1, -4, Infinity],
};

// RFC 8949 section 4.2.1 key order of the map item: 1, 10, 100, -1,
// h'00', "a" (bytewise order of the encoded keys).
const mapOrder = '01 0a 1864 20 4100 6161';

function items() {
  const out = childProcess.execFileSync(itemsTool).toString().trim().split('\n');
  const seen = new Set();
  for (const line of out) {
    const [name, hex] = line.split(' ');
    const data = Buffer.from(hex, 'hex');
    const decoded = cbor.decodeFirstSync(data, { preferMap: true });
    assert.ok(name in expected, `unexpected item ${name}`);
    assert.deepStrictEqual(norm(decoded), norm(expected[name]),
                           `item ${name} (${hex}) decodes to another value`);
    seen.add(name);
    checks++;
    if (name === 'map') {
      let at = 1;
      for (const key of mapOrder.split(' ')) {
        assert.strictEqual(hex.substr(at * 2, key.length), key,
                           `map keys out of deterministic order in ${hex}`);
        at += key.length / 2 + 1; // skip the key and its one-byte value
      }
    }
  }
  assert.deepStrictEqual([...seen].sort(), Object.keys(expected).sort());
}

(async () => {
  try {
    await signatures();
    items();
    console.log(`interop: ${checks} checks passed with cbor ` +
                `${require('cbor/package.json').version} and cose-js ` +
                `${require('cose-js/package.json').version}`);
  } catch (e) {
    console.error(`interop: FAILED: ${e.stack || e}`);
    process.exit(1);
  }
})();
