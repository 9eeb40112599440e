//! The file form of an op: the fields of its entry in a model file, beside `"type"` (and,
//! in a graph, `"name"` and `"inputs"`). Each op reads and writes its own fields through
//! [`Fields`] ([`FileForm`]); tensors are `{"shape": [..], "data": [..]}` with decimal
//! strings (JSON numbers accepted), integers as decimal strings, floats in Rust's shortest
//! round-trip form. An unknown field is an error, as is a missing or invalid one, naming it.

use arkml_gadgets::{
    layers::{Conv2dConfig, Padding, Pool2dConfig},
    Error,
};
use ndarray::{ArrayD, Dimension, IxDyn};
use num_bigint::{BigInt, BigUint};
use num_traits::Zero;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};

/// The number types a model file holds: integers (`BigInt`) or floats (`f64`).
pub trait Num: Clone + std::fmt::Debug + PartialOrd + Sized {
    /// Whether the model is a float one.
    const FLOAT: bool;
    /// The number from its text (a float must be finite).
    fn parse(s: &str) -> Option<Self>;
    /// As text in a file.
    fn text(&self) -> String;
    /// As a float (for the file form of a float slope).
    fn to_f64(&self) -> f64;
}

impl Num for BigInt {
    const FLOAT: bool = false;
    fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
    fn text(&self) -> String {
        self.to_string()
    }
    fn to_f64(&self) -> f64 {
        num_traits::ToPrimitive::to_f64(self).unwrap_or(f64::NAN)
    }
}

impl Num for f64 {
    const FLOAT: bool = true;
    fn parse(s: &str) -> Option<Self> {
        s.parse::<f64>().ok().filter(|v| v.is_finite())
    }
    fn text(&self) -> String {
        format!("{self:?}")
    }
    fn to_f64(&self) -> f64 {
        *self
    }
}

/// A tensor in a file: shape and row-major decimal strings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TensorFile {
    /// Shape.
    pub shape: Vec<usize>,
    /// Row-major values, as decimal strings (JSON numbers are accepted on reading).
    #[serde(deserialize_with = "strings_or_numbers")]
    pub data: Vec<String>,
}

/// Reads an array of decimal strings or JSON numbers (kept as written: serde_json's
/// arbitrary precision) as strings.
fn strings_or_numbers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde::de::Error as _;
    Vec::<Value>::deserialize(d)?
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(D::Error::custom(format!(
                "expected a number or a decimal string, got {other}"
            ))),
        })
        .collect()
}

impl TensorFile {
    /// From a tensor of any [`Num`] and rank.
    pub fn of<N: Num, D: Dimension>(
        a: &ndarray::ArrayBase<impl ndarray::Data<Elem = N>, D>,
    ) -> Self {
        TensorFile {
            shape: a.shape().to_vec(),
            data: a.iter().map(N::text).collect(),
        }
    }

    /// From a float tensor (each value in Rust's shortest round-trip form).
    pub fn from_floats(a: &ArrayD<f64>) -> Self {
        Self::of(a)
    }

    /// From an integer tensor.
    pub fn from_array<D: Dimension>(a: &ndarray::Array<BigInt, D>) -> Self {
        Self::of(a)
    }

    /// To an integer tensor; `Err(why)` for a bad value or shape.
    pub fn to_array(&self) -> Result<ArrayD<BigInt>, String> {
        self.to_array_with(|s| s.parse::<BigInt>().ok())
    }

    /// To a float tensor; `Err(why)` for a value that is not a finite number, or a bad shape.
    pub fn to_f64_array(&self) -> Result<ArrayD<f64>, String> {
        self.to_array_with(f64::parse)
    }

    /// To a tensor, parsing each value with `parse`; `Err(why)` for a bad value or shape.
    pub fn to_array_with<T>(&self, parse: impl Fn(&str) -> Option<T>) -> Result<ArrayD<T>, String> {
        let data = self
            .data
            .iter()
            .enumerate()
            .map(|(i, s)| parse(s).ok_or_else(|| format!("element {i} ({s:?}) is not valid here")))
            .collect::<Result<Vec<_>, _>>()?;
        let n = self
            .shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| format!("shape {:?}: the element count overflows", self.shape))?;
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

/// Padding in a file: `"valid"`, `"same"`, or
/// `{"explicit": {"before": [rows, columns], "after": [rows, columns]}}`.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum PaddingFile {
    #[default]
    Valid,
    Same,
    Explicit {
        before: [usize; 2],
        after: [usize; 2],
    },
}

