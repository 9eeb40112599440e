//! The main job, with nothing outside the repository: a model trained here
//! (scripts/train_digits.py: an MLP on scikit-learn's bundled digits) from its float
//! weights: quantise to 2^12, print the rounding report and the per-layer table, prove and
//! verify one inference with the digit private and the predicted class public, print the
//! constraints, times and peak memory, and write the snarkjs files (verification key,
//! proof, public inputs) to `target/digits_e2e/`.
//!
//! Run: `cargo run --example digits_e2e` (shares the tests' build) or with `--release`.

use std::sync::Arc;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::file::load_float_model;
use arkml::measure::{peak_rss_mb, timed};
use arkml::model::ModelCircuit;
use arkml::quant::quantize;
use arkml_gadgets::fixed::Scale;
use ndarray::{ArrayD, IxDyn};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/digits");
    let fm = load_float_model(std::path::Path::new(&format!("{dir}/model.json")))?;
    let test: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/test.json"))?)?;
    let px: Vec<f64> = test["x"][0]
        .as_array()
        .ok_or("test.json: x")?
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    let x = ArrayD::from_shape_vec(IxDyn(&[64]), px)?;

    let q = quantize(&fm, Scale::Pow2(12))?;
    print!("{}", q.report(&fm));
    print!("{}", q.model.summary()?);
    let circuit = ModelCircuit::new(Arc::new(q.model.clone()), q.quantize_input(&x)?)?;
    println!(
        "prediction (public): {}, float model: {}, label: {}",
        circuit.output.first().ok_or("empty output")?,
        test["float_pred"][0],
        test["labels"][0]
    );
    let mut rng = StdRng::seed_from_u64(7);
    let (pk, wall, _) = timed(|| arkml::groth16::setup(circuit.clone(), &mut rng));
    let pk = pk?;
    println!("setup  {wall:.3} s");
    let (proof, wall, cpu) = timed(|| arkml::groth16::prove(&pk, circuit.clone(), &mut rng));
    let proof = proof?;
    println!(
        "prove  {wall:.3} s wall, {:.2} CPU-s",
        cpu.unwrap_or(f64::NAN)
    );
    let info = circuit.info()?;
    println!(
        "constraints: {} (circuit {})",
        info.constraints, info.fingerprint
    );
    // the verifier's side: only the claimed class comes from the prover
    let public = arkml::circuit::Expectation::default()
        .public_inputs(&circuit.layout(), &circuit.public_inputs())?;
    let ok = arkml::groth16::verify(&pk.vk, &public, &proof)?;
    println!(
        "verifies: {ok}, proven class: {}",
        circuit.output.first().ok_or("empty output")?
    );
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/digits_e2e");
    std::fs::create_dir_all(&out)?;
    for (name, v) in [
        ("verification_key.json", arkml::snarkjs::vk_to_json(&pk.vk)),
        ("proof.json", arkml::snarkjs::proof_to_json(&proof)),
        ("public.json", arkml::snarkjs::public_to_json(&public)),
    ] {
        std::fs::write(out.join(name), serde_json::to_string_pretty(&v)?)?;
    }
    println!("snarkjs files: {}", out.display());
    if let Some(mb) = peak_rss_mb() {
        println!("peak memory: {mb:.0} MB");
    }
    if !ok {
        return Err("proof did not verify".into());
    }
    Ok(())
}
