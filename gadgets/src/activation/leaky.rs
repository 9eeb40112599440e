//! LeakyReLU with a rational slope `a / d` (`d = 2^k` or `10^k`): `out = x` for `x >= 0`,
//! `floor(a*x / d)` for `x < 0` (floor semantics, range-checked remainder).
//!
//! Circuit: the sign bit of `x` (a `(B+1)`-bit decomposition), the rescale of `a*x` by `d`,
//! and `out = q + s*(x - q)`. Cost: `(B + 2) + rescale_cost(B + bits(|a|), d) + 1`.

use ark_ff::PrimeField;
use ark_r1cs_std::fields::fp::FpVar;
use num_bigint::{BigInt, BigUint};
use num_traits::Signed;

use crate::compare::is_nonnegative;
use crate::error::{Error, Result};
use crate::fixed::{check_bound, floor_div, to_field};
use crate::rescale::rescale;

/// Native twin of [`leaky_relu`].
pub fn native_leaky_relu(x: &BigInt, a: &BigInt, d: &BigUint) -> BigInt {
    if !x.is_negative() {
        x.clone()
    } else {
        floor_div(&(x * a), d).0
    }
}

/// The bound of `a*x` for `-2^b <= x < 2^b`.
fn scaled_bound(b: u32, a: &BigInt) -> u32 {
    b + a.magnitude().bits() as u32
}

/// The constraints [`leaky_relu`] writes for a variable with bound `b`:
/// `(b + 2) + rescale_cost(b + bits(|a|), d) + 1`, the rescale free when `a = 0` (`a x`
/// is then the constant 0).
pub fn leaky_relu_cost(b: u32, a: &BigInt, d: &BigUint) -> usize {
    let scaled = if a.sign() == num_bigint::Sign::NoSign {
        0
    } else {
        crate::rescale::rescale_cost(scaled_bound(b, a), d)
    };
    (b as usize + 2) + scaled + 1
}

/// In circuit, for `-2^b <= x < 2^b`. Errors for `d = 0`.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn leaky_relu<F: PrimeField>(
    x: &FpVar<F>,
    b: u32,
    a: &BigInt,
    d: &BigUint,
) -> Result<FpVar<F>> {
    if d == &BigUint::from(0u32) {
        return Err(Error::param(
            "leaky relu slope denominator",
            "must be at least 1",
        ));
    }
    let sb = check_bound::<F>("leaky relu a*x", scaled_bound(b, a))?;
    let s = is_nonnegative(x, b)?;
    let q = rescale(&(x * to_field::<F>(a)), sb, d)?.quotient;
    Ok(&q + FpVar::from(s) * (x - &q))
}
