//! Files in and out: the model JSON format ([`model`]), tensors and samples ([`tensor`]),
//! Groth16 keys and proofs ([`keys`]), public-input files ([`public`]), and the interop
//! formats: snarkjs JSON ([`snarkjs`]), the Solidity verifier ([`solidity`]), iden3's
//! `.r1cs` / `.wtns` / `.sym` ([`iden3`]) and snarkjs `.zkey` ([`zkey`]). Everything is
//! re-exported here (and as `arkml::file`, its former name).
//!
//! ## Model file (`*.json`)
//!
//! ```json
//! {
//!   "format": "arkml-model", "version": 1,
//!   "input_shape": [28, 28, 1], "input_bound": 60, "input_visibility": "private",
//!   "weights": {"visibility": "constant", "weight_bits": 0, "bias_bits": 0},
//!   "layers": [
//!     {"type": "conv2d", "weights": T, "bias": T, "stride": [1, 1], "padding": "valid", "dilation": [1, 1]},
//!     {"type": "rescale", "divisor": "1000000000000000000"},
//!     {"type": "batch_norm", "a": T, "b": T},
//!     {"type": "relu"}, {"type": "avg_pool2d", "size": [2, 2], "stride": [2, 2]},
//!     {"type": "max_pool2d", "size": [2, 2], "stride": [2, 2]},
//!     {"type": "flatten"}, {"type": "dense", "weights": T, "bias": T}, {"type": "argmax"}
//!   ]
//! }
//! ```
//!
//! where a tensor `T` is `{"shape": [..], "data": ["-12", "7", ...]}` (row-major, integers as
//! decimal strings: values up to `10^72` do not fit a JSON number; JSON numbers are accepted
//! too). Weights are integers at their fixed-point scale (biases at the accumulator's scale).
//! Errors name the layer and the field. An optional `"scale": "65536"` labels the activation
//! scale in summaries.
//!
//! The other layers: `{"type": "conv1d", "weights": T, "bias": T, "stride": 1, "padding":
//! "valid", "dilation": 1}`, `depthwise_conv2d` (as conv2d, weights `[kh][kw][cin][mult]`),
//! `separable_conv2d` (`"depthwise": T, "pointwise": T, "bias": T` and conv2d's options),
//! `pointwise_conv2d` (`"weights": T` `[cin][cout]`, `"bias": T`), `{"type": "leaky_relu",
//! "a": "13", "d": "128"}` (slope `a/d`), `{"type": "poly", "n": "1000"}`,
//! `{"type": "sigmoid", "scale": "1000"}`, `tanh` likewise, `{"type": "cubic", "coeffs":
//! [c0, c1, c2, c3], "scale": ..}`, `global_avg_pool2d`, `global_max_pool2d`,
//! `{"type": "reshape", "shape": [..]}`, `{"type": "up_sample2d", "size": [2, 2]}`.
//!
//! ## Graphs (version 2)
//!
//! A version-2 file wires its layers as a graph: each entry may carry a `"name"` and the
//! `"inputs"` it reads by name (`"input"` is the model's input; an entry without `"inputs"`
//! reads the entry before it), and `"outputs"` lists the model's outputs (default: the last
//! entry). Entries may come in any order; they are sorted topologically on reading, and a
//! cycle, an input naming no node, a duplicate or reserved name, or graph fields in a
//! version-1 file are typed errors naming the entry. Version 1 (a chain) still reads.
//!
//! ```json
//! {"format": "arkml-model", "version": 2, "input_shape": [6, 6, 4], "input_bound": 9,
//!  "layers": [
//!    {"name": "c1", "inputs": ["input"], "type": "conv2d", "weights": T, "bias": T, "padding": "same"},
//!    {"name": "r1", "type": "rescale", "divisor": "256"},
//!    {"name": "sum", "type": "add", "inputs": ["r1", "input"]},
//!    {"name": "cat", "type": "concat", "inputs": ["sum", "input"]}],
//!  "outputs": ["cat"]}
//! ```
//!
//! The graph ops: `add`, `sub` (two inputs of one shape and scale), `concat` (along the last
//! axis), `{"type": "mul", "c": T}` (elementwise by a tensor of the input's shape, a weight),
//! `{"type": "clip", "lo": "0", "hi": "1536"}` (ReLU6 at scale 256), `sum_pool2d` (as
//! `avg_pool2d`), `{"type": "poly_raw", "n": "1000"}` (`x^2 + n x`, undivided).
//!
//! ## Float models
//!
//! `"dtype": "float"` marks a model with float weights, for [`crate::quant`]: tensors hold
//! real numbers, `"input_max"` (the largest absolute input) replaces `"input_bound"`, there
//! are no `rescale` layers, and activations carry no integer parameters:
//! `{"type": "leaky_relu", "alpha": 0.2}`, `{"type": "poly"}`, `{"type": "sigmoid"}`,
//! `{"type": "tanh"}`. [`load_float_model`] reads one; [`load_model`] refuses it with a
//! typed error.
//!
//! ## Keys and proofs
//!
//! A key file is `arkml-pk` / `arkml-vk` (8 bytes), a little-endian `u32` header length, a
//! JSON header ([`KeyMeta`]: the circuit's fingerprint, constraint count and public-input
//! layout, the encoding and, for uncompressed keys, a SHA-256 checksum), then the key in
//! ark-serialize form. Proving keys are stored uncompressed (fast to load), verifying keys
//! and proofs compressed (checked on loading).
//!
//! Public inputs (`PROOF.public.json`) name each entry's role, in the circuit's order
//! ([`crate::circuit`]): `{"format": "arkml-public", "version": 2, "public": [{"role":
//! "output", "value": "7"}, {"role": "commitment", "value": "1234.."}]}`. Values are plain
//! decimal integers below the field modulus. A bare array of decimal strings (version 1)
//! still reads, without roles.

