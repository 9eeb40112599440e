//! Every gadget works in setup mode, where no witness value exists (Groth16's key
//! generation synthesises that way): variables allocated with closures that would fail if
//! called, the same constraints written as with a witness, and the count its `*_cost`
//! function predicts.

use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef, SynthesisError, SynthesisMode};
use arkml_gadgets::activation::*;
use arkml_gadgets::argmax::{argmax, argmax_cost};
use arkml_gadgets::compare::{compare_cost, is_le, is_lt, is_nonnegative, max, max_cost};
use arkml_gadgets::crypto::{babyjub, cipher, commit, poseidon, sha256};
use arkml_gadgets::layers::*;
use arkml_gadgets::range::{
    bound_cost, enforce_bound, enforce_signed, enforce_unsigned, range_cost,
};
use arkml_gadgets::rescale::{rescale, rescale_cost, rescale_within, rescale_within_cost};
use ndarray::{ArrayD, IxDyn};
use num_bigint::{BigInt, BigUint};

type Cs = ConstraintSystemRef<Fr>;

/// A gadget name, its predicted cost and a body that runs it on a system.
type Case = (&'static str, usize, Box<dyn FnOnce(&Cs)>);

fn setup_cs() -> Cs {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    cs
}

/// A variable with no value: its closure fails if anything asks for it.
fn blank(cs: &Cs) -> FpVar<Fr> {
    FpVar::new_witness(cs.clone(), || {
        Err::<Fr, _>(SynthesisError::AssignmentMissing)
    })
    .unwrap()
}

fn d1(a: &ArrayD<FpVar<Fr>>) -> ndarray::ArrayView1<'_, FpVar<Fr>> {
    a.view().into_dimensionality().unwrap()
}

fn blanks(cs: &Cs, shape: &[usize]) -> ArrayD<FpVar<Fr>> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || blank(cs))
}

/// Runs `f` on a fresh setup-mode system and returns its constraint count.
fn setup_count(f: impl FnOnce(&Cs)) -> usize {
    let cs = setup_cs();
    f(&cs);
    assert!(cs.is_in_setup_mode());
    cs.num_constraints()
}

#[test]
fn scalar_gadgets_work_without_a_witness() {
    let n16 = BigUint::from(1u32) << 16;
    let n1000 = BigUint::from(1000u32);
    let cases: Vec<Case> = vec![
        (
            "enforce_unsigned",
            range_cost(32),
            Box::new(|cs| drop(enforce_unsigned(&blank(cs), 32).unwrap())),
        ),
        (
            "enforce_signed",
            range_cost(32),
            Box::new(|cs| drop(enforce_signed(&blank(cs), 32).unwrap())),
        ),
        (
            "enforce_bound",
            bound_cost(40),
            Box::new(|cs| drop(enforce_bound(&blank(cs), 40).unwrap())),
        ),
        (
            "rescale 2^16",
            rescale_cost(64, &n16),
            Box::new({
                let n = n16.clone();
                move |cs| drop(rescale(&blank(cs), 64, &n).unwrap())
            }),
        ),
        (
            "rescale 1000",
            rescale_cost(64, &n1000),
            Box::new({
                let n = n1000.clone();
                move |cs| drop(rescale(&blank(cs), 64, &n).unwrap())
            }),
        ),
        (
            "rescale_within",
            rescale_within_cost(64, &n16, 20),
            Box::new({
                let n = n16.clone();
                move |cs| drop(rescale_within(&blank(cs), 64, &n, 20).unwrap())
            }),
        ),
        (
            "relu",
            relu_cost(40),
            Box::new(|cs| drop(relu(&blank(cs), 40).unwrap())),
        ),
        (
            "rescale_relu",
            rescale_relu_cost(64, &n16),
            Box::new({
                let n = n16.clone();
                move |cs| drop(rescale_relu(&blank(cs), 64, &n).unwrap())
            }),
        ),
        (
            "leaky_relu",
            leaky_relu_cost(40, &BigInt::from(3), &n16),
            Box::new({
                let n = n16.clone();
                move |cs| drop(leaky_relu(&blank(cs), 40, &BigInt::from(3), &n).unwrap())
            }),
        ),
        (
            "poly",
            poly_cost(32, &n1000),
            Box::new({
                let n = n1000.clone();
                move |cs| drop(poly(&blank(cs), 32, &n).unwrap())
            }),
        ),
        (
            "cubic",
            cubic_cost(&ZIGMOID, 19, &n16),
            Box::new({
                let n = n16.clone();
                move |cs| drop(cubic(&ZIGMOID, &blank(cs), 19, &n).unwrap())
            }),
        ),
        (
            "is_lt",
            compare_cost(41),
            Box::new(|cs| drop(is_lt(&blank(cs), &blank(cs), 41).unwrap())),
        ),
        (
            "is_le",
            compare_cost(41),
            Box::new(|cs| drop(is_le(&blank(cs), &blank(cs), 41).unwrap())),
        ),
        (
            "is_nonnegative",
            compare_cost(40),
            Box::new(|cs| drop(is_nonnegative(&blank(cs), 40).unwrap())),
        ),
        (
            "max",
            max_cost(41),
            Box::new(|cs| drop(max(&blank(cs), &blank(cs), 41).unwrap())),
        ),
    ];
    for (name, cost, f) in cases {
        assert_eq!(setup_count(f), cost, "{name}");
    }
}

