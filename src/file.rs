//! Files: the model JSON format, tensors, and Groth16 keys and proofs.
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
}

/// One entry of `"layers"`: a layer, with (version 2) an optional node name and the names
/// of the values it reads (`"input"` is the model's input; default: the previous entry).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LayerEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inputs: Option<Vec<String>>,
    /// The op's `"type"`.
    #[serde(rename = "type")]
    kind: String,
    /// The op's own fields ([`FileForm`]).
    #[serde(flatten)]
    fields: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Dtype {
    #[default]
    Int,
    Float,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    format: String,
    version: u32,
    #[serde(default)]
    dtype: Dtype,
    input_shape: Vec<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_bound: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scale: Option<String>,
    #[serde(default)]
    input_visibility: VisibilityFile,
    #[serde(default)]
    weights: Option<WeightsFile>,
    layers: Vec<LayerEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outputs: Option<Vec<String>>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum WeightVisibilityFile {
    Constant,
    Public,
    Private,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeightsFile {
    visibility: WeightVisibilityFile,
    #[serde(default)]
    weight_bits: u32,
    #[serde(default)]
    bias_bits: u32,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum VisibilityFile {
    #[default]
    Private,
    Public,
}

impl From<VisibilityFile> for Visibility {
    fn from(v: VisibilityFile) -> Self {
        match v {
            VisibilityFile::Public => Visibility::Public,
            VisibilityFile::Private => Visibility::Private,
        }
    }
}

impl From<Visibility> for VisibilityFile {
    fn from(v: Visibility) -> Self {
        if v == Visibility::Public {
            VisibilityFile::Public
        } else {
            VisibilityFile::Private
        }
    }
}

impl From<WeightsFile> for WeightSpec {
    fn from(w: WeightsFile) -> Self {
        WeightSpec {
            visibility: match w.visibility {
                WeightVisibilityFile::Constant => Visibility::Constant,
                WeightVisibilityFile::Public => Visibility::Public,
                WeightVisibilityFile::Private => Visibility::Private,
            },
            weight_bits: w.weight_bits,
            bias_bits: w.bias_bits,
        }
    }
}

impl From<WeightSpec> for WeightsFile {
    fn from(w: WeightSpec) -> Self {
        WeightsFile {
            visibility: match w.visibility {
                Visibility::Constant => WeightVisibilityFile::Constant,
                Visibility::Public => WeightVisibilityFile::Public,
                Visibility::Private => WeightVisibilityFile::Private,
            },
            weight_bits: w.weight_bits,
            bias_bits: w.bias_bits,
        }
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A field error for layer `i`.
fn field_err(i: usize, kind: &str, field: &str, why: String) -> FileError {
    FileError::Field {
        layer: i.to_string(),
        kind: kind.to_string(),
        field: field.into(),
        why,
    }
}

/// Layer `i` of a file: the op its `"type"` names, reading its own fields; an unknown or
/// invalid field is an error naming the layer and the field.
fn read_layer<N: Num>(i: usize, entry: &LayerEntry) -> Result<Layer<N>, FileError> {
    let mut f = Fields::new(entry.fields.clone());
    Layer::<N>::read(&entry.kind, &mut f)
        .and_then(|l| f.finish().map(|_| l))
        .map_err(|e| match e {
            arkml_gadgets::Error::InvalidParameter { what, why } => {
                field_err(i, &entry.kind, &what, why)
            }
            other => field_err(i, &entry.kind, "type", other.to_string()),
        })
}

/// Layer `i`'s file entry: its `"type"` and fields.
fn write_layer<N: Num>(l: &Layer<N>) -> (String, serde_json::Map<String, serde_json::Value>) {
    let mut f = Fields::default();
    let kind = l.write(&mut f);
    (kind.to_string(), f.into_map())
}

fn parse_file(text: &str, path: &str) -> Result<ModelFile, FileError> {
    let f: ModelFile = serde_json::from_str(text).map_err(|source| FileError::Json {
        path: path.to_string(),
        source,
    })?;
    if f.format != "arkml-model" {
        return Err(header(
            "format",
            format!("expected \"arkml-model\", got {:?}", f.format),
        ));
    }
    if f.version != 1 && f.version != 2 {
        return Err(header(
            "version",
            format!("unsupported version {} (1: a chain, 2: a graph)", f.version),
        ));
    }
    if f.version == 1
        && (f.outputs.is_some()
            || f.layers
                .iter()
                .any(|l| l.name.is_some() || l.inputs.is_some()))
    {
        return Err(header(
            "version",
            "node names, inputs and outputs need version 2".into(),
        ));
    }
    Ok(f)
}

fn header(field: &str, why: String) -> FileError {
    FileError::Field {
        layer: "-".into(),
        kind: "header".into(),
        field: field.into(),
        why,
    }
}

/// Whether a model file holds float weights (`"dtype": "float"`) or integers.
pub fn is_float_model(text: &str, path: &str) -> Result<bool, FileError> {
    Ok(parse_file(text, path)?.dtype == Dtype::Float)
}

/// Parses an integer model from its JSON text (`path` only names it in errors).
pub fn model_from_json(text: &str, path: &str) -> Result<Model, FileError> {
    let f = parse_file(text, path)?;
    if f.dtype != Dtype::Int {
        return Err(header(
            "dtype",
            "a float model: quantise it first (arkml::quant, `arkml quantize`)".into(),
        ));
    }
    let input_bound = f
        .input_bound
        .ok_or_else(|| header("input_bound", "required in an integer model".into()))?;
    let mut layers = Vec::with_capacity(f.layers.len());
    for (i, entry) in f.layers.iter().enumerate() {
        layers.push(read_layer::<BigInt>(i, entry)?);
    }
    let (layers, graph) = resolve_graph(&f, layers)?;
    let scale = f
        .scale
        .as_deref()
        .map(|v| {
            v.parse::<BigUint>()
                .ok()
                .filter(|n| !n.is_zero())
                .ok_or_else(|| header("scale", format!("{v:?} is not a positive integer")))
        })
        .transpose()?;
    let m = Model {
        input_shape: f.input_shape,
        input_bound,
        input_visibility: f.input_visibility.into(),
        layers,
        graph,
        weights: f.weights.map_or_else(Default::default, Into::into),
        scale,
    };
    m.shapes()?;
    Ok(m)
}

/// Resolves a version-2 file's node names into a [`Graph`] over the layers sorted
/// topologically; typed errors for a duplicate or reserved name, an input naming no node, a
/// cycle, and an output naming no node.
fn resolve_graph<L>(f: &ModelFile, layers: Vec<L>) -> Result<(Vec<L>, Graph), FileError> {
    let n = f.layers.len();
    if f.version == 1 {
        return Ok((layers, Graph::default()));
    }
    let gerr = |i: Option<usize>, field: &str, why: String| FileError::Field {
        layer: i.map_or("-".into(), |i| i.to_string()),
        kind: i.map_or("graph".into(), |i| f.layers[i].kind.clone()),
        field: field.into(),
        why,
    };
    let names: Vec<String> = (0..n)
        .map(|i| f.layers[i].name.clone().unwrap_or_else(|| format!("n{i}")))
        .collect();
    let mut index = std::collections::HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if name == "input" || name.is_empty() {
            return Err(gerr(Some(i), "name", format!("{name:?} is reserved")));
        }
        if index.insert(name.clone(), i).is_some() {
            return Err(gerr(
                Some(i),
                "name",
                format!("duplicate node name {name:?}"),
            ));
        }
    }
    // each entry's inputs as file indices (None: the model input); default: the previous
    let mut deps: Vec<Vec<Option<usize>>> = Vec::with_capacity(n);
    for (i, entry) in f.layers.iter().enumerate() {
        let d = match &entry.inputs {
            None => vec![i.checked_sub(1)],
            Some(list) => list
                .iter()
                .map(|name| {
                    if name == "input" {
                        Ok(None)
                    } else {
                        index.get(name).map(|&j| Some(j)).ok_or_else(|| {
                            gerr(Some(i), "inputs", format!("no node is named {name:?}"))
                        })
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        deps.push(d);
    }
    // topological order (depth-first; a node met again while open closes a cycle)
    let mut state = vec![0u8; n]; // 0 new, 1 open, 2 done
    let mut order = Vec::with_capacity(n);
    for start in 0..n {
        let mut stack = vec![(start, 0usize)];
        while let Some(&mut (node, ref mut k)) = stack.last_mut() {
            if *k == 0 {
                if state[node] == 2 {
                    stack.pop();
                    continue;
                }
                state[node] = 1;
            }
            if let Some(dep) = deps[node].get(*k).copied() {
                *k += 1;
                if let Some(j) = dep {
                    match state[j] {
                        1 => {
                            return Err(gerr(
                                Some(node),
                                "inputs",
                                format!("a cycle through {:?} and {:?}", names[node], names[j]),
                            ))
                        }
                        0 => stack.push((j, 0)),
                        _ => {}
                    }
                }
            } else {
                state[node] = 2;
                order.push(node);
                stack.pop();
            }
        }
    }
    let mut pos = vec![0usize; n];
    for (p, &j) in order.iter().enumerate() {
        pos[j] = p;
    }
    let value = |d: Option<usize>| d.map_or(0, |j| pos[j] + 1);
    let mut slots: Vec<Option<L>> = layers.into_iter().map(Some).collect();
    let sorted: Vec<L> = order
        .iter()
        .map(|&j| slots[j].take().expect("each layer once"))
        .collect();
    let graph = Graph {
        inputs: order
            .iter()
            .map(|&j| deps[j].iter().map(|&d| value(d)).collect())
            .collect(),
        names: order.iter().map(|&j| names[j].clone()).collect(),
        outputs: match &f.outputs {
            Some(list) => list
                .iter()
                .map(|name| {
                    if name == "input" {
                        Ok(0)
                    } else {
                        index.get(name).map(|&j| pos[j] + 1).ok_or_else(|| {
                            gerr(None, "outputs", format!("no node is named {name:?}"))
                        })
                    }
                })
                .collect::<Result<_, _>>()?,
            // the last entry of the file, when sorting moved it
            None if n > 0 && pos[n - 1] + 1 != n => vec![pos[n - 1] + 1],
            None => vec![],
        },
    };
    Ok((sorted, graph))
}

/// Parses a float model (`"dtype": "float"`): tensors hold JSON numbers or decimal strings,
/// `input_max` is required, no `rescale` layers (quantisation inserts them), activations
/// without integer parameters (`{"type": "leaky_relu", "alpha": 0.1}`, `{"type": "poly"}`,
/// `{"type": "sigmoid"}`, `{"type": "tanh"}`).
pub fn float_model_from_json(text: &str, path: &str) -> Result<FloatModel, FileError> {
    let f = parse_file(text, path)?;
    if f.dtype != Dtype::Float {
        return Err(header("dtype", "expected \"float\"".into()));
    }
    let input_max = f.input_max.filter(|v| v.is_finite()).ok_or_else(|| {
        header(
            "input_max",
            "a finite number is required in a float model".into(),
        )
    })?;
    if f.version == 1
        && (f.outputs.is_some()
            || f.layers
                .iter()
                .any(|l| l.name.is_some() || l.inputs.is_some()))
    {
        return Err(header(
            "version",
            "names, inputs and outputs need a version-2 (graph) file".into(),
        ));
    }
    let mut layers = Vec::with_capacity(f.layers.len());
    for (i, entry) in f.layers.iter().enumerate() {
        layers.push(read_layer::<f64>(i, entry)?);
    }
    let (layers, graph) = resolve_graph(&f, layers)?;
    let fm = FloatModel {
        input_shape: f.input_shape,
        input_max,
        layers,
        graph,
    };
    fm.check()?;
    Ok(fm)
}

/// A model's entries as a file lists them: each layer's file form, with its name and inputs
/// when the graph is not a plain chain; the version (2 for a graph) and the named outputs.
fn graph_entries(
    graph: &Graph,
    layers: impl Iterator<Item = (String, serde_json::Map<String, serde_json::Value>)>,
) -> (u32, Vec<LayerEntry>, Option<Vec<String>>) {
    let chain = graph.is_chain();
    let value_name = |v: usize| {
        if v == 0 {
            "input".to_string()
        } else {
            graph.name_of(v - 1)
        }
    };
    let entries = layers
        .enumerate()
        .map(|(i, (kind, fields))| LayerEntry {
            name: (!chain).then(|| graph.name_of(i)),
            inputs: (!chain).then(|| graph.inputs_of(i).iter().map(|&v| value_name(v)).collect()),
            kind,
            fields,
        })
        .collect();
    let outputs = (!chain && !graph.outputs.is_empty())
        .then(|| graph.outputs.iter().map(|&v| value_name(v)).collect());
    (if chain { 1 } else { 2 }, entries, outputs)
}

/// The model as JSON text.
pub fn model_to_json(m: &Model) -> String {
    let (version, layers, outputs) = graph_entries(&m.graph, m.layers.iter().map(write_layer));
    let f = ModelFile {
        format: "arkml-model".into(),
        version,
        dtype: Dtype::Int,
        input_shape: m.input_shape.clone(),
        input_bound: Some(m.input_bound),
        input_max: None,
        scale: m.scale.as_ref().map(|s| s.to_string()),
        input_visibility: m.input_visibility.into(),
        weights: Some(m.weights.into()),
        layers,
        outputs,
    };
    serde_json::to_string(&f).expect("serialisable")
}

/// A float model as JSON text (`"dtype": "float"`, version 2 when wired as a graph), as
/// [`float_model_from_json`] reads it.
pub fn float_model_to_json(m: &FloatModel) -> String {
    let (version, layers, outputs) = graph_entries(&m.graph, m.layers.iter().map(write_layer));
    let f = ModelFile {
        format: "arkml-model".into(),
        version,
        dtype: Dtype::Float,
        input_shape: m.input_shape.clone(),
        input_bound: None,
        input_max: Some(m.input_max),
        scale: None,
        input_visibility: Visibility::Private.into(),
        weights: None,
        layers,
        outputs,
    };
    serde_json::to_string(&f).expect("serialisable")
}

/// Saves a float model file.
pub fn save_float_model(path: &Path, m: &FloatModel) -> Result<(), FileError> {
    std::fs::write(path, float_model_to_json(m)).map_err(io(path))
}

/// Loads a model file.
pub fn load_model(path: &Path) -> Result<Model, FileError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    model_from_json(&text, &path.display().to_string())
}

/// Loads a float model file (`"dtype": "float"`).
pub fn load_float_model(path: &Path) -> Result<FloatModel, FileError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    float_model_from_json(&text, &path.display().to_string())
}

/// Saves a model file.
pub fn save_model(path: &Path, m: &Model) -> Result<(), FileError> {
    std::fs::write(path, model_to_json(m)).map_err(io(path))
}

/// Loads a tensor file (`{"shape": .., "data": ..}`).
pub fn load_tensor(path: &Path) -> Result<ArrayD<BigInt>, FileError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    tensor_from_json(&text, &path.display().to_string())
}

/// Loads a tensor of real numbers — a tensor JSON file, or a NumPy `.npy` file of `float64`
/// or `float32` (read with `ndarray-npy`) — and quantises it at `scale` (round to nearest),
/// refusing a value that is not finite or that lands outside `[-2^bound, 2^bound)`, with
/// the element, the value and the bound.
pub fn load_float_tensor(
    path: &Path,
    scale: &BigUint,
    bound: u32,
) -> Result<ArrayD<BigInt>, FileError> {
    quantize_float_tensor(&read_float_tensor(path)?, scale, bound)
}

fn float_field(why: String) -> FileError {
    FileError::Field {
        layer: "-".into(),
        kind: "float tensor".into(),
        field: "data".into(),
        why,
    }
}

/// Reads a tensor of real numbers: a tensor JSON file (`{"shape": .., "data": ..}`), or a
/// NumPy `.npy` file of `float64` or `float32`.
pub fn read_float_tensor(path: &Path) -> Result<ArrayD<f64>, FileError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
    {
        return read_npy(path);
    }
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let tf: TensorFile = serde_json::from_str(&text).map_err(|source| FileError::Json {
        path: path.display().to_string(),
        source,
    })?;
    tf.to_f64_array().map_err(float_field)
}

fn read_npy(path: &Path) -> Result<ArrayD<f64>, FileError> {
    // read once: the header is checked on these bytes, then parsed from them
    let bytes = std::fs::read(path).map_err(io(path))?;
    check_npy_size(path, &bytes)?;
    let open = || std::io::Cursor::new(&bytes);
    match ndarray_npy::ReadNpyExt::read_npy(open()) {
        Ok(a) => Ok(a),
        Err(_) => {
            let a: ArrayD<f32> = ndarray_npy::ReadNpyExt::read_npy(open()).map_err(|e| {
                FileError::Serialization {
                    path: path.display().to_string(),
                    what: "NumPy array (float64 or float32)",
                    why: e.to_string(),
                }
            })?;
            Ok(a.mapv(f64::from))
        }
    }
}

/// Quantises real numbers at `scale` (round to nearest), refusing a value that is not
/// finite or lands outside `[-2^bound, 2^bound)`, naming the element, value and bound.
pub fn quantize_float_tensor(
    x: &ArrayD<f64>,
    scale: &BigUint,
    bound: u32,
) -> Result<ArrayD<BigInt>, FileError> {
    let s = num_traits::ToPrimitive::to_f64(scale).unwrap_or(f64::INFINITY);
    let q = x
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let r = (v * s).round();
            let q = num_traits::FromPrimitive::from_f64(r)
                .filter(|q: &BigInt| r.is_finite() && arkml_gadgets::fixed::fits_signed(q, bound))
                .ok_or_else(|| {
                    float_field(format!(
                        "element {i} ({v}) is {r} at scale {}, beyond the input bound [-2^{bound}, 2^{bound})",
                        crate::model::format_scale(scale)
                    ))
                })?;
            Ok(q)
        })
        .collect::<Result<Vec<_>, FileError>>()?;
    ArrayD::from_shape_vec(x.raw_dim(), q).map_err(|e| float_field(e.to_string()))
}

/// Fits a float tensor to a model's input `shape` (arkml's HWC). With `nchw`, `x` is in
/// ONNX's layout (`[C, H, W]` for `[H, W, C]`, `[C, L]` for `[L, C]`, optionally with a
/// batch axis of 1) and is transposed; without, its shape must be `shape` (a leading batch
/// axis of 1 is dropped). Nothing is reshaped silently.
pub fn fit_input(x: ArrayD<f64>, shape: &[usize], nchw: bool) -> Result<ArrayD<f64>, FileError> {
    let mut x = x;
    if x.ndim() == shape.len() + 1 && x.shape()[0] == 1 {
        x = x.index_axis_move(ndarray::Axis(0), 0);
    }
    let onnx: Vec<usize> = match (nchw, shape) {
        (true, [h, w, c]) => vec![*c, *h, *w],
        (true, [l, c]) => vec![*c, *l],
        _ => shape.to_vec(),
    };
    if x.shape() != onnx.as_slice() {
        return Err(float_field(format!(
            "shape {:?}, the model takes {:?}{}",
            x.shape(),
            onnx,
            if nchw { " (ONNX layout)" } else { "" }
        )));
    }
    Ok(match shape.len() {
        3 if nchw => x
            .permuted_axes(IxDyn(&[1, 2, 0]))
            .as_standard_layout()
            .to_owned(),
        2 if nchw => x
            .permuted_axes(IxDyn(&[1, 0]))
            .as_standard_layout()
            .to_owned(),
        _ => x,
    })
}

/// Reads calibration samples: a `.npy` array whose first axis counts the samples, a JSON
/// array of arrays, a JSON object whose `"x"` is one (numbers or decimal strings), or a
/// tensor file whose first axis counts the samples. Each sample is fitted to `shape` as
/// [`fit_input`] does; a flat row is in ONNX's CHW order with `nchw`, else arkml's HWC.
pub fn load_samples(
    path: &Path,
    shape: &[usize],
    nchw: bool,
) -> Result<Vec<ArrayD<f64>>, FileError> {
    let batch: ArrayD<f64> = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
    {
        read_npy(path)?
    } else {
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| FileError::Json {
                path: path.display().to_string(),
                source,
            })?;
        let rows = match &v {
            serde_json::Value::Object(o) if o.contains_key("shape") => {
                let tf: TensorFile =
                    serde_json::from_value(v.clone()).map_err(|source| FileError::Json {
                        path: path.display().to_string(),
                        source,
                    })?;
                return split_batch(tf.to_f64_array().map_err(float_field)?, shape, nchw);
            }
            serde_json::Value::Object(o) => o.get("x").cloned().unwrap_or_default(),
            other => other.clone(),
        };
        let rows = rows.as_array().ok_or_else(|| {
            float_field("expected an array of samples (or {\"x\": [...]})".into())
        })?;
        let num = |v: &serde_json::Value| match v {
            serde_json::Value::Number(n) => n.to_string().parse::<f64>().ok(),
            serde_json::Value::String(s) => s.parse::<f64>().ok(),
            _ => None,
        };
        let mut out = vec![];
        for (i, r) in rows.iter().enumerate() {
            let vals = r
                .as_array()
                .and_then(|a| a.iter().map(num).collect::<Option<Vec<f64>>>())
                .ok_or_else(|| float_field(format!("sample {i} is not a flat array of numbers")))?;
            out.push(
                flat_sample(vals, shape, nchw)
                    .map_err(|e| float_field(format!("sample {i}: {e}")))?,
            );
        }
        return Ok(out);
    };
    split_batch(batch, shape, nchw)
}

fn split_batch(
    batch: ArrayD<f64>,
    shape: &[usize],
    nchw: bool,
) -> Result<Vec<ArrayD<f64>>, FileError> {
    if batch.ndim() == 0 {
        return Err(float_field("a scalar, not a batch of samples".into()));
    }
    batch
        .outer_iter()
        .enumerate()
        .map(|(i, row)| {
            let row = row.to_owned();
            if row.ndim() == 1 && shape.len() > 1 {
                flat_sample(row.iter().copied().collect(), shape, nchw)
                    .map_err(|e| float_field(format!("sample {i}: {e}")))
            } else {
                fit_input(row, shape, nchw)
            }
        })
        .collect()
}

/// A flat row as a sample of `shape`: in ONNX's (CHW) order with `nchw`, else in arkml's
/// (HWC).
fn flat_sample(vals: Vec<f64>, shape: &[usize], nchw: bool) -> Result<ArrayD<f64>, String> {
    let n: usize = shape.iter().product();
    if vals.len() != n {
        return Err(format!(
            "{} values, the model takes {n} ({shape:?})",
            vals.len()
        ));
    }
    let onnx: Vec<usize> = match (nchw, shape) {
        (true, [h, w, c]) => vec![*c, *h, *w],
        (true, [l, c]) => vec![*c, *l],
        _ => shape.to_vec(),
    };
    let x = ArrayD::from_shape_vec(IxDyn(&onnx), vals).map_err(|e| e.to_string())?;
    fit_input(x, shape, nchw).map_err(|e| e.to_string())
}

/// Refuses a `.npy` file whose header declares more data than the file holds (or a shape
/// whose element count overflows), before the reader allocates for it.
fn check_npy_size(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let bad = |why: &str| FileError::Serialization {
        path: path.display().to_string(),
        what: "NumPy array (float64 or float32)",
        why: why.into(),
    };
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("no NumPy magic"));
    }
    let (hlen, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(bad("unknown format version")),
    };
    let header = bytes
        .get(start..start.saturating_add(hlen))
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("truncated header"))?;
    let shape = header
        .split("'shape':")
        .nth(1)
        .and_then(|r| r.split('(').nth(1))
        .and_then(|r| r.split(')').next())
        .ok_or_else(|| bad("no shape in the header"))?;
    let count = shape
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .try_fold(1usize, |a, d| {
            d.parse::<usize>().ok().and_then(|d| a.checked_mul(d))
        })
        .ok_or_else(|| bad("the shape's element count overflows"))?;
    let data = bytes.len() - (start + hlen);
    if count.checked_mul(4).is_none_or(|n| n > data) {
        return Err(bad("the header declares more elements than the file holds"));
    }
    Ok(())
}