use std::path::Path;

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Proof, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use arkml_gadgets::tensor::Visibility;
use ndarray::{ArrayD, IxDyn};
use num_bigint::{BigInt, BigUint};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::circuit::{Part, Role};
pub use crate::model::ops::TensorFile;
use crate::model::ops::{Fields, Num};
use crate::model::{Graph, Layer, Model, WeightSpec};
use crate::quant::FloatModel;
use num_traits::Zero;

/// Why a file could not be read or written.
#[derive(Debug, Error)]
pub enum FileError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not valid JSON of the expected shape.
    #[error("{path}: malformed JSON: {source}")]
    Json {
        /// The file.
        path: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// A field holds something invalid.
    #[error("layer {layer} ({kind}), field `{field}`: {why}")]
    Field {
        /// Layer index (or `-` for the header).
        layer: String,
        /// Layer kind.
        kind: String,
        /// The field.
        field: String,
        /// What is wrong.
        why: String,
    },
    /// The model is not well formed (a shape, a size or a declared width).
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    /// A key or proof that does not deserialise (truncated, corrupted, wrong type).
    #[error("{path}: not a valid {what}: {why}")]
    Serialization {
        /// The file.
        path: String,
        /// What was expected.
        what: &'static str,
        /// The cause.
        why: String,
    },
    /// A file beyond the size limit ([`crate::model::Limits::max_file_bytes`]), refused
    /// before it is read.
    #[error("{path}: {bytes} bytes, beyond the limit of {limit} bytes for this file")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// Proving with a key read from a file failed (the key is for another circuit, or the
    /// witness does not satisfy it).
    #[error(transparent)]
    Prove(#[from] crate::groth16::ProveError),
}

pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A file's bytes, refused with [`FileError::TooLarge`] before reading when it is larger
/// than `limit` (its size from the file system; what is read is capped too, for files that
/// grow or report no size).
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    use std::io::Read;
    let too_large = |bytes| FileError::TooLarge {
        path: path.display().to_string(),
        bytes,
        limit,
    };
    let f = std::fs::File::open(path).map_err(io(path))?;
    let len = f.metadata().map_err(io(path))?.len();
    if len > limit {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    f.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// A text file read within the default limit ([`read_limited`]).
pub(crate) fn read_text_limited(path: &Path) -> Result<String, FileError> {
    let bytes = read_limited(path, crate::model::Limits::default().max_file_bytes)?;
    String::from_utf8(bytes).map_err(|e| FileError::Io {
        path: path.display().to_string(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

pub(crate) fn ser_err<'a>(
    path: &'a Path,
    what: &'static str,
) -> impl Fn(ark_serialize::SerializationError) -> FileError + 'a {
    move |e| FileError::Serialization {
        path: path.display().to_string(),
        what,
        why: e.to_string(),
    }
}

pub(crate) fn bad(path: &Path, what: &'static str, why: impl Into<String>) -> FileError {
    FileError::Serialization {
        path: path.display().to_string(),
        what,
        why: why.into(),
    }
}

pub mod iden3;
pub mod keys;
pub mod model;
pub mod public;
pub mod snarkjs;
pub mod solidity;
pub mod tensor;
pub mod zkey;

pub use keys::*;
pub use model::*;
pub use public::*;
pub use tensor::*;
