//! Cubic approximations of sigmoid and tanh with circomlib-ml's coefficients (fitted on
//! `[-5, 5]`, units of `10^-9`):
//!
//! - Zigmoid: `0.502073021 + 0.198695283 x - 0.001570683 x^2 - 0.004001354 x^3`, largest
//!   error against `1/(1+e^-x)` on `[-5, 5]`: **0.0798**.
//! - Zanh: `0.006769816 + 0.554670504 x - 0.009411195 x^2 - 0.014187547 x^3`, largest error
//!   against `tanh x` on `[-5, 5]`: **0.4596** (a cubic cannot follow tanh's saturation; the
//!   error is 0.229 on `[-2, 2]`). Both measured by the tests on a 0.001 grid.
//!
//! In fixed point at scale `S`: `y = floor((c0 S^3 + c1 x S^2 + c2 x^2 S + c3 x^3) / (10^9 S^2))`,
//! so `y / S` is the polynomial at `x / S` rounded down (a further error below `1 / S`).
//! Cost: 2 multiplications (`x^2`, `x^3`) plus `rescale_cost(cubic_bound(B, S), 10^9 S^2)`.

use ark_ff::PrimeField;
use ark_r1cs_std::fields::fp::FpVar;
use num_bigint::{BigInt, BigUint};

use crate::error::{Error, Result};
use crate::fixed::{bits_for_abs, check_bound, floor_div, pow2, to_field};
use crate::rescale::{rescale, Rescaled};

/// Coefficients `[c0, c1, c2, c3]` in units of `10^-9`.
pub type Cubic = [i64; 4];

/// circomlib-ml's sigmoid approximation.
pub const ZIGMOID: Cubic = [502_073_021, 198_695_283, -1_570_683, -4_001_354];
/// circomlib-ml's tanh approximation.
pub const ZANH: Cubic = [6_769_816, 554_670_504, -9_411_195, -14_187_547];

fn numerator_terms(s: &BigUint) -> [BigInt; 4] {
    let s = BigInt::from(s.clone());
    [&s * &s * &s, &s * &s, s.clone(), BigInt::from(1)]
}

/// The divisor `10^9 * S^2`.
pub fn cubic_divisor(scale: &BigUint) -> BigUint {
    BigUint::from(1_000_000_000u32) * scale * scale
}

/// The constraints [`cubic`] writes for a variable with bound `b`:
/// `2 + rescale_cost(cubic_bound(c, b, S), 10^9 S^2)`.
pub fn cubic_cost(c: &Cubic, b: u32, scale: &BigUint) -> usize {
    2 + crate::rescale::rescale_cost(cubic_bound(c, b, scale), &cubic_divisor(scale))
}

/// The bound of the numerator for `-2^b <= x < 2^b`.
pub fn cubic_bound(c: &Cubic, b: u32, scale: &BigUint) -> u32 {
    let m = pow2(b);
    let t = numerator_terms(scale);
    let max: BigInt = (0..4)
        .map(|i| BigInt::from(c[i].unsigned_abs()) * &t[i] * m.pow(i as u32))
        .sum();
    bits_for_abs(max.magnitude())
}

/// Native twin of [`cubic`]: `(out, remainder)`.
pub fn native_cubic(c: &Cubic, x: &BigInt, scale: &BigUint) -> (BigInt, BigInt) {
    let t = numerator_terms(scale);
    let n: BigInt = (0..4)
        .map(|i| BigInt::from(c[i]) * &t[i] * x.pow(i as u32))
        .sum();
    floor_div(&n, &cubic_divisor(scale))
}

/// In circuit, for `-2^b <= x < 2^b` at scale `scale`.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn cubic<F: PrimeField>(
    c: &Cubic,
    x: &FpVar<F>,
    b: u32,
    scale: &BigUint,
) -> Result<Rescaled<F>> {
    if scale == &BigUint::from(0u32) {
        return Err(Error::param("scale", "must be at least 1"));
    }
    let nb = check_bound::<F>("cubic numerator", cubic_bound(c, b, scale))?;
    crate::range::check_value(
        "cubic input",
        x,
        |v| crate::fixed::fits_signed(v, b),
        || format!("[-2^{b}, 2^{b})"),
    )?;
    let t = numerator_terms(scale);
    let x2 = x * x;
    let x3 = &x2 * x;
    let coef = |i: usize| to_field::<F>(&(BigInt::from(c[i]) * &t[i]));
    let n = FpVar::Constant(coef(0)) + x * coef(1) + &x2 * coef(2) + x3 * coef(3);
    rescale(&n, nb, &cubic_divisor(scale))
}
