//! The lean prover (`groth16::evaluate`: each constraint's sides evaluated, no matrices built)
//! against arkworks' finalised matrices: the same fingerprint, the same verdict on an
//! unsatisfied witness (the same row), and byte-identical proofs for the same randomness as
//! ark-groth16's own prover. Circuits: a model (nested linear combinations, the fused
//! rescale + ReLU), Poseidon (combinations shared by several others), SHA-256-free flat
//! constraints (no combination refers to another, so arkworks inlines nothing and keeps each
//! row's order and duplicates).

use std::sync::Arc;

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystemRef, LinearCombination, SynthesisError, Variable,
};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::circuit::ModelCircuit;
use arkml::groth16::{self, evaluate, synthesize, ProveError};
use arkml::model::{ints, ops, Layer, Model};
use ndarray::array;
use num_bigint::BigUint;

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Both paths agree on `c`: fingerprint, public inputs, and the proof itself.
fn same<C: ConstraintSynthesizer<Fr> + Clone>(c: C) {
    let s = synthesize(c.clone()).expect("synthesize");
    let e = evaluate(c.clone()).expect("evaluate");
    assert_eq!(s.info(), e.info(), "fingerprints differ");
    assert_eq!(s.public_inputs(), e.public_inputs());
    let pk = groth16::setup(c, &mut rng(1)).expect("setup");
    let public = e.public_inputs().to_vec();
    let lean = e.prove(&pk, &mut rng(2)).expect("prove");
    // ark-groth16's prover on the matrices, with the same r and s
    let mut r2 = rng(2);
    let (r, t) = (Fr::rand(&mut r2), Fr::rand(&mut r2));
    let (m, inputs, _) = s.parts();
    let ark = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
        &pk,
        r,
        t,
        m,
        inputs,
        m[0].len(),
        s.assignment(),
    )
    .expect("arkworks prove");
    assert_eq!(lean, ark, "proofs differ");
    assert!(groth16::verify(&pk.vk, &public, &lean).unwrap());
    // the matrices' own path (Synthesized::prove) gives the same proof too
    assert_eq!(s.prove(&pk, &mut rng(2)).unwrap(), ark);
}

fn model() -> Model {
    let w = ints(array![[3, -2, 1], [1, 4, -5], [-2, 2, 2], [5, 1, 0]]);
    let mut m = Model::chain(
        &[4],
        6,
        vec![
            Layer::Dense(ops::Dense {
                w,
                b: ints(array![7, -3, 0]),
            }),
            Layer::Rescale(ops::Rescale(BigUint::from(4u32))),
            Layer::Relu(ops::Relu),
            Layer::ArgMax(ops::ArgMax),
        ],
    );
    m.input_visibility = arkml::gadgets::tensor::Visibility::Public;
    m
}

#[test]
fn model_circuit() {
    let x = ints(array![5, -7, 12, 30]).into_dyn();
    same(ModelCircuit::new(Arc::new(model()), x).unwrap());
}

#[test]
fn private_committed_weights() {
    let mut m = model();
    m.weights = arkml::model::WeightSpec {
        visibility: arkml::gadgets::tensor::Visibility::Private,
        weight_bits: 4,
        bias_bits: 4,
    };
    let x = ints(array![-1, 9, 0, 3]).into_dyn();
    let c = ModelCircuit::new(Arc::new(m), x)
        .unwrap()
        .with_commitment(Fr::from(77u64));
    same(c);
}

/// Poseidon: every round's state is a combination read by the next round's three.
#[derive(Clone)]
struct Hash(Vec<Fr>);

impl ConstraintSynthesizer<Fr> for Hash {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let xs: Vec<FpVar<Fr>> = self
            .0
            .iter()
            .map(|v| FpVar::new_witness(cs.clone(), || Ok(*v)))
            .collect::<Result<_, _>>()?;
        let h = arkml::gadgets::crypto::poseidon::poseidon(&xs)
            .map_err(|_| SynthesisError::Unsatisfiable)?;
        let native = arkml::gadgets::crypto::poseidon::native_poseidon(&self.0)
            .map_err(|_| SynthesisError::Unsatisfiable)?;
        let out = FpVar::new_input(cs, || Ok(native))?;
        h.enforce_equal(&out)
    }
}

#[test]
fn poseidon_shared_combinations() {
    same(Hash(vec![Fr::from(1u64), Fr::from(2u64), Fr::from(3u64)]));
}

