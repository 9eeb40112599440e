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
//! - **Ops** (opset 7 to 22, default domain): Conv (1D, 2D; pads, strides, dilations,
//!   `group` 1, depthwise or grouped), Gemm, MatMul, Add, Sub, Mul, Div (by constants, or two
//!   activations for Add / Sub / Mul), Relu, LeakyRelu, Clip (ReLU6), HardSigmoid,
//!   HardSwish, Sigmoid / Tanh (only with
//!   [`ImportOptions::cubic`]: circomlib-ml's cubic approximations), MaxPool, AveragePool,
//!   GlobalAveragePool, GlobalMaxPool, Flatten, Reshape (to a flatten or the same shape),
//!   Transpose (a layout change), Concat (channels), Pad (zero, before a Conv), ArgMax,
//!   BatchNormalization, Softmax (at an output or before an ArgMax), Dropout, Identity,
//!   Cast, Constant, ReduceMean (over H and W), PRelu (one slope), Resize / Upsample
//!   (nearest, integer factors), Squeeze / Unsqueeze (`[N, C]` ↔ `[N, C, 1, 1]`).
//!   Anything else is [`OnnxError::Unsupported`], naming the op, the node and this list.
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

mod ml;
pub mod proto;

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

/// The ops the importer reads (for error messages and docs).
pub const SUPPORTED_OPS: &str = "Conv, Gemm, MatMul, Add, Sub, Mul, Div, Relu, LeakyRelu, Clip, \
HardSigmoid, HardSwish, Sigmoid, Tanh, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Flatten, Reshape, \
Transpose, Concat, Pad, ArgMax, BatchNormalization, Softmax, Dropout, Identity, Cast, Constant, \
ReduceMean (over H and W), PRelu (one slope), Resize / Upsample (nearest, integer factors), \
Squeeze / Unsqueeze ([N, C] <-> [N, C, 1, 1]), and on constants (shape computations) Shape, \
Gather, Slice, Unsqueeze, Squeeze, Transpose";

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
        /// [`SUPPORTED_OPS`].
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

/// How an ONNX tensor maps onto an arkml tensor (ONNX shapes without the batch axis).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lay {
    /// ONNX `[C, H, W]`, arkml `[H, W, C]`.
    Chw { c: usize, h: usize, w: usize },
    /// ONNX `[H, W, C]`, arkml `[H, W, C]` (tf2onnx's NHWC before its transpose).
    Hwc { h: usize, w: usize, c: usize },
    /// ONNX `[C, L]`, arkml `[L, C]`.
    Cl { c: usize, l: usize },
    /// ONNX `[N]`, arkml `[N]`.
    Vec(usize),
    /// ONNX `[C, 1, 1]` (after global pooling), arkml `[C]`.
    Pooled(usize),
    /// ONNX `[C * H * W]` in CHW order, arkml `[H * W * C]` in HWC order.
    FlatChw { c: usize, h: usize, w: usize },
    /// ONNX `[]` or `[1]` after ArgMax, arkml `[]`.
    Scalar,
}

impl Lay {
    /// The ONNX shape without the batch axis.
    fn onnx_shape(&self) -> Vec<usize> {
        match *self {
            Lay::Chw { c, h, w } => vec![c, h, w],
            Lay::Hwc { h, w, c } => vec![h, w, c],
            Lay::Cl { c, l } => vec![c, l],
            Lay::Vec(n) => vec![n],
            Lay::Pooled(c) => vec![c, 1, 1],
            Lay::FlatChw { c, h, w } => vec![c * h * w],
            Lay::Scalar => vec![],
        }
    }

    /// The number of channels (arkml's last axis).
    fn channels(&self) -> usize {
        match *self {
            Lay::Chw { c, .. } | Lay::Hwc { c, .. } | Lay::Cl { c, .. } | Lay::Pooled(c) => c,
            Lay::Vec(n) => n,
            Lay::FlatChw { c, h, w } => c * h * w,
            Lay::Scalar => 1,
        }
    }

    /// The ONNX axis (without batch) that arkml's last axis is.
    fn channel_axis(&self) -> usize {
        match self {
            Lay::Hwc { .. } => 2,
            _ => 0,
        }
    }

    /// For arkml's flat index `p` (row-major over arkml's shape), the ONNX flat index.
    fn onnx_index(&self, p: usize) -> usize {
        match *self {
            Lay::Chw { c, h, w } | Lay::FlatChw { c, h, w } => {
                let (pix, ch) = (p / c, p % c);
                let _ = h;
                ch * h * w + (pix / w) * w + pix % w
            }
            Lay::Cl { c, l } => {
                let (pos, ch) = (p / c, p % c);
                ch * l + pos
            }
            _ => p,
        }
    }
}

/// A value in the ONNX graph: a constant, or a float-model value with its layout. `pad`
/// is a zero padding (`before`, `after` as rows, columns) waiting for the Conv that reads it.
#[derive(Clone, Debug)]
enum Val {
    Const(ArrayD<f64>),
    Dyn {
        value: usize,
        lay: Lay,
        pad: Option<((usize, usize), (usize, usize))>,
    },
}

struct Builder<'a> {
    layers: Vec<FloatLayer>,
    inputs: Vec<Vec<usize>>,
    names: Vec<String>,
    /// `names`, for the uniqueness check (a linear scan made import quadratic).
    taken: std::collections::HashSet<String>,
    vals: HashMap<String, Val>,
    uses: HashMap<String, usize>,
    /// Per float value, the consumer slots (node inputs, model outputs) not yet processed
    /// that read it under any ONNX name.
    value_uses: HashMap<usize, usize>,
    outputs: &'a [String],
    notes: Vec<String>,
    opts: &'a ImportOptions,
    opset: i64,
    /// Per ONNX value, the needed nodes that read it.
    consumers: HashMap<String, Vec<&'a NodeProto>>,
}