#[test]
fn layers_work_without_a_witness() {
    let same = Conv2dConfig::new((1, 1), Padding::Same);
    let pool = Pool2dConfig::new((2, 2));
    let cases: Vec<Case> = vec![
        (
            "dense",
            dense_cost(12, 5, true),
            Box::new(move |cs| {
                let (x, w, b) = (blanks(cs, &[12]), blanks(cs, &[12, 5]), blanks(cs, &[5]));
                drop(dense(d1(&x), w.view().into_dimensionality().unwrap(), d1(&b)).unwrap())
            }),
        ),
        (
            "conv2d",
            conv2d_cost((6, 6, 2), (3, 3), 3, &same, true),
            Box::new(move |cs| {
                let (x, w, b) = (
                    blanks(cs, &[6, 6, 2]),
                    blanks(cs, &[3, 3, 2, 3]),
                    blanks(cs, &[3]),
                );
                let y = conv2d(
                    x.view().into_dimensionality().unwrap(),
                    w.view().into_dimensionality().unwrap(),
                    d1(&b),
                    &same,
                );
                drop(y.unwrap())
            }),
        ),
        (
            "depthwise_conv2d",
            depthwise_conv2d_cost((6, 6, 2), (3, 3), 2, &same, true),
            Box::new(move |cs| {
                let (x, w, b) = (
                    blanks(cs, &[6, 6, 2]),
                    blanks(cs, &[3, 3, 2, 2]),
                    blanks(cs, &[4]),
                );
                let y = depthwise_conv2d(
                    x.view().into_dimensionality().unwrap(),
                    w.view().into_dimensionality().unwrap(),
                    d1(&b),
                    &same,
                );
                drop(y.unwrap())
            }),
        ),
        (
            "batch_norm",
            batch_norm_cost(72, true),
            Box::new(move |cs| {
                let (x, a, b) = (blanks(cs, &[6, 6, 2]), blanks(cs, &[2]), blanks(cs, &[2]));
                drop(batch_norm(x.view(), d1(&a), d1(&b)).unwrap())
            }),
        ),
        (
            "avg_pool2d",
            avg_pool2d_cost((6, 6, 2), 20, &pool),
            Box::new(move |cs| {
                let x = blanks(cs, &[6, 6, 2]);
                drop(avg_pool2d(x.view().into_dimensionality().unwrap(), 20, &pool).unwrap())
            }),
        ),
        (
            "global_avg_pool2d",
            global_avg_pool2d_cost((6, 6, 2), 20),
            Box::new(|cs| {
                let x = blanks(cs, &[6, 6, 2]);
                drop(global_avg_pool2d(x.view().into_dimensionality().unwrap(), 20).unwrap())
            }),
        ),
        (
            "max_pool2d",
            max_pool2d_cost((6, 6, 2), 21, &pool),
            Box::new(move |cs| {
                let x = blanks(cs, &[6, 6, 2]);
                drop(max_pool2d(x.view().into_dimensionality().unwrap(), 21, &pool).unwrap())
            }),
        ),
        (
            "argmax",
            argmax_cost(10, 21),
            Box::new(|cs| {
                let x = blanks(cs, &[10]);
                drop(argmax(x.view().into_dimensionality().unwrap(), 21).unwrap())
            }),
        ),
        (
            "relu_tensor",
            72 * relu_cost(20),
            Box::new(|cs| drop(relu_tensor(&blanks(cs, &[6, 6, 2]), 20).unwrap())),
        ),
    ];
    for (name, cost, f) in cases {
        assert_eq!(setup_count(f), cost, "{name}");
    }
}

#[test]
fn crypto_works_without_a_witness() {
    let cases: Vec<Case> = vec![
        (
            "poseidon",
            poseidon::poseidon_cost(5),
            Box::new(|cs| {
                let xs: Vec<_> = (0..5).map(|_| blank(cs)).collect();
                drop(poseidon::poseidon(&xs).unwrap())
            }),
        ),
        (
            "commit",
            commit::commit_cost(40),
            Box::new(|cs| {
                let xs: Vec<_> = (0..40).map(|_| blank(cs)).collect();
                drop(commit::commit(&xs, &blank(cs)).unwrap())
            }),
        ),
        (
            "encrypt",
            cipher::encrypt_cost(7),
            Box::new(|cs| {
                let xs: Vec<_> = (0..7).map(|_| blank(cs)).collect();
                let (k0, k1, nonce) = (blank(cs), blank(cs), blank(cs));
                drop(cipher::encrypt(&xs, (&k0, &k1), &nonce).unwrap())
            }),
        ),
        (
            "sha256_bytes",
            sha256::sha256_bytes_cost(20),
            Box::new(|cs| {
                let xs: Vec<_> = (0..20).map(|_| blank(cs)).collect();
                drop(sha256::sha256_bytes(&xs).unwrap())
            }),
        ),
        (
            "public_key",
            babyjub::public_key_cost(),
            Box::new(|cs| drop(babyjub::public_key(&blank(cs)).unwrap())),
        ),
        (
            "ecdh",
            babyjub::ecdh_cost(),
            Box::new(|cs| {
                let p = babyjub::PointVar::new(
                    cs.clone(),
                    None,
                    arkml_gadgets::tensor::Visibility::Private,
                )
                .unwrap();
                drop(babyjub::ecdh(&blank(cs), &p).unwrap())
            }),
        ),
    ];
    for (name, cost, f) in cases {
        assert_eq!(setup_count(f), cost, "{name}");
    }
}
