//! End to end: a Dense(64 -> 32) -> rescale -> Dense(32 -> 10) -> rescale circuit with a private
//! input and constant weights at scale 2^16, proven and verified with Groth16 on BN254.
//!
//! Run: `cargo run --release --example dense_e2e`

use std::time::Instant;

use ark_bn254::Fr;
use ark_r1cs_std::eq::EqGadget;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use arkml::gadgets::{
    fixed::{to_field, Scale},
    layers::dense,
    range::enforce_bound,
    rescale::{native_rescale_tensor, rescale_tensor},
    tensor::{abs, alloc_tensor, linear_bound, worst_case, Visibility},
};
use ndarray::{Array1, Array2, Ix1};
use num_bigint::{BigInt, BigUint};

const SCALE: Scale = Scale::Pow2(16);
const X_BOUND: u32 = 17; // inputs in [-2, 2) at scale 2^16

#[derive(Clone)]
struct Mlp {
    x: Array1<BigInt>,
    w1: Array2<BigInt>,
    b1: Array1<BigInt>,
    w2: Array2<BigInt>,
    b2: Array1<BigInt>,
    y: Array1<BigInt>,
}

impl Mlp {
    /// The native twin: what the circuit proves.
    fn infer(&self) -> Array1<BigInt> {
        let n = SCALE.value();
        let h = native_rescale_tensor(
            &dense(self.x.view(), self.w1.view(), self.b1.view()).unwrap(),
            &n,
        )
        .0;
        native_rescale_tensor(
            &dense(h.view(), self.w2.view(), self.b2.view()).unwrap(),
            &n,
        )
        .0
    }
}

impl ConstraintSynthesizer<Fr> for Mlp {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let n: BigUint = SCALE.value();
        // public output first, so the verifier's input order is simply y
        let y = alloc_tensor(cs.clone(), &self.y, Visibility::Public)?;
        let x = alloc_tensor(cs.clone(), &self.x, Visibility::Private)?;
        for xi in x.iter() {
            enforce_bound(xi, X_BOUND)?;
        }
        let c = |a: &Array2<BigInt>| alloc_tensor(cs.clone(), a, Visibility::Constant);
        let (w1, w2) = (c(&self.w1)?, c(&self.w2)?);
        let b1 = alloc_tensor(cs.clone(), &self.b1, Visibility::Constant)?;
        let b2 = alloc_tensor(cs.clone(), &self.b2, Visibility::Constant)?;

        let worst = worst_case(&[self.x.len()], X_BOUND)
            .into_dimensionality::<Ix1>()
            .unwrap();
        let acc1_bound = linear_bound(&dense(
            worst.view(),
            abs(&self.w1).view(),
            abs(&self.b1).view(),
        )?);
        let h = rescale_tensor(&dense(x.view(), w1.view(), b1.view())?, acc1_bound, &n)?;

        let worst = worst_case(&[self.w2.nrows()], h.bound)
            .into_dimensionality::<Ix1>()
            .unwrap();
        let acc2_bound = linear_bound(&dense(
            worst.view(),
            abs(&self.w2).view(),
            abs(&self.b2).view(),
        )?);
        let out = rescale_tensor(
            &dense(h.quotient.view(), w2.view(), b2.view())?,
            acc2_bound,
            &n,
        )?;
        for (a, b) in out.quotient.iter().zip(y.iter()) {
            a.enforce_equal(b)?;
        }
        Ok(())
    }
}

fn main() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut q = |shape: (usize, usize), r: f64| {
        Array2::from_shape_fn(shape, |_| SCALE.quantize(rng.gen_range(-r..r)))
    };
    let w1 = q((64, 32), 0.5);
    let w2 = q((32, 10), 0.5);
    let b1 = q((1, 32), 0.1).into_shape_with_order(32).unwrap();
    let b2 = q((1, 10), 0.1).into_shape_with_order(10).unwrap();
    // biases are added to the accumulator at scale S_x * S_w
    let s = BigInt::from(SCALE.value());
    let (b1, b2) = (b1.mapv(|b| b * &s), b2.mapv(|b| b * &s));
    let x = q((1, 64), 1.0).into_shape_with_order(64).unwrap();
    let mut m = Mlp {
        x,
        w1,
        b1,
        w2,
        b2,
        y: Array1::from_elem(10, BigInt::from(0)),
    };
    m.y = m.infer();

    let constraints = arkml::groth16::check(m.clone()).expect("satisfied");
    println!("model: Dense(64->32) -> rescale 2^16 -> Dense(32->10) -> rescale 2^16");
    println!("constraints: {constraints}");

    let mut rng = StdRng::seed_from_u64(42);
    let t = Instant::now();
    let pk = arkml::groth16::setup(m.clone(), &mut rng).expect("setup");
    println!("setup:  {:>8.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let proof = arkml::groth16::prove(&pk, m.clone(), &mut rng).expect("prove");
    println!("prove:  {:>8.3} s", t.elapsed().as_secs_f64());
    let public: Vec<Fr> = m.y.iter().map(to_field).collect();
    let t = Instant::now();
    let ok = arkml::groth16::verify(&pk.vk, &public, &proof).expect("verify");
    println!("verify: {:>8.3} s", t.elapsed().as_secs_f64());
    println!("output: {:?}", m.y.to_vec());
    println!("proof verifies: {ok}");
    assert!(ok);
    let mut wrong = public.clone();
    wrong[0] += Fr::from(1u64);
    let rejected = !arkml::groth16::verify(&pk.vk, &wrong, &proof).expect("verify");
    println!("a wrong output is rejected: {rejected}");
    assert!(rejected);
}
