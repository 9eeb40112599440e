//! circomlib-ml's models from its weight files: the MNIST CNN of its test vectors
//! (`mnist.json`, integers at scale `10^18`) as an arkml [`Model`], at its own scale or
//! re-quantised to `2^k`. The weights are read at run time from the caller's copy of
//! circomlib-ml's vectors (GPL data: nothing of it ships in this crate); the conformance
//! tests, the examples and the bounty example all build their MNIST models here.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let text = std::fs::read_to_string("conformance/circomlib-ml/mnist.json")?;
//! let d: serde_json::Value = serde_json::from_str(&text)?;
//! // raw 8-bit pixels in, activations at 2^16, private weights: a bounty's classifier
//! let model = arkml::circomlib_ml::mnist_pixels(&d, 16)?;
//! assert_eq!(model.input_shape, vec![28, 28, 1]);
//! # Ok(()) }
//! ```

use ark_bn254::Fr;
use arkml_gadgets::fixed::{bits_for, floor_div, from_field, to_field};
use arkml_gadgets::layers::{Conv2dConfig, Pool2dConfig};
use arkml_gadgets::tensor::Visibility;
use ndarray::{Array1, Array4, ArrayD, Ix1, Ix2, Ix4, IxDyn};
use num_bigint::{BigInt, BigUint};
use serde_json::Value;

use crate::model::{ops, Layer, Model, WeightSpec};

/// What is wrong with a circomlib-ml weight file.
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    /// A key the model needs is absent.
    #[error("missing key {0:?}")]
    Missing(String),
    /// An entry is not an integer (a number or a numeric string).
    #[error("{key}: not an integer: {value}")]
    NotInteger {
        /// The key.
        key: String,
        /// What was found (cut short).
        value: String,
    },
    /// An array is ragged or has the wrong number of dimensions.
    #[error("{key}: {why}")]
    Shape {
        /// The key.
        key: String,
        /// What is wrong.
        why: String,
    },
}

/// A number or numeric string as a signed integer (`p - x`, a field element, read as `-x`).
pub fn int(v: &Value) -> Option<BigInt> {
    let n: BigInt = match v {
        Value::String(s) => s.parse().ok()?,
        Value::Number(n) => n.to_string().parse().ok()?,
        _ => return None,
    };
    Some(from_field(to_field::<Fr>(&n)))
}

/// A nested JSON array of integers as a tensor.
pub fn tensor(v: &Value) -> Result<ArrayD<BigInt>, VectorError> {
    tensor_at("value", v)
}

fn tensor_at(key: &str, v: &Value) -> Result<ArrayD<BigInt>, VectorError> {
    let mut shape = Vec::new();
    let mut cur = v;
    while let Value::Array(a) = cur {
        shape.push(a.len());
        match a.first() {
            Some(first) => cur = first,
            None => break,
        }
    }
    fn walk(key: &str, v: &Value, out: &mut Vec<BigInt>) -> Result<(), VectorError> {
        match v {
            Value::Array(a) => a.iter().try_for_each(|x| walk(key, x, out)),
            x => {
                let n = int(x).ok_or_else(|| VectorError::NotInteger {
                    key: key.into(),
                    value: x.to_string().chars().take(40).collect(),
                })?;
                out.push(n);
                Ok(())
            }
        }
    }
    let mut flat = Vec::new();
    walk(key, v, &mut flat)?;
    ArrayD::from_shape_vec(IxDyn(&shape), flat).map_err(|_| VectorError::Shape {
        key: key.into(),
        why: "not a rectangular array".into(),
    })
}

fn get<'a>(d: &'a Value, key: &str) -> Result<&'a Value, VectorError> {
    d.get(key).ok_or_else(|| VectorError::Missing(key.into()))
}

fn dims<D: ndarray::Dimension>(
    d: &Value,
    key: &str,
) -> Result<ndarray::Array<BigInt, D>, VectorError> {
    tensor_at(key, get(d, key)?)?
        .into_dimensionality::<D>()
        .map_err(|_| VectorError::Shape {
            key: key.into(),
            why: format!("expected {} dimensions", D::NDIM.unwrap_or(0)),
        })
}

