//! The product of two activations, `z = x * y` (SiLU's `x * sigmoid(x)`, HardSwish,
//! squeeze-excite's channel gate, gated units): one constraint per product, always (a
//! constant operand is multiplied in a constraint too, so the count does not depend on the
//! values). With both operands at scale `S` the product is at `S^2`; the rescale back to `S`
//! is a separate step.

use ark_ff::PrimeField;
use ark_r1cs_std::{
    alloc::AllocVar,
    fields::{fp::FpVar, FieldVar},
    GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use num_bigint::BigInt;

use crate::error::Result;
use crate::fixed::check_bound;

/// The constraints [`product`] writes: 1.
pub fn product_cost() -> usize {
    1
}

/// The bound of `x * y` for `-2^a <= x < 2^a` and `-2^b <= y < 2^b`: `a + b + 1` (the
/// product of the two lower ends is `2^(a + b)`, one past `a + b` bits).
pub fn product_bound(a: u32, b: u32) -> u32 {
    a.saturating_add(b).saturating_add(1)
}

/// Native twin of [`product`].
pub fn native_product(x: &BigInt, y: &BigInt) -> BigInt {
    x * y
}

/// `x * y` in circuit: a new witness `z` and the constraint `x * y = z`, for values with
/// bounds `a` and `b` (the product's bound [`product_bound`] must fit the field). With no
/// constraint system (both operands constant) the constant product.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn product<F: PrimeField>(x: &FpVar<F>, y: &FpVar<F>, a: u32, b: u32) -> Result<FpVar<F>> {
    check_bound::<F>("product of two activations", product_bound(a, b))?;
    let cs: ConstraintSystemRef<F> = x.cs().or(y.cs());
    if cs.is_none() {
        return Ok(x * y);
    }
    let value = || -> std::result::Result<F, SynthesisError> { Ok(x.value()? * y.value()?) };
    let z = FpVar::new_witness(cs, value)?;
    x.mul_equals(y, &z)?;
    Ok(z)
}
