//! The model builder on a small model: native/circuit agreement, Groth16 end to end, and
//! typed errors naming the layer for bad input.

use arkml::model::ops;
use std::sync::Arc;

use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::groth16::{prove, setup, verify};
mod common;
use common::{small_input as input, small_model as small};

use arkml::model::{Layer, ModelCircuit, ModelError};
use arkml_gadgets::tensor::tensor_values;
use arkml_gadgets::Error;
use ndarray::{ArrayD, IxDyn};
use num_bigint::{BigInt, BigUint};

#[test]
fn circuit_agrees_with_native_inference() {
    let m = small();
    for seed in 0..5 {
        let x = input(seed);
        let outs = m.infer(&x).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (y, summary) = m.synthesize(cs.clone(), &x).unwrap();
        assert_eq!(tensor_values(&y).unwrap(), outs.last().unwrap().out);
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(summary.len(), m.layers.len());
        // the ReLU after a rescale reuses the quotient's sign bit: one constraint per element
        assert_eq!(summary[2].constraints, 4 * 4 * 2);
    }
}

#[test]
fn groth16_end_to_end() {
    let m = Arc::new(small());
    let c = ModelCircuit::new(m.clone(), input(3)).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let pk = setup(c.clone(), &mut rng).unwrap();
    let proof = prove(&pk, c.clone(), &mut rng).unwrap();
    assert!(verify(&pk.vk, &c.public_inputs(), &proof).unwrap());
    let mut wrong = c.public_inputs();
    wrong[0] += Fr::from(1u64);
    assert!(!verify(&pk.vk, &wrong, &proof).unwrap());
    // a claimed output other than the model's is refused before proving
    let mut lie = c.clone();
    lie.output = lie.output.map(|v| v + 1);
    assert!(prove(&pk, lie, &mut rng).is_err());
}

