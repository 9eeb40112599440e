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
//! decimal strings: values up to `10^72` do not fit a JSON number). Weights are integers at
//! their fixed-point scale (biases at the accumulator's scale). Errors name the layer and the
//! field.
//!
//! ## Keys and proofs
//!
//! ark-serialize, compressed. Public inputs are a JSON array of decimal strings in the
//! circuit's order: the model's output first (row-major), then its input if public.

use std::path::Path;

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Proof, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use arkml_gadgets::layers::{Conv2dConfig, Padding, Pool2dConfig};
use arkml_gadgets::tensor::Visibility;
use ndarray::{ArrayD, Dimension, IxDyn};
use num_bigint::{BigInt, BigUint};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::{Layer, Model};

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

/// A tensor in a file: shape and row-major decimal strings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TensorFile {
    /// Shape.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<String>,
}

impl TensorFile {
    /// From an integer tensor.
    pub fn from_array<D: Dimension>(a: &ndarray::Array<BigInt, D>) -> Self {
        TensorFile {
            shape: a.shape().to_vec(),
            data: a.iter().map(|v| v.to_string()).collect(),
        }
    }

    /// To an integer tensor; `Err(why)` for a bad value or shape.
    pub fn to_array(&self) -> Result<ArrayD<BigInt>, String> {
        let data = self
            .data
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.parse::<BigInt>()
                    .map_err(|_| format!("element {i} ({s:?}) is not an integer"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let n: usize = self.shape.iter().product();
        if n != data.len() {
            return Err(format!(
                "shape {:?} holds {n} values, data has {}",
                self.shape,
                data.len()
            ));
        }
        ArrayD::from_shape_vec(IxDyn(&self.shape), data).map_err(|e| e.to_string())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum LayerFile {
    Dense {
        weights: TensorFile,
        bias: TensorFile,
    },
    Conv2d {
        weights: TensorFile,
        bias: TensorFile,
        #[serde(default = "one2")]
        stride: [usize; 2],
        #[serde(default)]
        padding: PaddingFile,
        #[serde(default = "one2")]
        dilation: [usize; 2],
    },
    BatchNorm {
        a: TensorFile,
        b: TensorFile,
    },
    Rescale {
        divisor: String,
    },
    Relu,
    AvgPool2d {
        size: [usize; 2],
        stride: Option<[usize; 2]>,
        #[serde(default)]
        padding: PaddingFile,
    },
    MaxPool2d {
        size: [usize; 2],
        stride: Option<[usize; 2]>,
        #[serde(default)]
        padding: PaddingFile,
    },
    Flatten,
    Argmax,
}

impl LayerFile {
    fn kind(&self) -> &'static str {
        match self {
            LayerFile::Dense { .. } => "dense",
            LayerFile::Conv2d { .. } => "conv2d",
            LayerFile::BatchNorm { .. } => "batch_norm",
            LayerFile::Rescale { .. } => "rescale",
            LayerFile::Relu => "relu",
            LayerFile::AvgPool2d { .. } => "avg_pool2d",
            LayerFile::MaxPool2d { .. } => "max_pool2d",
            LayerFile::Flatten => "flatten",
            LayerFile::Argmax => "argmax",
        }
    }
}

fn one2() -> [usize; 2] {
    [1, 1]
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum PaddingFile {
    #[default]
    Valid,
    Same,
}

impl From<PaddingFile> for Padding {
    fn from(p: PaddingFile) -> Self {
        match p {
            PaddingFile::Valid => Padding::Valid,
            PaddingFile::Same => Padding::Same,
        }
    }
}

impl From<Padding> for PaddingFile {
    fn from(p: Padding) -> Self {
        match p {
            Padding::Valid => PaddingFile::Valid,
            Padding::Same => PaddingFile::Same,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    format: String,
    version: u32,
    input_shape: Vec<usize>,
    input_bound: u32,
    #[serde(default)]
    input_visibility: VisibilityFile,
    #[serde(default)]
    weights: Option<WeightsFile>,
    layers: Vec<LayerFile>,
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

fn io(path: &Path) -> impl Fn(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Parses a model from its JSON text (`path` only names it in errors).
pub fn model_from_json(text: &str, path: &str) -> Result<Model, FileError> {
    let f: ModelFile = serde_json::from_str(text).map_err(|source| FileError::Json {
        path: path.to_string(),
        source,
    })?;
    let header = |field: &str, why: String| FileError::Field {
        layer: "-".into(),
        kind: "header".into(),
        field: field.into(),
        why,
    };
    if f.format != "arkml-model" {
        return Err(header(
            "format",
            format!("expected \"arkml-model\", got {:?}", f.format),
        ));
    }
    if f.version != 1 {
        return Err(header(
            "version",
            format!("unsupported version {}", f.version),
        ));
    }
    let mut layers = Vec::with_capacity(f.layers.len());
    for (i, l) in f.layers.iter().enumerate() {
        let kind = l.kind().to_string();
        let err = |field: &str, why: String| FileError::Field {
            layer: i.to_string(),
            kind: kind.clone(),
            field: field.into(),
            why,
        };
        let t = |field: &str, tf: &TensorFile, rank: usize| -> Result<ArrayD<BigInt>, FileError> {
            let a = tf.to_array().map_err(|why| err(field, why))?;
            if a.ndim() != rank {
                return Err(err(
                    field,
                    format!("expected {rank} dimensions, got shape {:?}", a.shape()),
                ));
            }
            Ok(a)
        };
        let pool =
            |size: [usize; 2], stride: Option<[usize; 2]>, padding: PaddingFile| Pool2dConfig {
                size: (size[0], size[1]),
                stride: stride.map_or((size[0], size[1]), |s| (s[0], s[1])),
                padding: padding.into(),
            };
        layers.push(match l {
            LayerFile::Dense { weights, bias } => Layer::Dense {
                w: t("weights", weights, 2)?
                    .into_dimensionality()
                    .expect("rank 2"),
                b: t("bias", bias, 1)?.into_dimensionality().expect("rank 1"),
            },
            LayerFile::Conv2d {
                weights,
                bias,
                stride,
                padding,
                dilation,
            } => Layer::Conv2d {
                w: t("weights", weights, 4)?
                    .into_dimensionality()
                    .expect("rank 4"),
                b: t("bias", bias, 1)?.into_dimensionality().expect("rank 1"),
                cfg: Conv2dConfig {
                    stride: (stride[0], stride[1]),
                    padding: (*padding).into(),
                    dilation: (dilation[0], dilation[1]),
                },
            },
            LayerFile::BatchNorm { a, b } => Layer::BatchNorm {
                a: t("a", a, 1)?.into_dimensionality().expect("rank 1"),
                b: t("b", b, 1)?.into_dimensionality().expect("rank 1"),
            },
            LayerFile::Rescale { divisor } => {
                let n: BigUint = divisor.parse().map_err(|_| {
                    err("divisor", format!("{divisor:?} is not a positive integer"))
                })?;
                if n == BigUint::from(0u32) {
                    return Err(err("divisor", "must be at least 1".into()));
                }
                Layer::Rescale(n)
            }
            LayerFile::Relu => Layer::Relu,
            LayerFile::AvgPool2d {
                size,
                stride,
                padding,
            } => Layer::AvgPool2d(pool(*size, *stride, *padding)),
            LayerFile::MaxPool2d {
                size,
                stride,
                padding,
            } => Layer::MaxPool2d(pool(*size, *stride, *padding)),
            LayerFile::Flatten => Layer::Flatten,
            LayerFile::Argmax => Layer::ArgMax,
        });
    }
    Ok(Model {
        input_shape: f.input_shape,
        input_bound: f.input_bound,
        input_visibility: if f.input_visibility == VisibilityFile::Public {
            Visibility::Public
        } else {
            Visibility::Private
        },
        layers,
        weights: f
            .weights
            .map_or_else(Default::default, |w| crate::model::WeightSpec {
                visibility: match w.visibility {
                    WeightVisibilityFile::Constant => Visibility::Constant,
                    WeightVisibilityFile::Public => Visibility::Public,
                    WeightVisibilityFile::Private => Visibility::Private,
                },
                weight_bits: w.weight_bits,
                bias_bits: w.bias_bits,
            }),
    })
}

/// The model as JSON text.
pub fn model_to_json(m: &Model) -> String {
    let tf = |a: &ndarray::ArrayD<BigInt>| TensorFile::from_array(a);
    let layers = m
        .layers
        .iter()
        .map(|l| match l {
            Layer::Dense { w, b } => LayerFile::Dense {
                weights: tf(&w.clone().into_dyn()),
                bias: tf(&b.clone().into_dyn()),
            },
            Layer::Conv2d { w, b, cfg } => LayerFile::Conv2d {
                weights: tf(&w.clone().into_dyn()),
                bias: tf(&b.clone().into_dyn()),
                stride: [cfg.stride.0, cfg.stride.1],
                padding: cfg.padding.into(),
                dilation: [cfg.dilation.0, cfg.dilation.1],
            },
            Layer::BatchNorm { a, b } => LayerFile::BatchNorm {
                a: tf(&a.clone().into_dyn()),
                b: tf(&b.clone().into_dyn()),
            },
            Layer::Rescale(n) => LayerFile::Rescale {
                divisor: n.to_string(),
            },
            Layer::Relu => LayerFile::Relu,
            Layer::AvgPool2d(c) => LayerFile::AvgPool2d {
                size: [c.size.0, c.size.1],
                stride: Some([c.stride.0, c.stride.1]),
                padding: c.padding.into(),
            },
            Layer::MaxPool2d(c) => LayerFile::MaxPool2d {
                size: [c.size.0, c.size.1],
                stride: Some([c.stride.0, c.stride.1]),
                padding: c.padding.into(),
            },
            Layer::Flatten => LayerFile::Flatten,
            Layer::ArgMax => LayerFile::Argmax,
        })
        .collect();
    let f = ModelFile {
        format: "arkml-model".into(),
        version: 1,
        input_shape: m.input_shape.clone(),
        input_bound: m.input_bound,
        input_visibility: if m.input_visibility == Visibility::Public {
            VisibilityFile::Public
        } else {
            VisibilityFile::Private
        },
        weights: Some(WeightsFile {
            visibility: match m.weights.visibility {
                Visibility::Constant => WeightVisibilityFile::Constant,
                Visibility::Public => WeightVisibilityFile::Public,
                Visibility::Private => WeightVisibilityFile::Private,
            },
            weight_bits: m.weights.weight_bits,
            bias_bits: m.weights.bias_bits,
        }),
        layers,
    };
    serde_json::to_string(&f).expect("serialisable")
}

/// Loads a model file.
pub fn load_model(path: &Path) -> Result<Model, FileError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    model_from_json(&text, &path.display().to_string())
}

/// Saves a model file.
pub fn save_model(path: &Path, m: &Model) -> Result<(), FileError> {
    std::fs::write(path, model_to_json(m)).map_err(io(path))
}

/// Loads a tensor file (`{"shape": .., "data": ..}`).
pub fn load_tensor(path: &Path) -> Result<ArrayD<BigInt>, FileError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let tf: TensorFile = serde_json::from_str(&text).map_err(|source| FileError::Json {
        path: path.display().to_string(),
        source,
    })?;
    tf.to_array().map_err(|why| FileError::Field {
        layer: "-".into(),
        kind: "tensor".into(),
        field: "data".into(),
        why,
    })
}

fn save_bin<T: CanonicalSerialize>(path: &Path, v: &T) -> Result<(), FileError> {
    let mut bytes = Vec::new();
    v.serialize_compressed(&mut bytes)
        .map_err(|e| FileError::Serialization {
            path: path.display().to_string(),
            what: "value",
            why: e.to_string(),
        })?;
    std::fs::write(path, bytes).map_err(io(path))
}

fn load_bin<T: CanonicalDeserialize>(path: &Path, what: &'static str) -> Result<T, FileError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let mut slice = bytes.as_slice();
    let v = T::deserialize_compressed(&mut slice).map_err(|e| FileError::Serialization {
        path: path.display().to_string(),
        what,
        why: e.to_string(),
    })?;
    if !slice.is_empty() {
        return Err(FileError::Serialization {
            path: path.display().to_string(),
            what,
            why: format!("{} trailing bytes", slice.len()),
        });
    }
    Ok(v)
}

/// Saves a proving key (compressed).
pub fn save_proving_key(path: &Path, pk: &ProvingKey<Bn254>) -> Result<(), FileError> {
    save_bin(path, pk)
}
/// Loads a proving key, checking every point.
pub fn load_proving_key(path: &Path) -> Result<ProvingKey<Bn254>, FileError> {
    load_bin(path, "proving key")
}
/// Saves a verifying key (compressed).
pub fn save_verifying_key(path: &Path, vk: &VerifyingKey<Bn254>) -> Result<(), FileError> {
    save_bin(path, vk)
}
/// Loads a verifying key, checking every point.
pub fn load_verifying_key(path: &Path) -> Result<VerifyingKey<Bn254>, FileError> {
    load_bin(path, "verifying key")
}
/// Saves a proof (compressed).
pub fn save_proof(path: &Path, proof: &Proof<Bn254>) -> Result<(), FileError> {
    save_bin(path, proof)
}
/// Loads a proof, checking every point.
pub fn load_proof(path: &Path) -> Result<Proof<Bn254>, FileError> {
    load_bin(path, "proof")
}

/// Saves public inputs as a JSON array of decimal strings.
pub fn save_public(path: &Path, inputs: &[Fr]) -> Result<(), FileError> {
    let v: Vec<String> = inputs
        .iter()
        .map(|f| BigUint::from(*f).to_string())
        .collect();
    std::fs::write(path, serde_json::to_string(&v).expect("serialisable")).map_err(io(path))
}

/// Loads public inputs; each must be a decimal integer below the field modulus.
pub fn load_public(path: &Path) -> Result<Vec<Fr>, FileError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let v: Vec<String> = serde_json::from_str(&text).map_err(|source| FileError::Json {
        path: path.display().to_string(),
        source,
    })?;
    let p = arkml_gadgets::fixed::modulus::<Fr>();
    v.iter()
        .enumerate()
        .map(|(i, s)| {
            let n: BigUint = s.parse().map_err(|_| FileError::Field {
                layer: "-".into(),
                kind: "public inputs".into(),
                field: i.to_string(),
                why: format!("{s:?} is not a decimal integer"),
            })?;
            if n >= p {
                return Err(FileError::Field {
                    layer: "-".into(),
                    kind: "public inputs".into(),
                    field: i.to_string(),
                    why: "not below the field modulus".into(),
                });
            }
            Ok(Fr::from(n))
        })
        .collect()
}
