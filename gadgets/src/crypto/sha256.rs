//! SHA-256 over bytes in circuit, and CIDv1 content identifiers natively.
//!
//! Bits are big-endian within bytes (SHA-256's own order). A byte that enters as a field
//! element is decomposed into 8 booleans (9 constraints); every bit the hash reads is
//! constrained boolean (ZKaggleV2 never constrains its hashed bits). The output is the
//! digest's bits, its 32 bytes, and two 128-bit big-endian field elements (the layout of
//! ZKaggleV2's `getCid`: `hi` = bytes 0..16, `lo` = bytes 16..32).
//!
//! Construction, per 512-bit block: words are 32 little-endian-indexed booleans; the
//! three-way XORs of `Σ0, Σ1, σ0, σ1` cost 1 constraint per two-way XOR (none against a
//! constant bit, e.g. the zeros a shift brings in); `Ch = g + e (f - g)` and
//! `Maj = b + (b ⊕ c)(a - b)` are 1 and 2 constraints per bit as field values that feed the
//! additions directly; each modular addition of `n` words allocates 32 result bits and
//! `ceil(log2 n)` carry bits and checks one linear equation. Constant inputs (the IV in the
//! first rounds, the padding) cost nothing. Measured and pinned by the tests: **25,813**
//! constraints for the first 512-bit block of a message ([`sha256_block_cost`]; bellman's
//! figure 25,840, circom's sha256 29,725, ark-crypto-primitives' 34–39k), 26,416 for each
//! further block of variable data (the state is no longer the constant IV), 19,467 for a
//! block of padding only. Bytes given as field elements add 9 each.
//!
//! ```
//! use arkml_gadgets::crypto::sha256::cid_v1_raw;
//! // the CID of the empty file
//! assert_eq!(cid_v1_raw(b""), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
//! ```

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean, eq::EqGadget, fields::fp::FpVar, GR1CSVar};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::range::weighted_sum;

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// A 32-bit word: `w[i]` is the bit of weight `2^i`.
type Word = Vec<Boolean<Fr>>;

fn const_word(v: u32) -> Word {
    (0..32)
        .map(|i| Boolean::Constant((v >> i) & 1 == 1))
        .collect()
}

fn rotr(w: &Word, n: usize) -> Word {
    (0..32).map(|i| w[(i + n) % 32].clone()).collect()
}

fn shr(w: &Word, n: usize) -> Word {
    (0..32)
        .map(|i| w.get(i + n).cloned().unwrap_or(Boolean::Constant(false)))
        .collect()
}

fn xor3(a: &Word, b: &Word, c: &Word) -> Word {
    (0..32).map(|i| &(&a[i] ^ &b[i]) ^ &c[i]).collect()
}

fn value(w: &Word) -> Result<FpVar<Fr>> {
    let cs = w
        .iter()
        .fold(ConstraintSystemRef::None, |cs, b| cs.or(b.cs()));
    weighted_sum(&cs, w)
}

fn bitval(b: &Boolean<Fr>) -> FpVar<Fr> {
    FpVar::from(b.clone())
}

/// `sum(terms) mod 2^32` as a word: 32 result bits, `carry_bits` carry bits and one linear
/// equation (none when every term is constant).
fn add_mod(terms: &[FpVar<Fr>], carry_bits: u32) -> Result<Word> {
    let sum: FpVar<Fr> = terms.iter().fold(FpVar::Constant(Fr::ZERO), |a, t| a + t);
    if let FpVar::Constant(c) = &sum {
        let v = c.into_bigint().as_ref()[0] as u32;
        return Ok(const_word(v));
    }
    let cs = sum.cs();
    let total = sum.value().ok().map(|v| v.into_bigint().as_ref()[0]);
    let bit = |i: u32| {
        Boolean::new_witness(cs.clone(), || {
            total
                .map(|t| (t >> i) & 1 == 1)
                .ok_or(SynthesisError::AssignmentMissing)
        })
    };
    let word = (0..32).map(bit).collect::<std::result::Result<Word, _>>()?;
    let carry = (32..32 + carry_bits)
        .map(bit)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let all: Vec<Boolean<Fr>> = word.iter().chain(carry.iter()).cloned().collect();
    weighted_sum(&cs, &all)?.enforce_equal(&sum)?;
    Ok(word)
}

