//! The framework models through ONNX and Bionetta's MLP shape: proving time (criterion) with
//! CPU-seconds (user + sys) and peak memory printed beside it.
//!
//! `cargo bench --bench models` runs the PyTorch LeNet and ResNet fixtures
//! (`tests/fixtures/onnx`, imported with an ArgMax, quantised at 2^8) and the 2M-parameter
//! MLP of `examples/mlp2m.rs` (setup about 25 CPU-s first). `ARKML_BENCH_FULL=1` adds
//! ResNet-20 on CIFAR-10 shapes: synthesis only (witness and matrices, about 15M
//! constraints with bounds from the interval analysis; its Groth16 keys do not fit this
//! machine's memory — see docs/performance.md).

#[path = "../tests/support/onnx_chain.rs"]
mod onnx_chain;

#[path = "../examples/mlp2m.rs"]
#[allow(dead_code)]
mod mlp2m;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::measure::{iterations, peak_rss_mb};
use arkml::model::{Model, ModelCircuit};
use arkml::onnx::{load_onnx, ImportOptions};
use arkml::quant::quantize;
use arkml_gadgets::fixed::Scale;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use ndarray::{ArrayD, IxDyn};

fn onnx(name: &str, input_max: f64) -> (Model, ArrayD<num_bigint::BigInt>) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/onnx/{name}.onnx"));
    let opts = ImportOptions {
        input_max,
        argmax: true,
        ..Default::default()
    };
    let fm = load_onnx(&path, &opts).expect("fixture").model;
    let q = quantize(&fm, Scale::Pow2(8)).expect("quantises");
    let x = ArrayD::from_elem(IxDyn(&fm.input_shape), 0.5);
    let xi = q.quantize_input(&x).expect("in range");
    (q.model, xi)
}

fn prove(c: &mut Criterion, name: &str, model: Model, x: ArrayD<num_bigint::BigInt>) {
    let circuit = ModelCircuit::new(Arc::new(model), x).expect("circuit");
    let mut rng = StdRng::seed_from_u64(1);
    let pk = circuit.setup(&mut rng).expect("setup");
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let mut cpu = (0.0, 0u64);
    g.bench_function("prove", |b| {
        b.iter_custom(|iters| {
            iterations(iters, &mut cpu, || {
                circuit.prove(&pk, &mut rng).expect("prove");
            })
        })
    });
    // the path before `groth16::evaluate`: finalised matrices (arkworks' inline, then
    // to_matrices) and ark-groth16's own prover, for a before/after on the same machine
    let mut cpu_m = (0.0, 0u64);
    g.bench_function("prove_matrices", |b| {
        b.iter_custom(|iters| {
            iterations(iters, &mut cpu_m, || {
                let s = circuit.synthesize().expect("synthesis");
                let (m, inputs, _) = s.parts();
                let (r, t) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
                Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
                    &pk,
                    r,
                    t,
                    m,
                    inputs,
                    m[0].len(),
                    s.assignment(),
                )
                .expect("prove");
            })
        })
    });
    g.finish();
    println!(
        "{name}: {} constraints, prove {:.2} CPU-s per proof ({:.2} through the matrices), peak memory {:.0} MB",
        circuit.info().map(|i| i.constraints).unwrap_or(0),
        cpu.0 / cpu.1.max(1) as f64,
        cpu_m.0 / cpu_m.1.max(1) as f64,
        peak_rss_mb().unwrap_or(f64::NAN)
    );
}

/// ONNX import time against the node count (issue 24: it grew faster than quadratically;
/// `cargo bench --bench models -- onnx_import`).
fn onnx_import(c: &mut Criterion) {
    let mut g = c.benchmark_group("onnx_import");
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    for n in [10_000, 100_000] {
        let bytes = onnx_chain::relu_chain(n);
        let opts = ImportOptions::default();
        g.bench_function(format!("relu_chain_{n}"), |b| {
            b.iter(|| arkml::onnx::import(&bytes, &opts).expect("imports"))
        });
        let mut cpu = (0.0, 0);
        let wall = iterations(3, &mut cpu, || {
            arkml::onnx::import(&bytes, &opts).expect("imports");
        });
        println!(
            "onnx_import/relu_chain_{n}: {:.3} CPU-s, {:.3} s wall per import",
            cpu.0 / cpu.1 as f64,
            wall.as_secs_f64() / 3.0
        );
    }
    g.finish();
}

fn models(c: &mut Criterion) {
    let (m, x) = onnx("lenet", 1.0);
    prove(c, "lenet", m, x);
    let (m, x) = onnx("resnet", 1.0);
    prove(c, "resnet_digits", m, x);
    let q = mlp2m::mlp(20, 300, 8);
    let x = mlp2m::input(&q);
    prove(c, "mlp2m", q.model, x);
    if std::env::var_os("ARKML_BENCH_FULL").is_some() {
        let (m, x) = onnx("resnet20_cifar", 3.0);
        let m = Arc::new(m);
        let mut g = c.benchmark_group("resnet20_cifar");
        g.sampling_mode(SamplingMode::Flat).sample_size(10);
        g.bench_function("synthesis", |b| {
            b.iter(|| {
                ModelCircuit::new(m.clone(), x.clone())
                    .expect("circuit")
                    .info()
                    .expect("synthesis")
            })
        });
        g.finish();
    }
}

criterion_group!(benches, onnx_import, models);
criterion_main!(benches);