#[test]
fn bad_input_names_what_is_wrong() {
    let m = small();
    let wrong_shape = ArrayD::from_elem(IxDyn(&[4, 4, 2]), BigInt::from(0));
    assert!(matches!(
        m.infer(&wrong_shape),
        Err(ModelError::Input(Error::ShapeMismatch { .. }))
    ));
    let out_of_range = ArrayD::from_elem(IxDyn(&[4, 4, 1]), BigInt::from(512));
    assert!(matches!(
        m.infer(&out_of_range),
        Err(ModelError::Input(Error::OutOfRange { .. }))
    ));
    let cs = ConstraintSystem::<Fr>::new_ref();
    assert!(matches!(
        m.synthesize(cs, &out_of_range),
        Err(ModelError::Input(Error::OutOfRange { .. }))
    ));

    let mut bad = small();
    bad.layers.insert(0, Layer::Flatten(ops::Flatten)); // conv now sees a vector
    let err = bad.infer(&input(0)).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Layer {
                index: 1,
                kind: "Conv2D",
                ..
            }
        ),
        "{err}"
    );
    let cs = ConstraintSystem::<Fr>::new_ref();
    let err = bad.synthesize(cs, &input(0)).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Layer {
                index: 1,
                kind: "Conv2D",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("layer 1 (Conv2D)"));

    let mut zero = small();
    zero.layers[1] = Layer::Rescale(ops::Rescale(BigUint::from(0u32)));
    assert!(matches!(
        zero.infer(&input(0)),
        Err(ModelError::Layer { index: 1, .. })
    ));

    // weights too large for the field: the bound analysis refuses at build time
    let mut huge = small();
    if let Layer::Conv2d(ops::Conv2d { w, .. }) = &mut huge.layers[0] {
        w.mapv_inplace(|_| BigInt::from(1) << 245);
    }
    let cs = ConstraintSystem::<Fr>::new_ref();
    let err = huge.synthesize(cs, &input(0)).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Layer {
                index: 0,
                source: Error::BoundTooLarge { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn private_and_public_weights() {
    use arkml::model::WeightSpec;
    use arkml_gadgets::tensor::Visibility;
    let x = input(2);
    let constant = small();
    let cs = ConstraintSystem::<Fr>::new_ref();
    constant.synthesize(cs.clone(), &x).unwrap();
    let constant_count = cs.num_constraints();
    for vis in [Visibility::Private, Visibility::Public] {
        let mut m = small();
        m.weights = WeightSpec {
            visibility: vis,
            weight_bits: 8,
            bias_bits: 8,
        };
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (y, _) = m.synthesize(cs.clone(), &x).unwrap();
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(
            tensor_values(&y).unwrap(),
            constant.infer(&x).unwrap().last().unwrap().out
        );
        assert!(
            cs.num_constraints() > constant_count,
            "private weights cost multiplications"
        );
        // Groth16 with the weights hidden (or public, in the documented order)
        let m = Arc::new(m);
        let mut c = ModelCircuit::new(m.clone(), x.clone()).unwrap();
        if vis == Visibility::Private {
            // private weights are bound by a commitment (or refused)
            assert!(c.check_statement().is_err());
            c = c.with_commitment(Fr::from(77u64));
        }
        let mut rng = StdRng::seed_from_u64(9);
        let pk = setup(c.clone(), &mut rng).unwrap();
        let proof = prove(&pk, c.clone(), &mut rng).unwrap();
        let public = c.public_inputs();
        assert!(verify(&pk.vk, &public, &proof).unwrap(), "{vis:?}");
        if vis == Visibility::Private {
            assert_eq!(
                public.len(),
                2,
                "only the prediction and the commitment are public"
            );
        } else {
            let mut bad = public.clone();
            *bad.last_mut().unwrap() += Fr::from(1u64);
            assert!(
                !verify(&pk.vk, &bad, &proof).unwrap(),
                "a different public bias"
            );
        }
    }
    // a weight wider than declared is a typed error naming the layer
    let mut m = small();
    m.weights = WeightSpec {
        visibility: Visibility::Private,
        weight_bits: 5,
        bias_bits: 8,
    };
    let cs = ConstraintSystem::<Fr>::new_ref();
    let err = m.synthesize(cs, &x).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Layer {
                index: 0,
                source: Error::OutOfRange { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("weight"), "{err}");
}

#[test]
fn private_weights_with_a_public_commitment() {
    use arkml::model::WeightSpec;
    use arkml_gadgets::tensor::Visibility;
    let mut m = small();
    m.weights = WeightSpec {
        visibility: Visibility::Private,
        weight_bits: 8,
        bias_bits: 8,
    };
    let m = Arc::new(m);
    let salt = Fr::from(0xfeed_u64);
    let c = ModelCircuit::new(m.clone(), input(4))
        .unwrap()
        .with_commitment(salt);
    let public = c.public_inputs();
    assert_eq!(public.len(), 2, "prediction, then the commitment");
    assert_eq!(
        public[1],
        arkml_gadgets::crypto::native_commit(&c.weight_values(), salt)
    );
    let mut rng = StdRng::seed_from_u64(11);
    let pk = setup(c.clone(), &mut rng).unwrap();
    let proof = prove(&pk, c.clone(), &mut rng).unwrap();
    assert!(verify(&pk.vk, &public, &proof).unwrap());
    // the same circuit shape with other weights proves another commitment: a verifier
    // holding the first commitment rejects it
    let mut other = (*m).clone();
    if let Layer::Dense(ops::Dense { b, .. }) = &mut other.layers[5] {
        b[0] += 1;
    }
    let c2 = ModelCircuit::new(Arc::new(other), input(4))
        .unwrap()
        .with_commitment(salt);
    let proof2 = prove(&pk, c2.clone(), &mut rng).unwrap();
    assert!(verify(&pk.vk, &c2.public_inputs(), &proof2).unwrap());
    let mut claimed = c2.public_inputs();
    claimed[1] = public[1];
    assert!(!verify(&pk.vk, &claimed, &proof2).unwrap());
    // constant weights are fixed by the key: committing to them is refused
    let constant = ModelCircuit::new(Arc::new(small()), input(4))
        .unwrap()
        .with_commitment(salt);
    assert!(arkml::groth16::check(constant).is_err());
}

#[test]
fn private_output() {
    let c = ModelCircuit::new(Arc::new(small()), input(6))
        .unwrap()
        .with_private_output();
    assert!(c.public_inputs().is_empty(), "nothing public");
    let mut rng = StdRng::seed_from_u64(12);
    let pk = setup(c.clone(), &mut rng).unwrap();
    let proof = prove(&pk, c.clone(), &mut rng).unwrap();
    assert!(verify(&pk.vk, &[], &proof).unwrap());
    assert_eq!(pk.vk.gamma_abc_g1.len(), 1);
}

#[test]
fn a_failing_proof_names_the_place() {
    use arkml::circuit::CircuitError;
    use arkml::groth16::ProveError;
    let m = Arc::new(small());
    let c = ModelCircuit::new(m.clone(), input(7)).unwrap();
    let mut rng = StdRng::seed_from_u64(13);
    let pk = setup(c.clone(), &mut rng).unwrap();
    assert!(c.prove(&pk, &mut rng).is_ok());
    // a claimed output other than the model's
    let mut lie = c.clone();
    lie.output = lie.output.map(|v| v + 1);
    match lie.prove(&pk, &mut rng) {
        Err(CircuitError::Prove(ProveError::Unsatisfied(msg))) => {
            assert!(msg.contains("output"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
    // private weights wider than declared: the model error names the layer
    let mut wide = small();
    wide.weights = arkml::model::WeightSpec {
        visibility: arkml_gadgets::tensor::Visibility::Private,
        weight_bits: 3,
        bias_bits: 8,
    };
    let c = ModelCircuit::new(Arc::new(wide), input(7))
        .unwrap()
        .allow_unbound_weights();
    match c.prove(&pk, &mut rng) {
        Err(CircuitError::Model(e)) => assert!(e.to_string().contains("layer 0"), "{e}"),
        other => panic!("{other:?}"),
    }
}
