#![allow(dead_code)]
//! Reading the external conformance vectors in `../shared/conformance` (never copied here).

use arkml::model::ops;
use std::path::PathBuf;

use ark_bn254::Fr;
use arkml_gadgets::fixed::{from_field, to_field};
use ndarray::{ArrayD, IxDyn};
use num_bigint::BigInt;
use serde_json::Value;

/// `$ARKML_CONFORMANCE_DIR`, else `../shared/conformance` beside the checkout.
pub fn conformance_dir() -> PathBuf {
    std::env::var_os("ARKML_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"))
}

/// A tool installed by `npm ci` in `scripts/vectors` (snarkjs, solcjs). When missing the
/// test is skipped, except under CI, where `.ci/run` installs it and its absence fails.
pub fn npm_tool(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/vectors/node_modules/.bin")
        .join(name);
    if p.exists() {
        Some(p)
    } else if std::env::var_os("CI").is_some() {
        panic!("{}: missing; .ci/run installs it with npm ci", p.display())
    } else {
        None
    }
}

/// Loads `circomlib-ml/NAME.json`. When the folder is missing the test is skipped, except
/// under CI (`CI` set), where it fails.
pub fn circomlib_ml(name: &str) -> Option<Value> {
    let path = conformance_dir()
        .join("circomlib-ml")
        .join(format!("{name}.json"));
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("valid JSON")),
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "conformance vectors missing under CI: {}: {e}",
                    path.display()
                );
            }
            eprintln!("skipping: {} not found ({e})", path.display());
            None
        }
    }
}

/// A number or numeric string, as a signed integer (`p - x` read as `-x`).
pub fn int(v: &Value) -> BigInt {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("not a number: {other}"),
    };
    let n: BigInt = s.parse().expect("integer");
    from_field(to_field::<Fr>(&n))
}

/// A nested JSON array as a tensor.
pub fn tensor(v: &Value) -> ArrayD<BigInt> {
    let mut shape = Vec::new();
    let mut cur = v;
    while let Value::Array(a) = cur {
        shape.push(a.len());
        if a.is_empty() {
            break;
        }
        cur = &a[0];
    }
    let mut flat = Vec::new();
    fn walk(v: &Value, out: &mut Vec<BigInt>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            x => out.push(int(x)),
        }
    }
    walk(v, &mut flat);
    ArrayD::from_shape_vec(IxDyn(&shape), flat).expect("rectangular array")
}

/// circomlib-ml's MNIST CNN (design.md §5) from `mnist.json`, as a builder model.
pub fn mnist_model(d: &Value) -> arkml::model::Model {
    use arkml::model::{Layer, Model};
    use arkml_gadgets::layers::{Conv2dConfig, Pool2dConfig};
    use arkml_gadgets::tensor::Visibility;
    use ndarray::{Ix1, Ix2, Ix4};
    use num_bigint::BigUint;
    let n = BigUint::from(10u32).pow(18);
    let t1 = |k: &str| tensor(&d[k]).into_dimensionality::<Ix1>().unwrap();
    let conv = |p: &str| {
        Layer::Conv2d(ops::Conv2d {
            w: tensor(&d[format!("{p}_weights")])
                .into_dimensionality::<Ix4>()
                .unwrap(),
            b: t1(&format!("{p}_bias")),
            cfg: Conv2dConfig::default(),
        })
    };
    let bn = |p: &str| {
        Layer::BatchNorm(ops::BatchNorm {
            a: t1(&format!("{p}_a")),
            b: t1(&format!("{p}_b")),
        })
    };
    let pool = Layer::AvgPool2d(ops::AvgPool2d(Pool2dConfig::new((2, 2))));
    Model {
        graph: Default::default(),
        input_shape: vec![28, 28, 1],
        input_bound: 60,
        input_visibility: Visibility::Private,
        layers: vec![
            conv("conv2d_1"),
            Layer::Rescale(ops::Rescale(n.clone())),
            bn("bn_1"),
            Layer::Rescale(ops::Rescale(n.clone())),
            Layer::Relu(ops::Relu),
            pool.clone(),
            conv("conv2d_2"),
            Layer::Rescale(ops::Rescale(n.clone())),
            bn("bn_2"),
            Layer::Rescale(ops::Rescale(n.clone())),
            Layer::Relu(ops::Relu),
            pool,
            Layer::Flatten(ops::Flatten),
            Layer::Dense(ops::Dense {
                w: tensor(&d["dense_weights"])
                    .into_dimensionality::<Ix2>()
                    .unwrap(),
                b: t1("dense_bias"),
            }),
            Layer::Rescale(ops::Rescale(n.clone())),
            Layer::ArgMax(ops::ArgMax),
        ],
        weights: Default::default(),
        scale: Some(n),
    }
}

/// A small CNN: Conv2D(same) -> Rescale -> ReLU -> MaxPool -> Flatten -> Dense -> Rescale -> ArgMax.
pub fn small_model() -> arkml::model::Model {
    use arkml::model::{Layer, Model};
    use arkml_gadgets::layers::{Conv2dConfig, Padding, Pool2dConfig};
    use arkml_gadgets::tensor::Visibility;
    use ndarray::{Array1, Array2, Array4};
    use num_bigint::BigUint;
    let s = BigUint::from(1u32 << 8);
    let w = Array4::from_shape_fn((2, 2, 1, 2), |(i, j, _, o)| {
        BigInt::from((i as i64 * 3 - j as i64 * 5 + o as i64 * 7) * 20 - 30)
    });
    let d = Array2::from_shape_fn((8, 3), |(i, o)| {
        BigInt::from((i as i64 * 13 + o as i64 * 29) % 61 - 30)
    });
    Model {
        graph: Default::default(),
        input_shape: vec![4, 4, 1],
        input_bound: 9,
        input_visibility: Visibility::Private,
        layers: vec![
            Layer::Conv2d(ops::Conv2d {
                w,
                b: Array1::from_elem(2, BigInt::from(100)),
                cfg: Conv2dConfig::new((1, 1), Padding::Same),
            }),
            Layer::Rescale(ops::Rescale(s.clone())),
            Layer::Relu(ops::Relu),
            Layer::MaxPool2d(ops::MaxPool2d(Pool2dConfig::new((2, 2)))),
            Layer::Flatten(ops::Flatten),
            Layer::Dense(ops::Dense {
                w: d,
                b: Array1::from_elem(3, BigInt::from(-5)),
            }),
            Layer::Rescale(ops::Rescale(s)),
            Layer::ArgMax(ops::ArgMax),
        ],
        weights: Default::default(),
        scale: None,
    }
}