/// Imports an ONNX model from its bytes.
pub fn import(bytes: &[u8], opts: &ImportOptions) -> Result<Imported, OnnxError> {
    if !opts.input_max.is_finite() || opts.input_max <= 0.0 {
        return Err(OnnxError::Input {
            name: "input_max".into(),
            why: format!("{} is not a positive finite number", opts.input_max),
        });
    }
    let m = ModelProto::decode(bytes).map_err(|e| OnnxError::Decode(e.to_string()))?;
    let mut opset = None;
    for o in &m.opset_import {
        if o.domain.is_empty() || o.domain == "ai.onnx" {
            if !OPSETS.contains(&o.version) {
                return Err(OnnxError::Opset {
                    domain: o.domain.clone(),
                    version: o.version,
                });
            }
            opset = Some(o.version);
        }
    }
    let g = m
        .graph
        .ok_or_else(|| OnnxError::Decode("the file holds no graph".into()))?;
    let max_nodes = crate::model::Limits::default().max_nodes;
    if g.node.len() > max_nodes {
        return Err(OnnxError::Graph {
            node: "graph".into(),
            why: format!(
                "{} nodes, beyond the limit of {max_nodes} (Limits::max_nodes)",
                g.node.len()
            ),
        });
    }
    let opset = opset.ok_or_else(|| OnnxError::Decode("no opset for the default domain".into()))?;
    let mut notes = vec![];

    let mut vals: HashMap<String, Val> = HashMap::new();
    for t in &g.initializer {
        vals.insert(
            t.name.clone(),
            Val::Const(tensor(t, &t.name, opts.data_dir.as_deref())?),
        );
    }
    // the one real input
    let real: Vec<_> = g
        .input
        .iter()
        .filter(|i| !vals.contains_key(&i.name))
        .collect();
    let input = match real.as_slice() {
        [one] => *one,
        [] => {
            return Err(OnnxError::Graph {
                node: "graph".into(),
                why: "the model has no input".into(),
            })
        }
        more => {
            return Err(OnnxError::Graph {
                node: "graph".into(),
                why: format!(
                    "the model has {} inputs ({}); arkml models take one",
                    more.len(),
                    more.iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
        }
    };
    let in_err = |why: String| OnnxError::Input {
        name: input.name.clone(),
        why,
    };
    let tt = input
        .r#type
        .as_ref()
        .and_then(|t| t.tensor_type.as_ref())
        .ok_or_else(|| in_err("not a tensor".into()))?;
    if tt.elem_type != data_type::FLOAT && tt.elem_type != data_type::DOUBLE {
        return Err(in_err(format!(
            "element type {} is not float or double",
            tt.elem_type
        )));
    }
    let dims = &tt
        .shape
        .as_ref()
        .ok_or_else(|| in_err("has no shape".into()))?
        .dim;
    let mut shape = vec![];
    for (axis, d) in dims.iter().enumerate() {
        match (d.dim_value, &d.dim_param) {
            (Some(v), _) if v > 0 => shape.push(v as usize),
            (_, Some(p)) if axis == 0 => {
                notes.push(format!("batch axis {p:?} of the input taken as 1"));
                shape.push(1)
            }
            (Some(0) | None, None) if axis == 0 => shape.push(1),
            (_, Some(p)) => {
                return Err(in_err(format!(
                    "dimension {axis} is symbolic ({p:?}); export with a static shape"
                )))
            }
            (v, _) => {
                return Err(in_err(format!(
                    "dimension {axis} is {v:?}, not a positive size"
                )))
            }
        }
    }
    let limit = crate::model::Limits::default().max_elements;
    if shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .is_none_or(|n| n > limit)
    {
        return Err(in_err(format!(
            "shape {shape:?} has more than {limit} elements"
        )));
    }
    let lay = match shape.as_slice() {
        [1, n] => Lay::Vec(*n),
        [1, c, l] => Lay::Cl { c: *c, l: *l },
        [1, c, h, w] => Lay::Chw {
            c: *c,
            h: *h,
            w: *w,
        },
        [n] if dims.len() == 1 => Lay::Vec(*n),
        other => {
            return Err(in_err(format!(
                "shape {other:?}: expected [1, features], [1, C, L] or [1, C, H, W]"
            )))
        }
    };

    let mut input_shape = arkml_shape(&lay);
    vals.insert(
        input.name.clone(),
        Val::Dyn {
            value: 0,
            lay,
            pad: None,
        },
    );

    // outputs: chosen, or the graph's float outputs
    let outputs: Vec<String> = if opts.outputs.is_empty() {
        let mut outs = vec![];
        for o in &g.output {
            let elem = o
                .r#type
                .as_ref()
                .and_then(|t| t.tensor_type.as_ref())
                .map(|t| t.elem_type);
            // float outputs, and the class an ArgMax computes
            let from_argmax = g
                .node
                .iter()
                .any(|n| n.op_type == "ArgMax" && n.output.first() == Some(&o.name));
            if matches!(
                elem,
                Some(data_type::FLOAT) | Some(data_type::DOUBLE) | None
            ) || from_argmax
            {
                outs.push(o.name.clone());
            } else {
                notes.push(format!(
                    "output {:?} (element type {}) left out: not a float tensor",
                    o.name,
                    elem.unwrap_or(0)
                ));
            }
        }
        outs
    } else {
        opts.outputs.clone()
    };
    if outputs.is_empty() {
        return Err(OnnxError::Graph {
            node: "graph".into(),
            why: "no float output to import (name one with the outputs option)".into(),
        });
    }
    // only the nodes the outputs need
    let producer: HashMap<&str, usize> = g
        .node
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.output.iter().map(move |o| (o.as_str(), i)))
        .collect();
    let mut needed = vec![false; g.node.len()];
    let mut stack: Vec<&str> = outputs.iter().map(|s| s.as_str()).collect();
    for o in &stack {
        if !producer.contains_key(o) && !vals.contains_key(*o) {
            return Err(OnnxError::Graph {
                node: "graph".into(),
                why: format!("no node produces the output {o:?}"),
            });
        }
    }
    while let Some(v) = stack.pop() {
        if let Some(&i) = producer.get(v) {
            if !needed[i] {
                needed[i] = true;
                stack.extend(g.node[i].input.iter().map(|s| s.as_str()));
            }
        }
    }
    let mut uses: HashMap<String, usize> = HashMap::new();
    let mut consumers: HashMap<String, Vec<&NodeProto>> = HashMap::new();
    for (i, n) in g.node.iter().enumerate() {
        if needed[i] {
            for x in &n.input {
                *uses.entry(x.clone()).or_default() += 1;
                consumers.entry(x.clone()).or_default().push(n);
            }
        }
    }
    // an NHWC input that is only transposed to NCHW (tf2onnx, Keras): arkml's own layout
    if let (Lay::Chw { c, h, w }, Some(cs)) = (lay, consumers.get(&input.name)) {
        // a Transpose to NCHW, or (one channel) a Reshape to [N, 1, H, W] doing the same
        let to_nchw = |n: &&NodeProto| {
            (n.op_type == "Transpose"
                && attr_ints(n, "perm").as_deref() == Some(&[0, 3, 1, 2][..]))
                || (n.op_type == "Reshape"
                    && w == 1
                    && n.input.get(1).and_then(|s| vals.get(s)).is_some_and(|v| {
                        matches!(v, Val::Const(t) if t.iter().copied().collect::<Vec<f64>>().get(1..)
                            == Some(&[1.0, c as f64, h as f64][..]))
                    }))
        };
        if !cs.is_empty() && cs.iter().all(to_nchw) {
            let hwc = Lay::Hwc { h: c, w: h, c: w };
            input_shape = arkml_shape(&hwc);
            vals.insert(
                input.name.clone(),
                Val::Dyn {
                    value: 0,
                    lay: hwc,
                    pad: None,
                },
            );
            notes.push(
                "the input is NHWC (only transposed to NCHW): arkml's HWC, no transpose proven"
                    .into(),
            );
        }
    }
    for o in &outputs {
        *uses.entry(o.clone()).or_default() += 1;
    }

    let mut b = Builder {
        layers: vec![],
        inputs: vec![],
        names: vec![],
        taken: Default::default(),
        vals,
        uses,
        value_uses: HashMap::new(),
        outputs: &outputs,
        notes,
        opts,
        opset,
        consumers,
    };
    b.bind(&input.name, 0);
    for (i, n) in g.node.iter().enumerate() {
        if needed[i] {
            let reads: Vec<usize> = n
                .input
                .iter()
                .filter_map(|x| match b.vals.get(x) {
                    Some(Val::Dyn { value, .. }) => Some(*value),
                    _ => None,
                })
                .collect();
            b.node(n)?;
            for v in reads {
                if let Some(u) = b.value_uses.get_mut(&v) {
                    *u = u.saturating_sub(1);
                }
            }
        }
    }
    let mut out_values = vec![];
    for o in &outputs {
        match b.vals.get(o) {
            Some(Val::Dyn { value, lay, pad }) => {
                if pad.is_some() {
                    return Err(OnnxError::Graph {
                        node: o.clone(),
                        why: "a Pad output is a model output".into(),
                    });
                }
                if let Lay::FlatChw { c, h, w } = lay {
                    b.notes.push(format!(
                        "output {o:?} is in HWC order (a flattened {c}x{h}x{w} map; ONNX's is CHW)"
                    ));
                }
                out_values.push(*value)
            }
            Some(Val::Const(_)) | None => {
                return Err(OnnxError::Graph {
                    node: o.clone(),
                    why: "the output does not depend on the input".into(),
                })
            }
        }
    }
    if opts.argmax {
        if out_values.len() != 1 {
            return Err(OnnxError::Graph {
                node: "graph".into(),
                why: "an ArgMax needs exactly one output".into(),
            });
        }
        let v = b.emit(Layer::ArgMax(ops::ArgMax), vec![out_values[0]], "argmax");
        out_values = vec![v];
    }
    if b.layers.is_empty() {
        return Err(OnnxError::Graph {
            node: "graph".into(),
            why: "the model computes nothing".into(),
        });
    }
    let last = b.layers.len();
    let graph = Graph {
        inputs: b.inputs,
        names: b.names,
        outputs: if out_values == [last] {
            vec![]
        } else {
            out_values
        },
    };
    let model = FloatModel {
        input_shape,
        input_max: opts.input_max,
        layers: b.layers,
        graph,
    };
    model.check()?;
    Ok(Imported {
        model,
        notes: b.notes,
    })
}

/// Whether arkml's row-major element order is ONNX's for this layout.
fn order_preserving(lay: &Lay) -> bool {
    match *lay {
        Lay::Vec(_) | Lay::Pooled(_) | Lay::Scalar | Lay::Hwc { .. } => true,
        Lay::Chw { c, h, w } => c == 1 || h * w == 1,
        Lay::Cl { c, l } => c == 1 || l == 1,
        Lay::FlatChw { c, h, w } => c == 1 || h * w == 1,
    }
}

fn arkml_shape(lay: &Lay) -> Vec<usize> {
    match *lay {
        Lay::Chw { c, h, w } | Lay::Hwc { h, w, c } => vec![h, w, c],
        Lay::Cl { c, l } => vec![l, c],
        Lay::Vec(n) | Lay::Pooled(n) => vec![n],
        Lay::FlatChw { c, h, w } => vec![h * w * c],
        Lay::Scalar => vec![],
    }
}

/// The bytes of one element of an ONNX element type the importer reads.
fn element_bytes(data_type: i32) -> Option<usize> {
    Some(match data_type {
        data_type::UINT8 | data_type::INT8 | data_type::BOOL => 1,
        data_type::UINT16 | data_type::INT16 => 2,
        data_type::FLOAT | data_type::INT32 => 4,
        data_type::DOUBLE | data_type::INT64 => 8,
        _ => return None,
    })
}

/// A tensor's data kept outside the model file: `external_data`'s `location` (relative to
/// `dir`, never leaving it), `offset` and `length`, checked against the file's size and the
/// tensor's before anything is allocated.
fn external_bytes(
    t: &TensorProto,
    dir: Option<&Path>,
    expected: usize,
    err: &dyn Fn(String) -> OnnxError,
) -> Result<Vec<u8>, OnnxError> {
    use std::io::{Read, Seek, SeekFrom};
    let key = |k: &str| {
        t.external_data
            .iter()
            .find(|e| e.key == k)
            .map(|e| e.value.as_str())
    };
    let location = key("location").ok_or_else(|| {
        err(format!(
            "tensor {:?} is stored externally but names no location",
            t.name
        ))
    })?;
    let dir = dir.ok_or_else(|| {
        err(format!(
            "tensor {:?} keeps its data in the file {location:?} beside the model: load the \
             model from its file (`load_onnx`, the CLI), or set `ImportOptions::data_dir`",
            t.name
        ))
    })?;
    let number = |k: &str| -> Result<Option<u64>, OnnxError> {
        key(k)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    err(format!(
                        "tensor {:?}: external {k} {v:?} is not a number",
                        t.name
                    ))
                })
            })
            .transpose()
    };
    let rel = Path::new(location);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(err(format!(
            "tensor {:?}: the external data location {location:?} leaves the model's folder",
            t.name
        )));
    }
    let path = dir.join(rel);
    let io = |e: std::io::Error| err(format!("tensor {:?}: {}: {e}", t.name, path.display()));
    // a symbolic link may still point out of the folder
    let (real, real_dir) = (
        path.canonicalize().map_err(io)?,
        dir.canonicalize().map_err(io)?,
    );
    if !real.starts_with(&real_dir) {
        return Err(err(format!(
            "tensor {:?}: the external data file {location:?} lies outside the model's folder",
            t.name
        )));
    }
    let mut f = std::fs::File::open(&real).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    let offset = number("offset")?.unwrap_or(0);
    let length = number("length")?.unwrap_or(expected as u64);
    if length != expected as u64 {
        return Err(err(format!(
            "tensor {:?}: {length} bytes of external data for a tensor of {expected}",
            t.name
        )));
    }
    if offset.checked_add(length).is_none_or(|end| end > size) {
        return Err(err(format!(
            "tensor {:?}: the external data file {location:?} holds {size} bytes, shorter \
             than the declared {length} at offset {offset}",
            t.name
        )));
    }
    f.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut bytes = vec![0u8; expected];
    f.read_exact(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// A constant tensor as f64, checking its size against its data (inline, or in an external
/// file under `dir`).
fn tensor(t: &TensorProto, node: &str, dir: Option<&Path>) -> Result<ArrayD<f64>, OnnxError> {
    let err = |why: String| OnnxError::Graph {
        node: node.to_string(),
        why,
    };
    let mut shape = vec![];
    let mut n: usize = 1;
    for &d in &t.dims {
        let d = usize::try_from(d).map_err(|_| err(format!("dimension {d} of {:?}", t.name)))?;
        n = n
            .checked_mul(d)
            .filter(|&n| n <= crate::model::Limits::default().max_elements)
            .ok_or_else(|| err(format!("tensor {:?} is too large", t.name)))?;
        shape.push(d);
    }
    let size = element_bytes(t.data_type).ok_or_else(|| {
        err(format!(
            "tensor {:?} has element type {}; float, double and the integer and boolean \
             types are read",
            t.name, t.data_type
        ))
    })?;
    let external;
    let raw: &[u8] = if t.data_location == 1 {
        external = external_bytes(t, dir, n * size, &err)?;
        &external
    } else {
        &t.raw_data
    };
    if !raw.is_empty() && raw.len() != n * size {
        return Err(err(format!(
            "tensor {:?} has {} bytes of data for shape {shape:?}",
            t.name,
            raw.len()
        )));
    }
    let data: Vec<f64> = if !raw.is_empty() {
        let c = raw.chunks_exact(size);
        match t.data_type {
            data_type::FLOAT => c
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect(),
            data_type::DOUBLE => c
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
            data_type::INT64 => c
                .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")) as f64)
                .collect(),
            data_type::INT32 => c
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect(),
            data_type::INT16 => c.map(|c| i16::from_le_bytes([c[0], c[1]]) as f64).collect(),
            data_type::UINT16 => c.map(|c| u16::from_le_bytes([c[0], c[1]]) as f64).collect(),
            data_type::INT8 => c.map(|c| c[0] as i8 as f64).collect(),
            _ => c.map(|c| c[0] as f64).collect(), // UINT8, BOOL
        }
    } else {
        match t.data_type {
            data_type::FLOAT => t.float_data.iter().map(|&v| v as f64).collect(),
            data_type::DOUBLE => t.double_data.clone(),
            data_type::INT64 => t.int64_data.iter().map(|&v| v as f64).collect(),
            // the small integer and boolean types are stored widened in int32_data
            _ => t.int32_data.iter().map(|&v| v as f64).collect(),
        }
    };
    if data.len() != n {
        return Err(err(format!(
            "tensor {:?} has {} values for shape {shape:?}",
            t.name,
            data.len()
        )));
    }
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("length checked"))
}