/// Parses a tensor file's text (`path` only names it in errors).
pub fn tensor_from_json(text: &str, path: &str) -> Result<ArrayD<BigInt>, FileError> {
    let tf: TensorFile = serde_json::from_str(text).map_err(|source| FileError::Json {
        path: path.to_string(),
        source,
    })?;
    tf.to_array().map_err(|why| FileError::Field {
        layer: "-".into(),
        kind: "tensor".into(),
        field: "data".into(),
        why,
    })
}

fn ser_err<'a>(
    path: &'a Path,
    what: &'static str,
) -> impl Fn(ark_serialize::SerializationError) -> FileError + 'a {
    move |e| FileError::Serialization {
        path: path.display().to_string(),
        what,
        why: e.to_string(),
    }
}

fn bad(path: &Path, what: &'static str, why: impl Into<String>) -> FileError {
    FileError::Serialization {
        path: path.display().to_string(),
        what,
        why: why.into(),
    }
}

fn save_bin<T: CanonicalSerialize>(path: &Path, v: &T) -> Result<(), FileError> {
    let mut bytes = Vec::new();
    v.serialize_compressed(&mut bytes)
        .map_err(ser_err(path, "value"))?;
    std::fs::write(path, bytes).map_err(io(path))
}

fn load_bin<T: CanonicalDeserialize>(path: &Path, what: &'static str) -> Result<T, FileError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    from_bytes_checked(path, what, &bytes)
}

