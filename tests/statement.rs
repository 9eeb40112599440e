//! Attack tests on the statement: a verifier that knows what it expects (the model, the
//! input, the weight commitment) rejects a proof about anything else, through the library
//! and through the CLI. The attack of issue 13: setup with the honest model, prove with a
//! tampered one (same architecture, one bias changed) so the proof claims a class the
//! honest model never outputs.

use arkml::model::ops;
use std::sync::Arc;

mod cli;
use cli::{arkml, tmp};

use ark_bn254::Fr;
use ark_ec::AffineRepr;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::circuit::{CircuitError, Expectation, ModelCircuit, Part, Role, StatementError};
use arkml::file::{self, TensorFile};
use arkml::groth16::{circuit_fingerprint, verify, ProveError};
use arkml::model::{Layer, Model, WeightSpec};
use arkml_gadgets::tensor::Visibility;
use ndarray::{Array1, Array2, ArrayD, IxDyn};
use num_bigint::BigInt;

/// Dense(3 -> 3) -> ArgMax. The honest bias makes class 0 win for every input in bounds;
/// the tampered one makes class 2 win.
fn model(vis: Visibility, tampered: bool) -> Model {
    let w = Array2::from_shape_fn((3, 3), |(i, j)| BigInt::from((i + 2 * j) as i64 % 3 - 1));
    let mut b = Array1::from_vec(vec![BigInt::from(1000), BigInt::from(0), BigInt::from(0)]);
    if tampered {
        b[2] = BigInt::from(5000);
    }
    Model {
        graph: Default::default(),
        input_shape: vec![3],
        input_bound: 6,
        input_visibility: Visibility::Private,
        layers: vec![
            Layer::Dense(ops::Dense { w, b }),
            Layer::ArgMax(ops::ArgMax),
        ],
        weights: WeightSpec {
            visibility: vis,
            weight_bits: 14,
            bias_bits: 14,
        },
        scale: None,
    }
}

fn input() -> ArrayD<BigInt> {
    ArrayD::from_shape_vec(IxDyn(&[3]), vec![5.into(), (-3).into(), 7.into()]).unwrap()
}

fn class(m: &Model) -> BigInt {
    m.infer(&input())
        .unwrap()
        .last()
        .unwrap()
        .out
        .iter()
        .next()
        .unwrap()
        .clone()
}

#[test]
fn the_attack_changes_the_class() {
    for vis in [
        Visibility::Constant,
        Visibility::Private,
        Visibility::Public,
    ] {
        assert_eq!(class(&model(vis, false)), 0.into());
        assert_eq!(class(&model(vis, true)), 2.into());
    }
}

