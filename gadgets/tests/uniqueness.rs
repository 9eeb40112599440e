//! Joint uniqueness: for small instances, the witness of every gadget is the only one
//! consistent with its inputs ([`witness_is_unique`] enumerates the boolean variables
//! together and solves the rest). The one-variable-at-a-time check ([`free_witnesses`]) is
//! weaker: circomlib-ml's rescale, which range-checks the remainder but not the quotient,
//! passes it and is caught here.
mod common;
use common::*;

use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use arkml_gadgets::activation::{cubic, leaky_relu, poly, relu, rescale_relu, ZIGMOID};
use arkml_gadgets::argmax::argmax;
use arkml_gadgets::compare::{is_lt, max};
use arkml_gadgets::layers::{avg_pool2d, dense, max_pool2d, Pool2dConfig};
use arkml_gadgets::range::{enforce_bound, enforce_unsigned};
use arkml_gadgets::rescale::rescale;
use arkml_gadgets::tensor::{alloc_tensor, Visibility};
use arkml_gadgets::testing::{free_witnesses, witness_is_unique};
use ndarray::{Array1, Array2, Array3};
use num_bigint::BigUint;

/// circomlib-ml v2's rescale: `v = q * n + r` with `r` range-checked (its bits) and `q`
/// a free witness.
#[test]
fn catches_circomlib_ml_rescale_which_the_single_variable_check_misses() {
    let cs = cs();
    let v = witness(&cs, &bi(45));
    let n = 8u64;
    let q = FpVar::new_witness(cs.clone(), || Ok(Fr::from(5u64))).unwrap();
    let r = FpVar::new_witness(cs.clone(), || Ok(Fr::from(5u64))).unwrap();
    enforce_unsigned(&r, 3).unwrap();
    (q * Fr::from(n) + r).enforce_equal(&v).unwrap();
    assert!(cs.is_satisfied().unwrap());
    assert!(
        free_witnesses(&cs).is_empty(),
        "the single-variable check passes it"
    );
    let err = witness_is_unique(&cs, 1).unwrap_err();
    assert!(err.contains("two witnesses"), "{err}");
    // arkml's rescale of the same value is unique
    let cs = cs_with(|cs| {
        let v = witness(cs, &bi(45));
        rescale(&v, 7, &BigUint::from(n)).unwrap();
    });
    witness_is_unique(&cs, 1).unwrap();
}

#[test]
fn catches_a_free_variable() {
    let cs = cs();
    let x = witness(&cs, &bi(3));
    let _y = witness(&cs, &bi(9));
    enforce_bound(&x, 3).unwrap();
    let err = witness_is_unique(&cs, 1).unwrap_err();
    assert!(err.contains("not determined"), "{err}");
}

fn cs_with(f: impl FnOnce(&Cs)) -> Cs {
    let cs = cs();
    f(&cs);
    assert!(cs.is_satisfied().unwrap());
    cs
}

/// Every gadget with a handful of inputs (the first witness variables), over a few values
/// each, edges included.
#[test]
fn every_gadget_has_a_unique_witness() {
    let b = 4u32;
    let vals = [-16i64, -9, -1, 0, 1, 7, 15];
    for &v in &vals {
        let one = |f: &dyn Fn(&FpVar<Fr>)| {
            let cs = cs_with(|cs| f(&witness(cs, &bi(v))));
            witness_is_unique(&cs, 1).unwrap_or_else(|e| panic!("value {v}: {e}"));
        };
        one(&|x| {
            enforce_bound(x, b).unwrap();
        });
        one(&|x| {
            let _ = relu(x, b).unwrap();
        });
        one(&|x| {
            rescale(x, b, &BigUint::from(4u32)).unwrap();
        });
        one(&|x| {
            rescale(x, b, &BigUint::from(3u32)).unwrap();
        });
        one(&|x| {
            let _ = rescale_relu(x, b, &BigUint::from(4u32)).unwrap();
        });
        one(&|x| {
            let _ = leaky_relu(x, b, &bi(3), &BigUint::from(8u32)).unwrap();
        });
        one(&|x| {
            poly(x, b, &BigUint::from(4u32)).unwrap();
        });
        one(&|x| {
            cubic(&ZIGMOID, x, b, &BigUint::from(4u32)).unwrap();
        });
        for kernel in [
            arkml_gadgets::activation::Kernel::Sigmoid,
            arkml_gadgets::activation::Kernel::Erf,
            arkml_gadgets::activation::Kernel::SoftplusTail,
            arkml_gadgets::activation::Kernel::ExpMinusOne,
        ] {
            let table =
                arkml_gadgets::activation::SigmoidTable::of(kernel, &BigUint::from(4u32)).unwrap();
            one(&|x| {
                let _ = arkml_gadgets::activation::sigmoid(x, b, &table).unwrap();
            });
        }
        for &w in &[-16i64, 0, 3] {
            let cs = cs_with(|cs| {
                let x = witness(cs, &bi(v));
                let y = witness(cs, &bi(w));
                let _ = max(&x, &y, b + 1).unwrap();
                let _ = is_lt(&x, &y, b + 1).unwrap();
                let _ = arkml_gadgets::activation::product(&x, &y, b, b).unwrap();
            });
            witness_is_unique(&cs, 2).unwrap_or_else(|e| panic!("{v}, {w}: {e}"));
        }
    }
}

