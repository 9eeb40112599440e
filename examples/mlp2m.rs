//! Bionetta's benchmark shape: an MNIST-shaped MLP with about 2M parameters and about 6,000
//! ReLUs (784 → 300 × 20 → 10; 1.97M parameters, 6,000 ReLUs), random weights (He
//! initialisation, seeded: the circuit's cost does not depend on the values), quantised at
//! 2^8 with constant weights, one private input proven and verified.
//!
//! Run: `cargo run --release --example mlp2m [-- --layers 20 --width 300 --scale 8]`;
//! `-- --write DIR` writes the model and input for the CLI instead.
//! `benches/models.rs` times the same model's proof with criterion.

use arkml::model::ops;
use std::sync::Arc;

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use arkml::measure::{peak_rss_mb, timed};
use arkml::model::{Layer, ModelCircuit};
use arkml::quant::{quantize, FloatLayer, FloatModel, Quantized};
use arkml_gadgets::fixed::Scale;
use ndarray::{Array1, Array2, ArrayD, IxDyn};

/// The MLP: `layers` hidden ReLU layers of `width`, quantised at `2^scale`.
pub fn mlp(layers: usize, width: usize, scale: u32) -> Quantized {
    let mut rng = StdRng::seed_from_u64(2_000_000);
    let mut dense = |i: usize, o: usize| {
        let sd = (2.0 / i as f64).sqrt();
        // a uniform with the normal's standard deviation
        let w = Array2::from_shape_fn((i, o), |_| sd * 3f64.sqrt() * rng.gen_range(-1.0..1.0));
        let b = Array1::from_shape_fn(o, |_| rng.gen_range(-0.01..0.01));
        FloatLayer::dense(w, b)
    };
    let mut ls = vec![];
    let mut n_in = 784;
    for _ in 0..layers {
        ls.push(dense(n_in, width));
        ls.push(Layer::Relu(ops::Relu));
        n_in = width;
    }
    ls.push(dense(n_in, 10));
    ls.push(Layer::ArgMax(ops::ArgMax));
    let fm = FloatModel {
        input_shape: vec![784],
        input_max: 1.0,
        layers: ls,
        graph: Default::default(),
    };
    quantize(&fm, Scale::Pow2(scale)).expect("quantises")
}

/// A deterministic input in `[0, 1)`.
pub fn input(q: &Quantized) -> ArrayD<num_bigint::BigInt> {
    let mut rng = StdRng::seed_from_u64(7);
    let x = ArrayD::from_shape_fn(IxDyn(&[784]), |_| rng.gen_range(0.0..1.0));
    q.quantize_input(&x).expect("in range")
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (layers, width, scale) = (arg("--layers", 20), arg("--width", 300), arg("--scale", 8));
    let q = mlp(layers, width, scale as u32);
    let params: usize = q
        .model
        .layers
        .iter()
        .map(|l| match l {
            Layer::Dense(ops::Dense { w, b }) => w.len() + b.len(),
            _ => 0,
        })
        .sum();
    println!(
        "MLP 784 -> {width} x {layers} -> 10: {params} parameters, {} ReLUs, scale 2^{scale}",
        layers * width
    );
    if let Some(i) = args.iter().position(|a| a == "--write") {
        // the model and its input for the CLI (prove alone in its own process)
        let dir = std::path::PathBuf::from(args.get(i + 1).ok_or("--write DIR")?);
        std::fs::create_dir_all(&dir)?;
        arkml::file::save_model(&dir.join("mlp2m.json"), &q.model)?;
        std::fs::write(
            dir.join("input.json"),
            serde_json::to_string(&arkml::file::TensorFile::from_array(&input(&q)))?,
        )?;
        println!("wrote {}", dir.display());
        return Ok(());
    }
    let circuit = ModelCircuit::new(Arc::new(q.model.clone()), input(&q))?;
    let info = circuit.info()?;
    println!("constraints: {}", info.constraints);
    let mut rng = StdRng::seed_from_u64(1);
    let (pk, wall, cpu) = timed(|| circuit.setup(&mut rng));
    let pk = pk?;
    println!(
        "setup  {wall:.2} s wall, {:.2} CPU-s",
        cpu.unwrap_or(f64::NAN)
    );
    let (proof, wall, cpu) = timed(|| circuit.prove(&pk, &mut rng));
    let proof = proof?;
    println!(
        "prove  {wall:.2} s wall, {:.2} CPU-s",
        cpu.unwrap_or(f64::NAN)
    );
    let public = arkml::circuit::Expectation::default()
        .public_inputs(&circuit.layout(), &circuit.public_inputs())?;
    let ok = arkml::groth16::verify(&pk.vk, &public, &proof)?;
    println!(
        "verifies: {ok}, class {}",
        circuit.output.first().ok_or("output")?
    );
    if let Some(mb) = peak_rss_mb() {
        println!("peak memory: {mb:.0} MB");
    }
    Ok(())
}
