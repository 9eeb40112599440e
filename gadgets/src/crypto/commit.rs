//! A Poseidon commitment to a tensor of any length (e.g. a model's private weights),
//! recomputable with circomlibjs' `poseidon`:
//!
//! ```text
//! h_0     = Poseidon([n, salt])                       n = the number of values
//! h_{i+1} = Poseidon([h_i, v_{15i}, ..., v_{15i+14}])  the last chunk zero-padded to 15
//! commitment = h_k,  k = ceil(n / 15)
//! ```
//!
//! Values are field elements (signed integers as `v mod p`). The salt makes the commitment
//! hiding: with a random salt, the commitment reveals nothing about low-entropy weights.
//! Cost: `237 + 609 k - 3 (15 k - n)` constraints (the length and the padding are
//! constants), about 40.6 per value.
//!
//! ```
//! use arkml_gadgets::crypto::{native_commit, native_poseidon};
//! use ark_bn254::Fr;
//! let v = [Fr::from(3u64), Fr::from(5u64)];
//! let h0 = native_poseidon(&[Fr::from(2u64), Fr::from(9u64)]).unwrap();
//! let mut chunk = vec![h0, v[0], v[1]];
//! chunk.resize(16, Fr::from(0u64));
//! assert_eq!(native_commit(&v, Fr::from(9u64)), native_poseidon(&chunk).unwrap());
//! ```

use ark_bn254::Fr;
use ark_r1cs_std::fields::fp::FpVar;

use crate::crypto::poseidon::{native_poseidon, poseidon};
use crate::error::Result;

/// Values per chained hash.
pub const CHUNK: usize = 15;

/// Native commitment.
pub fn native_commit(values: &[Fr], salt: Fr) -> Fr {
    let mut h = native_poseidon(&[Fr::from(values.len() as u64), salt]).expect("2 inputs");
    for chunk in values.chunks(CHUNK) {
        let mut inputs = vec![h];
        inputs.extend_from_slice(chunk);
        inputs.resize(CHUNK + 1, Fr::from(0u64));
        h = native_poseidon(&inputs).expect("16 inputs");
    }
    h
}

/// The commitment in circuit, equal to [`native_commit`].
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn commit(values: &[FpVar<Fr>], salt: &FpVar<Fr>) -> Result<FpVar<Fr>> {
    let n = FpVar::Constant(Fr::from(values.len() as u64));
    let mut h = poseidon(&[n, salt.clone()])?;
    for chunk in values.chunks(CHUNK) {
        let mut inputs = vec![h];
        inputs.extend_from_slice(chunk);
        inputs.resize(CHUNK + 1, FpVar::Constant(Fr::from(0u64)));
        h = poseidon(&inputs)?;
    }
    Ok(h)
}

/// Constraints of [`commit`] on `n` non-constant values and a non-constant salt.
pub fn commit_cost(n: usize) -> usize {
    let k = n.div_ceil(CHUNK);
    237 + 609 * k - 3 * (CHUNK * k - n)
}