#[test]
fn tensor_gadgets_have_a_unique_witness() {
    let b = 3u32;
    // ArgMax over 3 values, ties included
    for xs in [[1i64, 5, 5], [-8, -8, -8], [7, 0, -3], [0, 7, 6]] {
        let cs = cs_with(|cs| {
            let x = Array1::from_vec(xs.iter().map(|v| witness(cs, &bi(*v))).collect());
            let _ = argmax(x.view(), b + 1).unwrap();
        });
        witness_is_unique(&cs, 3).unwrap_or_else(|e| panic!("{xs:?}: {e}"));
    }
    // 2x2 max and average pooling over a 2x2x1 input
    let x = [3i64, -2, 7, 7];
    let cs = cs_with(|cs| {
        let t = Array3::from_shape_vec((2, 2, 1), x.iter().map(|v| witness(cs, &bi(*v))).collect())
            .unwrap();
        max_pool2d(t.view(), b + 1, &Pool2dConfig::new((2, 2))).unwrap();
    });
    witness_is_unique(&cs, 4).unwrap();
    let cs = cs_with(|cs| {
        let t = Array3::from_shape_vec((2, 2, 1), x.iter().map(|v| witness(cs, &bi(*v))).collect())
            .unwrap();
        avg_pool2d(t.view(), b, &Pool2dConfig::new((2, 2))).unwrap();
    });
    witness_is_unique(&cs, 4).unwrap();
    // Dense with private weights: every product solved from its inputs
    let cs = cs_with(|cs| {
        let xv = alloc_tensor(
            cs.clone(),
            &Array1::from_vec(vec![bi(2), bi(-3)]),
            Visibility::Private,
        )
        .unwrap();
        let w = alloc_tensor(
            cs.clone(),
            &Array2::from_shape_vec((2, 2), vec![bi(1), bi(-1), bi(4), bi(2)]).unwrap(),
            Visibility::Private,
        )
        .unwrap();
        let bias = alloc_tensor(
            cs.clone(),
            &Array1::from_vec(vec![bi(0), bi(5)]),
            Visibility::Private,
        )
        .unwrap();
        dense(xv.view(), w.view(), bias.view()).unwrap();
    });
    witness_is_unique(&cs, 8).unwrap();
}

#[test]
fn crypto_gadgets_have_a_unique_witness() {
    use arkml_gadgets::crypto::{babyjub, cipher, commit, poseidon};
    let w = |cs: &Cs, v: u64| FpVar::new_witness(cs.clone(), || Ok(Fr::from(v))).unwrap();
    let cs = cs_with(|cs| {
        let a = w(cs, 1);
        let b = w(cs, 2);
        let _ = poseidon(&[a, b]).unwrap();
    });
    witness_is_unique(&cs, 2).unwrap();
    let cs = cs_with(|cs| {
        let vals: Vec<_> = (0..5).map(|i| w(cs, i * 7 + 1)).collect();
        let salt = w(cs, 99);
        let _ = commit(&vals, &salt).unwrap();
    });
    witness_is_unique(&cs, 6).unwrap();
    let cs = cs_with(|cs| {
        let msg: Vec<_> = (0..4).map(|i| w(cs, i + 10)).collect();
        let (kx, ky) = (w(cs, 3), w(cs, 4));
        let nonce = w(cs, 5);
        cipher::encrypt(&msg, (&kx, &ky), &nonce).unwrap();
    });
    witness_is_unique(&cs, 7).unwrap();
    // a public key: the scalar's 253 bits and the fixed-base ladder
    let cs = cs_with(|cs| {
        let s = w(cs, 123_456_789);
        babyjub::public_key(&s).unwrap();
    });
    witness_is_unique(&cs, 1).unwrap();
}