fn from_bytes_checked<T: CanonicalDeserialize>(
    path: &Path,
    what: &'static str,
    bytes: &[u8],
) -> Result<T, FileError> {
    let mut slice = bytes;
    let v = T::deserialize_compressed(&mut slice).map_err(ser_err(path, what))?;
    if !slice.is_empty() {
        return Err(bad(path, what, format!("{} trailing bytes", slice.len())));
    }
    Ok(v)
}

/// What a key file records about its circuit, beside the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyMeta {
    /// The circuit's fingerprint ([`crate::groth16::Fingerprint`]), hex.
    pub fingerprint: String,
    /// The circuit's constraint count.
    pub constraints: usize,
    /// The public inputs' roles and counts, in order.
    pub public: Vec<Part>,
    /// How the key is stored: `"compressed"` (checked on loading) or `"uncompressed"`
    /// (proving keys: loaded without re-validating each point, guarded by `checksum`).
    #[serde(default = "compressed")]
    pub encoding: String,
    /// SHA-256 of the stored key bytes (hex), for uncompressed keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
}

fn compressed() -> String {
    "compressed".into()
}

impl KeyMeta {
    /// The record for a circuit with this shape and public-input layout.
    pub fn new(info: &crate::groth16::CircuitInfo, public: Vec<Part>) -> Self {
        KeyMeta {
            fingerprint: info.fingerprint.to_hex(),
            constraints: info.constraints,
            public,
            encoding: compressed(),
            checksum: None,
        }
    }

