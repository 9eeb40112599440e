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

criterion_group!(benches, bench);
criterion_main!(benches);
