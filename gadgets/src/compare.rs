//! Sign and bounded comparisons: `x >= 0`, `x < y`, `x <= y`, `max(x, y)`.
//!
//! Each decomposes a **bounded** difference, never the whole field: for a difference with
//! bound `D` (`-2^D <= d < 2^D`) the sign costs one `(D+1)`-bit decomposition of `d + 2^D`,
//! i.e. `D + 2` constraints (see [`crate::range::enforce_bound`]). Two values with bound `B`
//! have a difference with bound `B + 1`; two non-negative values with bound `B`, bound `B`
//! ([`diff_bound`]).
//!
//! | gadget | constraints |
//! |---|---|
//! | [`is_nonnegative`]`(x, B)` | `B + 2` |
//! | [`is_lt`] / [`is_le`]`(x, y, D)` | `D + 2` |
//! | [`max`]`(x, y, D)` | `D + 3` |
//!
//! Values outside their declared bounds cannot be proven (the decomposition fails): the
//! alias trick against full-width decompositions (write `x + p`) has no room in `D + 1` bits.

use ark_ff::PrimeField;
use ark_r1cs_std::{boolean::Boolean, fields::fp::FpVar};
use num_bigint::BigInt;

use crate::error::Result;
use crate::range::enforce_bound;

/// The bound of `x - y` for two values with bound `b`: `b + 1`, or `b` when both are known
/// non-negative.
pub fn diff_bound(b: u32, both_nonnegative: bool) -> u32 {
    if both_nonnegative {
        b
    } else {
        b + 1
    }
}

/// The bound of `x - y` for `x` with bound `bx` and `y` with bound `by`: the larger bound
/// plus one.
pub fn diff_bound_of(bx: u32, by: u32) -> u32 {
    bx.max(by) + 1
}

/// `x >= 0` for `-2^b <= x < 2^b`. Costs `b + 2` constraints.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn is_nonnegative<F: PrimeField>(x: &FpVar<F>, b: u32) -> Result<Boolean<F>> {
    let bits = enforce_bound(x, b)?;
    Ok(bits.last().cloned().unwrap_or(Boolean::Constant(true)))
}

/// `x < y`, where `x - y` has bound `d` (`-2^d <= x - y - 1 < 2^d` is what is decomposed).
/// Costs `d + 2` constraints.
pub fn is_lt<F: PrimeField>(x: &FpVar<F>, y: &FpVar<F>, d: u32) -> Result<Boolean<F>> {
    // x < y  <=>  y - x - 1 >= 0; y - x - 1 lies in [-2^d, 2^d) when x - y does.
    is_nonnegative(&(y - x - F::one()), d)
}

/// `x <= y`, where `x - y` has bound `d`. Costs `d + 2` constraints.
pub fn is_le<F: PrimeField>(x: &FpVar<F>, y: &FpVar<F>, d: u32) -> Result<Boolean<F>> {
    // y - x lies in (-2^d, 2^d] ; y - x - 1 in [-2^d, 2^d): x <= y <=> !(y < x)
    Ok(!is_lt(y, x, d)?)
}

/// The constraints [`is_lt`], [`is_le`] and [`is_nonnegative`] write when the difference (or
/// the value) has bound `d`: `d + 2`.
pub fn compare_cost(d: u32) -> usize {
    d as usize + 2
}

/// The constraints [`max`] writes when `x - y` has bound `d`: `d + 3`.
pub fn max_cost(d: u32) -> usize {
    d as usize + 3
}

/// `max(x, y)` where `x - y` has bound `d`: `y + [x >= y] * (x - y)`. Costs `d + 3`.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn max<F: PrimeField>(x: &FpVar<F>, y: &FpVar<F>, d: u32) -> Result<FpVar<F>> {
    let diff = x - y;
    let ge = is_nonnegative(&diff, d)?;
    Ok(y + FpVar::from(ge) * diff)
}

/// Native twin of [`max`].
pub fn native_max(x: &BigInt, y: &BigInt) -> BigInt {
    x.max(y).clone()
}