impl From<PaddingFile> for Padding {
    fn from(p: PaddingFile) -> Self {
        match p {
            PaddingFile::Valid => Padding::Valid,
            PaddingFile::Same => Padding::Same,
            PaddingFile::Explicit { before, after } => Padding::Explicit {
                before: (before[0], before[1]),
                after: (after[0], after[1]),
            },
        }
    }
}

impl From<Padding> for PaddingFile {
    fn from(p: Padding) -> Self {
        match p {
            Padding::Valid => PaddingFile::Valid,
            Padding::Same => PaddingFile::Same,
            Padding::Explicit { before, after } => PaddingFile::Explicit {
                before: [before.0, before.1],
                after: [after.0, after.1],
            },
        }
    }
}

/// An op's fields in a model file, read (each field taken once; what is left over is an
/// unknown field) or written. Errors are [`Error::InvalidParameter`] naming the field.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    map: Map<String, Value>,
}

fn bad(field: &str, why: impl Into<String>) -> Error {
    Error::InvalidParameter {
        what: field.into(),
        why: why.into(),
    }
}

impl Fields {
    /// The fields of one entry.
    pub fn new(map: Map<String, Value>) -> Self {
        Fields { map }
    }

    /// The fields, for writing.
    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    /// Errors naming the first field no op read.
    pub fn finish(self) -> Result<(), Error> {
        match self.map.keys().next() {
            Some(k) => Err(bad(k, "unknown field")),
            None => Ok(()),
        }
    }

