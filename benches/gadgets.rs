//! Synthesis time of the gadgets at standard sizes (`cargo bench`).

use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use arkml::gadgets::{
    layers::{conv2d, dense, Conv2dConfig},
    rescale::rescale_tensor,
    tensor::{alloc_tensor, Visibility},
};
use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::{ArrayD, Dimension, IxDyn};
use num_bigint::{BigInt, BigUint};

fn values(shape: &[usize]) -> ArrayD<BigInt> {
    ArrayD::from_shape_fn(IxDyn(shape), |i| {
        BigInt::from(i.slice().iter().sum::<usize>() as i64 % 97 - 48)
    })
}

fn bench(c: &mut Criterion) {
    let x = values(&[784]);
    let w = values(&[784, 10]);
    let b = values(&[10]);
    for vis in [Visibility::Constant, Visibility::Private] {
        c.bench_function(
            &format!("dense 784x10 {vis:?} weights + rescale 2^16"),
            |bench| {
                bench.iter(|| {
                    let cs = ConstraintSystem::<Fr>::new_ref();
                    let xv = alloc_tensor(cs.clone(), &x, Visibility::Private).unwrap();
                    let wv = alloc_tensor(cs.clone(), &w, vis).unwrap();
                    let bv = alloc_tensor(cs.clone(), &b, vis).unwrap();
                    let acc = dense(
                        xv.view().into_dimensionality().unwrap(),
                        wv.view().into_dimensionality().unwrap(),
                        bv.view().into_dimensionality().unwrap(),
                    )
                    .unwrap();
                    rescale_tensor(&acc, 30, &BigUint::from(1u32 << 16)).unwrap();
                    cs.num_constraints()
                })
            },
        );
    }
    let x = values(&[28, 28, 1]);
    let w = values(&[3, 3, 1, 4]);
    let b = values(&[4]);
    c.bench_function(
        "conv2d 28x28x1 3x3x4 constant weights + rescale 2^16",
        |bench| {
            bench.iter(|| {
                let cs = ConstraintSystem::<Fr>::new_ref();
                let xv = alloc_tensor(cs.clone(), &x, Visibility::Private).unwrap();
                let wv = alloc_tensor(cs.clone(), &w, Visibility::Constant).unwrap();
                let bv = alloc_tensor(cs.clone(), &b, Visibility::Constant).unwrap();
                let acc = conv2d(
                    xv.view().into_dimensionality().unwrap(),
                    wv.view().into_dimensionality().unwrap(),
                    bv.view().into_dimensionality().unwrap(),
                    &Conv2dConfig::default(),
                )
                .unwrap();
                rescale_tensor(&acc, 20, &BigUint::from(1u32 << 16)).unwrap();
                cs.num_constraints()
            })
        },
    );
}

/// The crypto gadgets: Poseidon(2), one SHA-256 block, a checked ECDH, encrypting 99 values.
fn crypto(c: &mut Criterion) {
    use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar};
    use arkml::gadgets::crypto::{babyjub, cipher, poseidon, sha256};
    let w = |cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>, v: u64| {
        FpVar::new_witness(cs.clone(), || Ok(Fr::from(v))).unwrap()
    };
    c.bench_function("poseidon 2 inputs", |b| {
        b.iter(|| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let _ = poseidon::poseidon(&[w(&cs, 1), w(&cs, 2)]).unwrap();
            cs.num_constraints()
        })
    });
    c.bench_function("sha-256 of 55 bytes (one block)", |b| {
        b.iter(|| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let bytes: Vec<_> = (0..55).map(|i| w(&cs, i)).collect();
            sha256::sha256_bytes(&bytes).unwrap();
            cs.num_constraints()
        })
    });
    let peer = babyjub::native_public_key(&BigUint::from(77u32));
    c.bench_function("ecdh with subgroup check", |b| {
        b.iter(|| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let p = babyjub::PointVar::new(
                cs.clone(),
                Some(peer),
                arkml_gadgets::tensor::Visibility::Public,
            )
            .unwrap();
            babyjub::ecdh(&w(&cs, 123_456_789), &p).unwrap();
            cs.num_constraints()
        })
    });
    c.bench_function("poseidon cipher of 99 values", |b| {
        b.iter(|| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let msg: Vec<_> = (0..99).map(|i| w(&cs, i)).collect();
            let k = w(&cs, 5);
            cipher::encrypt(&msg, (&k, &k), &w(&cs, 1)).unwrap();
            cs.num_constraints()
        })
    });
}

criterion_group!(benches, bench, crypto);
criterion_main!(benches);
