//! The prover against its floor, in one run: the part of a Groth16 proof no witness can
//! shrink is the H-query MSM (G1, full-size scalars: the quotient polynomial's coefficients)
//! plus the seven FFTs of the witness map at the circuit's QAP domain size. ark-groth16 runs
//! at about the sum of its own MSMs and FFTs, and its MSMs are several times cheaper on bits
//! and small integers, so `prove / floor` measures how small the circuit's witness values
//! are. Target on the MNIST model at 2^16: at most 1.5.
//!
//! `cargo bench --bench floor` (needs `../shared/conformance`). Also reports how full the
//! domain is: a circuit just above a power of two pays a doubled floor.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ark_bn254::{Fr, G1Projective};
use ark_ec::VariableBaseMSM;
use ark_ff::{FftField, UniformRand};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::measure::cpu_seconds;
use arkml::model::ModelCircuit;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};

fn floor(
    domain: &GeneralEvaluationDomain<Fr>,
    bases: &[ark_bn254::G1Affine],
    scalars: &[Fr],
    poly: &mut [Vec<Fr>; 3],
) {
    let coset = domain.get_coset(Fr::GENERATOR).expect("coset");
    for p in poly.iter_mut() {
        domain.ifft_in_place(p);
        coset.fft_in_place(p);
    }
    coset.ifft_in_place(&mut poly[0]);
    let _ = std::hint::black_box(G1Projective::msm_unchecked(bases, scalars));
}

fn bench(c: &mut Criterion) {
    let d = common::circomlib_ml("mnist").expect("mnist.json in ../shared/conformance");
    let (m, x) = common::mnist_model_pow2(&d, 16);
    let circuit = ModelCircuit::new(Arc::new(m), x).expect("inference");
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.clone().generate_constraints(cs.clone()).unwrap();
    let (n, inputs) = (cs.num_constraints(), cs.num_instance_variables());
    drop(cs);
    let domain = GeneralEvaluationDomain::<Fr>::new(n + inputs).unwrap();
    println!(
        "MNIST 2^16: {n} constraints + {inputs} inputs, QAP domain {} ({:.0}% full)",
        domain.size(),
        100.0 * (n + inputs) as f64 / domain.size() as f64
    );
    let mut rng = StdRng::seed_from_u64(1);
    let pk = arkml::groth16::setup(circuit.clone(), &mut rng).unwrap();
    let scalars: Vec<Fr> = (0..pk.h_query.len()).map(|_| Fr::rand(&mut rng)).collect();
    let mut poly: [Vec<Fr>; 3] =
        std::array::from_fn(|_| (0..domain.size()).map(|_| Fr::rand(&mut rng)).collect());

    let mut g = c.benchmark_group("mnist_2^16");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.bench_function("floor (H MSM + 7 FFTs)", |b| {
        b.iter(|| floor(&domain, &pk.h_query, &scalars, &mut poly))
    });
    g.bench_function("prove", |b| {
        b.iter(|| arkml::groth16::prove(&pk, circuit.clone(), &mut rng).unwrap())
    });
    g.finish();

    // one more paired measurement for the ratio, wall and CPU
    let time = |f: &mut dyn FnMut()| {
        let (c0, t) = (cpu_seconds().unwrap_or(0.0), Instant::now());
        for _ in 0..3 {
            f();
        }
        (
            t.elapsed().as_secs_f64() / 3.0,
            (cpu_seconds().unwrap_or(0.0) - c0) / 3.0,
        )
    };
    let (fw, fc) = time(&mut || floor(&domain, &pk.h_query, &scalars, &mut poly));
    let (pw, pc) = time(&mut || {
        arkml::groth16::prove(&pk, circuit.clone(), &mut rng).unwrap();
    });
    println!(
        "floor {fw:.3} s wall / {fc:.2} CPU-s; prove {pw:.3} s wall / {pc:.2} CPU-s; prove / floor = {:.2} (wall), {:.2} (CPU)",
        pw / fw,
        pc / fc
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
