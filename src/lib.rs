//! # arkml
//!
//! Zero-knowledge machine learning on arkworks: prove with Groth16 on BN254 that an output
//! came from a model applied to an input, keeping the model, the input or both private.
//!
//! This crate is the thin layer over [`arkml_gadgets`] (re-exported as [`gadgets`]):
//! [`model`] (the builder, a graph of layers: shapes and facts before synthesis, native
//! inference, synthesis), [`circuit`] (the statement: public inputs by role, the weight
//! commitment, what a verifier expects), [`quant`] (float weights to integers), [`io`] (model, tensor, key, proof and
//! public-input files; snarkjs, Solidity, iden3 and zkey interop), [`groth16`] (setup / prove / verify, with a satisfaction
//! check before proving), [`handover`] (a model's weights encrypted to a recipient and
//! bound to their commitment) and [`report`] (the generated constraint-count table).
#![deny(missing_docs)]

pub use arkml_gadgets as gadgets;
// the crates the public API is written in, so a user's versions always match ours
pub use ark_groth16;
pub use arkml_gadgets::{ark_bn254, ark_ff, ark_r1cs_std, ark_relations, ndarray, num_bigint};

pub mod bounty;
pub mod calibrate;
pub mod circomlib_ml;
pub mod circuit;
pub mod groth16;
pub mod handover;
pub mod io;
pub mod measure;
pub mod model;
pub mod onnx;
pub mod quant;
pub mod report;

/// The former name of [`io`]: model, tensor, key, proof and public-input files.
pub use io as file;
pub use io::{iden3, snarkjs, solidity, zkey};
