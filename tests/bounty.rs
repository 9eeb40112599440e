//! The bounty circuit on a small private model and small PGM files: an honest proof
//! verifies; a wrong label count, a file that does not match its CID, swapped images, a
//! model other than the committed one each fail.

use arkml::model::ops;
use std::sync::Arc;

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::bounty::{Bounty, BountyError, Pgm};
use arkml::groth16::{prove, setup, verify};
use arkml::model::{Layer, Model, WeightSpec};
use arkml_gadgets::crypto::sha256::cid_v1_raw;
use arkml_gadgets::tensor::Visibility;
use ndarray::{Array1, Array2};
use num_bigint::{BigInt, BigUint};

fn model(shift: i64) -> Model {
    Model {
        graph: Default::default(),
        input_shape: vec![4, 4, 1],
        input_bound: 8,
        input_visibility: Visibility::Private,
        layers: vec![
            Layer::Flatten(ops::Flatten),
            Layer::Dense(ops::Dense {
                w: Array2::from_shape_fn((16, 3), |(i, o)| {
                    BigInt::from(((i as i64 * 37 + o as i64 * 101 + shift) % 255) - 127)
                }),
                b: Array1::from_elem(3, BigInt::from(0)),
            }),
            Layer::Rescale(ops::Rescale(BigUint::from(256u32))),
            Layer::ArgMax(ops::ArgMax),
        ],
        weights: WeightSpec {
            visibility: Visibility::Private,
            weight_bits: 8,
            bias_bits: 16,
        },
        scale: None,
    }
}

fn pgm(seed: u8) -> Vec<u8> {
    let mut f = b"P5\n4 4\n255\n".to_vec();
    f.extend((0..16u8).map(|i| i.wrapping_mul(53).wrapping_add(seed.wrapping_mul(91))));
    f
}

fn files() -> Vec<Vec<u8>> {
    (0..3).map(pgm).collect()
}

fn cids(files: &[Vec<u8>]) -> Vec<String> {
    files.iter().map(|f| cid_v1_raw(f)).collect()
}

/// The model's own predictions, with the last one mislabelled: 2 of 3 correct.
fn labels(m: &Model) -> Vec<u64> {
    let mut p = arkml::bounty::predictions(m, &files()).unwrap();
    p[2] = (p[2] + 1) % 3;
    p
}

fn bounty(threshold: u64) -> Bounty {
    let m = model(0);
    let l = labels(&m);
    Bounty::new(
        Arc::new(m),
        files(),
        &cids(&files()),
        l,
        threshold,
        Fr::from(99u64),
    )
    .unwrap()
}

fn satisfied(b: Bounty) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    match b.generate_constraints(cs.clone()) {
        Ok(()) => cs.is_satisfied().unwrap(),
        Err(_) => false,
    }
}

#[test]
fn honest_bounty_proves_and_verifies() {
    let b = bounty(2);
    assert_eq!(b.correct().unwrap(), 2);
    let cs = ConstraintSystem::<Fr>::new_ref();
    b.clone().generate_constraints(cs.clone()).unwrap();
    assert!(cs.is_satisfied().unwrap());
    println!("3 files of 27 bytes: {} constraints", cs.num_constraints());
    let mut rng = StdRng::seed_from_u64(3);
    let pk = setup(b.clone(), &mut rng).unwrap();
    let proof = prove(&pk, b.clone(), &mut rng).unwrap();
    let public = b.public_inputs();
    assert!(verify(&pk.vk, &public, &proof).unwrap());
    // the verifier's statement with another threshold, label or commitment fails
    for i in [6usize, 9, 10] {
        let mut bad = public.clone();
        bad[i] += Fr::from(1u64);
        assert!(!verify(&pk.vk, &bad, &proof).unwrap(), "public input {i}");
    }
}

