#![allow(dead_code)]
//! Reading the external conformance vectors in `../shared/conformance` (never copied here).

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
