//! Circuits pinned, not only counted: the fingerprint (SHA-256 of the R1CS matrices and
//! counts, `arkml::groth16::Fingerprint`), the constraint count and the public-input order
//! by name, for the digits model and circomlib-ml's MNIST CNN (10^18 and 2^16 folded).
//! A change to any gadget or to the builder that changes these circuits fails here; if the
//! change is meant, regenerate with `ARKML_PIN=1 cargo test --test pinned` and say why in the
//! commit (as halo2 regenerates its pinned verifying keys).
mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use arkml::circuit::ModelCircuit;
use arkml::quant::quantize;
use arkml_gadgets::fixed::Scale;
use serde_json::{json, Value};

fn pins_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pinned.json")
}

fn record(c: &ModelCircuit) -> Value {
    let info = c.info().unwrap();
    json!({
        "constraints": info.constraints,
        "public_inputs": info.public_inputs,
        "witnesses": info.witnesses,
        "fingerprint": info.fingerprint.to_hex(),
        "public": c.layout().iter().map(|p| json!({"role": p.role, "count": p.count})).collect::<Vec<_>>(),
    })
}

fn check(name: &str, got: Value) {
    let path = pins_path();
    let mut pins: BTreeMap<String, Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    if std::env::var_os("ARKML_PIN").is_some() {
        pins.insert(name.into(), got);
        std::fs::write(&path, serde_json::to_string_pretty(&pins).unwrap() + "\n").unwrap();
        return;
    }
    let want = pins.get(name).unwrap_or_else(|| {
        panic!("{name} is not pinned: run ARKML_PIN=1 cargo test --test pinned")
    });
    assert_eq!(
        &got, want,
        "{name}: the circuit changed (ARKML_PIN=1 to re-pin, if meant)"
    );
}

#[test]
fn digits_circuit_is_pinned() {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/digits/model.json"),
    )
    .unwrap();
    let fm = arkml::file::float_model_from_json(&text, "digits").unwrap();
    let q = quantize(&fm, Scale::Pow2(12)).unwrap();
    let x =
        ndarray::ArrayD::from_elem(ndarray::IxDyn(&fm.input_shape), num_bigint::BigInt::from(0));
    let c = ModelCircuit::new(Arc::new(q.model.clone()), x.clone()).unwrap();
    check("digits 2^12, constant weights", record(&c));
    // the prover hashes the fingerprint itself, row by row, without the matrices: the same
    assert_eq!(c.evaluate().unwrap().info(), c.info().unwrap());
    // private weights with their commitment: the statement the bounty and CLI use
    let mut private = q.model;
    private.weights = arkml::model::WeightSpec {
        visibility: arkml_gadgets::tensor::Visibility::Private,
        weight_bits: 16,
        bias_bits: 28,
    };
    let c = ModelCircuit::new(Arc::new(private), x)
        .unwrap()
        .with_commitment(ark_bn254::Fr::from(1u64));
    check("digits 2^12, private committed weights", record(&c));
    assert_eq!(c.evaluate().unwrap().info(), c.info().unwrap());
}

#[test]
fn mnist_circuits_are_pinned() {
    let Some(d) = common::circomlib_ml("mnist") else {
        return;
    };
    let m = common::mnist_model(&d);
    let c = ModelCircuit::new(Arc::new(m), common::tensor(&d["in"])).unwrap();
    check("mnist 10^18 (circomlib-ml)", record(&c));
    let (m, x) = common::mnist_model_pow2_folded(&d, 16);
    let c = ModelCircuit::new(Arc::new(m), x).unwrap();
    check("mnist 2^16, BatchNorm folded", record(&c));
}