/// One compression: the new state from `state` and 16 message words.
fn compress(state: &[Word], block: &[Word]) -> Result<Vec<Word>> {
    let mut w: Vec<Word> = block.to_vec();
    for t in 16..64 {
        let s0 = xor3(
            &rotr(&w[t - 15], 7),
            &rotr(&w[t - 15], 18),
            &shr(&w[t - 15], 3),
        );
        let s1 = xor3(
            &rotr(&w[t - 2], 17),
            &rotr(&w[t - 2], 19),
            &shr(&w[t - 2], 10),
        );
        let terms = [
            value(&s1)?,
            value(&w[t - 7])?,
            value(&s0)?,
            value(&w[t - 16])?,
        ];
        w.push(add_mod(&terms, 2)?);
    }
    let (mut a, mut b, mut c, mut d) = (
        state[0].clone(),
        state[1].clone(),
        state[2].clone(),
        state[3].clone(),
    );
    let (mut e, mut f, mut g, mut h) = (
        state[4].clone(),
        state[5].clone(),
        state[6].clone(),
        state[7].clone(),
    );
    for t in 0..64 {
        let big_s1 = value(&xor3(&rotr(&e, 6), &rotr(&e, 11), &rotr(&e, 25)))?;
        let big_s0 = value(&xor3(&rotr(&a, 2), &rotr(&a, 13), &rotr(&a, 22)))?;
        // Ch = g + e (f - g), Maj = b + (b xor c)(a - b), bit by bit, weighted
        let mut ch = FpVar::Constant(Fr::ZERO);
        let mut maj = FpVar::Constant(Fr::ZERO);
        let mut weight = Fr::ONE;
        for i in 0..32 {
            let (ei, fi, gi) = (bitval(&e[i]), bitval(&f[i]), bitval(&g[i]));
            ch += (&gi + ei * (fi - &gi)) * weight;
            let (ai, bi) = (bitval(&a[i]), bitval(&b[i]));
            let bc = bitval(&(&b[i] ^ &c[i]));
            maj += (&bi + bc * (ai - &bi)) * weight;
            weight.double_in_place();
        }
        let t1 = [
            value(&h)?,
            big_s1,
            ch,
            FpVar::Constant(Fr::from(K[t])),
            value(&w[t])?,
        ];
        let mut e_terms = t1.to_vec();
        e_terms.push(value(&d)?);
        let mut a_terms = t1.to_vec();
        a_terms.push(big_s0);
        a_terms.push(maj);
        let new_e = add_mod(&e_terms, 3)?;
        let new_a = add_mod(&a_terms, 3)?;
        h = g;
        g = f;
        f = e;
        e = new_e;
        d = c;
        c = b;
        b = a;
        a = new_a;
    }
    let out = [a, b, c, d, e, f, g, h];
    state
        .iter()
        .zip(out.iter())
        .map(|(s, o)| add_mod(&[value(s)?, value(o)?], 1))
        .collect()
}

/// The digest in circuit.
#[derive(Clone, Debug)]
pub struct Sha256Digest {
    /// 256 bits, big-endian (bit 0 is the most significant bit of byte 0).
    pub bits: Vec<Boolean<Fr>>,
    /// 32 bytes.
    pub bytes: Vec<FpVar<Fr>>,
    /// Bytes 0..16 as a big-endian integer.
    pub hi: FpVar<Fr>,
    /// Bytes 16..32 as a big-endian integer.
    pub lo: FpVar<Fr>,
}

/// SHA-256 of a message given as bits in message order (big-endian within bytes); the
/// length must be a multiple of 8. Padding is constant.
pub fn sha256_bits(msg: &[Boolean<Fr>]) -> Result<Sha256Digest> {
    if msg.len() % 8 != 0 {
        return Err(Error::param(
            "sha256 message",
            "its length in bits must be a multiple of 8",
        ));
    }
    let mut bits = msg.to_vec();
    let len = msg.len() as u64;
    bits.push(Boolean::Constant(true));
    while bits.len() % 512 != 448 {
        bits.push(Boolean::Constant(false));
    }
    bits.extend(
        (0..64)
            .rev()
            .map(|i| Boolean::Constant((len >> i) & 1 == 1)),
    );
    let mut state: Vec<Word> = IV.iter().map(|v| const_word(*v)).collect();
    for block in bits.chunks(512) {
        // message order is big-endian per word: reverse each 32-bit group into weights
        let words: Vec<Word> = block
            .chunks(32)
            .map(|c| c.iter().rev().cloned().collect())
            .collect();
        state = compress(&state, &words)?;
    }
    let out_bits: Vec<Boolean<Fr>> = state
        .iter()
        .flat_map(|w| w.iter().rev().cloned().collect::<Vec<_>>())
        .collect();
    let cs = out_bits
        .iter()
        .fold(ConstraintSystemRef::None, |cs, b| cs.or(b.cs()));
    // big-endian bits to their integer
    let be = |bs: &[Boolean<Fr>]| -> Result<FpVar<Fr>> {
        let le: Vec<Boolean<Fr>> = bs.iter().rev().cloned().collect();
        weighted_sum(&cs, &le)
    };
    let bytes = out_bits.chunks(8).map(be).collect::<Result<Vec<_>>>()?;
    Ok(Sha256Digest {
        hi: be(&out_bits[..128])?,
        lo: be(&out_bits[128..])?,
        bits: out_bits,
        bytes,
    })
}

