//! ONNX import: an `.onnx` file (PyTorch's `torch.onnx.export`, `skl2onnx`, `tf2onnx`,
//! Keras 3) to a [`FloatModel`], ready for [`crate::quant`] or [`crate::calibrate`].
//!
//! What the importer does:
//! - **Layout.** ONNX is NCHW with a batch axis; arkml is HWC without one. A batch axis of
//!   1 or symbolic (`N`, `batch_size`, `unk__0`) is dropped; any other symbolic dimension is
//!   an error naming it. Convolution weights `[M][C][kh][kw]` become `[kh][kw][C][M]`; a
//!   `Flatten` of an NCHW map is kept in arkml's HWC order and the following Gemm's / MatMul's
//!   rows are permuted to match, so no transpose is ever proven. A `Transpose` that only
//!   changes the layout (NHWC ↔ NCHW, tf2onnx's input transpose) costs nothing.
//! - **Folding.** `BatchNormalization`, and a bias `Add` or a per-channel `Mul` / `Div` /
//!   `Sub`, are folded into the Conv / Gemm / MatMul before them when it is their only
//!   consumer (otherwise they become a per-channel affine layer). A zero `Pad` before a Conv
//!   becomes the Conv's padding. `Dropout`, `Identity` and a `Cast` to float are dropped.
//!   A `Softmax` on a model output is dropped with a note (it does not change the argmax):
//!   the model outputs logits.
//! - **Files.** Tensors kept in an external data file (torch's default exporter) are read
//!   from [`ImportOptions::data_dir`] ([`load_onnx`]: the model's folder), never outside it.
//! - **Wires.** Transpose, Reshape, Slice, Split, Concat, Gather, Expand and the other
//!   rearrangements of any rank are one free [`crate::model::ops::Select`] layer on
//!   activations (zero constraints) and evaluated on constants; several graph inputs are
//!   read as one, each flattened in ONNX's order.
//! - **Ops** (opset 7 to 22): the table in `src/onnx/mapping/mod.rs`, listed by
//!   [`supported_ops`] and in `docs/import.md`. Anything else is
//!   [`OnnxError::Unsupported`], naming the op, the node and that list.
//!
//! Parsing uses `prost` on the schema's messages ([`proto`]); a malformed or truncated file
//! is [`OnnxError::Decode`], never a panic (`tests/fuzz.rs` feeds it mutated fixtures).
//!
//! ```no_run
//! use arkml::onnx::{load_onnx, ImportOptions};
//! let imported = load_onnx("model.onnx".as_ref(), &ImportOptions { input_max: 16.0, ..Default::default() })?;
//! for note in &imported.notes {
//!     println!("note: {note}");
//! }
//! let q = arkml::quant::quantize(&imported.model, arkml_gadgets::fixed::Scale::Pow2(10))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod builder;
mod decode;
mod driver;
mod layout;
mod mapping;
mod ml;
pub mod proto;
mod trees;

pub use driver::import;

use builder::*;
use decode::*;
use layout::*;

use crate::model::ops;
use std::collections::HashMap;
use std::path::Path;

use arkml_gadgets::layers::{conv::window2d, Conv2dConfig, Padding, Pool2dConfig};
use ndarray::{Array1, Array2, Array3, Array4, ArrayD, IxDyn};
use prost::Message;
use thiserror::Error as ThisError;

use crate::model::{Graph, Layer, ModelError};
use crate::quant::{FloatLayer, FloatModel};
use proto::{attr_type, data_type, AttributeProto, ModelProto, NodeProto, TensorProto};

/// The ops the importer reads, as errors name them: made from the op table
/// (`src/onnx/mapping/mod.rs`), the one place an op is registered.
pub fn supported_ops() -> &'static str {
    static LIST: std::sync::LazyLock<String> = std::sync::LazyLock::new(mapping::supported_list);
    LIST.as_str()
}

/// The opsets the importer accepts for the default domain.
pub const OPSETS: std::ops::RangeInclusive<i64> = 7..=22;

