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

pub use babyjub::{
    ecdh, ecdh_cost, native_ecdh, native_public_key, public_key, public_key_cost, Point, PointVar,
};
pub use cipher::{encrypt, encrypt_cost, native_decrypt, native_encrypt};
pub use commit::{commit, commit_cost, native_commit};
pub use poseidon::{
    native_poseidon, native_poseidon_permutation, poseidon, poseidon_cost, poseidon_permutation,
};
pub use sha256::{
    cid_v1_raw, digest_of_cid, native_sha256, sha256_bits, sha256_bytes, sha256_bytes_cost,
    sha256_cost, Sha256Digest,
};
