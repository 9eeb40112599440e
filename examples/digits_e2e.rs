//! The main job, with nothing outside the repository: a small ResNet trained in PyTorch on
//! scikit-learn's bundled digits (`scripts/models/make_models.py`; two residual blocks with
//! BatchNorm, global average pooling), from its ONNX file in `tests/fixtures/onnx/`:
//!
//! 1. import the ONNX file (BatchNorm folded, NCHW to HWC, an ArgMax appended so the proof
//!    reveals only the class);
//! 2. calibrate on the held-out digits: the cheapest scale `2^k` whose integer argmax
//!    agrees with the float model on every sample;
//! 3. prove one held-out digit (private) with the class public, verify it as a verifier
//!    would (only the claimed class comes from the prover);
//! 4. print the class, constraints, times (wall and CPU) and peak memory, and write the
//!    snarkjs files (verification key, proof, public inputs) to `target/digits_e2e/`.
//!
//! Run: `cargo run --example digits_e2e` (shares the tests' build) or with `--release`.
//! `tests/main_job.rs` runs this same code with `ARKML_CONFORMANCE_DIR` pointing nowhere.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::calibrate::{calibrate, CalibrateOptions};
use arkml::measure::{peak_rss_mb, timed};
use arkml::model::ModelCircuit;
use arkml::onnx::{load_onnx, ImportOptions};
use ndarray::{ArrayD, IxDyn};

/// What the main job measured.
#[allow(dead_code)]
pub struct Summary {
    /// The proven class.
    pub class: String,
    /// The true label of the digit.
    pub label: u64,
    /// Constraints.
    pub constraints: usize,
    /// Whether the proof verified.
    pub verified: bool,
    /// The chosen scale's exponent.
    pub scale_bits: u32,
}

/// Runs the main job on the first `samples` held-out digits, writing snarkjs files to `out`.
pub fn run(samples: usize, out: &Path) -> Result<Summary, Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx");
    let opts = ImportOptions {
        input_max: 1.0,
        argmax: true,
        ..Default::default()
    };
    let (imported, wall, _) = timed(|| load_onnx(&dir.join("resnet.onnx"), &opts));
    let imported = imported?;
    println!(
        "imported resnet.onnx: {} layers in {:.3} s",
        imported.model.layers.len(),
        wall
    );
    for n in &imported.notes {
        println!("  note: {n}");
    }
    let fm = imported.model;
    let test: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("digits_test.json"))?)?;
    let xs: Vec<ArrayD<f64>> = test["x"]
        .as_array()
        .ok_or("digits_test.json: x")?
        .iter()
        .take(samples)
        .map(|row| {
            let v: Vec<f64> = row
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str()?.parse().ok())
                .collect();
            // one channel: ONNX's CHW order is arkml's HWC order
            ArrayD::from_shape_vec(IxDyn(&[8, 8, 1]), v)
        })
        .collect::<Result<_, _>>()?;
    let (c, wall, _) = timed(|| calibrate(&fm, &xs, &CalibrateOptions::default()));
    let c = c?;
    print!("{}", c.table());
    println!("calibrated on {} held-out digits in {wall:.2} s", xs.len());
    let q = c.quantized.ok_or("no scale chosen")?;
    let scale_bits = match q.scale {
        arkml_gadgets::fixed::Scale::Pow2(k) | arkml_gadgets::fixed::Scale::Pow10(k) => k,
    };
    print!("{}", q.model.summary()?);

    let label = test["y"][0].as_u64().ok_or("digits_test.json: y")?;
    let circuit = ModelCircuit::new(Arc::new(q.model.clone()), q.quantize_input(&xs[0])?)?;
    let class = circuit.output.first().ok_or("empty output")?.to_string();
    println!("digit 0 of the held-out set: label {label}, proven class (public) {class}");
    let mut rng = StdRng::seed_from_u64(7);
    let (pk, wall, cpu) = timed(|| arkml::groth16::setup(circuit.clone(), &mut rng));
    let pk = pk?;
    println!(
        "setup  {wall:.3} s wall, {:.2} CPU-s",
        cpu.unwrap_or(f64::NAN)
    );
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
    let (ok, wall, _) = timed(|| arkml::groth16::verify(&pk.vk, &public, &proof));
    let ok = ok?;
    println!("verify {wall:.3} s: {ok}, proven class: {class}");
    std::fs::create_dir_all(out)?;
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
    Ok(Summary {
        class,
        label,
        constraints: info.constraints,
        verified: ok,
        scale_bits,
    })
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/digits_e2e");
    let s = run(usize::MAX, &out)?;
    if !s.verified {
        return Err("proof did not verify".into());
    }
    Ok(())
}