    /// The recorded fingerprint, parsed.
    pub fn fingerprint(&self) -> Option<crate::groth16::Fingerprint> {
        crate::groth16::Fingerprint::from_hex(&self.fingerprint)
    }
}

const PK_MAGIC: &[u8; 8] = b"arkml-pk";
const VK_MAGIC: &[u8; 8] = b"arkml-vk";
/// The largest key header read (the layout of a statement is a few runs).
const MAX_META: usize = 1 << 20;

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `magic | u32 LE header length | header JSON | key bytes`.
fn write_key(path: &Path, magic: &[u8; 8], meta: &KeyMeta, body: &[u8]) -> Result<(), FileError> {
    let header = serde_json::to_vec(meta).map_err(|source| FileError::Json {
        path: path.display().to_string(),
        source,
    })?;
    let mut out = Vec::with_capacity(12 + header.len() + body.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(body);
    std::fs::write(path, out).map_err(io(path))
}

/// Splits a key file into its header and body; typed errors for a file that is not one.
fn split_key<'a>(
    path: &Path,
    what: &'static str,
    magic: &[u8; 8],
    bytes: &'a [u8],
) -> Result<(KeyMeta, &'a [u8]), FileError> {
    if bytes.len() < 12 || &bytes[..8] != magic {
        let other = if magic == PK_MAGIC {
            VK_MAGIC
        } else {
            PK_MAGIC
        };
        let why = if bytes.len() >= 8 && &bytes[..8] == other {
            "this is the other kind of key file".to_string()
        } else {
            "no arkml key header (keys written before circuit fingerprints must be made \
             again with `arkml setup`)"
                .to_string()
        };
        return Err(bad(path, what, why));
    }
    let n = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    if n > MAX_META || 12 + n > bytes.len() {
        return Err(bad(path, what, "truncated header"));
    }
    let meta: KeyMeta = serde_json::from_slice(&bytes[12..12 + n])
        .map_err(|e| bad(path, what, format!("header: {e}")))?;
    if meta.fingerprint().is_none() {
        return Err(bad(path, what, "header: fingerprint is not 64 hex digits"));
    }
    if crate::circuit::layout_len(&meta.public).is_none() {
        return Err(bad(path, what, "header: public-input counts overflow"));
    }
    Ok((meta, &bytes[12 + n..]))
}

