// Writes arkml's crypto test vectors and Poseidon constants from the circom world's own
// tools (versions pinned in package.json / package-lock.json). Re-run from this folder:
//
//   npm ci && node vectors.mjs
//
// Outputs (committed):
//   ../../gadgets/src/crypto/poseidon_constants.bin  circomlib's Poseidon round constants
//       and MDS matrices for t = 2..17 (1..16 inputs): for each t in order, (8 + R_P[t-2]) * t
//       round constants then t*t MDS entries (row-major), each 32 bytes big-endian.
//   ../../gadgets/src/crypto/poseidon_opt.bin  circomlibjs' optimised constants (sparse
//       partial rounds), used by the circuit; layout in the code below
//   ../../gadgets/tests/vectors/poseidon.json   circomlibjs poseidon for every width
//   ../../gadgets/tests/vectors/babyjub.json    @zk-kit/baby-jubjub: public keys s*Base8
//                                               and ECDH shared points s*P
//   ../../gadgets/tests/vectors/cipher.json     @zk-kit/poseidon-cipher 0.3 ciphertexts
import { createHash } from "crypto";
import { writeFileSync } from "fs";
import { buildPoseidon, buildPoseidonReference } from "circomlibjs";
import { readFileSync } from "fs";
const poseidonConstants = JSON.parse(readFileSync("node_modules/circomlibjs/src/poseidon_constants.json", "utf8"));
import { Base8, mulPointEscalar, subOrder } from "@zk-kit/baby-jubjub";
import { poseidonEncrypt } from "@zk-kit/poseidon-cipher";

const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const R_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

// deterministic pseudo-random field elements: SHA-256 of a label and a counter
let counter = 0;
function rand(bound) {
  const h = createHash("sha256").update(`arkml-vectors-${counter++}`).digest("hex");
  const h2 = createHash("sha256").update(`arkml-vectors-${counter++}`).digest("hex");
  return BigInt("0x" + h + h2) % bound;
}

function be32(x) {
  const hex = BigInt(x).toString(16).padStart(64, "0");
  return Buffer.from(hex, "hex");
}

// 1. constants
const { C, M } = poseidonConstants;
const chunks = [];
for (let t = 2; t <= 17; t++) {
  const c = C[t - 2];
  if (c.length !== (8 + R_P[t - 2]) * t) throw new Error(`C length for t=${t}`);
  for (const v of c) chunks.push(be32(v));
  for (const row of M[t - 2]) for (const v of row) chunks.push(be32(v));
}
writeFileSync("../../gadgets/src/crypto/poseidon_constants.bin", Buffer.concat(chunks));

// 1b. circomlibjs' optimised constants (sparse partial rounds, as circomlib's poseidon.circom
// uses): for each t, C (8t + R_P), S ((2t - 1) R_P), M (t*t), P (t*t), 32 bytes big-endian.
const opt = JSON.parse(readFileSync("node_modules/circomlibjs/src/poseidon_constants_opt.json", "utf8"));
const optChunks = [];
for (let t = 2; t <= 17; t++) {
  const rp = R_P[t - 2];
  const parts = [
    [opt.C[t - 2], 8 * t + rp],
    [opt.S[t - 2], (2 * t - 1) * rp],
    [opt.M[t - 2].flat(), t * t],
    [opt.P[t - 2].flat(), t * t],
  ];
  for (const [values, n] of parts) {
    if (values.length !== n) throw new Error(`opt constants for t=${t}: ${values.length} != ${n}`);
    for (const v of values) optChunks.push(be32(v));
  }
}
writeFileSync("../../gadgets/src/crypto/poseidon_opt.bin", Buffer.concat(optChunks));

// 2. Poseidon for every width
const poseidon = await buildPoseidon();
const reference = await buildPoseidonReference();
const F = poseidon.F;
const hashes = [];
hashes.push({ inputs: ["1", "2"], output: F.toString(poseidon([1n, 2n])) });
for (let n = 1; n <= 16; n++) {
  for (let k = 0; k < 2; k++) {
    const inputs = Array.from({ length: n }, () => rand(P));
    const out = F.toString(poseidon(inputs));
    if (out !== reference.F.toString(reference(inputs))) throw new Error("wasm != reference");
    hashes.push({ inputs: inputs.map(String), output: out });
  }
}
writeFileSync("../../gadgets/tests/vectors/poseidon.json", JSON.stringify(hashes, null, 1));

// 3. Baby Jubjub keys and ECDH
const keys = [];
for (let i = 0; i < 8; i++) {
  const a = rand(subOrder), b = rand(subOrder);
  const A = mulPointEscalar(Base8, a), B = mulPointEscalar(Base8, b);
  const shared = mulPointEscalar(B, a);
  const check = mulPointEscalar(A, b);
  if (shared[0] !== check[0] || shared[1] !== check[1]) throw new Error("ECDH mismatch");
  keys.push({
    private_key: String(a), public_key: A.map(String),
    peer_private_key: String(b), peer_public_key: B.map(String),
    shared: shared.map(String),
  });
}
writeFileSync("../../gadgets/tests/vectors/babyjub.json", JSON.stringify(keys, null, 1));

// 4. Poseidon cipher, keyed by ECDH shared points
const ciphers = [];
for (const len of [1, 2, 3, 4, 5, 6, 7, 10]) {
  const key = keys[len % keys.length].shared.map(BigInt);
  const nonce = rand(1n << 128n);
  const msg = Array.from({ length: len }, () => rand(P));
  const ct = poseidonEncrypt(msg, key, nonce);
  ciphers.push({
    key: key.map(String), nonce: String(nonce),
    plaintext: msg.map(String), ciphertext: ct.map(String),
  });
}
writeFileSync("../../gadgets/tests/vectors/cipher.json", JSON.stringify(ciphers, null, 1));
console.log(`wrote ${chunks.length} Poseidon constants, ${hashes.length} hashes, ${keys.length} key pairs, ${ciphers.length} ciphertexts`);
