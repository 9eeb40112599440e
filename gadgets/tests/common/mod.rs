#![allow(dead_code)]
//! Helpers shared by the gadget tests.

use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
use arkml_gadgets::fixed::{pow2, to_field};
use num_bigint::{BigInt, RandBigInt};
use proptest::prelude::*;

pub type Cs = ConstraintSystemRef<Fr>;

pub fn cs() -> Cs {
    ConstraintSystem::<Fr>::new_ref()
}

pub fn bi(v: i64) -> BigInt {
    BigInt::from(v)
}

pub fn witness(cs: &Cs, v: &BigInt) -> FpVar<Fr> {
    FpVar::new_witness(cs.clone(), || Ok(to_field::<Fr>(v))).unwrap()
}

pub fn input(cs: &Cs, v: &BigInt) -> FpVar<Fr> {
    FpVar::new_input(cs.clone(), || Ok(to_field::<Fr>(v))).unwrap()
}

/// A value in `[-2^b, 2^b)`, biased towards the edges and zero.
pub fn in_bound(b: u32) -> impl Strategy<Value = BigInt> {
    (0u8..8, any::<u64>()).prop_map(move |(kind, seed)| {
        let lo = -pow2(b);
        let hi = pow2(b);
        match kind {
            0 => lo.clone(),
            1 => &hi - 1,
            2 => BigInt::from(0),
            3 => BigInt::from(-1),
            4 => &lo + 1,
            _ => {
                let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
                rng.gen_bigint_range(&lo, &hi)
            }
        }
    })
}

/// A nonzero value in `[-2^b, 2^b)`.
pub fn nonzero_in_bound(b: u32) -> impl Strategy<Value = BigInt> {
    in_bound(b).prop_map(|v| {
        if v == BigInt::from(0) {
            BigInt::from(1)
        } else {
            v
        }
    })
}

/// ZKaggle's conformance folder (`$ARKML_CONFORMANCE_DIR/zkaggle`, else
/// `../shared/conformance/zkaggle`). When missing the test is skipped, except under CI
/// (`CI` set), where it fails.
pub fn zkaggle_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var("ARKML_CONFORMANCE_DIR")
        .unwrap_or_else(|_| format!("{}/../../shared/conformance", env!("CARGO_MANIFEST_DIR")));
    let p = std::path::PathBuf::from(dir).join("zkaggle");
    if p.exists() {
        Some(p)
    } else if std::env::var_os("CI").is_some() {
        panic!(
            "{}: missing (CI must have the conformance data)",
            p.display()
        )
    } else {
        None
    }
}
