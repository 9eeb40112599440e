//! circomlib-ml's trained MNIST CNN (scale 10^18) on its test image: build the circuit with
//! the model builder, prove and verify with Groth16, print the per-layer table, constraints,
//! setup / prove / verify times and peak memory.
//!
//! Run: `cargo run --release --example mnist_e2e` (reads `../shared/conformance`, or
//! `$ARKML_CONFORMANCE_DIR`); add `-- --pow2 16` for the same weights re-quantised to 2^16,
//! and `-- --pow2 16 --fold` to fold each BatchNorm into its convolution as well;
//! `-- --write DIR` also writes the model and input files for the `arkml` CLI.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::measure::{peak_rss_mb, reset_peak, timed};
use arkml::model::{Model, ModelCircuit};

fn show(what: &str, wall: f64, cpu: Option<f64>) {
    match cpu {
        Some(c) => println!("{what:<7} {wall:>8.3} s wall, {c:>8.2} CPU-s (user + sys)"),
        None => println!("{what:<7} {wall:>8.3} s wall"),
    }
}

fn main() {
    let d = common::circomlib_ml("mnist").expect("mnist.json");
    let args: Vec<String> = std::env::args().collect();
    let pow2 = args
        .iter()
        .position(|a| a == "--pow2")
        .and_then(|i| args.get(i + 1))
        .map(|k| k.parse::<u32>().expect("--pow2 K"));
    let fold = args.iter().any(|a| a == "--fold");
    let (model, input) = match pow2 {
        Some(k) if fold => {
            println!("MNIST re-quantised to scale 2^{k}, BatchNorm folded into the convolutions");
            common::mnist_model_pow2_folded(&d, k)
        }
        Some(k) => {
            println!("MNIST re-quantised to scale 2^{k}");
            common::mnist_model_pow2(&d, k)
        }
        None => {
            println!("MNIST at circomlib-ml's scale 10^18");
            (common::mnist_model(&d), common::tensor(&d["in"]))
        }
    };
    // `--write DIR`: the model and input as files, for the CLI (`arkml setup/prove`)
    if let Some(dir) = args
        .iter()
        .position(|a| a == "--write")
        .and_then(|i| args.get(i + 1))
    {
        let dir = std::path::Path::new(dir);
        std::fs::create_dir_all(dir).expect("output folder");
        arkml::file::save_model(&dir.join("model.json"), &model).expect("model file");
        std::fs::write(
            dir.join("input.json"),
            serde_json::to_string(&arkml::file::TensorFile::from_array(&input)).expect("json"),
        )
        .expect("input file");
        println!("wrote {}/model.json and input.json", dir.display());
    }
    let model = Arc::new(model);

    let cs = ConstraintSystem::<Fr>::new_ref();
    let (_, summary) = model.synthesize(cs.clone(), &input).expect("synthesis");
    println!("{}", Model::summary_table(&summary));
    println!(
        "constraints: {} (circomlib-ml at 10^18: 2,045,276)",
        cs.num_constraints()
    );
    drop(cs);

    let circuit = ModelCircuit::new(model, input).expect("inference");
    println!(
        "prediction (public output): {}",
        circuit.output.iter().next().unwrap()
    );
    let mut rng = StdRng::seed_from_u64(42);
    let (pk, wall, cpu) =
        timed(|| arkml::groth16::setup(circuit.clone(), &mut rng).expect("setup"));
    show("setup:", wall, cpu);
    let setup_peak = peak_rss_mb();
    let reset = reset_peak();
    let (proof, wall, cpu) =
        timed(|| arkml::groth16::prove(&pk, circuit.clone(), &mut rng).expect("prove"));
    show("prove:", wall, cpu);
    if let (true, Some(mb)) = (reset, peak_rss_mb()) {
        println!("        peak memory while proving: {mb:.0} MB (the proving key included)");
    }
    println!("        (prove includes a satisfaction check before Groth16)");
    let (ok, wall, cpu) =
        timed(|| arkml::groth16::verify(&pk.vk, &circuit.public_inputs(), &proof).expect("verify"));
    show("verify:", wall, cpu);
    println!("proof verifies: {ok}");
    if let Some(mb) = setup_peak {
        println!("peak memory of the whole run (setup's): {mb:.0} MB");
    }
    assert!(ok);
}