/// circomlib-ml's MNIST CNN at its own scale `10^18`: Conv2D(3×3, 4) → Rescale →
/// BatchNorm → Rescale → ReLU → AvgPool 2, twice (8 filters), Flatten → Dense(200, 10) →
/// Rescale → ArgMax; constant weights, private input of bound 60.
pub fn mnist(d: &Value) -> Result<Model, VectorError> {
    let n = BigUint::from(10u32).pow(18);
    let conv = |p: &str| -> Result<Layer, VectorError> {
        Ok(Layer::Conv2d(ops::Conv2d {
            w: dims::<Ix4>(d, &format!("{p}_weights"))?,
            b: dims::<Ix1>(d, &format!("{p}_bias"))?,
            cfg: Conv2dConfig::default(),
        }))
    };
    let bn = |p: &str| -> Result<Layer, VectorError> {
        Ok(Layer::BatchNorm(ops::BatchNorm {
            a: dims::<Ix1>(d, &format!("{p}_a"))?,
            b: dims::<Ix1>(d, &format!("{p}_b"))?,
        }))
    };
    let rescale = || Layer::Rescale(ops::Rescale(n.clone()));
    let pool = Layer::AvgPool2d(ops::AvgPool2d(Pool2dConfig::new((2, 2))));
    Ok(Model {
        graph: Default::default(),
        input_shape: vec![28, 28, 1],
        input_bound: 60,
        input_visibility: Visibility::Private,
        layers: vec![
            conv("conv2d_1")?,
            rescale(),
            bn("bn_1")?,
            rescale(),
            Layer::Relu(ops::Relu),
            pool.clone(),
            conv("conv2d_2")?,
            rescale(),
            bn("bn_2")?,
            rescale(),
            Layer::Relu(ops::Relu),
            pool,
            Layer::Flatten(ops::Flatten),
            Layer::Dense(ops::Dense {
                w: dims::<Ix2>(d, "dense_weights")?,
                b: dims::<Ix1>(d, "dense_bias")?,
            }),
            rescale(),
            Layer::ArgMax(ops::ArgMax),
        ],
        weights: Default::default(),
        scale: Some(n),
    })
}

/// `v` at scale `from` re-expressed at scale `to`, rounded half up.
pub fn requantize(v: &BigInt, from: &BigUint, to: &BigUint) -> BigInt {
    let num = v * BigInt::from(to.clone()) * 2 + BigInt::from(from.clone());
    floor_div(&num, &(from * 2u32)).0
}

/// The MNIST CNN re-quantised from `10^18` to `2^k`: weights and BatchNorm `a` at `2^k`,
/// biases and BatchNorm `b` at `2^2k`, every rescale by `2^k`; with the vectors' input
/// (`"in"`) at `2^k`.
pub fn mnist_pow2(d: &Value, k: u32) -> Result<(Model, ArrayD<BigInt>), VectorError> {
    let from1 = BigUint::from(10u32).pow(18);
    let from2 = BigUint::from(10u32).pow(36);
    let to1 = BigUint::from(1u32) << k;
    let to2 = BigUint::from(1u32) << (2 * k);
    let mut m = mnist(d)?;
    for l in m.layers.iter_mut() {
        match l {
            Layer::Conv2d(ops::Conv2d { w, b, .. }) => {
                w.map_inplace(|v| *v = requantize(v, &from1, &to1));
                b.map_inplace(|v| *v = requantize(v, &from2, &to2));
            }
            Layer::Dense(ops::Dense { w, b }) => {
                w.map_inplace(|v| *v = requantize(v, &from1, &to1));
                b.map_inplace(|v| *v = requantize(v, &from2, &to2));
            }
            Layer::BatchNorm(ops::BatchNorm { a, b }) => {
                a.map_inplace(|v| *v = requantize(v, &from1, &to1));
                b.map_inplace(|v| *v = requantize(v, &from2, &to2));
            }
            Layer::Rescale(ops::Rescale(n)) => *n = to1.clone(),
            _ => {}
        }
    }
    m.input_bound = k + 1;
    m.scale = Some(to1.clone());
    let x = tensor_at("in", get(d, "in")?)?.map(|v| requantize(v, &from1, &to1));
    Ok((m, x))
}

