//! Cryptographic gadgets over BN254's scalar field, interoperable with the circom world
//! (circomlib / circomlibjs, @zk-kit): Poseidon with circomlib's parameters, a Poseidon
//! commitment to a tensor, and Poseidon encryption as `@zk-kit/poseidon-cipher`.
//!
//! Unlike the ML gadgets, these are fixed to [`ark_bn254::Fr`]: their constants are
//! circomlib's, which exist for that field only.

pub mod babyjub;
pub mod cipher;
pub mod commit;
pub mod poseidon;
pub mod sha256;

pub use commit::{commit, native_commit};
pub use poseidon::{native_poseidon, native_poseidon_permutation, poseidon, poseidon_permutation};