/// Checks that the key's public-input count is its header's layout.
fn check_layout(
    path: &Path,
    what: &'static str,
    meta: &KeyMeta,
    vk: &VerifyingKey<Bn254>,
) -> Result<(), FileError> {
    let n = crate::circuit::layout_len(&meta.public).unwrap_or(usize::MAX);
    if vk.gamma_abc_g1.len() != n.saturating_add(1) {
        return Err(bad(
            path,
            what,
            format!(
                "the header lists {n} public inputs, the key has {}",
                vk.gamma_abc_g1.len().saturating_sub(1)
            ),
        ));
    }
    Ok(())
}

/// Saves a proving key with its circuit record. The key is stored uncompressed with a
/// SHA-256 checksum, so [`load_proving_key`] skips the per-point decompression and
/// subgroup checks that made loading 15x slower than proving.
pub fn save_proving_key(
    path: &Path,
    pk: &ProvingKey<Bn254>,
    meta: &KeyMeta,
) -> Result<(), FileError> {
    let mut body = Vec::new();
    pk.serialize_uncompressed(&mut body)
        .map_err(ser_err(path, "proving key"))?;
    let mut meta = meta.clone();
    meta.encoding = "uncompressed".into();
    meta.checksum = Some(sha256_hex(&body));
    write_key(path, PK_MAGIC, &meta, &body)
}