    /// An optional field of any serde type.
    pub fn opt<T: DeserializeOwned>(&mut self, field: &str) -> Result<Option<T>, Error> {
        match self.map.remove(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| bad(field, e.to_string())),
        }
    }

    /// A required field of any serde type.
    pub fn req<T: DeserializeOwned>(&mut self, field: &str) -> Result<T, Error> {
        self.opt(field)?.ok_or_else(|| bad(field, "required"))
    }

    /// A number written as a decimal string or a JSON number.
    pub fn num_opt<N: Num>(&mut self, field: &str) -> Result<Option<N>, Error> {
        let text = match self.map.remove(field) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => return Err(bad(field, format!("expected a number, got {other}"))),
        };
        N::parse(&text).map(Some).ok_or_else(|| {
            bad(
                field,
                format!(
                    "{text:?} is not {}",
                    if N::FLOAT {
                        "a finite number"
                    } else {
                        "an integer"
                    }
                ),
            )
        })
    }

    /// A required number.
    pub fn num<N: Num>(&mut self, field: &str) -> Result<N, Error> {
        self.num_opt(field)?.ok_or_else(|| bad(field, "required"))
    }

    /// An optional positive integer (a divisor or a scale).
    pub fn positive_opt(&mut self, field: &str) -> Result<Option<BigUint>, Error> {
        let Some(n) = self.num_opt::<BigInt>(field)? else {
            return Ok(None);
        };
        match n.to_biguint().filter(|n| !n.is_zero()) {
            Some(n) => Ok(Some(n)),
            None => Err(bad(field, format!("{n} is not a positive integer"))),
        }
    }

    /// A positive integer, required in an integer model (1 when a float model omits it).
    pub fn positive<N: Num>(&mut self, field: &str) -> Result<BigUint, Error> {
        match self.positive_opt(field)? {
            Some(n) => Ok(n),
            None if N::FLOAT => Ok(BigUint::from(1u32)),
            None => Err(bad(field, "required in an integer model")),
        }
    }

    /// A tensor of rank `D`.
    pub fn tensor<N: Num, D: Dimension>(
        &mut self,
        field: &str,
    ) -> Result<ndarray::Array<N, D>, Error> {
        let t: TensorFile = self.req(field)?;
        let a = t.to_array_with(N::parse).map_err(|why| bad(field, why))?;
        let got = a.shape().to_vec();
        a.into_dimensionality().map_err(|_| {
            bad(
                field,
                format!(
                    "expected {} dimensions, got shape {got:?}",
                    D::NDIM.unwrap_or(0)
                ),
            )
        })
    }

    /// A pair `[rows, columns]`, or `default`.
    pub fn pair(&mut self, field: &str, default: (usize, usize)) -> Result<(usize, usize), Error> {
        Ok(self
            .opt::<[usize; 2]>(field)?
            .map_or(default, |p| (p[0], p[1])))
    }

    /// Padding (default `"valid"`).
    pub fn padding(&mut self) -> Result<Padding, Error> {
        Ok(self
            .opt::<PaddingFile>("padding")?
            .unwrap_or_default()
            .into())
    }

    /// A 2D convolution's `stride`, `padding` and `dilation` (defaults 1, valid, 1).
    pub fn conv(&mut self) -> Result<Conv2dConfig, Error> {
        Ok(Conv2dConfig {
            stride: self.pair("stride", (1, 1))?,
            padding: self.padding()?,
            dilation: self.pair("dilation", (1, 1))?,
        })
    }

    /// A pooling's `size`, `stride` (default: the size) and `padding`.
    pub fn pool(&mut self) -> Result<Pool2dConfig, Error> {
        let size = self.req::<[usize; 2]>("size")?;
        let size = (size[0], size[1]);
        Ok(Pool2dConfig {
            size,
            stride: self.pair("stride", size)?,
            padding: self.padding()?,
        })
    }

    /// Writes a field.
    pub fn put(&mut self, field: &str, v: impl Serialize) {
        self.map.insert(
            field.into(),
            serde_json::to_value(v).expect("a file form serialises"),
        );
    }

    /// Writes a tensor.
    pub fn put_tensor<N: Num, D: Dimension>(&mut self, field: &str, a: &ndarray::Array<N, D>) {
        self.put(field, TensorFile::of(a));
    }

    /// Writes a 2D convolution's configuration.
    pub fn put_conv(&mut self, cfg: &Conv2dConfig) {
        self.put("stride", [cfg.stride.0, cfg.stride.1]);
        self.put("padding", PaddingFile::from(cfg.padding));
        self.put("dilation", [cfg.dilation.0, cfg.dilation.1]);
    }

    /// Writes a pooling's configuration.
    pub fn put_pool(&mut self, cfg: &Pool2dConfig) {
        self.put("size", [cfg.size.0, cfg.size.1]);
        self.put("stride", [cfg.stride.0, cfg.stride.1]);
        self.put("padding", PaddingFile::from(cfg.padding));
    }
}

/// How an op is written in a model file, at number type `N`.
pub trait FileForm<N: Num>: Sized {
    /// The `"type"` values this op reads.
    const TAGS: &'static [&'static str];
    /// Reads the op from an entry of type `tag` (one of [`FileForm::TAGS`]); `Ok(None)`
    /// when the entry is another op's that shares the tag.
    fn read(tag: &str, f: &mut Fields) -> Result<Option<Self>, Error>;
    /// Writes the op's fields; returns its `"type"`.
    fn write(&self, f: &mut Fields) -> &'static str;
}

/// Padding as a file writes it.
pub(crate) fn padding_file(p: Padding) -> impl Serialize {
    PaddingFile::from(p)
}

/// Errors in a float model: the op's scale comes from quantisation.
pub(crate) fn integer_only<N: Num>() -> Result<(), Error> {
    if N::FLOAT {
        return Err(bad(
            "type",
            "not allowed in a float model (quantisation chooses the scale)",
        ));
    }
    Ok(())
}

/// Writes a scale-like integer (omitted in a float model where it is 1).
pub(crate) fn put_scale<N: Num>(f: &mut Fields, field: &str, n: &BigUint) {
    if !(N::FLOAT && *n == BigUint::from(1u32)) {
        f.put(field, n.to_string());
    }
}

impl Fields {
    /// Whether the entry has the field (not yet read).
    pub fn has(&self, field: &str) -> bool {
        self.map.contains_key(field)
    }
}