/// The MNIST CNN for raw 8-bit pixels (0..255) at activation scale `2^k`: the 1/255 input
/// scaling folded into the first convolution, whose weights and bias are at `2^(k+8)` and
/// whose output is rescaled by `2^8`; every other layer as in [`mnist_pow2`]. Weights
/// private, declared at their exact widths: the classifier of a ZKaggle-style bounty.
pub fn mnist_pixels(d: &Value, k: u32) -> Result<Model, VectorError> {
    let (mut m, _) = mnist_pow2(d, k)?;
    let from1 = BigUint::from(10u32).pow(18) * 255u32;
    let from2 = BigUint::from(10u32).pow(36);
    let to = BigUint::from(1u32) << (k + 8);
    let raw = mnist(d)?;
    if let (
        Layer::Conv2d(ops::Conv2d { w, b, .. }),
        Layer::Conv2d(ops::Conv2d { w: w0, b: b0, .. }),
    ) = (&mut m.layers[0], &raw.layers[0])
    {
        *w = w0.map(|v| requantize(v, &from1, &to));
        *b = b0.map(|v| requantize(v, &from2, &to));
    }
    m.layers[1] = Layer::Rescale(ops::Rescale(BigUint::from(256u32)));
    m.input_bound = 8;
    let bits = |is_bias: bool| {
        m.layers
            .iter()
            .flat_map(|l| match l {
                Layer::Conv2d(ops::Conv2d { w, b, .. }) => {
                    vec![(w.iter().cloned().collect::<Vec<_>>(), b.to_vec())]
                }
                Layer::Dense(ops::Dense { w, b }) => {
                    vec![(w.iter().cloned().collect(), b.to_vec())]
                }
                Layer::BatchNorm(ops::BatchNorm { a, b }) => vec![(a.to_vec(), b.to_vec())],
                _ => vec![],
            })
            .flat_map(|(w, b)| if is_bias { b } else { w })
            .map(|v| bits_for(&v))
            .max()
            .unwrap_or(0)
    };
    m.weights = WeightSpec {
        visibility: Visibility::Private,
        weight_bits: bits(false),
        bias_bits: bits(true),
    };
    Ok(m)
}

/// The MNIST CNN re-quantised to `2^k` with each BatchNorm folded into the convolution
/// before it (`w' = a w`, `b' = a b + b_bn`, computed exactly from the `10^18` integers and
/// rounded once): Conv → Rescale → ReLU → AvgPool, twice, then Dense. One rescale per
/// convolution instead of two; with the vectors' input at `2^k`.
pub fn mnist_pow2_folded(d: &Value, k: u32) -> Result<(Model, ArrayD<BigInt>), VectorError> {
    let raw = mnist(d)?;
    let (_, x) = mnist_pow2(d, k)?;
    let e18 = BigUint::from(10u32).pow(18);
    let e36 = BigUint::from(10u32).pow(36);
    let e54 = BigUint::from(10u32).pow(54);
    let s1 = BigUint::from(1u32) << k;
    let s2 = BigUint::from(1u32) << (2 * k);
    let mut layers = Vec::new();
    let mut i = 0;
    while i < raw.layers.len() {
        match (&raw.layers[i], raw.layers.get(i + 2)) {
            (
                Layer::Conv2d(ops::Conv2d { w, b, cfg }),
                Some(Layer::BatchNorm(ops::BatchNorm { a, b: bb })),
            ) => {
                // conv (w at 10^18, b at 10^36), rescale, BN (a at 10^18, b at 10^36)
                let w2 = Array4::from_shape_fn(w.dim(), |(p, q, ci, co)| {
                    requantize(&(&w[[p, q, ci, co]] * &a[co]), &e36, &s1)
                });
                let b2 = Array1::from_shape_fn(b.len(), |co| {
                    requantize(
                        &(&b[co] * &a[co] + &bb[co] * BigInt::from(e18.clone())),
                        &e54,
                        &s2,
                    )
                });
                layers.push(Layer::Conv2d(ops::Conv2d {
                    w: w2,
                    b: b2,
                    cfg: *cfg,
                }));
                layers.push(Layer::Rescale(ops::Rescale(s1.clone())));
                i += 4; // conv, rescale, BN, rescale
            }
            (Layer::Dense(ops::Dense { w, b }), _) => {
                layers.push(Layer::Dense(ops::Dense {
                    w: w.map(|v| requantize(v, &e18, &s1)),
                    b: b.map(|v| requantize(v, &e36, &s2)),
                }));
                i += 1;
            }
            (Layer::Rescale(_), _) => {
                layers.push(Layer::Rescale(ops::Rescale(s1.clone())));
                i += 1;
            }
            (other, _) => {
                layers.push(other.clone());
                i += 1;
            }
        }
    }
    let m = Model {
        graph: Default::default(),
        input_shape: vec![28, 28, 1],
        input_bound: k + 1,
        input_visibility: Visibility::Private,
        layers,
        weights: Default::default(),
        scale: Some(s1),
    };
    Ok((m, x))
}
