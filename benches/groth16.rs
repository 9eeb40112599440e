//! Groth16 on circomlib-ml's MNIST CNN: setup, prove and verify, wall time (criterion) with
//! CPU-seconds (user + sys, all threads) and peak memory printed beside it: the machines are
//! shared, so CPU-seconds are the figure to compare.
//!
//! `cargo bench --bench groth16` runs the model re-quantised to 2^16 (340,259 constraints)
//! and the same with each BatchNorm folded into its convolution (194,915);
//! set `ARKML_BENCH_FULL=1` to add circomlib-ml's own scale 10^18 (1,517,553 constraints,
//! about 20 minutes). `prove_from_key_file` proves as `arkml prove` does (the key streamed
//! from its file); `analyse` times the facts pass (`arkml inspect`'s table without
//! reading the file). Needs `../shared/conformance` (or `$ARKML_CONFORMANCE_DIR`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::measure::{iterations, peak_rss_mb};
use arkml::model::ModelCircuit;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};

/// Runs `f` `iters` times, returning wall time and adding CPU-seconds to `cpu`.
fn bench_model(c: &mut Criterion, name: &str, circuit: ModelCircuit) {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let mut rng = StdRng::seed_from_u64(1);
    let pk = arkml::groth16::setup(circuit.clone(), &mut rng).expect("setup");
    let proof = arkml::groth16::prove(&pk, circuit.clone(), &mut rng).expect("prove");
    let public = circuit.public_inputs();
    let mut cpu = [(0.0, 0u64); 4];

    // the facts pass alone (`arkml inspect` without the file): shapes, bounds, exact counts
    g.bench_function("analyse", |b| {
        b.iter(|| circuit.model.analyse().expect("analyse"))
    });
    g.bench_function("setup", |b| {
        b.iter_custom(|n| {
            iterations(n, &mut cpu[0], || {
                arkml::groth16::setup(circuit.clone(), &mut rng).expect("setup");
            })
        })
    });
    g.bench_function("prove", |b| {
        b.iter_custom(|n| {
            iterations(n, &mut cpu[1], || {
                arkml::groth16::prove(&pk, circuit.clone(), &mut rng).expect("prove");
            })
        })
    });
    // as `arkml prove` does: synthesise, then stream the proving key from its file
    let key_path = std::env::temp_dir().join(format!("arkml-bench-{}.pk", std::process::id()));
    let meta = arkml::file::KeyMeta::new(&circuit.info().expect("info"), circuit.layout());
    arkml::file::save_proving_key(&key_path, &pk, &meta).expect("key file");
    g.bench_function("prove_from_key_file", |b| {
        b.iter_custom(|n| {
            iterations(n, &mut cpu[3], || {
                let s = circuit.evaluate().expect("synthesis");
                arkml::file::prove_with_key_file(&key_path, s, false, &mut rng).expect("prove");
            })
        })
    });
    let _ = std::fs::remove_file(&key_path);
    g.bench_function("verify", |b| {
        b.iter_custom(|n| {
            iterations(n, &mut cpu[2], || {
                assert!(arkml::groth16::verify(&pk.vk, &public, &proof).unwrap());
            })
        })
    });
    g.finish();
    for (what, (s, n)) in ["setup", "prove", "verify", "prove_from_key_file"]
        .iter()
        .zip(cpu)
    {
        if n > 0 {
            println!(
                "{name}/{what}: {:.3} CPU-s per run (user + sys)",
                s / n as f64
            );
        }
    }
    if let Some(mb) = peak_rss_mb() {
        println!("{name}: peak memory of the bench process so far {mb:.0} MB");
    }
}

fn groth16(c: &mut Criterion) {
    let d = common::circomlib_ml("mnist").expect("mnist.json in ../shared/conformance");
    let (m, x) = common::mnist_model_pow2(&d, 16);
    bench_model(
        c,
        "mnist_2^16",
        ModelCircuit::new(Arc::new(m), x).expect("inference"),
    );
    let (m, x) = common::mnist_model_pow2_folded(&d, 16);
    bench_model(
        c,
        "mnist_2^16_bn_folded",
        ModelCircuit::new(Arc::new(m), x).expect("inference"),
    );
    if std::env::var_os("ARKML_BENCH_FULL").is_some() {
        let (m, x) = (common::mnist_model(&d), common::tensor(&d["in"]));
        bench_model(
            c,
            "mnist_10^18",
            ModelCircuit::new(Arc::new(m), x).expect("inference"),
        );
    }
}

criterion_group!(benches, groth16);
criterion_main!(benches);
