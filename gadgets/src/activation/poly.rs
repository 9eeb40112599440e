//! Poly (circomlib-ml's ZeLU-style polynomial activation): `out = floor((x^2 + n*x) / n)`.
//!
//! With `x` at scale `n`, `x^2 + n*x` is at scale `n^2`; the rescale by `n` proves
//! `out*n + r = x^2 + n*x`, `0 <= r < n`. Cost: `1 + rescale_cost(poly_bound(B, n), n)`
//! (one multiplication `x*x`).

use ark_ff::PrimeField;
use ark_r1cs_std::fields::fp::FpVar;
use num_bigint::{BigInt, BigUint};

use crate::error::Result;
use crate::fixed::{bits_for_abs, check_bound, floor_div, pow2};
use crate::rescale::{rescale, Rescaled};

/// The constraints [`poly`] writes for a variable with bound `b`:
/// `1 + rescale_cost(poly_bound(b, n), n)`.
pub fn poly_cost(b: u32, n: &BigUint) -> usize {
    1 + crate::rescale::rescale_cost(poly_bound(b, n), n)
}

/// The bound of `x^2 + n*x` for `-2^b <= x < 2^b`.
pub fn poly_bound(b: u32, n: &BigUint) -> u32 {
    let m = pow2(b).magnitude().clone();
    bits_for_abs(&(&m * &m + n * &m))
}

/// Native twin of [`poly`]: `(out, remainder)`.
pub fn native_poly(x: &BigInt, n: &BigUint) -> (BigInt, BigInt) {
    floor_div(&(x * x + BigInt::from(n.clone()) * x), n)
}

/// In circuit, for `-2^b <= x < 2^b`.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn poly<F: PrimeField>(x: &FpVar<F>, b: u32, n: &BigUint) -> Result<Rescaled<F>> {
    let pb = check_bound::<F>("poly x^2 + n*x", poly_bound(b, n))?;
    crate::range::check_value(
        "poly input",
        x,
        |v| crate::fixed::fits_signed(v, b),
        || format!("[-2^{b}, 2^{b})"),
    )?;
    let v = x * x + x * F::from(n.clone());
    rescale(&v, pb, n)
}