/// A deterministic input for [`small_model`].
pub fn small_input(seed: i64) -> ArrayD<BigInt> {
    ArrayD::from_shape_fn(IxDyn(&[4, 4, 1]), |i| {
        BigInt::from(((i[0] * 4 + i[1]) as i64 * 97 + seed) % 1000 - 500)
    })
}

/// `round(v * to / from)` for integers (half away from zero is not needed: half up).
pub fn requantize(v: &BigInt, from: &num_bigint::BigUint, to: &num_bigint::BigUint) -> BigInt {
    let num = v * BigInt::from(to.clone()) * 2 + BigInt::from(from.clone());
    arkml_gadgets::fixed::floor_div(&num, &(from * 2u32)).0
}

/// circomlib-ml's MNIST CNN re-quantised from scale 10^18 to `2^k`: weights and BN `a` at
/// `2^k`, biases and BN `b` at `2^2k`, input at `2^k`, every rescale by `2^k`.
pub fn mnist_model_pow2(d: &Value, k: u32) -> (arkml::model::Model, ArrayD<BigInt>) {
    use arkml::model::Layer;
    use num_bigint::BigUint;
    let from1 = BigUint::from(10u32).pow(18);
    let from2 = BigUint::from(10u32).pow(36);
    let to1 = BigUint::from(1u32) << k;
    let to2 = BigUint::from(1u32) << (2 * k);
    let q1 = |a: &ndarray::Array<BigInt, _>| a.map(|v| requantize(v, &from1, &to1));
    let mut m = mnist_model(d);
    for l in m.layers.iter_mut() {
        match l {
            Layer::Conv2d(ops::Conv2d { w, b, .. }) => {
                *w = w.map(|v| requantize(v, &from1, &to1));
                *b = b.map(|v| requantize(v, &from2, &to2));
            }
            Layer::Dense(ops::Dense { w, b }) => {
                *w = w.map(|v| requantize(v, &from1, &to1));
                *b = b.map(|v| requantize(v, &from2, &to2));
            }
            Layer::BatchNorm(ops::BatchNorm { a, b }) => {
                *a = a.map(|v| requantize(v, &from1, &to1));
                *b = b.map(|v| requantize(v, &from2, &to2));
            }
            Layer::Rescale(ops::Rescale(n)) => *n = to1.clone(),
            _ => {}
        }
    }
    m.input_bound = k + 1;
    m.scale = Some(to1.clone());
    let x = q1(&tensor(&d["in"]));
    (m, x)
}

/// circomlib-ml's MNIST CNN for raw 8-bit pixels (0..255) at activation scale `2^k`: the
/// 1/255 input scaling is folded into the first convolution, whose weights and bias are at
/// `2^(k+8)` and whose output is rescaled by `2^8`; every other layer as in
/// [`mnist_model_pow2`]. Weights are private, declared at their exact widths.
pub fn mnist_model_pixels(d: &Value, k: u32) -> arkml::model::Model {
    use arkml::model::{Layer, WeightSpec};
    use arkml_gadgets::tensor::Visibility;
    use num_bigint::BigUint;
    let (mut m, _) = mnist_model_pow2(d, k);
    let from1 = BigUint::from(10u32).pow(18) * 255u32;
    let from2 = BigUint::from(10u32).pow(36);
    let to = BigUint::from(1u32) << (k + 8);
    let raw = mnist_model(d);
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
            .map(|v| arkml_gadgets::fixed::bits_for(&v))
            .max()
            .unwrap_or(0)
    };
    m.weights = WeightSpec {
        visibility: Visibility::Private,
        weight_bits: bits(false),
        bias_bits: bits(true),
    };
    m
}

/// circomlib-ml's MNIST CNN re-quantised to `2^k` with each BatchNorm folded into the
/// convolution before it (`w' = a w`, `b' = a b + b_bn`, computed exactly from the 10^18
/// integers and rounded once): Conv → Rescale → ReLU → AvgPool, twice, then Dense. One
/// rescale per convolution instead of two.
pub fn mnist_model_pow2_folded(d: &Value, k: u32) -> (arkml::model::Model, ArrayD<BigInt>) {
    use arkml::model::Layer;
    use num_bigint::BigUint;
    let raw = mnist_model(d);
    let (_, x) = mnist_model_pow2(d, k);
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
                let w2 = ndarray::Array4::from_shape_fn(w.dim(), |(p, q, ci, co)| {
                    requantize(&(&w[[p, q, ci, co]] * &a[co]), &e36, &s1)
                });
                let b2 = ndarray::Array1::from_shape_fn(b.len(), |co| {
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
    let m = arkml::model::Model {
        graph: Default::default(),
        input_shape: vec![28, 28, 1],
        input_bound: k + 1,
        input_visibility: arkml_gadgets::tensor::Visibility::Private,
        layers,
        weights: Default::default(),
        scale: Some(s1),
    };
    (m, x)
}
