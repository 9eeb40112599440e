//! Poseidon encryption, compatible with `@zk-kit/poseidon-cipher` 0.3 (MACI's duplex
//! sponge over circomlib's width-4 permutation):
//!
//! ```text
//! state = [0, k0, k1, nonce + len * 2^128]         key = (k0, k1), e.g. an ECDH shared point
//! for each block of 3 (plaintext zero-padded to a multiple of 3):
//!     state = perm(state); state[1..4] += block; ciphertext += state[1..4]
//! state = perm(state); ciphertext += state[1]      the authentication tag
//! ```
//!
//! The nonce must be below `2^128`. In circuit ([`encrypt`]): private plaintext and key, and
//! the ciphertext out, to be made public by the caller; the key never becomes a public
//! value. Cost: `264 (ceil(len / 3) + 1) - 3 + 129` constraints (one width-4 permutation per
//! block and one for the tag, 3 saved because the first state element is the constant 0,
//! and 129 for the nonce's range check): 88 per element amortised (circomlib-ml's MiMC7
//! cipher: 728).
//!
//! ```
//! use arkml_gadgets::crypto::cipher::{native_decrypt, native_encrypt};
//! use ark_bn254::Fr;
//! let key = (Fr::from(7u64), Fr::from(9u64));
//! let msg = [Fr::from(1u64), Fr::from(2u64), Fr::from(3u64), Fr::from(4u64)];
//! let ct = native_encrypt(&msg, key, 42u128).unwrap();
//! assert_eq!(ct.len(), 7);
//! assert_eq!(native_decrypt(&ct, key, 42u128, 4).unwrap(), msg);
//! assert!(native_decrypt(&ct, key, 43u128, 4).is_err());
//! ```

use ark_bn254::Fr;
use ark_r1cs_std::fields::fp::FpVar;

use crate::crypto::poseidon::{native_poseidon_permutation, poseidon_permutation};
use crate::error::{Error, Result};

/// `2^128` in the field.
fn two128() -> Fr {
    Fr::from(1u128 << 64) * Fr::from(1u128 << 64)
}

fn initial_state(key: (Fr, Fr), nonce: u128, len: usize) -> [Fr; 4] {
    [
        Fr::from(0u64),
        key.0,
        key.1,
        Fr::from(nonce) + Fr::from(len as u64) * two128(),
    ]
}

fn perm(s: &[Fr]) -> Vec<Fr> {
    native_poseidon_permutation(s).expect("width 4")
}

/// The ciphertext length for a plaintext of `len` elements: `3 ceil(len / 3) + 1`.
pub fn ciphertext_len(len: usize) -> usize {
    3 * len.div_ceil(3) + 1
}

/// Encrypts natively (equal to zk-kit's `poseidonEncrypt`). The nonce is a `u128`, so
/// below `2^128` by construction.
pub fn native_encrypt(msg: &[Fr], key: impl Into<(Fr, Fr)>, nonce: u128) -> Result<Vec<Fr>> {
    let key = key.into();
    let mut padded = msg.to_vec();
    padded.resize(3 * msg.len().div_ceil(3), Fr::from(0u64));
    let mut state = initial_state(key, nonce, msg.len()).to_vec();
    let mut ct = Vec::with_capacity(ciphertext_len(msg.len()));
    for block in padded.chunks(3) {
        state = perm(&state);
        for (i, m) in block.iter().enumerate() {
            state[i + 1] += m;
            ct.push(state[i + 1]);
        }
    }
    state = perm(&state);
    ct.push(state[1]);
    Ok(ct)
}

/// Decrypts natively, checking the length, the padding (which must be zero, for every
/// length) and the authentication tag. Stricter than zk-kit's `poseidonDecrypt`, which
/// checks the padding only when `len > 3`.
pub fn native_decrypt(
    ct: &[Fr],
    key: impl Into<(Fr, Fr)>,
    nonce: u128,
    len: usize,
) -> Result<Vec<Fr>> {
    let key = key.into();
    if ct.len() != ciphertext_len(len) {
        return Err(Error::Decryption(format!(
            "a plaintext of {len} elements has a ciphertext of {}, got {}",
            ciphertext_len(len),
            ct.len()
        )));
    }
    let mut state = initial_state(key, nonce, len).to_vec();
    let mut msg = Vec::with_capacity(ct.len() - 1);
    for block in ct[..ct.len() - 1].chunks(3) {
        state = perm(&state);
        for (i, c) in block.iter().enumerate() {
            msg.push(*c - state[i + 1]);
            state[i + 1] = *c;
        }
    }
    if msg[len..].iter().any(|v| *v != Fr::from(0u64)) {
        return Err(Error::Decryption("non-zero padding".into()));
    }
    state = perm(&state);
    if state[1] != ct[ct.len() - 1] {
        return Err(Error::Decryption(
            "authentication tag mismatch (wrong key, nonce or length, or tampering)".into(),
        ));
    }
    msg.truncate(len);
    Ok(msg)
}

/// Encrypts in circuit: `nonce` is range-checked below `2^128` (129 constraints); returns
/// the ciphertext variables (equal to [`native_encrypt`]). Enforce them equal to a public
/// ciphertext to prove "this public ciphertext encrypts these (private) values to this
/// (private) key". The key is a pair of variables or an ECDH shared point
/// ([`babyjub::ecdh`](crate::crypto::babyjub::ecdh)'s output, passed as `&shared`).
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn encrypt<'k>(
    msg: &[FpVar<Fr>],
    key: impl Into<(&'k FpVar<Fr>, &'k FpVar<Fr>)>,
    nonce: &FpVar<Fr>,
) -> Result<Vec<FpVar<Fr>>> {
    let key = key.into();
    crate::range::enforce_unsigned(nonce, 128).map_err(|e| match e {
        Error::OutOfRange { value, range, .. } => Error::OutOfRange {
            what: "cipher nonce".into(),
            value,
            range,
        },
        other => other,
    })?;
    let zero = FpVar::Constant(Fr::from(0u64));
    let mut padded = msg.to_vec();
    padded.resize(3 * msg.len().div_ceil(3), zero.clone());
    let mut state = vec![
        zero,
        key.0.clone(),
        key.1.clone(),
        nonce + FpVar::Constant(Fr::from(msg.len() as u64) * two128()),
    ];
    let mut ct = Vec::with_capacity(ciphertext_len(msg.len()));
    for block in padded.chunks(3) {
        state = poseidon_permutation(&state)?;
        for (i, m) in block.iter().enumerate() {
            state[i + 1] = &state[i + 1] + m;
            ct.push(state[i + 1].clone());
        }
    }
    state = poseidon_permutation(&state)?;
    ct.push(state.swap_remove(1));
    Ok(ct)
}

/// Constraints of [`encrypt`] on `len` non-constant elements, key and nonce.
pub fn encrypt_cost(len: usize) -> usize {
    264 * (len.div_ceil(3) + 1) - 3 + 129
}