/// Constraints on bare variables and one flat combination with a repeated, out-of-order
/// term: no combination refers to another.
#[derive(Clone)]
struct Flat {
    a: Fr,
    b: Fr,
}

impl ConstraintSynthesizer<Fr> for Flat {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let a = cs.new_witness_variable(|| Ok(self.a))?;
        let b = cs.new_witness_variable(|| Ok(self.b))?;
        let ab = cs.new_input_variable(|| Ok(self.a * self.b))?;
        let s = cs.new_witness_variable(|| Ok(self.b + self.a + self.a))?;
        cs.enforce_r1cs_constraint(
            || LinearCombination::from(a),
            || LinearCombination::from(b),
            || LinearCombination::from(ab),
        )?;
        cs.enforce_r1cs_constraint(
            || {
                LinearCombination(vec![
                    (Fr::from(1u64), b),
                    (Fr::from(1u64), a),
                    (Fr::from(1u64), a),
                ])
            },
            || LinearCombination::from(Variable::One),
            || LinearCombination::from(s),
        )
    }
}

#[test]
fn flat_constraints() {
    same(Flat {
        a: Fr::from(6u64),
        b: Fr::from(7u64),
    });
}

#[test]
fn unsatisfied_same_row() {
    let bad = Flat {
        a: Fr::from(6u64),
        b: Fr::from(7u64),
    };
    // a wrong product: the first constraint fails on both paths
    #[derive(Clone)]
    struct Lie(Flat);
    impl ConstraintSynthesizer<Fr> for Lie {
        fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
            let a = cs.new_witness_variable(|| Ok(self.0.a))?;
            let b = cs.new_witness_variable(|| Ok(self.0.b))?;
            let ab = cs.new_input_variable(|| Ok(self.0.a * self.0.b + Fr::from(1u64)))?;
            cs.enforce_r1cs_constraint(
                || LinearCombination::from(a) + (Fr::from(2u64), b),
                || LinearCombination::from(Variable::One),
                || LinearCombination::from(a) + (Fr::from(2u64), b),
            )?;
            cs.enforce_r1cs_constraint(
                || LinearCombination::from(a),
                || LinearCombination::from(b),
                || LinearCombination::from(ab),
            )
        }
    }
    let s = synthesize(Lie(bad.clone())).err().expect("unsatisfied");
    let e = evaluate(Lie(bad)).err().expect("unsatisfied");
    match (s, e) {
        (ProveError::Unsatisfied(s), ProveError::Unsatisfied(e)) => {
            assert_eq!(s, e);
            assert!(e.starts_with("constraint 1 "), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // a model circuit claiming a wrong output: refused, naming the output
    let x = ints(array![5, -7, 12, 30]).into_dyn();
    let m = Arc::new(model());
    let honest = ModelCircuit::new(m.clone(), x.clone()).unwrap();
    let mut lying = honest.clone();
    lying.output = honest.output.mapv(|v| v + 1);
    assert_ne!(lying.output, honest.output);
    let err = lying.evaluate().err().expect("unsatisfied").to_string();
    assert!(err.contains("output"), "{err}");
}

#[test]
fn wrong_key_sizes() {
    let x = ints(array![5, -7, 12, 30]).into_dyn();
    let c = ModelCircuit::new(Arc::new(model()), x).unwrap();
    let other = Hash(vec![Fr::from(1u64)]);
    let pk = groth16::setup(other, &mut rng(1)).unwrap();
    match c.evaluate().unwrap().prove(&pk, &mut rng(2)) {
        Err(ProveError::WrongKey(_)) => {}
        other => panic!("{other:?}"),
    }
}

/// `Model::constraints` (what `arkml inspect` prints, from the facts alone) is what
/// synthesis writes, with constant weights (allocated layer by layer) and with private
/// ones (range-checked to their widths).
#[test]
fn constraints_without_synthesis() {
    use ark_relations::gr1cs::ConstraintSystem;
    use arkml::gadgets::tensor::Visibility;
    let x = ints(array![5, -7, 12, 30]).into_dyn();
    for visibility in [
        Visibility::Constant,
        Visibility::Public,
        Visibility::Private,
    ] {
        let mut m = model();
        m.weights = arkml::model::WeightSpec {
            visibility,
            weight_bits: 5,
            bias_bits: 4,
        };
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (out, _) = m.synthesize(cs.clone(), &x).unwrap();
        assert_eq!(
            m.constraints().unwrap(),
            cs.num_constraints(),
            "{visibility:?}"
        );
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(out.len(), 1);
    }
}
