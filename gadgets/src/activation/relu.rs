//! ReLU for a value with bound `B`, and the fused rescale + ReLU.
//!
//! - [`relu`]: one `(B+1)`-bit decomposition of `x + 2^B` gives the sign bit `s` (`1` iff
//!   `x >= 0`), then `out = s * x`. **`B + 3` constraints.** ReLU(0) = 0.
//! - [`rescale_relu`]: the rescale already decomposes the quotient `q + 2^Bq`; its top bit is
//!   the sign, so the ReLU adds one constraint: **`rescale_cost(B, n) + 1`**, i.e. `B + 3`
//!   for `n = 2^s`.
//!
//! circomlib-ml's ReLU decomposes into 254 bits without an alias check (517 constraints) and
//! lets a prover make a positive input look negative; here the decomposition is bounded, so
//! the sign bit is unique.

use ark_ff::PrimeField;
use ark_r1cs_std::fields::fp::FpVar;
use num_bigint::{BigInt, BigUint};
use num_traits::{One, Zero};

use crate::compare::is_nonnegative;
use crate::error::Result;
use crate::rescale::{rescale, Rescaled};

/// Native twin of [`relu`].
pub fn native_relu(x: &BigInt) -> BigInt {
    if x > &BigInt::zero() {
        x.clone()
    } else {
        BigInt::zero()
    }
}

/// `max(x, 0)` for `-2^b <= x < 2^b`. Costs `b + 3` constraints.
///
/// ```
/// use ark_bn254::Fr;
/// use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar, GR1CSVar};
/// use ark_relations::gr1cs::ConstraintSystem;
/// use arkml_gadgets::{activation::relu, fixed::to_field};
/// use num_bigint::BigInt;
///
/// let cs = ConstraintSystem::<Fr>::new_ref();
/// let x = FpVar::new_witness(cs.clone(), || Ok(to_field::<Fr>(&BigInt::from(-7)))).unwrap();
/// let y = relu(&x, 8).unwrap();
/// assert_eq!(y.value().unwrap(), Fr::from(0u64));
/// assert_eq!(cs.num_constraints(), 8 + 3);
/// ```
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn relu<F: PrimeField>(x: &FpVar<F>, b: u32) -> Result<FpVar<F>> {
    let s = is_nonnegative(x, b)?;
    Ok(FpVar::from(s) * x)
}

/// The constraints [`rescale_relu`] writes for a variable with bound `b` rescaled by `n`:
/// `rescale_cost(b, n) + 1` (the ReLU reuses the quotient's sign bit); with `n = 1` there is
/// no rescale and the ReLU decomposes the value itself, `b + 3`.
pub fn rescale_relu_cost(b: u32, n: &BigUint) -> usize {
    if n.is_one() {
        super::relu_cost(b)
    } else {
        crate::rescale::rescale_cost(b, n) + 1
    }
}

/// Rescale by `n` then ReLU, reusing the quotient's sign bit. Returns the rescale (whose
/// quotient is the pre-activation) and the activation. Costs `rescale_cost(b, n) + 1`.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn rescale_relu<F: PrimeField>(
    v: &FpVar<F>,
    b: u32,
    n: &BigUint,
) -> Result<(Rescaled<F>, FpVar<F>)> {
    let r = rescale(v, b, n)?;
    let out = match r.quotient_bits.last() {
        Some(sign) => FpVar::from(sign.clone()) * &r.quotient,
        None => relu(&r.quotient, r.quotient_bound)?,
    };
    Ok((r, out))
}