#[test]
fn library_private_weights_tampered_model_is_rejected() {
    let mut rng = StdRng::seed_from_u64(1);
    let honest = Arc::new(model(Visibility::Private, false));
    let salt = Fr::from(424242u64);
    let c = ModelCircuit::new(honest.clone(), input())
        .unwrap()
        .with_commitment(salt);
    let pk = c.setup(&mut rng).unwrap();
    let expected_commitment = c.weight_commitment().unwrap();
    let expect = Expectation::default().with_commitment(expected_commitment);
    // the honest proof verifies against what the verifier expects
    let proof = c.prove(&pk, &mut rng).unwrap();
    let public = expect
        .public_inputs(&c.layout(), &c.public_inputs())
        .unwrap();
    assert!(verify(&pk.vk, &public, &proof).unwrap());
    // the tampered model proves with the same key (same architecture) and any salt
    let bad = ModelCircuit::new(Arc::new(model(Visibility::Private, true)), input())
        .unwrap()
        .with_commitment(salt);
    let bad_proof = bad.prove(&pk, &mut rng).unwrap();
    let claimed = bad.public_inputs();
    assert_eq!(claimed[0], Fr::from(2u64), "the lie claims class 2");
    // the verifier's own commitment: the claimed one differs, and is named
    let err = expect.public_inputs(&bad.layout(), &claimed).unwrap_err();
    assert!(
        matches!(
            err,
            StatementError::Differs {
                role: Role::Commitment,
                ..
            }
        ),
        "{err}"
    );
    // and with the expected commitment in place, the proof does not verify
    let mut forced = claimed.clone();
    forced[1] = expected_commitment;
    assert!(!verify(&pk.vk, &forced, &bad_proof).unwrap());
    // without any commitment the statement is refused, unless opted into by name
    let unbound = ModelCircuit::new(honest.clone(), input()).unwrap();
    assert!(matches!(
        unbound.setup(&mut rng),
        Err(CircuitError::Statement(StatementError::UnboundWeights))
    ));
    assert!(matches!(
        unbound.prove(&pk, &mut rng),
        Err(CircuitError::Statement(StatementError::UnboundWeights))
    ));
    assert!(arkml::groth16::check(unbound.clone()).is_err());
    assert!(unbound.allow_unbound_weights().check_statement().is_ok());
    // a verifier that gives no commitment is told what is missing
    let err = Expectation::default()
        .public_inputs(&c.layout(), &c.public_inputs())
        .unwrap_err();
    assert!(
        matches!(
            err,
            StatementError::Missing {
                role: Role::Commitment,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn library_public_weights_tampered_model_is_rejected() {
    let mut rng = StdRng::seed_from_u64(2);
    let honest = Arc::new(model(Visibility::Public, false));
    let c = ModelCircuit::new(honest.clone(), input()).unwrap();
    assert!(
        c.check_statement().is_ok(),
        "public weights are bound by the verifier"
    );
    let pk = c.setup(&mut rng).unwrap();
    let expect = Expectation::for_model(&honest);
    let bad = ModelCircuit::new(Arc::new(model(Visibility::Public, true)), input()).unwrap();
    let bad_proof = bad.prove(&pk, &mut rng).unwrap();
    // it verifies only against the prover's own weights
    assert!(verify(&pk.vk, &bad.public_inputs(), &bad_proof).unwrap());
    let err = expect
        .public_inputs(&bad.layout(), &bad.public_inputs())
        .unwrap_err();
    assert!(
        matches!(
            err,
            StatementError::Differs {
                role: Role::Weight,
                ..
            }
        ),
        "{err}"
    );
    // the verifier's public inputs (honest weights, the claimed output) reject it
    let layout = c.layout();
    let mut forced = honest.weight_values();
    forced.insert(0, Fr::from(2u64));
    assert_eq!(forced.len(), arkml::circuit::layout_len(&layout).unwrap());
    assert!(!verify(&pk.vk, &forced, &bad_proof).unwrap());
    // without the model, the verifier is told to give it
    assert!(matches!(
        Expectation::default().public_inputs(&layout, &bad.public_inputs()),
        Err(StatementError::Missing {
            role: Role::Weight,
            ..
        })
    ));
}

#[test]
fn public_input_lists_of_another_length_are_refused() {
    let layout = [Part {
        role: Role::Output,
        count: 1,
    }];
    let e = Expectation::default();
    assert!(e.public_inputs(&layout, &[Fr::from(7u64)]).is_ok());
    for bad in [vec![Fr::from(7u64), Fr::from(123u64)], vec![]] {
        assert!(matches!(
            e.public_inputs(&layout, &bad),
            Err(StatementError::Count { expected: 1, .. })
        ));
    }
}

#[test]
fn keys_are_tied_to_their_circuit() {
    let mut rng = StdRng::seed_from_u64(3);
    let a = ModelCircuit::new(Arc::new(model(Visibility::Constant, false)), input()).unwrap();
    let b = ModelCircuit::new(Arc::new(model(Visibility::Constant, true)), input()).unwrap();
    let fa = circuit_fingerprint(a.clone()).unwrap();
    let fb = circuit_fingerprint(b.clone()).unwrap();
    // constant weights are part of the circuit: another bias is another circuit
    assert_ne!(fa.fingerprint, fb.fingerprint);
    // setup-mode and prove-mode synthesis agree
    assert_eq!(a.synthesize().unwrap().info(), fa);
    assert_eq!(a.info().unwrap(), fa);
    // the input does not change the circuit
    let mut x = input();
    x[0] = BigInt::from(-60);
    let a2 = ModelCircuit::new(a.model.clone(), x).unwrap();
    assert_eq!(circuit_fingerprint(a2).unwrap(), fa);
    let pk_b = b.setup(&mut rng).unwrap();
    assert!(matches!(
        a.prove_for(&pk_b, &fb.fingerprint, &mut rng),
        Err(CircuitError::Prove(ProveError::WrongKey(_)))
    ));
    // a key of another size is refused before proving, even without a fingerprint
    let other = ModelCircuit::new(Arc::new(model(Visibility::Public, false)), input()).unwrap();
    assert!(matches!(
        other.prove(&pk_b, &mut rng),
        Err(CircuitError::Prove(ProveError::WrongKey(_)))
    ));
}

#[test]
fn cli_private_weights_attack_is_rejected() {
    let dir = tmp("private");
    let p = |n: &str| dir.join(n).display().to_string();
    file::save_model(&dir.join("honest.json"), &model(Visibility::Private, false)).unwrap();
    file::save_model(
        &dir.join("tampered.json"),
        &model(Visibility::Private, true),
    )
    .unwrap();
    std::fs::write(
        p("x.json"),
        serde_json::to_string(&TensorFile::from_array(&input())).unwrap(),
    )
    .unwrap();
    let (ok, _, err) = arkml(&[
        "setup",
        &p("honest.json"),
        "--pk",
        &p("pk"),
        "--vk",
        &p("vk"),
    ]);
    assert!(ok, "{err}");
    let (ok, commitment, err) = arkml(&[
        "commit",
        &p("honest.json"),
        "--salt",
        &p("salt.json"),
        "-o",
        &p("c.json"),
    ]);
    assert!(ok, "{err}");
    let commitment = commitment.trim().to_string();
    // private weights without a salt: refused
    let (ok, _, err) = arkml(&[
        "prove",
        &p("honest.json"),
        &p("x.json"),
        "--pk",
        &p("pk"),
        "-o",
        &p("proof"),
    ]);
    assert!(!ok && err.contains("--salt"), "{err}");
    // the honest proof verifies against the published commitment, and says the class
    let (ok, out, err) = arkml(&[
        "prove",
        &p("honest.json"),
        &p("x.json"),
        "--pk",
        &p("pk"),
        "--salt",
        &p("salt.json"),
        "-o",
        &p("proof"),
    ]);
    assert!(ok && out.contains("class: 0"), "{out}{err}");
    let (ok, out, err) = arkml(&[
        "verify",
        "--vk",
        &p("vk"),
        &p("proof"),
        "--commitment",
        &commitment,
    ]);
    assert!(
        ok && out.contains("valid") && out.contains("0"),
        "{out}{err}"
    );
    let (ok, out, err) = arkml(&[
        "verify",
        "--vk",
        &p("vk"),
        &p("proof"),
        "--commitment",
        &p("c.json"),
        "--model",
        &p("honest.json"),
    ]);
    assert!(ok && out.contains("class: 0"), "{out}{err}");
    // the attack: the tampered model, proven with the honest key (its own salt or the owner's)
    let (ok, out, err) = arkml(&[
        "prove",
        &p("tampered.json"),
        &p("x.json"),
        "--pk",
        &p("pk"),
        "--salt",
        &p("salt.json"),
        "-o",
        &p("bad"),
    ]);
    assert!(ok && out.contains("class: 2"), "{out}{err}");
    let (ok, out, err) = arkml(&[
        "verify",
        "--vk",
        &p("vk"),
        &p("bad"),
        "--commitment",
        &commitment,
    ]);
    assert!(
        !ok && !out.contains("valid\n") && err.contains("commitment"),
        "{out}{err}"
    );
    // a forged public file with the honest commitment does not verify either
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p("bad.public.json")).unwrap()).unwrap();
    assert_eq!(v["public"][1]["role"], "commitment");
    v["public"][1]["value"] = commitment.clone().into();
    std::fs::write(p("bad.public.json"), v.to_string()).unwrap();
    let (ok, out, _) = arkml(&[
        "verify",
        "--vk",
        &p("vk"),
        &p("bad"),
        "--commitment",
        &commitment,
    ]);
    assert!(!ok && out.contains("INVALID"), "{out}");
    // a verifier that gives no commitment is told to
    let (ok, _, err) = arkml(&["verify", "--vk", &p("vk"), &p("proof")]);
    assert!(!ok && err.contains("commitment"), "{err}");
    // public lists of another length: refused
    for bad in [r#"["7","123","5"]"#, "[]", r#"["0"]"#] {
        std::fs::write(p("short.json"), bad).unwrap();
        let (ok, _, err) = arkml(&[
            "verify",
            "--vk",
            &p("vk"),
            &p("proof"),
            "--public",
            &p("short.json"),
            "--commitment",
            &commitment,
        ]);
        assert!(!ok && err.contains("public inputs"), "{bad}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_public_weights_attack_is_rejected() {
    let dir = tmp("public");
    let p = |n: &str| dir.join(n).display().to_string();
    file::save_model(&dir.join("honest.json"), &model(Visibility::Public, false)).unwrap();
    file::save_model(&dir.join("tampered.json"), &model(Visibility::Public, true)).unwrap();
    std::fs::write(
        p("x.json"),
        serde_json::to_string(&TensorFile::from_array(&input())).unwrap(),
    )
    .unwrap();
    assert!(
        arkml(&[
            "setup",
            &p("honest.json"),
            "--pk",
            &p("pk"),
            "--vk",
            &p("vk")
        ])
        .0
    );
    let (ok, _, err) = arkml(&[
        "prove",
        &p("tampered.json"),
        &p("x.json"),
        "--pk",
        &p("pk"),
        "-o",
        &p("bad"),
    ]);
    assert!(ok, "{err}");
    // the verifier recomputes the public weights from the honest model
    let (ok, out, err) = arkml(&[
        "verify",
        "--vk",
        &p("vk"),
        &p("bad"),
        "--model",
        &p("honest.json"),
    ]);
    assert!(!ok && err.contains("weight"), "{out}{err}");
    // and will not verify without knowing which model to expect
    let (ok, _, err) = arkml(&["verify", "--vk", &p("vk"), &p("bad")]);
    assert!(!ok && err.contains("weight"), "{err}");
    // the honest proof passes
    assert!(
        arkml(&[
            "prove",
            &p("honest.json"),
            &p("x.json"),
            "--pk",
            &p("pk"),
            "-o",
            &p("good")
        ])
        .0
    );
    let (ok, out, err) = arkml(&[
        "verify",
        "--vk",
        &p("vk"),
        &p("good"),
        "--model",
        &p("honest.json"),
    ]);
    assert!(ok && out.contains("class: 0"), "{out}{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_keys_for_another_circuit_are_refused() {
    let dir = tmp("keys");
    let p = |n: &str| dir.join(n).display().to_string();
    file::save_model(&dir.join("a.json"), &model(Visibility::Constant, false)).unwrap();
    file::save_model(&dir.join("b.json"), &model(Visibility::Constant, true)).unwrap();
    std::fs::write(
        p("x.json"),
        serde_json::to_string(&TensorFile::from_array(&input())).unwrap(),
    )
    .unwrap();
    assert!(arkml(&["setup", &p("a.json"), "--pk", &p("pka"), "--vk", &p("vka")]).0);
    assert!(arkml(&["setup", &p("b.json"), "--pk", &p("pkb"), "--vk", &p("vkb")]).0);
    // proving a with b's key: a typed error before any proving work
    let (ok, _, err) = arkml(&[
        "prove",
        &p("a.json"),
        &p("x.json"),
        "--pk",
        &p("pkb"),
        "-o",
        &p("proof"),
    ]);
    assert!(!ok && err.contains("another circuit"), "{err}");
    assert!(
        arkml(&[
            "prove",
            &p("a.json"),
            &p("x.json"),
            "--pk",
            &p("pka"),
            "-o",
            &p("proof")
        ])
        .0
    );
    // verifying against a model whose circuit is not the key's
    let (ok, _, err) = arkml(&[
        "verify",
        "--vk",
        &p("vkb"),
        &p("proof"),
        "--model",
        &p("b.json"),
    ]);
    assert!(!ok, "{err}");
    let (ok, _, err) = arkml(&[
        "verify",
        "--vk",
        &p("vka"),
        &p("proof"),
        "--model",
        &p("b.json"),
    ]);
    assert!(!ok && err.contains("another circuit"), "{err}");
    let (ok, out, err) = arkml(&[
        "verify",
        "--vk",
        &p("vka"),
        &p("proof"),
        "--model",
        &p("a.json"),
    ]);
    assert!(ok && out.contains("class: 0"), "{out}{err}");
    // a proving key given as a verifying key, and a headerless key file
    let (ok, _, err) = arkml(&["verify", "--vk", &p("pka"), &p("proof")]);
    assert!(!ok && err.contains("other kind of key"), "{err}");
    std::fs::write(p("old"), [0u8; 64]).unwrap();
    let (ok, _, err) = arkml(&["verify", "--vk", &p("old"), &p("proof")]);
    assert!(!ok && err.contains("header"), "{err}");
    // a corrupted proving key is caught by its checksum
    let mut pk = std::fs::read(p("pka")).unwrap();
    let n = pk.len();
    pk[n - 100] ^= 1;
    std::fs::write(p("pka"), &pk).unwrap();
    let (ok, _, err) = arkml(&[
        "prove",
        &p("a.json"),
        &p("x.json"),
        "--pk",
        &p("pka"),
        "-o",
        &p("proof2"),
    ]);
    assert!(!ok && err.contains("checksum"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn strict_decimals_in_public_files() {
    for bad in ["+1_0", " 1", "1 ", "-1", "0x10", "", "1e3", "１"] {
        assert!(file::parse_field_decimal(bad).is_err(), "{bad:?}");
    }
    assert_eq!(file::parse_field_decimal("10").unwrap(), Fr::from(10u64));
}

/// Groth16 proofs are malleable: `(-A, -B, C)` verifies for the same statement. A proof is
/// not a unique identifier of a statement (docs/statement.md says so).
#[test]
fn groth16_proofs_are_malleable() {
    let mut rng = StdRng::seed_from_u64(8);
    let c = ModelCircuit::new(Arc::new(model(Visibility::Constant, false)), input()).unwrap();
    let pk = c.setup(&mut rng).unwrap();
    let proof = c.prove(&pk, &mut rng).unwrap();
    let twin = ark_groth16::Proof::<ark_bn254::Bn254> {
        a: (-proof.a.into_group()).into(),
        b: (-proof.b.into_group()).into(),
        c: proof.c,
    };
    assert_ne!(twin, proof);
    assert!(verify(&pk.vk, &c.public_inputs(), &twin).unwrap());
}

/// `prove` from a key file reads the key as it goes: the proof verifies (with and without
/// re-validating the points, and from a compressed key written elsewhere); a corrupted,
/// truncated or extended file, or a key for another circuit, is an error and never a proof.
#[test]
fn proving_from_a_key_file_streams_and_checks_it() {
    let mut rng = StdRng::seed_from_u64(9);
    let c = ModelCircuit::new(Arc::new(model(Visibility::Private, false)), input())
        .unwrap()
        .with_commitment(Fr::from(7u64));
    let pk = c.setup(&mut rng).unwrap();
    let meta = file::KeyMeta::new(&c.info().unwrap(), c.layout());
    let dir = tmp("stream-key");
    let path = dir.join("pk");
    file::save_proving_key(&path, &pk, &meta).unwrap();
    let prove = |p: &std::path::Path, rng: &mut StdRng, validate: bool| {
        file::prove_with_key_file(p, c.evaluate().unwrap(), validate, rng)
    };
    for validate in [false, true] {
        let proof = prove(&path, &mut rng, validate).unwrap();
        assert!(verify(&pk.vk, &c.public_inputs(), &proof).unwrap());
    }
    // the same key, compressed (the header's form for keys written by other tools)
    let bytes = std::fs::read(&path).unwrap();
    let n = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let mut head: serde_json::Value = serde_json::from_slice(&bytes[12..12 + n]).unwrap();
    head["encoding"] = "compressed".into();
    head.as_object_mut().unwrap().remove("checksum");
    let head = serde_json::to_vec(&head).unwrap();
    let mut compressed = bytes[..8].to_vec();
    compressed.extend((head.len() as u32).to_le_bytes());
    compressed.extend(&head);
    ark_serialize::CanonicalSerialize::serialize_compressed(&pk, &mut compressed).unwrap();
    let other = dir.join("pk-compressed");
    std::fs::write(&other, &compressed).unwrap();
    let proof = prove(&other, &mut rng, false).unwrap();
    assert!(verify(&pk.vk, &c.public_inputs(), &proof).unwrap());
    // damaged files
    let mut flipped = bytes.clone();
    let len = flipped.len();
    flipped[len - 100] ^= 1;
    let mut longer = bytes.clone();
    longer.push(0);
    for (what, damaged, needle) in [
        ("a flipped bit", flipped, "checksum"),
        ("a truncated file", bytes[..len - 1].to_vec(), "proving key"),
        ("a trailing byte", longer, "trailing"),
    ] {
        std::fs::write(&other, &damaged).unwrap();
        let err = prove(&other, &mut rng, false).unwrap_err().to_string();
        assert!(err.contains(needle), "{what}: {err}");
    }
    // the key of a circuit with other public inputs
    let c2 = ModelCircuit::new(Arc::new(model(Visibility::Public, false)), input()).unwrap();
    let pk2 = c2.setup(&mut rng).unwrap();
    file::save_proving_key(
        &other,
        &pk2,
        &file::KeyMeta::new(&c2.info().unwrap(), c2.layout()),
    )
    .unwrap();
    let err = prove(&other, &mut rng, false).unwrap_err();
    assert!(
        matches!(err, file::FileError::Prove(ProveError::WrongKey(_))),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- The verifier refuses what it cannot check (the library's `arkml::verify`, and the
// ---- CLI's `verify`, which only parses arguments and calls it) ----

use arkml::file::PublicEntry;
use arkml::verify::{self as verifier, Expected, Layout, VerifierKey, VerifyError};

/// The prover's file as entries: with the roles of `layout` (arkml's v2 public file), with
/// every role "output" (a lying file), or bare (snarkjs' public.json).
fn entries(values: &[Fr], roles: Option<&[Part]>, all_output: bool) -> Vec<PublicEntry> {
    values
        .iter()
        .enumerate()
        .map(|(i, &value)| PublicEntry {
            role: if all_output {
                Some(Role::Output)
            } else {
                roles.map(|l| arkml::circuit::role_at(l, i).unwrap())
            },
            value,
        })
        .collect()
}

fn arkml_key(c: &ModelCircuit, vk: &ark_groth16::VerifyingKey<ark_bn254::Bn254>) -> VerifierKey {
    VerifierKey::Arkml {
        vk: vk.clone(),
        meta: file::KeyMeta::new(&c.info().unwrap(), c.layout())
            .with_input_shape(&c.model.input_shape),
    }
}

#[test]
fn library_keys_without_roles_never_drop_an_expectation() {
    let mut rng = StdRng::seed_from_u64(24);
    let honest = Arc::new(model(Visibility::Private, false));
    let c = ModelCircuit::bound(honest.clone(), input(), Fr::from(7u64)).unwrap();
    let pk = c.setup(&mut rng).unwrap();
    let owners = c.weight_commitment().unwrap();
    let honest_proof = c.prove(&pk, &mut rng).unwrap();
    // the attack: tampered weights, the prover's own salt, so its own commitment
    let bad = ModelCircuit::bound(
        Arc::new(model(Visibility::Private, true)),
        input(),
        Fr::from(99u64),
    )
    .unwrap();
    let bad_proof = bad.prove(&pk, &mut rng).unwrap();
    let claimed = bad.public_inputs();
    assert_eq!(claimed[0], Fr::from(2u64));
    // a snarkjs verification key records no roles (a zkey without the model is the same)
    let key = VerifierKey::Snarkjs(pk.vk.clone());
    let with_commitment = Expected {
        commitment: Some(owners),
        ..Default::default()
    };
    for file in [
        entries(&claimed, None, false),
        entries(&claimed, None, true),
        entries(&claimed, Some(&bad.layout()), false),
    ] {
        let err =
            verifier::verify(&key, &bad_proof, &file, &with_commitment, &mut rng).unwrap_err();
        assert!(
            matches!(err, VerifyError::NoLayout { .. }) && err.to_string().contains("--layout"),
            "{err}"
        );
    }
    let with_input = Expected {
        input: Some(input()),
        ..Default::default()
    };
    let err = verifier::verify(
        &key,
        &bad_proof,
        &entries(&claimed, None, false),
        &with_input,
        &mut rng,
    )
    .unwrap_err();
    assert!(matches!(err, VerifyError::NoLayout { .. }), "{err}");
    // with the layout from a source the verifier trusts, the lie is named
    let layout = Layout::of(&c);
    let expected = Expected {
        commitment: Some(owners),
        layout: Some(layout.clone()),
        ..Default::default()
    };
    let err = verifier::verify(
        &key,
        &bad_proof,
        &entries(&claimed, None, false),
        &expected,
        &mut rng,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Statement(StatementError::Differs {
                role: Role::Commitment,
                ..
            })
        ),
        "{err}"
    );
    // a file whose roles disagree with the layout is refused, not obeyed
    let err = verifier::verify(
        &key,
        &bad_proof,
        &entries(&claimed, None, true),
        &expected,
        &mut rng,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Statement(StatementError::RoleMismatch { index: 1, .. })
        ),
        "{err}"
    );
    // and the honest proof verifies, in each file form, with the class
    for file in [
        entries(&c.public_inputs(), None, false),
        entries(&c.public_inputs(), Some(&c.layout()), false),
    ] {
        let v = verifier::verify(&key, &honest_proof, &file, &expected, &mut rng).unwrap();
        assert!(v.valid);
        assert_eq!(v.output, Some(vec![BigInt::from(0)]));
        assert!(
            v.checked.iter().any(|s| s.contains("commitment")),
            "{:?}",
            v.checked
        );
    }
    // nothing expected, no roles: valid for SOME public inputs, and the verdict says so
    let v = verifier::verify(
        &key,
        &bad_proof,
        &entries(&claimed, Some(&bad.layout()), false),
        &Expected::default(),
        &mut rng,
    )
    .unwrap();
    assert!(v.valid && v.output.is_none());
    assert!(
        v.not_checked
            .iter()
            .any(|s| s.contains("only that the proof holds"))
            && v.not_checked.iter().any(|s| s.contains("the prover's")),
        "{:?}",
        v.not_checked
    );
    // the snarkjs key cannot vouch for a model
    let err = verifier::verify(
        &key,
        &honest_proof,
        &entries(&c.public_inputs(), None, false),
        &Expected {
            model: Some(honest.clone()),
            commitment: Some(owners),
            ..Default::default()
        },
        &mut rng,
    )
    .unwrap_err();
    assert!(
        matches!(err, VerifyError::KeyMismatch(ref s) if s.contains("--zkey")),
        "{err}"
    );
    // an arkml key: the roles are its record's; the all-output file is refused
    let key = arkml_key(&c, &pk.vk);
    let expected = Expected {
        commitment: Some(owners),
        ..Default::default()
    };
    let err = verifier::verify(
        &key,
        &bad_proof,
        &entries(&claimed, None, true),
        &expected,
        &mut rng,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Statement(StatementError::RoleMismatch { .. })
        ),
        "{err}"
    );
    let err = verifier::verify(
        &key,
        &bad_proof,
        &entries(&claimed, None, false),
        &expected,
        &mut rng,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Statement(StatementError::Differs {
                role: Role::Commitment,
                ..
            })
        ),
        "{err}"
    );
    // a layout file that disagrees with the key's record is refused
    let err = verifier::verify(
        &key,
        &honest_proof,
        &entries(&c.public_inputs(), None, false),
        &Expected {
            layout: Some(Layout {
                public: vec![Part {
                    role: Role::Output,
                    count: 2,
                }],
                input_shape: None,
            }),
            commitment: Some(owners),
            ..Default::default()
        },
        &mut rng,
    )
    .unwrap_err();
    assert!(matches!(err, VerifyError::LayoutMismatch { .. }), "{err}");
}

#[test]
fn library_expectations_the_statement_has_no_slot_for_are_refused() {
    let mut rng = StdRng::seed_from_u64(25);
    // constant weights, private input: neither a commitment nor an input can be checked
    let m = Arc::new(model(Visibility::Constant, false));
    let c = ModelCircuit::bound(m.clone(), input(), Fr::from(0u64)).unwrap();
    let pk = c.setup(&mut rng).unwrap();
    let proof = c.prove(&pk, &mut rng).unwrap();
    let file = entries(&c.public_inputs(), None, false);
    let key = arkml_key(&c, &pk.vk);
    let err = verifier::verify(
        &key,
        &proof,
        &file,
        &Expected {
            commitment: Some(Fr::from(5u64)),
            ..Default::default()
        },
        &mut rng,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::NoSlot {
                role: Role::Commitment,
                ..
            }
        ),
        "{err}"
    );
    let err = verifier::verify(
        &key,
        &proof,
        &file,
        &Expected {
            input: Some(input()),
            ..Default::default()
        },
        &mut rng,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::NoSlot {
                role: Role::Input,
                ..
            }
        ),
        "{err}"
    );
    // the honest verdict, with the model: valid, the class, the header's meaning said
    let v = verifier::verify(
        &key,
        &proof,
        &file,
        &Expected {
            model: Some(m.clone()),
            ..Default::default()
        },
        &mut rng,
    )
    .unwrap();
    assert!(v.valid && v.output == Some(vec![BigInt::from(0)]));
    assert!(
        v.checked.iter().any(|s| s.contains("mix-up")),
        "{:?}",
        v.checked
    );
}

#[test]
fn library_an_expected_input_of_another_shape_is_refused() {
    let mut rng = StdRng::seed_from_u64(26);
    let mut m = model(Visibility::Constant, false);
    m.input_visibility = Visibility::Public;
    let m = Arc::new(m);
    let c = ModelCircuit::bound(m.clone(), input(), Fr::from(0u64)).unwrap();
    let pk = c.setup(&mut rng).unwrap();
    let proof = c.prove(&pk, &mut rng).unwrap();
    let file = entries(&c.public_inputs(), None, false);
    let key = arkml_key(&c, &pk.vk);
    // the same three values, as a 1x3 tensor
    let reshaped = input().into_shape_with_order(IxDyn(&[1, 3])).unwrap();
    for model in [None, Some(m.clone())] {
        let err = verifier::verify(
            &key,
            &proof,
            &file,
            &Expected {
                model,
                input: Some(reshaped.clone()),
                ..Default::default()
            },
            &mut rng,
        )
        .unwrap_err();
        assert!(
            matches!(err, VerifyError::InputShape { ref expected, ref got }
                if expected == &[3] && got == &[1, 3]),
            "{err}"
        );
    }
    // the right input verifies; another input of the right shape is named
    let ok = verifier::verify(
        &key,
        &proof,
        &file,
        &Expected {
            input: Some(input()),
            ..Default::default()
        },
        &mut rng,
    )
    .unwrap();
    assert!(ok.valid);
    let other = ArrayD::from_shape_vec(IxDyn(&[3]), vec![5.into(), (-3).into(), 6.into()]).unwrap();
    let err = verifier::verify(
        &key,
        &proof,
        &file,
        &Expected {
            input: Some(other),
            ..Default::default()
        },
        &mut rng,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Statement(StatementError::Differs {
                role: Role::Input,
                ..
            })
        ),
        "{err}"
    );
    // a version-1 header records no shape: the verdict says the shape went unchecked
    let VerifierKey::Arkml { vk, mut meta } = key else {
        unreachable!("built above")
    };
    meta.input_shape = None;
    let v = verifier::verify(
        &VerifierKey::Arkml { vk, meta },
        &proof,
        &file,
        &Expected {
            input: Some(reshaped),
            ..Default::default()
        },
        &mut rng,
    )
    .unwrap();
    assert!(
        v.valid && v.not_checked.iter().any(|s| s.contains("shape")),
        "{:?}",
        v.not_checked
    );
}

#[test]
fn library_arkml_key_headers_must_agree_with_the_model() {
    let mut rng = StdRng::seed_from_u64(27);
    let m = Arc::new(model(Visibility::Constant, false));
    let c = ModelCircuit::bound(m.clone(), input(), Fr::from(0u64)).unwrap();
    let pk = c.setup(&mut rng).unwrap();
    let proof = c.prove(&pk, &mut rng).unwrap();
    let file = entries(&c.public_inputs(), None, false);
    let with_model = Expected {
        model: Some(m.clone()),
        ..Default::default()
    };
    let VerifierKey::Arkml { vk, meta } = arkml_key(&c, &pk.vk) else {
        unreachable!("built above")
    };
    let other = circuit_fingerprint(
        ModelCircuit::new(Arc::new(model(Visibility::Constant, true)), input()).unwrap(),
    )
    .unwrap();
    let mut cases = vec![];
    let mut wrong = meta.clone();
    wrong.fingerprint = other.fingerprint.to_hex();
    cases.push((wrong, "another circuit"));
    let mut wrong = meta.clone();
    wrong.constraints += 1;
    cases.push((wrong, "constraint count"));
    let mut wrong = meta.clone();
    wrong.input_shape = Some(vec![1, 3]);
    cases.push((wrong, "input shape"));
    for (meta, says) in cases {
        let err = verifier::verify(
            &VerifierKey::Arkml {
                vk: vk.clone(),
                meta,
            },
            &proof,
            &file,
            &with_model,
            &mut rng,
        )
        .unwrap_err();
        assert!(
            matches!(err, VerifyError::KeyMismatch(ref s) if s.contains(says)),
            "{says}: {err}"
        );
    }
    // the layout's length must be the key's
    let mut wrong = meta.clone();
    wrong.public = vec![Part {
        role: Role::Output,
        count: 2,
    }];
    let err = verifier::verify(
        &VerifierKey::Arkml {
            vk: vk.clone(),
            meta: wrong,
        },
        &proof,
        &entries(&c.public_inputs(), None, false),
        &Expected::default(),
        &mut rng,
    )
    .unwrap_err();
    assert!(matches!(err, VerifyError::KeyMismatch(_)), "{err}");
}

#[test]
fn cli_every_verify_mode_refuses_what_it_cannot_check() {
    let dir = tmp("modes");
    let p = |n: &str| dir.join(n).display().to_string();
    file::save_model(&dir.join("honest.json"), &model(Visibility::Private, false)).unwrap();
    file::save_model(
        &dir.join("tampered.json"),
        &model(Visibility::Private, true),
    )
    .unwrap();
    std::fs::write(
        p("x.json"),
        serde_json::to_string(&TensorFile::from_array(&input())).unwrap(),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let (ok, out, err) = arkml(args);
        assert!(ok, "arkml {args:?}: {out}{err}");
        out
    };
    run(&[
        "setup",
        &p("honest.json"),
        "--pk",
        &p("pk"),
        "--vk",
        &p("vk"),
    ]);
    let owners = run(&[
        "commit",
        &p("honest.json"),
        "--salt",
        &p("salt.json"),
        "-o",
        &p("c.json"),
    ]);
    let owners = owners.trim().to_string();
    run(&[
        "prove",
        &p("honest.json"),
        &p("x.json"),
        "--pk",
        &p("pk"),
        "--salt",
        &p("salt.json"),
        "-o",
        &p("good"),
    ]);
    // the attack: tampered weights, the prover's own salt and commitment
    run(&["commit", &p("tampered.json"), "--salt", &p("own.json")]);
    let out = run(&[
        "prove",
        &p("tampered.json"),
        &p("x.json"),
        "--pk",
        &p("pk"),
        "--salt",
        &p("own.json"),
        "-o",
        &p("bad"),
    ]);
    assert!(out.contains("class: 2"), "{out}");
    for (proof, dir_out) in [("good", "sj_good"), ("bad", "sj_bad")] {
        run(&[
            "export",
            "snarkjs",
            "--vk",
            &p("vk"),
            &p(proof),
            "-o",
            &p(dir_out),
        ]);
    }
    let sjvk = p("sj_good/verification_key.json");
    let layout = p("sj_good/layout.json");
    // snarkjs vk, no layout: the commitment cannot be placed, whatever the file form
    for public in [p("bad.public.json"), p("sj_bad/public.json")] {
        let (ok, out, err) = arkml(&[
            "verify",
            "--vk",
            &sjvk,
            &p("bad"),
            "--public",
            &public,
            "--commitment",
            &owners,
        ]);
        assert!(
            !ok && !out.contains("valid") && err.contains("--layout"),
            "{public}: {out}{err}"
        );
    }
    // the same file with every role relabelled "output"
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p("bad.public.json")).unwrap()).unwrap();
    for e in v["public"].as_array_mut().unwrap() {
        e["role"] = "output".into();
    }
    std::fs::write(p("relabelled.json"), v.to_string()).unwrap();
    for key in [&sjvk, &p("vk")] {
        let (ok, out, err) = arkml(&[
            "verify",
            "--vk",
            key,
            &p("bad"),
            "--public",
            &p("relabelled.json"),
            "--commitment",
            &owners,
        ]);
        assert!(!ok && !out.contains("valid"), "{key}: {out}{err}");
    }
    // with the layout: the lie is named, in both file forms
    for public in [p("bad.public.json"), p("sj_bad/public.json")] {
        let (ok, out, err) = arkml(&[
            "verify",
            "--vk",
            &sjvk,
            &p("bad"),
            "--public",
            &public,
            "--layout",
            &layout,
            "--commitment",
            &owners,
        ]);
        assert!(
            !ok && out.contains("INVALID") && err.contains("commitment"),
            "{out}{err}"
        );
    }
    // the honest path: arkml's own public file, or snarkjs', with a snarkjs vk and the
    // layout; and snarkjs' own proof.json
    for (proof, public) in [
        (p("good"), p("good.public.json")),
        (p("sj_good/proof.json"), p("sj_good/public.json")),
    ] {
        let out = run(&[
            "verify",
            "--vk",
            &sjvk,
            &proof,
            "--public",
            &public,
            "--layout",
            &layout,
            "--commitment",
            &p("c.json"),
        ]);
        assert!(
            out.starts_with("valid\n") && out.contains("output: [0]"),
            "{out}"
        );
    }
    // no expectations and no roles: valid, saying that nothing else was checked
    let out = run(&["verify", "--vk", &sjvk, &p("good")]);
    assert!(
        out.starts_with("valid\n") && out.contains("not checked: only that the proof holds"),
        "{out}"
    );
    // --model with a snarkjs vk: it names no circuit
    let (ok, _, err) = arkml(&[
        "verify",
        "--vk",
        &sjvk,
        &p("good"),
        "--model",
        &p("honest.json"),
        "--commitment",
        &owners,
    ]);
    assert!(!ok && err.contains("--zkey"), "{err}");
    // arkml key: an input for a private-input model, and a commitment for constant weights
    let (ok, _, err) = arkml(&[
        "verify",
        "--vk",
        &p("vk"),
        &p("good"),
        "--commitment",
        &owners,
        "--input",
        &p("x.json"),
    ]);
    assert!(!ok && err.contains("no public input"), "{err}");
    file::save_model(&dir.join("const.json"), &model(Visibility::Constant, false)).unwrap();
    run(&[
        "setup",
        &p("const.json"),
        "--pk",
        &p("cpk"),
        "--vk",
        &p("cvk"),
    ]);
    run(&[
        "prove",
        &p("const.json"),
        &p("x.json"),
        "--pk",
        &p("cpk"),
        "-o",
        &p("cp"),
    ]);
    let (ok, _, err) = arkml(&[
        "verify",
        "--vk",
        &p("cvk"),
        &p("cp"),
        "--commitment",
        &owners,
    ]);
    assert!(!ok && err.contains("no public commitment"), "{err}");
    // a public-input model: an expected input of another shape with the same count
    let mut m = model(Visibility::Constant, false);
    m.input_visibility = Visibility::Public;
    file::save_model(&dir.join("pub.json"), &m).unwrap();
    run(&[
        "setup",
        &p("pub.json"),
        "--pk",
        &p("ppk"),
        "--vk",
        &p("pvk"),
    ]);
    run(&[
        "prove",
        &p("pub.json"),
        &p("x.json"),
        "--pk",
        &p("ppk"),
        "-o",
        &p("pp"),
    ]);
    std::fs::write(
        p("x13.json"),
        serde_json::json!({"shape": [1, 3], "data": ["5", "-3", "7"]}).to_string(),
    )
    .unwrap();
    let (ok, _, err) = arkml(&[
        "verify",
        "--vk",
        &p("pvk"),
        &p("pp"),
        "--input",
        &p("x13.json"),
    ]);
    assert!(!ok && err.contains("shape"), "{err}");
    let out = run(&[
        "verify",
        "--vk",
        &p("pvk"),
        &p("pp"),
        "--input",
        &p("x.json"),
    ]);
    assert!(
        out.contains("checked: the input is the one you gave"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_prove_never_writes_a_proof_its_key_refuses() {
    let dir = tmp("relabel");
    let p = |n: &str| dir.join(n).display().to_string();
    file::save_model(&dir.join("a.json"), &model(Visibility::Constant, false)).unwrap();
    // b: one bias one lower (the same widths, so a circuit of the same sizes)
    let mut b = model(Visibility::Constant, false);
    let Layer::Dense(d) = &mut b.layers[0] else {
        unreachable!("the first layer is Dense")
    };
    d.b[0] = BigInt::from(999);
    file::save_model(&dir.join("b.json"), &b).unwrap();
    std::fs::write(
        p("x.json"),
        serde_json::to_string(&TensorFile::from_array(&input())).unwrap(),
    )
    .unwrap();
    assert!(arkml(&["setup", &p("a.json"), "--pk", &p("pka"), "--vk", &p("vka")]).0);
    // a's key, its header relabelled with b's fingerprint (same sizes, another circuit)
    let fa = circuit_fingerprint(
        ModelCircuit::new(Arc::new(model(Visibility::Constant, false)), input()).unwrap(),
    )
    .unwrap()
    .fingerprint
    .to_hex();
    let fb = circuit_fingerprint(ModelCircuit::new(Arc::new(b), input()).unwrap())
        .unwrap()
        .fingerprint
        .to_hex();
    assert_ne!(fa, fb);
    let bytes = std::fs::read(p("pka")).unwrap();
    let at = bytes
        .windows(64)
        .position(|w| w == fa.as_bytes())
        .expect("the header names the fingerprint");
    let mut relabelled = bytes.clone();
    relabelled[at..at + 64].copy_from_slice(fb.as_bytes());
    std::fs::write(p("pkx"), &relabelled).unwrap();
    let (ok, _, err) = arkml(&[
        "prove",
        &p("b.json"),
        &p("x.json"),
        "--pk",
        &p("pkx"),
        "-o",
        &p("proof"),
    ]);
    assert!(!ok && err.contains("does not verify"), "{err}");
    assert!(!dir.join("proof").exists(), "no proof is written");
    // a header whose constraint count disagrees with the key's own content is refused
    let n = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let mut meta: serde_json::Value = serde_json::from_slice(&bytes[12..12 + n]).unwrap();
    meta["constraints"] = (meta["constraints"].as_u64().unwrap() * 4 + 100).into();
    let header = serde_json::to_vec(&meta).unwrap();
    let mut wrong = bytes[..8].to_vec();
    wrong.extend_from_slice(&(header.len() as u32).to_le_bytes());
    wrong.extend_from_slice(&header);
    wrong.extend_from_slice(&bytes[12 + n..]);
    std::fs::write(p("pky"), &wrong).unwrap();
    let err = file::load_proving_key(&dir.join("pky")).unwrap_err();
    assert!(err.to_string().contains("H query"), "{err}");
    assert!(file::load_proving_key(&dir.join("pka")).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn proofs_are_read_by_their_header_never_by_a_byte() {
    // many random proofs, their bytes starting with anything (a header-less proof starts
    // with `{` about 1 time in 256): each reads back, in the headed and the legacy form
    use ark_serialize::CanonicalSerialize;
    let mut rng = StdRng::seed_from_u64(28);
    let m = Arc::new(Model::chain(
        &[2],
        4,
        vec![Layer::Relu(ops::Relu), Layer::ArgMax(ops::ArgMax)],
    ));
    let c = ModelCircuit::new(m, ndarray::arr1(&[1, -2]).mapv(BigInt::from).into_dyn()).unwrap();
    let pk = c.setup(&mut rng).unwrap();
    let proof = c.prove(&pk, &mut rng).unwrap();
    let path = std::path::Path::new("proof");
    let mut braces = 0;
    for i in 0..3000 {
        let p =
            ark_groth16::Groth16::<ark_bn254::Bn254>::rerandomize_proof(&pk.vk, &proof, &mut rng);
        let headed = file::proof_to_bytes(&p);
        assert_eq!(&headed[..8], b"arkml-pf");
        assert_eq!(
            file::proof_from_any_bytes(&headed, path).unwrap(),
            p,
            "proof {i}"
        );
        let mut legacy = Vec::new();
        p.serialize_compressed(&mut legacy).unwrap();
        assert_eq!(legacy.len(), 128);
        braces += usize::from(legacy[0] == b'{');
        assert_eq!(
            file::proof_from_any_bytes(&legacy, path).unwrap(),
            p,
            "proof {i}"
        );
        if braces >= 3 && i >= 300 {
            break;
        }
    }
    assert!(braces >= 3, "the loop met proofs starting with '{{'");
    assert!(verify(&pk.vk, &c.public_inputs(), &proof).unwrap());
    // a truncated or re-versioned header is a typed error, not a guess
    let mut bad = file::proof_to_bytes(&proof);
    bad[8] = 9;
    let err = file::proof_from_any_bytes(&bad, path).unwrap_err();
    assert!(err.to_string().contains("version 9"), "{err}");
    let err = file::proof_from_any_bytes(&bad[..10], path).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn docs_statement_commands_run_as_written() {
    let dir = tmp("docs-statement");
    let mut m = model(Visibility::Private, false);
    m.input_visibility = Visibility::Public;
    file::save_model(&dir.join("model.json"), &m).unwrap();
    std::fs::write(
        dir.join("input.json"),
        serde_json::to_string(&TensorFile::from_array(&input())).unwrap(),
    )
    .unwrap();
    let out = cli::run_doc_blocks("statement.md", &dir, &[]);
    assert!(out.contains("class: 0"), "{out}");
    assert!(
        out.contains("checked: the weight commitment is the one you gave")
            && out.contains("not checked: only that the proof holds"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
