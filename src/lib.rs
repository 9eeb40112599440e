//! # arkml
//!
//! Zero-knowledge machine learning on arkworks: prove with Groth16 on BN254 that an output
//! came from a model applied to an input, keeping the model, the input or both private.
//!
//! This crate is the thin layer over [`arkml_gadgets`] (re-exported as [`gadgets`]):
//! [`model`] (the sequential builder: native inference, bound analysis, one
//! `ConstraintSynthesizer`), [`quant`] (float weights to integers), [`file`](mod@file) (model, key,
//! proof and public-input files), [`groth16`] (setup / prove / verify, with a satisfaction
//! check before proving), [`handover`] (a model's weights encrypted to a recipient and
//! bound to their commitment) and [`report`] (the generated constraint-count table).
#![deny(missing_docs)]

pub use arkml_gadgets as gadgets;

pub mod bounty;
pub mod circuit;
pub mod file;
pub mod groth16;
pub mod handover;
pub mod measure;
pub mod model;
pub mod quant;
pub mod report;
pub mod snarkjs;
pub mod solidity;