/// How to import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The largest absolute input value the model must accept (ONNX does not say; e.g. 16
    /// for scikit-learn's 4-bit digits, 1 for images scaled to `[0, 1]`). Calibration sets
    /// it from the samples.
    pub input_max: f64,
    /// Prove Sigmoid and Tanh as circomlib-ml's cubic approximations instead of the
    /// piecewise-cubic kernel ([`crate::model::ops::Logistic`], the default: at most
    /// `0.55 + 2.7e-6 S` units of error over the whole real line, 150 to 190 constraints an
    /// element). The cubics are cheaper (about 30) but their largest absolute error against
    /// the true function is: sigmoid 0.037 on `[-2, 2]`, 0.080 on `[-4, 4]`; tanh 0.229 on
    /// `[-2, 2]`, 0.460 on `[-4, 4]`; growing as `x^3` beyond (see
    /// [`arkml_gadgets::activation`]).
    pub cubic: bool,
    /// End the model with an ArgMax, so that the proof reveals the class, not the logits.
    pub argmax: bool,
    /// The ONNX values to use as the model's outputs; empty: the graph's float outputs
    /// (scikit-learn's integer `label` output is left out, with a note).
    pub outputs: Vec<String>,
    /// The folder that tensors stored outside the model file (`data_location = EXTERNAL`,
    /// as torch's default exporter writes them to `model.onnx.data`) are read from:
    /// [`load_onnx`] sets it to the model file's folder. A location that leaves it is
    /// refused. `None`: such a tensor is a typed error.
    pub data_dir: Option<std::path::PathBuf>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            input_max: 1.0,
            cubic: false,
            argmax: false,
            outputs: vec![],
            data_dir: None,
        }
    }
}

/// An imported model and what the importer changed on the way.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The float model.
    pub model: FloatModel,
    /// What was folded, dropped or assumed, one line each.
    pub notes: Vec<String>,
}

/// Why an import failed.
#[derive(Debug, ThisError)]
pub enum OnnxError {
    /// Not a protobuf ONNX model (truncated, corrupted, another format).
    #[error("not a valid ONNX file: {0}")]
    Decode(String),
    /// An opset outside what the importer reads.
    #[error(
        "opset {version} of domain {domain:?} is not supported (default domain: opsets 7 to 22)"
    )]
    Opset {
        /// The domain (`""` is ONNX's default).
        domain: String,
        /// The version.
        version: i64,
    },
    /// An op, or an op's attribute or input, the importer does not handle.
    #[error("node {node:?} ({op}): {why}. Supported ops: {supported}")]
    Unsupported {
        /// The op type.
        op: String,
        /// The node's name (or its first output's).
        node: String,
        /// What is not supported.
        why: String,
        /// [`supported_ops`].
        supported: &'static str,
    },
    /// A graph that does not fit together (missing input, shapes that disagree, bad data).
    #[error("node {node:?}: {why}")]
    Graph {
        /// The node (or `"graph"`).
        node: String,
        /// What is wrong.
        why: String,
    },
    /// The model's input.
    #[error("input {name:?}: {why}")]
    Input {
        /// The input's name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// The imported model is not well formed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Reading the file.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Reads an ONNX file.
pub fn load_onnx(path: &Path, opts: &ImportOptions) -> Result<Imported, OnnxError> {
    let bytes = crate::io::read_limited(path, crate::model::Limits::default().max_file_bytes)
        .map_err(|e| match e {
            crate::io::FileError::Io { path, source } => OnnxError::Io { path, source },
            e => OnnxError::Graph {
                node: "file".into(),
                why: e.to_string(),
            },
        })?;
    let mut opts = opts.clone();
    if opts.data_dir.is_none() {
        opts.data_dir = Some(
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf(),
        );
    }
    import(&bytes, &opts)
}

/// Whether `bytes` look like an ONNX model rather than JSON (the first byte is protobuf's
/// tag of a `ModelProto` field, not `{` or whitespace).
pub fn looks_like_onnx(bytes: &[u8]) -> bool {
    !matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b'[') | None
    )
}