/// Loads a proving key written by [`save_proving_key`]. An uncompressed key is checked
/// against its checksum and then read without re-validating each point (the file is the
/// one `setup` wrote; a prover trusts its proving key's maker in any case); a compressed
/// key is checked point by point. A key that does not match its header is an error.
pub fn load_proving_key(path: &Path) -> Result<(ProvingKey<Bn254>, KeyMeta), FileError> {
    load_proving_key_with(path, false)
}

/// As [`load_proving_key`], validating every point even in an uncompressed key (for keys
/// from elsewhere).
pub fn load_proving_key_checked(path: &Path) -> Result<(ProvingKey<Bn254>, KeyMeta), FileError> {
    load_proving_key_with(path, true)
}

fn load_proving_key_with(
    path: &Path,
    validate: bool,
) -> Result<(ProvingKey<Bn254>, KeyMeta), FileError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    proving_key_from_bytes(&bytes, path, validate)
}

/// A proving key file's bytes as [`load_proving_key`] (`validate`: as
/// [`load_proving_key_checked`]) reads them; `path` only names the file in errors.
pub fn proving_key_from_bytes(
    bytes: &[u8],
    path: &Path,
    validate: bool,
) -> Result<(ProvingKey<Bn254>, KeyMeta), FileError> {
    use ark_serialize::{Compress, Validate};
    const WHAT: &str = "proving key";
    let (meta, body) = split_key(path, WHAT, PK_MAGIC, bytes)?;
    let (compress, validate) = match meta.encoding.as_str() {
        "compressed" => (Compress::Yes, Validate::Yes),
        "uncompressed" => {
            let sum = meta
                .checksum
                .as_deref()
                .ok_or_else(|| bad(path, WHAT, "uncompressed key without a checksum"))?;
            if sha256_hex(body) != sum {
                return Err(bad(path, WHAT, "checksum mismatch: the file is corrupted"));
            }
            let v = if validate {
                Validate::Yes
            } else {
                Validate::No
            };
            (Compress::No, v)
        }
        other => return Err(bad(path, WHAT, format!("unknown encoding {other:?}"))),
    };
    let mut slice = body;
    let pk = ProvingKey::<Bn254>::deserialize_with_mode(&mut slice, compress, validate)
        .map_err(ser_err(path, WHAT))?;
    if !slice.is_empty() {
        return Err(bad(path, WHAT, format!("{} trailing bytes", slice.len())));
    }
    check_layout(path, WHAT, &meta, &pk.vk)?;
    Ok((pk, meta))
}

