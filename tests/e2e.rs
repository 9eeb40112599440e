//! Groth16 end to end on a small circuit: an honest proof verifies, a wrong public output is
//! rejected, and proving an unsatisfied witness is a typed error rather than a bogus proof.

use ark_bn254::Fr;
use ark_r1cs_std::eq::EqGadget;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::gadgets::{
    fixed::to_field,
    layers::dense,
    rescale::{native_rescale_tensor, rescale_tensor},
    tensor::{alloc_tensor, Visibility},
};
use arkml::groth16::{check, prove, setup, verify, ProveError};
use ndarray::{array, Array1, Array2};
use num_bigint::{BigInt, BigUint};

#[derive(Clone)]
struct Tiny {
    x: Array1<BigInt>,
    w: Array2<BigInt>,
    y: Array1<BigInt>,
}

impl ConstraintSynthesizer<Fr> for Tiny {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let y = alloc_tensor(cs.clone(), &self.y, Visibility::Public)?;
        let x = alloc_tensor(cs.clone(), &self.x, Visibility::Public)?;
        let w = alloc_tensor(cs.clone(), &self.w, Visibility::Private)?;
        let b = alloc_tensor(
            cs.clone(),
            &array![BigInt::from(0), BigInt::from(0)],
            Visibility::Constant,
        )?;
        let out = rescale_tensor(
            &dense(x.view(), w.view(), b.view())?,
            20,
            &BigUint::from(256u32),
        )?;
        for (a, b) in out.quotient.iter().zip(y.iter()) {
            a.enforce_equal(b)?;
        }
        Ok(())
    }
}

fn model() -> Tiny {
    let b = |v: i64| BigInt::from(v);
    let x = array![b(300), b(-700), b(1000)];
    let w = array![[b(10), b(-3)], [b(4), b(5)], [b(-6), b(7)]];
    let acc = dense(x.view(), w.view(), array![b(0), b(0)].view()).unwrap();
    let y = native_rescale_tensor(&acc, &BigUint::from(256u32)).0;
    Tiny { x, w, y }
}

fn public(m: &Tiny) -> Vec<Fr> {
    m.y.iter().chain(m.x.iter()).map(to_field).collect()
}

#[test]
fn honest_proof_verifies_and_lies_are_rejected() {
    let m = model();
    let mut rng = StdRng::seed_from_u64(1);
    let pk = setup(m.clone(), &mut rng).unwrap();
    let proof = prove(&pk, m.clone(), &mut rng).unwrap();
    let inputs = public(&m);
    assert!(verify(&pk.vk, &inputs, &proof).unwrap());
    for i in 0..inputs.len() {
        let mut bad = inputs.clone();
        bad[i] += Fr::from(1u64);
        assert!(
            !verify(&pk.vk, &bad, &proof).unwrap(),
            "public input {i} changed"
        );
    }
}

#[test]
fn unsatisfied_witness_is_a_typed_error() {
    let mut m = model();
    m.y[0] += 1;
    assert!(matches!(check(m.clone()), Err(ProveError::Unsatisfied(_))));
    let mut rng = StdRng::seed_from_u64(2);
    let pk = setup(model(), &mut rng).unwrap();
    assert!(matches!(
        prove(&pk, m, &mut rng),
        Err(ProveError::Unsatisfied(_))
    ));
}
