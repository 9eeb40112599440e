#![allow(dead_code)]
//! Reading the external conformance vectors in `../shared/conformance` (never copied here).

use arkml::model::ops;
use std::path::PathBuf;

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
    arkml::circomlib_ml::int(v).unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// A nested JSON array as a tensor.
pub fn tensor(v: &Value) -> ArrayD<BigInt> {
    arkml::circomlib_ml::tensor(v).expect("rectangular integer array")
}

/// circomlib-ml's MNIST CNN (design.md §5) from `mnist.json`, as a builder model.
pub fn mnist_model(d: &Value) -> arkml::model::Model {
    arkml::circomlib_ml::mnist(d).expect("mnist.json")
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

pub fn requantize(v: &BigInt, from: &num_bigint::BigUint, to: &num_bigint::BigUint) -> BigInt {
    arkml::circomlib_ml::requantize(v, from, to)
}

/// circomlib-ml's MNIST CNN re-quantised from scale 10^18 to `2^k`
/// ([`arkml::circomlib_ml::mnist_pow2`]).
pub fn mnist_model_pow2(d: &Value, k: u32) -> (arkml::model::Model, ArrayD<BigInt>) {
    arkml::circomlib_ml::mnist_pow2(d, k).expect("mnist.json")
}

/// circomlib-ml's MNIST CNN for raw 8-bit pixels ([`arkml::circomlib_ml::mnist_pixels`]).
pub fn mnist_model_pixels(d: &Value, k: u32) -> arkml::model::Model {
    arkml::circomlib_ml::mnist_pixels(d, k).expect("mnist.json")
}

/// circomlib-ml's MNIST CNN at `2^k` with BatchNorm folded
/// ([`arkml::circomlib_ml::mnist_pow2_folded`]).
pub fn mnist_model_pow2_folded(d: &Value, k: u32) -> (arkml::model::Model, ArrayD<BigInt>) {
    arkml::circomlib_ml::mnist_pow2_folded(d, k).expect("mnist.json")
}