fn attr<'n>(n: &'n NodeProto, name: &str) -> Option<&'n AttributeProto> {
    n.attribute.iter().find(|a| a.name == name)
}

fn attr_int(n: &NodeProto, name: &str, default: i64) -> i64 {
    attr(n, name)
        .filter(|a| a.r#type == attr_type::INT || a.r#type == 0)
        .map_or(default, |a| a.i)
}

fn attr_float(n: &NodeProto, name: &str, default: f32) -> f32 {
    attr(n, name)
        .filter(|a| a.r#type == attr_type::FLOAT || a.r#type == 0)
        .map_or(default, |a| a.f)
}

fn attr_ints(n: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(n, name)
        .filter(|a| a.r#type == attr_type::INTS || a.r#type == 0)
        .map(|a| a.ints.clone())
}

fn attr_str(n: &NodeProto, name: &str) -> Option<String> {
    attr(n, name)
        .filter(|a| a.r#type == attr_type::STRING || a.r#type == 0)
        .map(|a| String::from_utf8_lossy(&a.s).into_owned())
}

fn node_name(n: &NodeProto) -> String {
    if n.name.is_empty() {
        n.output.first().cloned().unwrap_or_default()
    } else {
        n.name.clone()
    }
}

/// A per-channel or scalar constant, as per-channel values in arkml's channel order; `None`
/// when it broadcasts another way.
fn per_channel(c: &ArrayD<f64>, lay: &Lay) -> Option<Vec<f64>> {
    let ch = lay.channels();
    if c.len() == 1 {
        return Some(vec![c.iter().next().copied().unwrap_or(0.0); ch]);
    }
    // drop leading batch-like ones
    let mut shape: Vec<usize> = c.shape().to_vec();
    let onnx = lay.onnx_shape();
    while shape.len() > onnx.len() && shape[0] == 1 {
        shape.remove(0);
    }
    let axis = lay.channel_axis();
    let per_channel_shape: Vec<usize> = (0..onnx.len())
        .map(|a| if a == axis { ch } else { 1 })
        .collect();
    let trailing_ones = shape.len() <= onnx.len()
        && shape.len() > axis
        && shape == per_channel_shape[onnx.len() - shape.len()..];
    let flat_vec = matches!(lay, Lay::Vec(_) | Lay::Pooled(_)) && c.len() == ch;
    if (trailing_ones && c.len() == ch) || flat_vec {
        return Some(c.iter().copied().collect());
    }
    if let Lay::FlatChw { .. } = lay {
        if c.len() == ch {
            return Some(
                (0..ch)
                    .map(|p| c.iter().nth(lay.onnx_index(p)).copied().unwrap_or(0.0))
                    .collect(),
            );
        }
    }
    None
}

/// A constant of the value's full shape, in arkml's layout; `None` when shapes differ.
fn full(c: &ArrayD<f64>, lay: &Lay) -> Option<ArrayD<f64>> {
    let mut shape: Vec<usize> = c.shape().to_vec();
    while !shape.is_empty() && shape[0] == 1 && shape.len() > lay.onnx_shape().len() {
        shape.remove(0);
    }
    if shape != lay.onnx_shape() {
        return None;
    }
    let flat: Vec<f64> = c.iter().copied().collect();
    let data: Vec<f64> = (0..flat.len()).map(|p| flat[lay.onnx_index(p)]).collect();
    ArrayD::from_shape_vec(IxDyn(&arkml_shape(lay)), data).ok()
}

impl Builder<'_> {
    fn emit(&mut self, l: FloatLayer, ins: Vec<usize>, name: &str) -> usize {
        let mut name = name.replace(|c: char| c.is_whitespace(), "_");
        if name.is_empty() || name == "input" || self.taken.contains(&name) {
            name = format!("{name}#{}", self.layers.len());
        }
        self.layers.push(l);
        self.inputs.push(ins);
        self.taken.insert(name.clone());
        self.names.push(name);
        self.layers.len()
    }

    fn unsupported(&self, n: &NodeProto, why: impl Into<String>) -> OnnxError {
        OnnxError::Unsupported {
            op: n.op_type.clone(),
            node: node_name(n),
            why: why.into(),
            supported: SUPPORTED_OPS,
        }
    }

    fn graph_err(&self, n: &NodeProto, why: impl Into<String>) -> OnnxError {
        OnnxError::Graph {
            node: node_name(n),
            why: why.into(),
        }
    }

    fn get(&self, n: &NodeProto, k: usize) -> Result<Option<Val>, OnnxError> {
        match n.input.get(k) {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => {
                self.vals.get(s).cloned().map(Some).ok_or_else(|| {
                    self.graph_err(n, format!("input {s:?} is not computed before it"))
                })
            }
        }
    }

    fn need(&self, n: &NodeProto, k: usize) -> Result<Val, OnnxError> {
        self.get(n, k)?
            .ok_or_else(|| self.graph_err(n, format!("input {k} is missing")))
    }

    fn konst(&self, n: &NodeProto, k: usize, what: &str) -> Result<Option<ArrayD<f64>>, OnnxError> {
        match self.get(n, k)? {
            None => Ok(None),
            Some(Val::Const(c)) => {
                if c.iter().any(|v| !v.is_finite()) {
                    return Err(self.graph_err(n, format!("{what} holds NaN or infinite values")));
                }
                Ok(Some(c))
            }
            Some(Val::Dyn { .. }) => Err(self.unsupported(
                n,
                format!("{what} must be a constant (an initializer), not computed from the input"),
            )),
        }
    }

    /// The dynamic input `k`, refusing a pending Pad.
    fn dynamic(&self, n: &NodeProto, k: usize) -> Result<(usize, Lay), OnnxError> {
        match self.need(n, k)? {
            Val::Dyn {
                value,
                lay,
                pad: None,
            } => Ok((value, lay)),
            Val::Dyn { .. } => Err(self.unsupported(n, "a Pad must feed a Conv")),
            Val::Const(_) => Err(self.unsupported(n, "a constant-only computation")),
        }
    }

    /// Counts the consumers of ONNX value `name`, now bound to float value `value`.
    fn bind(&mut self, name: &str, value: usize) {
        let u = self.uses.get(name).copied().unwrap_or(0);
        *self.value_uses.entry(value).or_default() += u;
    }

    fn set(&mut self, n: &NodeProto, value: usize, lay: Lay) {
        if let Some(o) = n.output.first() {
            self.bind(o, value);
            self.vals.insert(
                o.clone(),
                Val::Dyn {
                    value,
                    lay,
                    pad: None,
                },
            );
        }
    }

    fn alias(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let v = self.need(n, 0)?;
        if let (Some(o), Val::Dyn { value, .. }) = (n.output.first(), &v) {
            self.bind(o, *value);
        }
        if let Some(o) = n.output.first() {
            self.vals.insert(o.clone(), v);
        }
        Ok(())
    }

    /// The linear layer that produced `value`, when `name` (the ONNX value) has no other
    /// consumer and is not an output: it can absorb a following affine op.
    fn foldable(&self, value: usize) -> Option<usize> {
        // this node is the only consumer left (model outputs count as consumers)
        let single = self.value_uses.get(&value).copied() == Some(1);
        let i = value.checked_sub(1)?;
        // which layers absorb a per-channel affine op is the op's rule
        (single && self.layers.get(i)?.affine_channels().is_some()).then_some(i)
    }

    /// `y = a x + b` per channel: folded into the linear layer before it when that is its
    /// only consumer, else a BatchNorm layer.
    fn affine(&mut self, n: &NodeProto, a: Vec<f64>, b: Vec<f64>) -> Result<(), OnnxError> {
        let (value, lay) = self.dynamic(n, 0)?;
        // folded where the layer before absorbs it; otherwise (another consumer, or factors
        // of another length than its channels) kept as a BatchNorm layer
        let folded = self
            .foldable(value)
            .and_then(|i| Some((i, crate::quant::fold_affine(&self.layers[i], &a, &b)?)));
        if let Some((i, folded)) = folded {
            self.layers[i] = folded;
            self.notes.push(format!(
                "{} ({}) folded into {}",
                node_name(n),
                n.op_type,
                self.names[i]
            ));
            self.set(n, value, lay);
            return Ok(());
        }
        let layer = Layer::BatchNorm(ops::BatchNorm {
            a: Array1::from(a),
            b: Array1::from(b),
        });
        let v = self.emit(layer, vec![value], &node_name(n));
        self.set(n, v, lay);
        Ok(())
    }

    fn node(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        if n.domain == "ai.onnx.ml" {
            return self.ml_node(n);
        }
        if !(n.domain.is_empty() || n.domain == "ai.onnx") {
            return Err(self.unsupported(n, format!("domain {:?}", n.domain)));
        }
        let op = n.op_type.as_str();
        match op {
            "Identity" | "Dropout" => self.alias(n),
            "Cast" => {
                let to = attr_int(n, "to", 0) as i32;
                if let Some(Val::Const(c)) = self.get(n, 0)? {
                    let int = to == data_type::INT64 || to == data_type::INT32;
                    let c = if int { c.mapv(f64::trunc) } else { c };
                    return self.constant(n, c);
                }
                if to == data_type::FLOAT || to == data_type::DOUBLE {
                    self.alias(n)
                } else {
                    Err(self.unsupported(n, format!("a cast to element type {to}")))
                }
            }
            "Constant" => {
                let t = if let Some(a) = attr(n, "value") {
                    let t =
                        a.t.as_ref()
                            .ok_or_else(|| self.graph_err(n, "value is not a tensor"))?;
                    tensor(t, &node_name(n), self.opts.data_dir.as_deref())?
                } else if let Some(a) = attr(n, "value_float") {
                    ArrayD::from_elem(IxDyn(&[]), a.f as f64)
                } else if let Some(a) = attr(n, "value_floats") {
                    Array1::from(a.floats.iter().map(|&v| v as f64).collect::<Vec<_>>()).into_dyn()
                } else if let Some(a) = attr(n, "value_int") {
                    ArrayD::from_elem(IxDyn(&[]), a.i as f64)
                } else if let Some(a) = attr(n, "value_ints") {
                    Array1::from(a.ints.iter().map(|&v| v as f64).collect::<Vec<_>>()).into_dyn()
                } else {
                    return Err(
                        self.unsupported(n, "a Constant without a tensor, float or int value")
                    );
                };
                if let Some(o) = n.output.first() {
                    self.vals.insert(o.clone(), Val::Const(t));
                }
                Ok(())
            }
            "Relu" => {
                let (v, lay) = self.dynamic(n, 0)?;
                let y = self.emit(Layer::Relu(ops::Relu), vec![v], &node_name(n));
                self.set(n, y, lay);
                Ok(())
            }
            "LeakyRelu" => {
                let (v, lay) = self.dynamic(n, 0)?;
                let alpha = attr_float(n, "alpha", 0.01) as f64;
                let y = self.emit(FloatLayer::leaky_relu(alpha), vec![v], &node_name(n));
                self.set(n, y, lay);
                Ok(())
            }
            "Sigmoid" | "Tanh" if !self.opts.cubic => {
                // the piecewise-cubic kernel, accurate over the whole real line
                let (v, lay) = self.dynamic(n, 0)?;
                let l = Layer::Logistic(ops::Logistic {
                    tanh: op == "Tanh",
                    table: None,
                });
                let y = self.emit(l, vec![v], &node_name(n));
                self.set(n, y, lay);
                Ok(())
            }
            "Sigmoid" | "Tanh" => {
                let (v, lay) = self.dynamic(n, 0)?;
                let l = if op == "Sigmoid" {
                    FloatLayer::sigmoid()
                } else {
                    FloatLayer::tanh()
                };
                self.notes.push(format!(
                    "{} ({op}) proven as circomlib-ml's cubic approximation",
                    node_name(n)
                ));
                let y = self.emit(l, vec![v], &node_name(n));
                self.set(n, y, lay);
                Ok(())
            }
            "HardSigmoid" | "HardSwish" => {
                // max(0, min(1, alpha x + beta)) (HardSwish: x times that, alpha 1/6, beta
                // 1/2): an affine layer, a clip, and for HardSwish a product; all exact
                // integer ops (no approximation beyond the rounding of alpha and beta)
                let (v, lay) = self.dynamic(n, 0)?;
                let (alpha, beta) = if op == "HardSwish" {
                    (1.0 / 6.0, 0.5)
                } else {
                    (
                        attr(n, "alpha").map_or(0.2, |a| a.f as f64),
                        attr(n, "beta").map_or(0.5, |a| a.f as f64),
                    )
                };
                let ch = lay.channels();
                let name = node_name(n);
                let affine = Layer::BatchNorm(ops::BatchNorm {
                    a: Array1::from(vec![alpha; ch]),
                    b: Array1::from(vec![beta; ch]),
                });
                let a = self.emit(affine, vec![v], &format!("{name}.affine"));
                let g = self.emit(FloatLayer::clip(0.0, 1.0), vec![a], &format!("{name}.clip"));
                let y = if op == "HardSwish" {
                    self.emit(Layer::Product(ops::Product), vec![v, g], &name)
                } else {
                    g
                };
                self.set(n, y, lay);
                Ok(())
            }
            "Clip" => {
                let (v, lay) = self.dynamic(n, 0)?;
                let scalar = |c: Option<ArrayD<f64>>| -> Option<f64> {
                    c.and_then(|c| (c.len() == 1).then(|| c.iter().next().copied()).flatten())
                };
                let (lo, hi) = if self.opset >= 11 {
                    (
                        scalar(self.konst(n, 1, "min")?),
                        scalar(self.konst(n, 2, "max")?),
                    )
                } else {
                    (
                        attr(n, "min").map(|a| a.f as f64),
                        attr(n, "max").map(|a| a.f as f64),
                    )
                };
                let l = match (lo, hi) {
                    (Some(0.0), None) => Layer::Relu(ops::Relu),
                    (Some(lo), Some(hi)) if lo <= hi => FloatLayer::clip(lo, hi),
                    (None, None) => return self.alias(n),
                    (lo, hi) => {
                        return Err(self.unsupported(
                            n,
                            format!("clip to [{lo:?}, {hi:?}] (both ends, or min 0 alone)"),
                        ))
                    }
                };
                let y = self.emit(l, vec![v], &node_name(n));
                self.set(n, y, lay);
                Ok(())
            }
            "Softmax" | "LogSoftmax" => {
                let out = n.output.first().cloned().unwrap_or_default();
                if self.only_to_output(&out, 0) {
                    self.notes.push(format!(
                        "{} ({op}) on the output dropped: the model outputs logits (the argmax is the same)",
                        node_name(n)
                    ));
                    self.alias(n)
                } else {
                    Err(self.unsupported(
                        n,
                        "a softmax inside the model (only on an output, where it is dropped)",
                    ))
                }
            }
            "Shape" => {
                let (_, lay) = self.dynamic(n, 0)?;
                if attr(n, "start").is_some() || attr(n, "end").is_some() {
                    return Err(self.unsupported(n, "Shape with start or end"));
                }
                let dims: Vec<f64> = std::iter::once(1.0)
                    .chain(lay.onnx_shape().iter().map(|&d| d as f64))
                    .collect();
                self.constant(n, Array1::from(dims).into_dyn())
            }
            "Unsqueeze" | "Squeeze" if matches!(self.get(n, 0)?, Some(Val::Dyn { .. })) => {
                // only the layout-free cases: [N, C, 1, 1] <-> [N, C]
                let (v, lay) = self.dynamic(n, 0)?;
                let axes: Vec<i64> = if self.opset >= 13 {
                    self.konst(n, 1, "axes")?
                        .map(|c| c.iter().map(|&x| x as i64).collect())
                        .unwrap_or_default()
                } else {
                    attr_ints(n, "axes").unwrap_or_default()
                };
                let mut axes: Vec<i64> = axes
                    .iter()
                    .map(|&a| if a < 0 { a + 4 } else { a })
                    .collect();
                axes.sort_unstable();
                let new = match (op, lay, axes.as_slice()) {
                    ("Squeeze", Lay::Pooled(c), [2, 3] | []) => Lay::Vec(c),
                    ("Unsqueeze", Lay::Vec(c), [2, 3]) => Lay::Pooled(c),
                    _ => {
                        return Err(self.unsupported(
                            n,
                            format!(
                            "{op} of a {:?} tensor on axes {axes:?} (only [N, C] <-> [N, C, 1, 1])",
                            lay.onnx_shape()
                        ),
                        ))
                    }
                };
                self.set(n, v, new);
                Ok(())
            }
            "Gather" | "Slice" | "Unsqueeze" | "Squeeze" => self.fold_constant(n),
            "Transpose" if matches!(self.get(n, 0)?, Some(Val::Const(_))) => {
                let Some(Val::Const(c)) = self.get(n, 0)? else {
                    return Err(self.graph_err(n, "input is missing"));
                };
                let perm: Vec<usize> = attr_ints(n, "perm")
                    .unwrap_or_else(|| (0..c.ndim() as i64).rev().collect())
                    .iter()
                    .map(|&a| a.max(0) as usize)
                    .collect();
                let mut seen = perm.clone();
                seen.sort_unstable();
                if seen != (0..c.ndim()).collect::<Vec<_>>() {
                    return Err(self.graph_err(n, format!("perm {perm:?} for rank {}", c.ndim())));
                }
                let t = c
                    .permuted_axes(IxDyn(&perm))
                    .as_standard_layout()
                    .to_owned();
                self.constant(n, t)
            }
            "ReduceMean" => {
                // the mean over H and W: global average pooling
                let (v, lay) = self.dynamic(n, 0)?;
                let axes: Vec<i64> = if self.opset >= 18 {
                    self.konst(n, 1, "axes")?
                        .map(|c| c.iter().map(|&x| x as i64).collect())
                        .unwrap_or_default()
                } else {
                    attr_ints(n, "axes").unwrap_or_default()
                };
                let mut axes: Vec<i64> = axes
                    .iter()
                    .map(|&a| if a < 0 { a + 4 } else { a })
                    .collect();
                axes.sort_unstable();
                let Lay::Chw { c, .. } = lay else {
                    return Err(self.unsupported(n, "a mean of a tensor that is not [N, C, H, W]"));
                };
                if axes != [2, 3] {
                    return Err(
                        self.unsupported(n, format!("a mean over axes {axes:?} (only H and W)"))
                    );
                }
                let y = self.emit(
                    Layer::GlobalAvgPool2d(ops::GlobalAvgPool2d),
                    vec![v],
                    &node_name(n),
                );
                let keep = attr_int(n, "keepdims", 1) != 0;
                self.set(n, y, if keep { Lay::Pooled(c) } else { Lay::Vec(c) });
                Ok(())
            }
            "PRelu" => {
                let (v, lay) = self.dynamic(n, 0)?;
                let slope = self
                    .konst(n, 1, "slope")?
                    .ok_or_else(|| self.graph_err(n, "slope is missing"))?;
                let first = slope.iter().next().copied().unwrap_or(0.0);
                if slope.iter().any(|&a| a != first) {
                    return Err(self.unsupported(n, "a per-channel slope (only one slope for all)"));
                }
                let y = self.emit(FloatLayer::leaky_relu(first), vec![v], &node_name(n));
                self.set(n, y, lay);
                Ok(())
            }
            "Resize" | "Upsample" => {
                // nearest-neighbour by integer factors on H and W: UpSampling2D
                let (v, lay) = self.dynamic(n, 0)?;
                let Lay::Chw { c, h, w } = lay else {
                    return Err(self.unsupported(n, "resizing a tensor that is not [N, C, H, W]"));
                };
                let mode = attr_str(n, "mode").unwrap_or_else(|| "nearest".into());
                let k = if op == "Upsample" { 1 } else { 2 };
                let scales: Vec<f64> = match self.konst(n, k, "scales")? {
                    Some(c) if c.len() == 4 => c.iter().copied().collect(),
                    _ => match self.konst(n, 3, "sizes")? {
                        Some(sz) if sz.len() == 4 => vec![
                            1.0,
                            1.0,
                            sz.iter().nth(2).copied().unwrap_or(0.0) / h as f64,
                            sz.iter().nth(3).copied().unwrap_or(0.0) / w as f64,
                        ],
                        _ => {
                            return Err(
                                self.unsupported(n, "resize without constant scales or sizes")
                            )
                        }
                    },
                };
                let int =
                    |x: f64| (x >= 1.0 && x.fract() == 0.0 && x <= 64.0).then_some(x as usize);
                match (mode.as_str(), scales[0], scales[1], int(scales[2]), int(scales[3])) {
                    ("nearest", 1.0, 1.0, Some(sh), Some(sw)) => {
                        let y = self.emit(Layer::UpSample2d(ops::UpSample2d((sh, sw))), vec![v], &node_name(n));
                        self.set(n, y, Lay::Chw { c, h: h * sh, w: w * sw });
                        Ok(())
                    }
                    _ => Err(self.unsupported(
                        n,
                        format!("{mode} resize by {scales:?} (only nearest, integer factors on H and W)"),
                    )),
                }
            }
            "Conv" => self.conv(n),
            "Gemm" | "MatMul" => self.gemm(n),
            "BatchNormalization" => {
                let (_, lay) = self.dynamic(n, 0)?;
                let p = |k: usize, what: &str| -> Result<Vec<f64>, OnnxError> {
                    let c = self
                        .konst(n, k, what)?
                        .ok_or_else(|| self.graph_err(n, format!("{what} is missing")))?;
                    if c.len() != lay.channels() {
                        return Err(self.graph_err(
                            n,
                            format!(
                                "{what} has {} values for {} channels",
                                c.len(),
                                lay.channels()
                            ),
                        ));
                    }
                    Ok(c.iter().copied().collect())
                };
                let (scale, bias, mean, var) =
                    (p(1, "scale")?, p(2, "B")?, p(3, "mean")?, p(4, "var")?);
                let eps = attr_float(n, "epsilon", 1e-5) as f64;
                let a: Vec<f64> = scale
                    .iter()
                    .zip(&var)
                    .map(|(g, v)| g / (v + eps).sqrt())
                    .collect();
                let b: Vec<f64> = bias
                    .iter()
                    .zip(&mean)
                    .zip(&a)
                    .map(|((b, m), a)| b - m * a)
                    .collect();
                self.affine(n, a, b)
            }
            "Add" | "Sub" | "Mul" | "Div" => self.binary(n),
            "MaxPool" | "AveragePool" => self.pool(n),
            "GlobalAveragePool" | "GlobalMaxPool" => {
                let (v, lay) = self.dynamic(n, 0)?;
                let Lay::Chw { c, .. } = lay else {
                    return Err(
                        self.unsupported(n, "global pooling of a tensor that is not [N, C, H, W]")
                    );
                };
                let l = if op == "GlobalAveragePool" {
                    Layer::GlobalAvgPool2d(ops::GlobalAvgPool2d)
                } else {
                    Layer::GlobalMaxPool2d(ops::GlobalMaxPool2d)
                };
                let y = self.emit(l, vec![v], &node_name(n));
                self.set(n, y, Lay::Pooled(c));
                Ok(())
            }
            "Flatten" => {
                let axis = attr_int(n, "axis", 1);
                if axis != 1 {
                    return Err(self.unsupported(n, format!("flatten from axis {axis} (only 1)")));
                }
                self.flatten(n)
            }
            "Reshape" => {
                let (_, lay) = self.dynamic(n, 0)?;
                let target = self
                    .konst(n, 1, "shape")?
                    .ok_or_else(|| self.graph_err(n, "shape is missing"))?;
                let current: Vec<usize> = std::iter::once(1).chain(lay.onnx_shape()).collect();
                let mut t: Vec<i64> = target.iter().map(|&v| v as i64).collect();
                for (k, v) in t.iter_mut().enumerate() {
                    if *v == 0 {
                        *v = current.get(k).copied().unwrap_or(0) as i64;
                    }
                }
                let total: usize = current.iter().product();
                let known = t
                    .iter()
                    .filter(|&&v| v != -1)
                    .try_fold(1i64, |a, &v| a.checked_mul(v));
                if let Some(known) = known.filter(|&k| k > 0) {
                    if t.iter().filter(|&&v| v == -1).count() == 1 {
                        let fill = total as i64 / known;
                        t.iter_mut().filter(|v| **v == -1).for_each(|v| *v = fill);
                    }
                }
                let t: Vec<usize> = t.iter().map(|&v| v.max(0) as usize).collect();
                if t.iter().try_fold(1usize, |a, &v| a.checked_mul(v)) != Some(total) {
                    return Err(
                        self.graph_err(n, format!("reshape {current:?} to {t:?}: sizes differ"))
                    );
                }
                if t == current {
                    return self.alias(n);
                }
                if t == [1, total] {
                    return self.flatten(n);
                }
                // a reshape that keeps arkml's element order is a relabelling: zero constraints
                let new = match t.as_slice() {
                    [1, c, h, w] if *c == 1 || h * w == 1 => Some(Lay::Chw {
                        c: *c,
                        h: *h,
                        w: *w,
                    }),
                    [1, c, l] if *c == 1 || *l == 1 => Some(Lay::Cl { c: *c, l: *l }),
                    _ => None,
                };
                match new {
                    Some(new) if order_preserving(&lay) => {
                        let (v, _) = self.dynamic(n, 0)?;
                        let shape = arkml_shape(&new);
                        let y = if shape == arkml_shape(&lay) {
                            v
                        } else {
                            self.emit(Layer::Reshape(ops::Reshape(shape)), vec![v], &node_name(n))
                        };
                        self.set(n, y, new);
                        Ok(())
                    }
                    _ => Err(self.unsupported(
                        n,
                        format!("reshape {current:?} to {t:?} (only to [N, features], the same shape, or one that keeps the element order)"),
                    )),
                }
            }
            "Transpose" => {
                let (v, lay) = self.dynamic(n, 0)?;
                let perm = attr_ints(n, "perm").unwrap_or_default();
                let new = match (lay, perm.as_slice()) {
                    (Lay::Hwc { h, w, c }, [0, 3, 1, 2]) => Lay::Chw { c, h, w },
                    (Lay::Chw { c, h, w }, [0, 2, 3, 1]) => Lay::Hwc { h, w, c },
                    (_, p) if p.iter().enumerate().all(|(i, &v)| i as i64 == v) => lay,
                    (l, p) => {
                        return Err(self.unsupported(
                            n,
                            format!(
                                "transpose {p:?} of a {:?} tensor (only NHWC <-> NCHW)",
                                l.onnx_shape()
                            ),
                        ))
                    }
                };
                self.set(n, v, new);
                Ok(())
            }
            "Concat"
                if (0..n.input.len())
                    .all(|k| matches!(self.vals.get(&n.input[k]), Some(Val::Const(_)))) =>
            {
                let cs: Vec<ArrayD<f64>> = n
                    .input
                    .iter()
                    .filter_map(|k| match self.vals.get(k) {
                        Some(Val::Const(c)) => Some(c.clone()),
                        _ => None,
                    })
                    .collect();
                let rank = cs.first().map_or(1, |c| c.ndim()) as i64;
                let axis = attr_int(n, "axis", 0);
                let axis = if axis < 0 { axis + rank } else { axis };
                let views: Vec<_> = cs.iter().map(|c| c.view()).collect();
                let c = ndarray::concatenate(ndarray::Axis(axis.max(0) as usize), &views)
                    .map_err(|e| self.graph_err(n, format!("concat of constants: {e}")))?;
                self.constant(n, c)
            }
            "Concat" => {
                let mut ins = vec![];
                let mut lays = vec![];
                for k in 0..n.input.len() {
                    let (v, lay) = self.dynamic(n, k)?;
                    ins.push(v);
                    lays.push(lay);
                }
                let first = *lays.first().ok_or_else(|| self.graph_err(n, "no inputs"))?;
                let rank = first.onnx_shape().len() as i64 + 1;
                let axis = attr_int(n, "axis", 1);
                let axis = if axis < 0 { axis + rank } else { axis };
                let total: usize = lays.iter().map(|l| l.channels()).sum();
                let same_but_channels = |a: &Lay| match (first, *a) {
                    (Lay::Chw { h, w, .. }, Lay::Chw { h: h2, w: w2, .. }) => h == h2 && w == w2,
                    (Lay::Cl { l, .. }, Lay::Cl { l: l2, .. }) => l == l2,
                    (Lay::Vec(_), Lay::Vec(_)) | (Lay::Pooled(_), Lay::Pooled(_)) => true,
                    _ => false,
                };
                if axis != 1 || !lays.iter().all(same_but_channels) {
                    return Err(self.unsupported(
                        n,
                        "concat other than along channels (axis 1) of like tensors",
                    ));
                }
                let new = match first {
                    Lay::Chw { h, w, .. } => Lay::Chw { c: total, h, w },
                    Lay::Cl { l, .. } => Lay::Cl { c: total, l },
                    Lay::Pooled(_) => Lay::Pooled(total),
                    _ => Lay::Vec(total),
                };
                let y = self.emit(Layer::Concat(ops::Concat), ins, &node_name(n));
                self.set(n, y, new);
                Ok(())
            }
            "Pad" => {
                let (v, lay) = self.dynamic(n, 0)?;
                let mode = attr_str(n, "mode").unwrap_or_else(|| "constant".into());
                let pads: Vec<i64> = if self.opset >= 11 {
                    self.konst(n, 1, "pads")?
                        .map(|c| c.iter().map(|&v| v as i64).collect())
                        .unwrap_or_default()
                } else {
                    attr_ints(n, "pads").unwrap_or_default()
                };
                let value = if self.opset >= 11 {
                    self.konst(n, 2, "constant_value")?
                        .and_then(|c| c.iter().next().copied())
                        .unwrap_or(0.0)
                } else {
                    attr_float(n, "value", 0.0) as f64
                };
                if mode != "constant"
                    || value != 0.0
                    || n.input.get(3).is_some_and(|s| !s.is_empty())
                {
                    return Err(self.unsupported(
                        n,
                        format!("{mode} padding with {value} (only zeros, all axes)"),
                    ));
                }
                let Lay::Chw { c, h, w } = lay else {
                    return Err(self.unsupported(n, "padding of a tensor that is not [N, C, H, W]"));
                };
                let p = |k: usize| pads.get(k).copied().unwrap_or(0);
                if pads.len() != 8 || pads.iter().any(|&v| v < 0) || p(0) + p(1) + p(4) + p(5) != 0
                {
                    return Err(self.unsupported(
                        n,
                        format!("pads {pads:?} (only non-negative H and W pads)"),
                    ));
                }
                let (before, after) = (
                    (p(2) as usize, p(3) as usize),
                    (p(6) as usize, p(7) as usize),
                );
                let (ph, pw) = h
                    .checked_add(before.0)
                    .and_then(|v| v.checked_add(after.0))
                    .zip(w.checked_add(before.1).and_then(|v| v.checked_add(after.1)))
                    .ok_or_else(|| self.graph_err(n, "pads overflow"))?;
                if let Some(o) = n.output.first() {
                    self.bind(o, v);
                    self.vals.insert(
                        o.clone(),
                        Val::Dyn {
                            value: v,
                            lay: Lay::Chw { c, h: ph, w: pw },
                            pad: Some((before, after)),
                        },
                    );
                }
                Ok(())
            }
            "ArgMax" => {
                let (v, lay) = self.dynamic(n, 0)?;
                let axis = attr_int(n, "axis", 0);
                if !matches!(lay, Lay::Vec(_) | Lay::Pooled(_))
                    || !(axis == 1 || axis == -1)
                    || attr_int(n, "select_last_index", 0) != 0
                {
                    return Err(self.unsupported(
                        n,
                        "argmax other than over the features of [N, features], first index",
                    ));
                }
                let y = self.emit(Layer::ArgMax(ops::ArgMax), vec![v], &node_name(n));
                self.set(n, y, Lay::Scalar);
                Ok(())
            }
            _ => Err(self.unsupported(n, "op not supported")),
        }
    }

    /// Whether ONNX value `name` only reaches model outputs, through Identity, Dropout and
    /// float Casts.
    fn only_to_output(&self, name: &str, depth: usize) -> bool {
        if depth > 64 {
            return false;
        }
        let is_output = self.outputs.iter().any(|o| o == name);
        let cs = self
            .consumers
            .get(name)
            .map(|c| c.as_slice())
            .unwrap_or(&[]);
        // an ArgMax reading it sees the same maximum in the logits
        let passes = cs.iter().all(|c| {
            c.op_type == "ArgMax"
                || (matches!(
                    c.op_type.as_str(),
                    "Identity" | "Dropout" | "Cast" | "Normalizer" | "ZipMap"
                ) && c
                    .output
                    .first()
                    .is_some_and(|o| self.only_to_output(o, depth + 1)))
        });
        (is_output || !cs.is_empty()) && passes
    }

    fn constant(&mut self, n: &NodeProto, c: ArrayD<f64>) -> Result<(), OnnxError> {
        if let Some(o) = n.output.first() {
            self.vals.insert(o.clone(), Val::Const(c));
        }
        Ok(())
    }

    /// Gather, Slice, Unsqueeze and Squeeze on constants (shape computations such as
    /// tf2onnx's `Shape -> Gather -> Concat -> Reshape`).
    fn fold_constant(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let c =
            match self.get(n, 0)? {
                Some(Val::Const(c)) => c,
                _ => return Err(self.unsupported(
                    n,
                    "only on constants (shape computations); on activations it is not supported",
                )),
            };
        let ints = |v: Option<ArrayD<f64>>| -> Vec<i64> {
            v.map(|a| a.iter().map(|&x| x as i64).collect())
                .unwrap_or_default()
        };
        let rank = c.ndim() as i64;
        let norm = |a: i64, r: i64| if a < 0 { a + r } else { a };
        let out = match n.op_type.as_str() {
            "Gather" => {
                let axis = norm(attr_int(n, "axis", 0), rank);
                let idx = self
                    .konst(n, 1, "indices")?
                    .ok_or_else(|| self.graph_err(n, "indices are missing"))?;
                if axis != 0 || c.ndim() != 1 {
                    return Err(self.unsupported(n, "gather other than from a 1-D constant"));
                }
                let len = c.len() as i64;
                let picked: Vec<f64> = idx
                    .iter()
                    .map(|&i| {
                        let i = norm(i as i64, len);
                        c.get(i.max(0) as usize).copied()
                    })
                    .collect::<Option<_>>()
                    .ok_or_else(|| self.graph_err(n, "index out of range"))?;
                ArrayD::from_shape_vec(idx.raw_dim(), picked).expect("same length")
            }
            "Slice" => {
                if c.ndim() != 1 {
                    return Err(self.unsupported(n, "slice other than of a 1-D constant"));
                }
                let (starts, ends) = if self.opset >= 10 {
                    (
                        ints(self.konst(n, 1, "starts")?),
                        ints(self.konst(n, 2, "ends")?),
                    )
                } else {
                    (
                        attr_ints(n, "starts").unwrap_or_default(),
                        attr_ints(n, "ends").unwrap_or_default(),
                    )
                };
                let steps = ints(self.konst(n, 4, "steps")?);
                if starts.len() != 1 || ends.len() != 1 || steps.iter().any(|&s| s != 1) {
                    return Err(self.unsupported(n, "slice of more than one axis or with steps"));
                }
                let len = c.len() as i64;
                let clamp = |v: i64| norm(v, len).clamp(0, len) as usize;
                let (a, b) = (clamp(starts[0]), clamp(ends[0]));
                let v: Vec<f64> = c
                    .iter()
                    .skip(a)
                    .take(b.saturating_sub(a))
                    .copied()
                    .collect();
                Array1::from(v).into_dyn()
            }
            _ => {
                let axes = if self.opset >= 13 {
                    ints(self.konst(n, 1, "axes")?)
                } else {
                    attr_ints(n, "axes").unwrap_or_default()
                };
                let mut shape: Vec<usize> = c.shape().to_vec();
                if n.op_type == "Unsqueeze" {
                    let r = (shape.len() + axes.len()) as i64;
                    let mut axes: Vec<usize> =
                        axes.iter().map(|&a| norm(a, r).max(0) as usize).collect();
                    axes.sort_unstable();
                    for a in axes {
                        if a > shape.len() {
                            return Err(self.graph_err(n, "axis out of range"));
                        }
                        shape.insert(a, 1);
                    }
                } else {
                    let axes: Vec<usize> = axes
                        .iter()
                        .map(|&a| norm(a, rank).max(0) as usize)
                        .collect();
                    shape = shape
                        .iter()
                        .enumerate()
                        .filter(|(i, &d)| !(d == 1 && (axes.is_empty() || axes.contains(i))))
                        .map(|(_, &d)| d)
                        .collect();
                }
                c.into_shape_with_order(IxDyn(&shape))
                    .map_err(|e| self.graph_err(n, e.to_string()))?
            }
        };
        self.constant(n, out)
    }

    fn flatten(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let new = match lay {
            Lay::Vec(_) | Lay::Pooled(_) => {
                let len = lay.channels();
                self.set(n, v, Lay::Vec(len));
                return Ok(());
            }
            Lay::Scalar => Lay::Vec(1),
            Lay::FlatChw { .. } => lay,
            Lay::Hwc { h, w, c } => Lay::Vec(h * w * c),
            Lay::Chw { c, h, w } if c == 1 || h * w == 1 => Lay::Vec(c * h * w),
            Lay::Chw { c, h, w } => Lay::FlatChw { c, h, w },
            Lay::Cl { c, l } if c == 1 || l == 1 => Lay::Vec(c * l),
            Lay::Cl { c, l } => Lay::FlatChw { c, h: 1, w: l },
        };
        let y = self.emit(Layer::Flatten(ops::Flatten), vec![v], &node_name(n));
        self.set(n, y, new);
        Ok(())
    }

    fn conv(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (value, lay, extra) = match self.need(n, 0)? {
            Val::Dyn { value, lay, pad } => (value, lay, pad),
            Val::Const(_) => return Err(self.unsupported(n, "a convolution of a constant")),
        };
        let w = self
            .konst(n, 1, "weights")?
            .ok_or_else(|| self.graph_err(n, "weights are missing"))?;
        let m = w.shape().first().copied().unwrap_or(0);
        let b = match self.konst(n, 2, "bias")? {
            Some(b) if b.len() == m => b.iter().copied().collect::<Vec<_>>(),
            Some(b) => {
                return Err(
                    self.graph_err(n, format!("bias has {} values for {m} filters", b.len()))
                )
            }
            None => vec![0.0; m],
        };
        let group = attr_int(n, "group", 1);
        let ints = |name: &str, d: usize| -> Vec<usize> {
            attr_ints(n, name)
                .map(|v| v.iter().map(|&x| x.max(0) as usize).collect())
                .unwrap_or_else(|| vec![1; d])
        };
        let auto_pad = attr_str(n, "auto_pad").unwrap_or_else(|| "NOTSET".into());
        match (lay, w.ndim()) {
            (Lay::Chw { c, h, w: width }, 4) => {
                let (kh, kw) = (w.shape()[2], w.shape()[3]);
                let strides = ints("strides", 2);
                let dil = ints("dilations", 2);
                let pads = attr_ints(n, "pads").unwrap_or_else(|| vec![0; 4]);
                if strides.len() != 2
                    || dil.len() != 2
                    || pads.len() != 4
                    || pads.iter().any(|&p| p < 0)
                {
                    return Err(self.graph_err(n, "strides, dilations or pads of the wrong length"));
                }
                let (mut before, mut after) = (
                    (pads[0] as usize, pads[1] as usize),
                    (pads[2] as usize, pads[3] as usize),
                );
                let (h0, w0) = if let Some((b0, a0)) = extra {
                    before = (before.0 + b0.0, before.1 + b0.1);
                    after = (after.0 + a0.0, after.1 + a0.1);
                    (h - b0.0 - a0.0, width - b0.1 - a0.1)
                } else {
                    (h, width)
                };
                let padding = match auto_pad.as_str() {
                    "NOTSET" if before == (0, 0) && after == (0, 0) => Padding::Valid,
                    "NOTSET" => Padding::Explicit { before, after },
                    "VALID" if extra.is_none() => Padding::Valid,
                    "SAME_UPPER" if extra.is_none() => Padding::Same,
                    other => return Err(self.unsupported(n, format!("auto_pad {other}"))),
                };
                let cfg = Conv2dConfig {
                    stride: (strides[0], strides[1]),
                    padding,
                    dilation: (dil[0], dil[1]),
                };
                let g = window2d(h0, w0, (kh, kw), &cfg)
                    .map_err(|e| self.graph_err(n, e.to_string()))?;
                let name = node_name(n);
                let layer = if group == 1 {
                    if w.shape()[1] != c {
                        return Err(self.graph_err(
                            n,
                            format!("weights for {} channels, input has {c}", w.shape()[1]),
                        ));
                    }
                    let wt =
                        Array4::from_shape_fn((kh, kw, c, m), |(a, bb, ci, o)| w[[o, ci, a, bb]]);
                    Layer::Conv2d(ops::Conv2d {
                        w: wt,
                        b: Array1::from(b),
                        cfg,
                    })
                } else if group as usize == c && w.shape()[1] == 1 && m % c == 0 {
                    let mult = m / c;
                    let wt = Array4::from_shape_fn((kh, kw, c, mult), |(a, bb, ci, j)| {
                        w[[ci * mult + j, 0, a, bb]]
                    });
                    Layer::DepthwiseConv2d(ops::DepthwiseConv2d {
                        w: wt,
                        b: Array1::from(b),
                        cfg,
                    })
                } else if group > 1
                    && c % group as usize == 0
                    && m % group as usize == 0
                    && w.shape()[1] == c / group as usize
                {
                    // a grouped convolution (ResNeXt, RegNet, ShuffleNet) as one convolution
                    // whose weights are zero between groups: constant zeros cost nothing, and
                    // public or private zeros are bound like every other weight
                    let (cg, mg) = (c / group as usize, m / group as usize);
                    let wt = Array4::from_shape_fn((kh, kw, c, m), |(a, bb, ci, o)| {
                        if ci / cg == o / mg {
                            w[[o, ci % cg, a, bb]]
                        } else {
                            0.0
                        }
                    });
                    self.notes.push(format!(
                        "{} (group {group}) as one convolution with zero weights between groups",
                        node_name(n)
                    ));
                    Layer::Conv2d(ops::Conv2d {
                        w: wt,
                        b: Array1::from(b),
                        cfg,
                    })
                } else {
                    return Err(self.unsupported(
                        n,
                        format!(
                            "group {group} with weights for {} channels per group on {c} \
                             input channels and {m} filters",
                            w.shape()[1]
                        ),
                    ));
                };
                let y = self.emit(layer, vec![value], &name);
                self.set(
                    n,
                    y,
                    Lay::Chw {
                        c: m,
                        h: g.out.0,
                        w: g.out.1,
                    },
                );
                Ok(())
            }
            (Lay::Cl { c, l }, 3) => {
                if group != 1 || extra.is_some() {
                    return Err(
                        self.unsupported(n, "a 1D convolution with groups or a Pad before it")
                    );
                }
                let k = w.shape()[2];
                if w.shape()[1] != c {
                    return Err(self.graph_err(
                        n,
                        format!("weights for {} channels, input has {c}", w.shape()[1]),
                    ));
                }
                let s = ints("strides", 1);
                let d = ints("dilations", 1);
                let pads = attr_ints(n, "pads").unwrap_or_else(|| vec![0; 2]);
                if s.len() != 1 || d.len() != 1 || pads.len() != 2 || pads.iter().any(|&p| p < 0) {
                    return Err(self.graph_err(n, "strides, dilations or pads of the wrong length"));
                }
                let padding = match auto_pad.as_str() {
                    "NOTSET" if pads == [0, 0] => Padding::Valid,
                    "NOTSET" => Padding::Explicit {
                        before: (0, pads[0] as usize),
                        after: (0, pads[1] as usize),
                    },
                    "VALID" => Padding::Valid,
                    "SAME_UPPER" => Padding::Same,
                    other => return Err(self.unsupported(n, format!("auto_pad {other}"))),
                };
                let cfg = arkml_gadgets::layers::conv::conv1d_config(s[0], padding, d[0]);
                let g =
                    window2d(1, l, (1, k), &cfg).map_err(|e| self.graph_err(n, e.to_string()))?;
                let wt = Array3::from_shape_fn((k, c, m), |(a, ci, o)| w[[o, ci, a]]);
                let layer = Layer::Conv1d(ops::Conv1d {
                    w: wt,
                    b: Array1::from(b),
                    stride: s[0],
                    padding,
                    dilation: d[0],
                });
                let y = self.emit(layer, vec![value], &node_name(n));
                self.set(n, y, Lay::Cl { c: m, l: g.out.1 });
                Ok(())
            }
            // a 1x1 convolution of a [N, C, 1, 1] tensor (squeeze-excite's fully connected
            // layers after a global pooling): a Dense layer
            (Lay::Pooled(c), 4)
                if w.shape()[2] == 1
                    && w.shape()[3] == 1
                    && group == 1
                    && extra.is_none()
                    && attr_ints(n, "pads").is_none_or(|p| p.iter().all(|&v| v == 0)) =>
            {
                if w.shape()[1] != c {
                    return Err(self.graph_err(
                        n,
                        format!("weights for {} channels, input has {c}", w.shape()[1]),
                    ));
                }
                let wt = Array2::from_shape_fn((c, m), |(ci, o)| w[[o, ci, 0, 0]]);
                let layer = Layer::Dense(ops::Dense {
                    w: wt,
                    b: Array1::from(b),
                });
                let y = self.emit(layer, vec![value], &node_name(n));
                self.set(n, y, Lay::Pooled(m));
                Ok(())
            }
            (l, r) => Err(self.unsupported(
                n,
                format!(
                    "a convolution with rank-{r} weights of a {:?} tensor",
                    l.onnx_shape()
                ),
            )),
        }
    }

    fn gemm(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (value, lay) = self.dynamic(n, 0)?;
        let k_in = match lay {
            Lay::Vec(k) | Lay::Pooled(k) => k,
            Lay::FlatChw { c, h, w } => c * h * w,
            l => {
                return Err(self.unsupported(
                    n,
                    format!(
                        "a matrix product of a {:?} tensor (flatten it first)",
                        l.onnx_shape()
                    ),
                ))
            }
        };
        let bmat = self
            .konst(n, 1, "B")?
            .ok_or_else(|| self.graph_err(n, "B is missing"))?;
        if bmat.ndim() != 2 {
            return Err(
                self.unsupported(n, format!("B of shape {:?} (only a matrix)", bmat.shape()))
            );
        }
        let gemm = n.op_type == "Gemm";
        let (alpha, beta) = if gemm {
            (
                attr_float(n, "alpha", 1.0) as f64,
                attr_float(n, "beta", 1.0) as f64,
            )
        } else {
            (1.0, 1.0)
        };
        if gemm && attr_int(n, "transA", 0) != 0 {
            return Err(self.unsupported(n, "transA = 1"));
        }
        let trans_b = gemm && attr_int(n, "transB", 0) != 0;
        let bm = bmat.into_dimensionality::<ndarray::Ix2>().expect("rank 2");
        let bm = if trans_b { bm.t().to_owned() } else { bm };
        let (k, out) = bm.dim();
        if k != k_in {
            return Err(self.graph_err(n, format!("B has {k} rows for {k_in} inputs")));
        }
        // arkml row p is ONNX row onnx_index(p)
        let wt = Array2::from_shape_fn((k, out), |(p, j)| alpha * bm[[lay.onnx_index(p), j]]);
        let bias = match if gemm { self.konst(n, 2, "C")? } else { None } {
            None => vec![0.0; out],
            Some(c) if c.len() == out => c.iter().map(|v| beta * v).collect(),
            Some(c) if c.len() == 1 => vec![beta * c.iter().next().copied().unwrap_or(0.0); out],
            Some(c) => return Err(self.unsupported(n, format!("C of shape {:?}", c.shape()))),
        };
        let layer = FloatLayer::dense(wt, Array1::from(bias));
        let y = self.emit(layer, vec![value], &node_name(n));
        self.set(n, y, Lay::Vec(out));
        Ok(())
    }

    fn binary(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let op = n.op_type.as_str();
        let (x, y) = (self.need(n, 0)?, self.need(n, 1)?);
        match (x, y) {
            (Val::Const(a), Val::Const(b)) => {
                let r = match op {
                    "Add" => ndarray_broadcast(&a, &b, |p, q| p + q),
                    "Sub" => ndarray_broadcast(&a, &b, |p, q| p - q),
                    "Mul" => ndarray_broadcast(&a, &b, |p, q| p * q),
                    _ => ndarray_broadcast(&a, &b, |p, q| p / q),
                }
                .ok_or_else(|| self.unsupported(n, "constants that do not broadcast"))?;
                if let Some(o) = n.output.first() {
                    self.vals.insert(o.clone(), Val::Const(r));
                }
                Ok(())
            }
            (Val::Dyn { .. }, Val::Dyn { .. }) if op == "Mul" => {
                let (a, la) = self.dynamic(n, 0)?;
                let (b, lb) = self.dynamic(n, 1)?;
                // equal layouts, or a per-channel gate ([N, C] or [N, C, 1, 1]) over a map
                let gate = |full: Lay, g: Lay| match (full, g) {
                    (Lay::Chw { c, .. }, Lay::Pooled(k) | Lay::Vec(k)) => c == k,
                    (Lay::Chw { c, .. }, Lay::Chw { c: k, h: 1, w: 1 }) => c == k,
                    _ => false,
                };
                let lay = if la == lb || gate(la, lb) {
                    la
                } else if gate(lb, la) {
                    lb
                } else {
                    return Err(self.graph_err(
                        n,
                        format!(
                            "a product of activations of shapes {:?} and {:?} (equal shapes, \
                             or a per-channel gate)",
                            la.onnx_shape(),
                            lb.onnx_shape()
                        ),
                    ));
                };
                let v = self.emit(Layer::Product(ops::Product), vec![a, b], &node_name(n));
                self.set(n, v, lay);
                Ok(())
            }
            (Val::Dyn { .. }, Val::Dyn { .. }) => {
                if !matches!(op, "Add" | "Sub") {
                    return Err(self.unsupported(
                        n,
                        "a quotient of two activations (not a fixed-point affine op)",
                    ));
                }
                let (a, la) = self.dynamic(n, 0)?;
                let (b, lb) = self.dynamic(n, 1)?;
                if la != lb {
                    return Err(self.graph_err(
                        n,
                        format!(
                            "inputs of shapes {:?} and {:?}",
                            la.onnx_shape(),
                            lb.onnx_shape()
                        ),
                    ));
                }
                let l = if op == "Add" {
                    Layer::Add(ops::Add)
                } else {
                    Layer::Sub(ops::Sub)
                };
                let v = self.emit(l, vec![a, b], &node_name(n));
                self.set(n, v, la);
                Ok(())
            }
            (x, y) => {
                let const_first = matches!(x, Val::Const(_));
                let k = if const_first { 0 } else { 1 };
                let c = self.konst(n, k, "the constant operand")?.expect("present");
                if const_first {
                    // the dynamic operand is input 1; affine() reads input 0
                    let mut swapped = n.clone();
                    swapped.input.swap(0, 1);
                    return self.binary_const(&swapped, c, op, true);
                }
                let _ = y;
                self.binary_const(n, c, op, false)
            }
        }
    }

    /// `x op c` (or `c op x` when `reversed`), `x` being input 0 of `n`.
    fn binary_const(
        &mut self,
        n: &NodeProto,
        c: ArrayD<f64>,
        op: &str,
        reversed: bool,
    ) -> Result<(), OnnxError> {
        let (value, lay) = self.dynamic(n, 0)?;
        let ch = lay.channels();
        if let Some(pc) = per_channel(&c, &lay) {
            let (a, b): (Vec<f64>, Vec<f64>) = match (op, reversed) {
                ("Add", _) => (vec![1.0; ch], pc),
                ("Sub", false) => (vec![1.0; ch], pc.iter().map(|v| -v).collect()),
                ("Sub", true) => (vec![-1.0; ch], pc),
                ("Mul", _) => (pc, vec![0.0; ch]),
                ("Div", false) => {
                    if pc.contains(&0.0) {
                        return Err(self.graph_err(n, "division by zero"));
                    }
                    (pc.iter().map(|v| 1.0 / v).collect(), vec![0.0; ch])
                }
                _ => return Err(self.unsupported(n, "a constant divided by an activation")),
            };
            return self.affine(n, a, b);
        }
        match (op, full(&c, &lay)) {
            ("Mul", Some(f)) => {
                let layer = Layer::Mul(ops::Mul { c: f });
                let _ = value;
                let y = self.emit(layer, vec![value], &node_name(n));
                self.set(n, y, lay);
                Ok(())
            }
            _ => Err(self.unsupported(
                n,
                format!(
                    "{op} by a constant of shape {:?} on a {:?} tensor (per channel or scalar; Mul also elementwise)",
                    c.shape(),
                    lay.onnx_shape()
                ),
            )),
        }
    }

    fn pool(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let Lay::Chw { c, h, w } = lay else {
            return Err(self.unsupported(n, "pooling of a tensor that is not [N, C, H, W]"));
        };
        let k = attr_ints(n, "kernel_shape").unwrap_or_default();
        let s = attr_ints(n, "strides").unwrap_or_else(|| vec![1, 1]);
        let pads = attr_ints(n, "pads").unwrap_or_else(|| vec![0; 4]);
        let dil = attr_ints(n, "dilations").unwrap_or_else(|| vec![1, 1]);
        if k.len() != 2
            || s.len() != 2
            || pads.len() != 4
            || k.iter().chain(&s).chain(&pads).any(|&x| x < 0)
        {
            return Err(self.graph_err(n, "kernel_shape, strides or pads of the wrong length"));
        }
        if dil.iter().any(|&d| d != 1) {
            return Err(self.unsupported(n, "dilations"));
        }
        let ceil = attr_int(n, "ceil_mode", 0) != 0;
        let avg = n.op_type == "AveragePool";
        if avg && pads.iter().any(|&p| p != 0) && attr_int(n, "count_include_pad", 0) != 0 {
            return Err(self.unsupported(n, "count_include_pad = 1 with padding"));
        }
        let (before, mut after) = (
            (pads[0] as usize, pads[1] as usize),
            (pads[2] as usize, pads[3] as usize),
        );
        let auto_pad = attr_str(n, "auto_pad").unwrap_or_else(|| "NOTSET".into());
        if ceil {
            if !matches!(auto_pad.as_str(), "NOTSET" | "VALID") {
                return Err(self.unsupported(n, format!("ceil_mode with auto_pad {auto_pad}")));
            }
            // ceil_mode: a last, partial window where the floor drops it (as onnxruntime and
            // PyTorch: a window starting beyond the input and the padding before is dropped),
            // as padding after the input that the pooling ignores
            let extra = |len: usize, k: usize, s: usize, pb: usize, pa: usize| {
                let total = len.checked_add(pb)?.checked_add(pa)?;
                let span = total.checked_sub(k)?;
                let mut out = span.div_ceil(s.max(1)) + 1;
                if (out - 1) * s >= len + pb {
                    out -= 1;
                }
                Some(((out - 1) * s + k).saturating_sub(total))
            };
            let (k0, k1, s0, s1) = (k[0] as usize, k[1] as usize, s[0] as usize, s[1] as usize);
            let (e0, e1) = extra(h, k0, s0, before.0, after.0)
                .zip(extra(w, k1, s1, before.1, after.1))
                .ok_or_else(|| self.graph_err(n, "the kernel is larger than the padded input"))?;
            after = (after.0 + e0, after.1 + e1);
        }
        let padding = match auto_pad.as_str() {
            "NOTSET" | "VALID" if before == (0, 0) && after == (0, 0) => Padding::Valid,
            "NOTSET" | "VALID" => Padding::Explicit { before, after },
            "SAME_UPPER" => Padding::Same,
            other => return Err(self.unsupported(n, format!("auto_pad {other}"))),
        };
        let cfg = Pool2dConfig {
            size: (k[0] as usize, k[1] as usize),
            stride: (s[0] as usize, s[1] as usize),
            padding,
        };
        let g =
            window2d(h, w, cfg.size, &cfg.conv()).map_err(|e| self.graph_err(n, e.to_string()))?;
        let l = if avg {
            Layer::AvgPool2d(ops::AvgPool2d(cfg))
        } else {
            Layer::MaxPool2d(ops::MaxPool2d(cfg))
        };
        let y = self.emit(l, vec![v], &node_name(n));
        self.set(
            n,
            y,
            Lay::Chw {
                c,
                h: g.out.0,
                w: g.out.1,
            },
        );
        Ok(())
    }
}

/// Numpy-style broadcasting of two constants.
fn ndarray_broadcast(
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    f: impl Fn(f64, f64) -> f64,
) -> Option<ArrayD<f64>> {
    let rank = a.ndim().max(b.ndim());
    let pad = |s: &[usize]| -> Vec<usize> {
        std::iter::repeat_n(1, rank - s.len())
            .chain(s.iter().copied())
            .collect()
    };
    let (sa, sb) = (pad(a.shape()), pad(b.shape()));
    let shape: Vec<usize> = sa
        .iter()
        .zip(&sb)
        .map(|(&x, &y)| {
            if x == y || y == 1 {
                Some(x)
            } else if x == 1 {
                Some(y)
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= crate::model::Limits::default().max_elements)?;
    let a = a.broadcast(IxDyn(&shape))?;
    let b = b.broadcast(IxDyn(&shape))?;
    let mut out = a.to_owned();
    out.zip_mut_with(&b, |x, y| *x = f(*x, *y));
    Some(out)
}
