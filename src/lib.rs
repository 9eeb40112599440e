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
//!
//! The main flow, from a float model to a proof a snarkjs verifier accepts:
//!
//! ```
//! use std::sync::Arc;
//! use ark_std::rand::{rngs::StdRng, SeedableRng};
//! use arkml::circuit::{Expectation, ModelCircuit};
//! use arkml::model::{ops, Layer};
//! use arkml::quant::{quantize, FloatLayer, FloatModel};
//! use arkml::gadgets::fixed::Scale;
//! use arkml::ndarray::{array, ArrayD, IxDyn};
//!
//! // a float model (or `arkml::onnx::load_onnx` on a PyTorch / Keras / scikit-learn export)
//! let fm = FloatModel {
//!     input_shape: vec![2],
//!     input_max: 1.0,
//!     layers: vec![
//!         FloatLayer::dense(array![[0.5, -0.25, 0.3], [0.125, 1.0, -0.7]], array![0.1, 0.0, 0.2]),
//!         Layer::Relu(ops::Relu),
//!         Layer::ArgMax(ops::ArgMax),
//!     ],
//!     graph: Default::default(),
//! };
//! // quantise at 2^8; the input rounded at the same scale
//! let q = quantize(&fm, Scale::Pow2(8)).unwrap();
//! let x = q.quantize_input(&ArrayD::from_shape_vec(IxDyn(&[2]), vec![0.5, 0.75]).unwrap()).unwrap();
//! // the statement: private input, constant weights, public class
//! let model = Arc::new(q.model);
//! let circuit = ModelCircuit::new(model.clone(), x).unwrap();
//! let mut rng = StdRng::seed_from_u64(0);
//! let pk = circuit.setup(&mut rng).unwrap();
//! let proof = circuit.prove(&pk, &mut rng).unwrap();
//! // the verifier rebuilds every public input but the claimed output from what it expects
//! let claimed = circuit.public_inputs();
//! let public = Expectation::for_model(&model).public_inputs(&circuit.layout(), &claimed).unwrap();
//! assert!(arkml::groth16::verify(&pk.vk, &public, &proof).unwrap());
//! println!("class {}", circuit.output);
//! // the same key, proof and public inputs as snarkjs reads them
//! let vk_json = arkml::io::snarkjs::vk_to_json(&pk.vk);
//! let proof_json = arkml::io::snarkjs::proof_to_json(&proof);
//! let public_json = arkml::io::snarkjs::public_to_json(&public);
//! assert_eq!(vk_json["protocol"], "groth16");
//! # let _ = (proof_json, public_json);
//! ```
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
pub mod verify;

/// The former name of [`io`]: model, tensor, key, proof and public-input files.
pub use io as file;
pub use io::{iden3, snarkjs, solidity, zkey};