#[test]
fn lies_leave_the_circuit_unsatisfied() {
    // the threshold above the true count: refused natively, unsatisfiable in circuit
    assert!(matches!(
        Bounty::new(
            Arc::new(model(0)),
            files(),
            &cids(&files()),
            labels(&model(0)),
            3,
            Fr::from(99u64)
        ),
        Err(BountyError::Statement(_))
    ));
    let mut b = bounty(2);
    b.threshold = 3;
    assert!(!satisfied(b));
    // a file whose bytes do not match its CID
    let mut b = bounty(2);
    b.files[1][12] ^= 1;
    assert!(!satisfied(b));
    // swapped images (the digests stay in order)
    let mut b = bounty(2);
    b.files.swap(0, 1);
    assert!(!satisfied(b));
    // a model other than the committed one: the commitment is the honest model's
    let honest = bounty(2);
    let commitment = honest.commitment();
    let mut b = honest.clone();
    b.model = Arc::new(model(5));
    b.threshold = 0;
    assert_ne!(b.commitment(), commitment);
    let cs = ConstraintSystem::<Fr>::new_ref();
    b.clone().generate_constraints(cs.clone()).unwrap();
    assert!(
        cs.is_satisfied().unwrap(),
        "consistent with its own commitment"
    );
    // ...but its public inputs carry another commitment, so the honest statement's verifier
    // (which holds `commitment`) rejects a proof of it
    let mut rng = StdRng::seed_from_u64(4);
    let pk = setup(honest.clone(), &mut rng).unwrap();
    let proof = prove(&pk, b.clone(), &mut rng).unwrap();
    let mut claimed = b.public_inputs();
    assert!(verify(&pk.vk, &claimed, &proof).unwrap());
    *claimed.last_mut().unwrap() = commitment;
    assert!(!verify(&pk.vk, &claimed, &proof).unwrap());
}

#[test]
fn bad_files_are_typed_errors() {
    assert!(Pgm::parse(b"P6\n4 4\n255\n").is_err());
    assert!(Pgm::parse(b"P5\n4 4\n65535\n").is_err());
    assert!(Pgm::parse(b"P5\n4 4\n255\n\x01").is_err());
    assert_eq!(
        Pgm::parse(&pgm(0)).unwrap(),
        Pgm {
            offset: 11,
            width: 4,
            height: 4
        }
    );
    let m = Arc::new(model(0));
    let l = labels(&model(0));
    let mut wrong = cids(&files());
    wrong.swap(0, 1);
    assert!(matches!(
        Bounty::new(m.clone(), files(), &wrong, l.clone(), 0, Fr::from(1u64)),
        Err(BountyError::File { index: 0, .. })
    ));
    let mut public = model(0);
    public.weights.visibility = Visibility::Public;
    assert!(Bounty::new(
        Arc::new(public),
        files(),
        &cids(&files()),
        l,
        0,
        Fr::from(1u64)
    )
    .is_err());
}

/// Predictions without a statement equal the statement's own, and a file of the wrong size
/// is a typed error naming it.
#[test]
fn predictions_need_no_bounty() {
    let b = bounty(2);
    let free = arkml::bounty::predictions(&b.model, &b.files).unwrap();
    assert_eq!(free, b.predictions().unwrap());
    assert_eq!(b.correct().unwrap(), 2);
    let mut bad = files();
    bad[1] = b"P5\n2 2\n255\n\x01\x02\x03\x04".to_vec();
    assert!(matches!(
        arkml::bounty::predictions(&b.model, &bad),
        Err(BountyError::File { index: 1, .. })
    ));
}

/// circomlib-ml weight files that are incomplete or malformed are typed errors.
#[test]
fn circomlib_ml_weights_are_checked() {
    use arkml::circomlib_ml::{mnist, VectorError};
    let v = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    assert!(matches!(mnist(&v("{}")), Err(VectorError::Missing(k)) if k == "conv2d_1_weights"));
    let ragged = v(r#"{"conv2d_1_weights": [[1, 2], [3]]}"#);
    assert!(matches!(mnist(&ragged), Err(VectorError::Shape { .. })));
    let text = v(r#"{"conv2d_1_weights": [[["x"]]]}"#);
    assert!(matches!(mnist(&text), Err(VectorError::NotInteger { .. })));
    let flat = v(r#"{"conv2d_1_weights": [1, 2]}"#);
    assert!(matches!(mnist(&flat), Err(VectorError::Shape { .. })));
}