/// Reads only a proving key's header (cheap: the key itself is not parsed), so a caller can
/// compare the circuit's fingerprint before loading a large key.
pub fn proving_key_meta(path: &Path) -> Result<KeyMeta, FileError> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut head = [0u8; 12];
    f.read_exact(&mut head)
        .map_err(|_| bad(path, "proving key", "truncated header"))?;
    let n = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize;
    let mut bytes = head.to_vec();
    if &head[..8] == PK_MAGIC && n <= MAX_META {
        let mut meta = vec![0u8; n];
        f.read_exact(&mut meta)
            .map_err(|_| bad(path, "proving key", "truncated header"))?;
        bytes.extend_from_slice(&meta);
    }
    Ok(split_key(path, "proving key", PK_MAGIC, &bytes)?.0)
}

/// Saves a verifying key (compressed) with its circuit record.
pub fn save_verifying_key(
    path: &Path,
    vk: &VerifyingKey<Bn254>,
    meta: &KeyMeta,
) -> Result<(), FileError> {
    let mut body = Vec::new();
    vk.serialize_compressed(&mut body)
        .map_err(ser_err(path, "verifying key"))?;
    write_key(path, VK_MAGIC, meta, &body)
}

/// Loads a verifying key and its circuit record, checking every point and that the key's
/// public-input count is the record's.
pub fn load_verifying_key(path: &Path) -> Result<(VerifyingKey<Bn254>, KeyMeta), FileError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    verifying_key_from_bytes(&bytes, path)
}