/// The 8 bits of a byte variable, big-endian: 8 booleans and one recomposition constraint
/// (which also proves `0 <= byte < 256`).
pub fn byte_bits(byte: &FpVar<Fr>) -> Result<Vec<Boolean<Fr>>> {
    if let FpVar::Constant(c) = byte {
        let v = c.into_bigint().as_ref()[0];
        if *c != Fr::from(v & 0xff) {
            return Err(Error::OutOfRange {
                what: "byte".into(),
                value: c.to_string(),
                range: "[0, 256)".into(),
            });
        }
        return Ok((0..8)
            .rev()
            .map(|i| Boolean::Constant((v >> i) & 1 == 1))
            .collect());
    }
    let bits = crate::range::enforce_unsigned(byte, 8).map_err(|e| match e {
        Error::OutOfRange { value, range, .. } => Error::OutOfRange {
            what: "byte".into(),
            value,
            range,
        },
        other => other,
    })?;
    Ok(bits.into_iter().rev().collect())
}

/// SHA-256 of byte variables (each range-checked to a byte).
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn sha256_bytes(bytes: &[FpVar<Fr>]) -> Result<Sha256Digest> {
    let mut bits = Vec::with_capacity(bytes.len() * 8);
    for b in bytes {
        bits.extend(byte_bits(b)?);
    }
    sha256_bits(&bits)
}

/// Native SHA-256 (the `sha2` crate).
pub fn native_sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The digest's two 128-bit big-endian halves as field elements (ZKaggleV2's layout).
pub fn native_halves(digest: &[u8; 32]) -> (Fr, Fr) {
    (
        Fr::from_be_bytes_mod_order(&digest[..16]),
        Fr::from_be_bytes_mod_order(&digest[16..]),
    )
}

/// The CIDv1 of raw bytes: multibase base32 (lower case, no padding, prefix `b`) of
/// `0x01 0x55 0x12 0x20 ‖ sha256(data)` (version 1, codec raw, multihash sha2-256).
pub fn cid_v1_raw(data: &[u8]) -> String {
    let mut bytes = vec![0x01, 0x55, 0x12, 0x20];
    bytes.extend_from_slice(&native_sha256(data));
    multibase::encode(multibase::Base::Base32Lower, bytes)
}

/// The SHA-256 digest inside a raw CIDv1 string; errors for anything else.
pub fn digest_of_cid(cid: &str) -> Result<[u8; 32]> {
    let bad = |why: &str| Error::param("CID", format!("{cid:?}: {why}"));
    let (_, bytes) = multibase::decode(cid).map_err(|e| bad(&e.to_string()))?;
    if bytes.len() != 36 || bytes[..4] != [0x01, 0x55, 0x12, 0x20] {
        return Err(bad("not a CIDv1 of raw bytes with a SHA-256 multihash"));
    }
    let mut d = [0u8; 32];
    d.copy_from_slice(&bytes[4..]);
    Ok(d)
}

/// Constraints of [`sha256_bits`] on a message of `len_bytes` bytes whose bits are already
/// boolean variables (measured by synthesising it on zeros in setup mode, which is exact:
/// the gadget writes the same constraints for every message of a length). Like every
/// `*_cost` function, `usize::MAX` for a length the gadget refuses.
pub fn sha256_cost(len_bytes: usize) -> usize {
    let cs = ark_relations::gr1cs::ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
    let Some(n_bits) = len_bytes.checked_mul(8) else {
        return usize::MAX;
    };
    let bits: Option<Vec<Boolean<Fr>>> = (0..n_bits)
        .map(|_| Boolean::new_witness(cs.clone(), || Ok(false)).ok())
        .collect();
    let Some(bits) = bits else {
        return usize::MAX;
    };
    let before = cs.num_constraints();
    match sha256_bits(&bits) {
        Ok(_) => cs.num_constraints() - before,
        Err(_) => usize::MAX,
    }
}

/// Constraints of [`sha256_bytes`] on `len_bytes` byte variables: [`sha256_cost`] plus
/// [`byte_bits`]' 9 per byte.
pub fn sha256_bytes_cost(len_bytes: usize) -> usize {
    sha256_cost(len_bytes).saturating_add(len_bytes.saturating_mul(9))
}

/// Constraints of one 512-bit block with every input bit a variable (a full first block).
pub fn sha256_block_cost() -> usize {
    sha256_cost(55) // 55 bytes + padding fill exactly one block
}
