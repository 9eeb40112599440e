//! Poseidon and the Poseidon commitment: equal to circomlibjs (vectors written by
//! scripts/vectors/vectors.mjs from the npm packages), pinned constraint counts, and
//! soundness (a wrong digest or a perturbed witness leaves the system unsatisfied).

mod common;

use std::str::FromStr;

use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar, GR1CSVar};
use arkml_gadgets::crypto::commit::commit_cost;
use arkml_gadgets::crypto::poseidon::poseidon_cost;
use arkml_gadgets::crypto::{
    commit, native_commit, native_poseidon, native_poseidon_permutation, poseidon,
    poseidon_permutation,
};
use arkml_gadgets::testing::{assert_all_witnesses_pinned, satisfied};
use common::cs;
use serde_json::Value;

fn vectors(name: &str) -> Value {
    let p = format!("{}/tests/vectors/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn fr(v: &Value) -> Fr {
    Fr::from_str(v.as_str().unwrap()).unwrap()
}

#[test]
fn poseidon_equals_circomlibjs_for_every_width() {
    let v = vectors("poseidon");
    let cases = v.as_array().unwrap();
    assert_eq!(
        cases.len(),
        33,
        "[1, 2] and two random inputs per width 1..16"
    );
    for case in cases {
        let inputs: Vec<Fr> = case["inputs"].as_array().unwrap().iter().map(fr).collect();
        let expected = fr(&case["output"]);
        assert_eq!(
            native_poseidon(&inputs).unwrap(),
            expected,
            "{} inputs",
            inputs.len()
        );
        let cs = cs();
        let vars: Vec<FpVar<Fr>> = inputs
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect();
        let h = poseidon(&vars).unwrap();
        assert_eq!(h.value().unwrap(), expected);
        assert_eq!(cs.num_constraints(), poseidon_cost(inputs.len()).unwrap());
        assert!(cs.is_satisfied().unwrap());
    }
}

#[test]
fn poseidon_counts_are_pinned() {
    assert_eq!(poseidon_cost(1).unwrap(), 3 * (16 + 56) - 3);
    assert_eq!(
        poseidon_cost(2).unwrap(),
        240,
        "circom's Poseidon(2) is 240"
    );
    assert_eq!(poseidon_cost(16).unwrap(), 609);
    // constants cost nothing
    let cs = cs();
    poseidon(&[
        FpVar::Constant(Fr::from(1u64)),
        FpVar::Constant(Fr::from(2u64)),
    ])
    .unwrap();
    assert_eq!(cs.num_constraints(), 0);
}

#[test]
fn a_wrong_digest_or_a_free_witness_is_caught() {
    for n in [1usize, 2, 5] {
        let inputs: Vec<Fr> = (0..n as u64).map(|i| Fr::from(i * 7 + 3)).collect();
        let h = native_poseidon(&inputs).unwrap();
        for claimed in [h, h + Fr::from(1u64)] {
            let cs = cs();
            let vars: Vec<FpVar<Fr>> = inputs
                .iter()
                .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
                .collect();
            let out = FpVar::new_input(cs.clone(), || Ok(claimed)).unwrap();
            poseidon(&vars).unwrap().enforce_equal(&out).unwrap();
            cs.finalize();
            assert_eq!(satisfied(&cs), claimed == h);
        }
    }
    // with the inputs fixed as public, no S-box witness can move
    let cs = cs();
    let vars: Vec<FpVar<Fr>> = (0..2u64)
        .map(|i| FpVar::new_input(cs.clone(), || Ok(Fr::from(i + 1))).unwrap())
        .collect();
    let out = FpVar::new_input(cs.clone(), || {
        Ok(native_poseidon(&[Fr::from(1u64), Fr::from(2u64)]).unwrap())
    })
    .unwrap();
    poseidon(&vars).unwrap().enforce_equal(&out).unwrap();
    cs.finalize();
    assert_all_witnesses_pinned(&cs);
}

#[test]
fn bad_widths_are_typed_errors() {
    assert!(native_poseidon(&[]).is_err());
    assert!(native_poseidon(&[Fr::from(0u64); 17]).is_err());
    assert!(native_poseidon_permutation(&[Fr::from(0u64)]).is_err());
    assert!(native_poseidon_permutation(&[Fr::from(0u64); 18]).is_err());
    assert!(poseidon(&[]).is_err());
    assert!(poseidon_permutation(&vec![FpVar::Constant(Fr::from(0u64)); 18]).is_err());
    assert!(poseidon_cost(0).is_err());
}

#[test]
fn permutation_of_width_four_is_the_ciphers() {
    // the cipher's permutation: the reference permutation on [0, k0, k1, nonce + len 2^128]
    let state = [
        Fr::from(0u64),
        Fr::from(1u64),
        Fr::from(2u64),
        Fr::from(3u64),
    ];
    let native = native_poseidon_permutation(&state).unwrap();
    assert_eq!(native[0], native_poseidon(&state[1..]).unwrap());
    let cs = cs();
    let vars: Vec<FpVar<Fr>> = state
        .iter()
        .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
        .collect();
    let out = poseidon_permutation(&vars).unwrap();
    assert_eq!(out.value().unwrap(), native);
}

#[test]
fn commitment_matches_native_and_binds_every_value() {
    for n in [0usize, 1, 14, 15, 16, 31] {
        let values: Vec<Fr> = (0..n as u64)
            .map(|i| Fr::from(i * 1000 + 17) - Fr::from(500u64))
            .collect();
        let salt = Fr::from(123_456_789u64);
        let c = native_commit(&values, salt);
        let cs = cs();
        let vars: Vec<FpVar<Fr>> = values
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect();
        let s = FpVar::new_witness(cs.clone(), || Ok(salt)).unwrap();
        let out = commit(&vars, &s).unwrap();
        assert_eq!(out.value().unwrap(), c, "n = {n}");
        assert_eq!(cs.num_constraints(), commit_cost(n), "n = {n}");
        // the public commitment pins every value and the salt
        let public = FpVar::new_input(cs.clone(), || Ok(c)).unwrap();
        out.enforce_equal(&public).unwrap();
        assert!(cs.is_satisfied().unwrap());
        // another salt, another value, another length: another commitment
        assert_ne!(native_commit(&values, salt + Fr::from(1u64)), c);
        if n > 0 {
            let mut other = values.clone();
            other[n - 1] += Fr::from(1u64);
            assert_ne!(native_commit(&other, salt), c);
            assert_ne!(native_commit(&values[..n - 1], salt), c);
        }
    }
    assert_eq!(commit_cost(15), 237 + 609);
}