/// A verifying key file's bytes as [`load_verifying_key`] reads them.
pub fn verifying_key_from_bytes(
    bytes: &[u8],
    path: &Path,
) -> Result<(VerifyingKey<Bn254>, KeyMeta), FileError> {
    const WHAT: &str = "verifying key";
    let (meta, body) = split_key(path, WHAT, VK_MAGIC, bytes)?;
    let vk: VerifyingKey<Bn254> = from_bytes_checked(path, WHAT, body)?;
    check_layout(path, WHAT, &meta, &vk)?;
    {
        use ark_ec::AffineRepr;
        if vk.alpha_g1.is_zero()
            || vk.beta_g2.is_zero()
            || vk.gamma_g2.is_zero()
            || vk.delta_g2.is_zero()
        {
            return Err(bad(
                path,
                WHAT,
                "an identity alpha, beta, gamma or delta: such a key accepts forged proofs",
            ));
        }
    }
    Ok((vk, meta))
}
/// Saves a proof (compressed).
pub fn save_proof(path: &Path, proof: &Proof<Bn254>) -> Result<(), FileError> {
    save_bin(path, proof)
}
/// Loads a proof, checking every point.
pub fn load_proof(path: &Path) -> Result<Proof<Bn254>, FileError> {
    load_bin(path, "proof")
}

/// A proof file's bytes as [`load_proof`] reads them.
pub fn proof_from_bytes(bytes: &[u8], path: &Path) -> Result<Proof<Bn254>, FileError> {
    from_bytes_checked(path, "proof", bytes)
}

/// One public input as a file holds it: its role (absent in version-1 files, a bare array)
/// and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicEntry {
    /// What it is, when the file says.
    pub role: Option<Role>,
    /// The value.
    pub value: Fr,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicEntryFile {
    role: Role,
    value: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicFile {
    format: String,
    version: u32,
    public: Vec<PublicEntryFile>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AnyPublicFile {
    V2(PublicFile),
    V1(Vec<String>),
}

/// Parses a decimal integer strictly: ASCII digits only (no sign, no `_`, no spaces), at
/// most 80 digits, below the BN254 scalar field's modulus.
pub fn parse_field_decimal(s: &str) -> Result<Fr, String> {
    if s.is_empty() || s.len() > 80 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not a decimal integer"));
    }
    let n: BigUint = s
        .parse()
        .map_err(|_| format!("{s:?} is not a decimal integer"))?;
    if n >= arkml_gadgets::fixed::modulus::<Fr>() {
        return Err(format!("{s:?} is not below the field modulus"));
    }
    Ok(Fr::from(n))
}

/// Saves public inputs with their roles:
/// `{"format": "arkml-public", "version": 2, "public": [{"role": "output", "value": "7"}, ..]}`.
/// `layout` must describe `inputs` (a panic-free error otherwise).
pub fn save_public(path: &Path, layout: &[Part], inputs: &[Fr]) -> Result<(), FileError> {
    if crate::circuit::layout_len(layout) != Some(inputs.len()) {
        return Err(FileError::Field {
            layer: "-".into(),
            kind: "public inputs".into(),
            field: "public".into(),
            why: format!("{} values for a layout of {:?}", inputs.len(), layout),
        });
    }
    let public = inputs
        .iter()
        .enumerate()
        .map(|(i, f)| PublicEntryFile {
            role: crate::circuit::role_at(layout, i).unwrap_or(Role::Output),
            value: BigUint::from(*f).to_string(),
        })
        .collect();
    let f = PublicFile {
        format: "arkml-public".into(),
        version: 2,
        public,
    };
    std::fs::write(
        path,
        serde_json::to_string_pretty(&f).expect("serialisable"),
    )
    .map_err(io(path))
}

/// Loads public inputs: version 2 (with roles) or version 1 (a bare array of decimal
/// strings). Each value must be a plain decimal integer below the field modulus.
pub fn load_public(path: &Path) -> Result<Vec<PublicEntry>, FileError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    public_from_str(&text, &path.display().to_string())
}

/// A public file's text as [`load_public`] reads it (`path` only names it in errors).
pub fn public_from_str(text: &str, path: &str) -> Result<Vec<PublicEntry>, FileError> {
    let any: AnyPublicFile = serde_json::from_str(text).map_err(|source| FileError::Json {
        path: path.to_string(),
        source,
    })?;
    let entries: Vec<(Option<Role>, String)> = match any {
        AnyPublicFile::V1(v) => v.into_iter().map(|s| (None, s)).collect(),
        AnyPublicFile::V2(f) => {
            if f.format != "arkml-public" || f.version != 2 {
                return Err(FileError::Field {
                    layer: "-".into(),
                    kind: "public inputs".into(),
                    field: "format".into(),
                    why: format!(
                        "{:?} version {}: expected \"arkml-public\" version 2",
                        f.format, f.version
                    ),
                });
            }
            f.public
                .into_iter()
                .map(|e| (Some(e.role), e.value))
                .collect()
        }
    };
    entries
        .into_iter()
        .enumerate()
        .map(|(i, (role, s))| {
            let value = parse_field_decimal(&s).map_err(|why| FileError::Field {
                layer: "-".into(),
                kind: "public inputs".into(),
                field: i.to_string(),
                why,
            })?;
            Ok(PublicEntry { role, value })
        })
        .collect()
}
