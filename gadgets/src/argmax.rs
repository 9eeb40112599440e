//! ArgMax(n): the first index of the maximum (ties go to the lowest index).
//!
//! A running `(best, index)` pair: for each next value `v_i`, `t = [best < v_i]`
//! ([`is_lt`], a bounded comparison), `best += t * (v_i - best)`, `index += t * (i - index)`.
//! Strict comparison keeps the first maximum. Cost: `(n - 1) * (D + 4) - 1` for `n >= 2`
//! (the first index update multiplies by a constant), where `D` is the bound of a difference
//! ([`diff_bound`](crate::compare::diff_bound); `B + 1` for values with bound `B`, so
//! `(n - 1)(B + 5) - 1`). circomlib-ml's ArgMax(10) costs 2,547.

use ark_ff::PrimeField;
use ark_r1cs_std::fields::fp::FpVar;
use ndarray::ArrayView1;
use num_bigint::BigInt;

use crate::compare::is_lt;
use crate::error::{Error, Result};

/// Native twin of [`argmax`]: the first index of the maximum; an error for an empty input.
pub fn native_argmax(x: ArrayView1<BigInt>) -> Result<usize> {
    let mut best = 0;
    if x.is_empty() {
        return Err(Error::param("argmax input", "must not be empty"));
    }
    for i in 1..x.len() {
        if x[i] > x[best] {
            best = i;
        }
    }
    Ok(best)
}

/// The constraints [`argmax`] writes for `n` values whose differences have bound `d`:
/// `(n - 1)(d + 4) - 1` for `n >= 2`, 0 for one value.
pub fn argmax_cost(n: usize, d: u32) -> usize {
    if n < 2 {
        0
    } else {
        (n - 1) * (d as usize + 4) - 1
    }
}

/// In circuit: the first index of the maximum of `x`, where every difference of two elements
/// has bound `d`. Returns `(index, max)`.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn argmax<F: PrimeField>(x: ArrayView1<FpVar<F>>, d: u32) -> Result<(FpVar<F>, FpVar<F>)> {
    if x.is_empty() {
        return Err(Error::param("argmax input", "must not be empty"));
    }
    let mut best = x[0].clone();
    let mut index = FpVar::Constant(F::zero());
    for (i, v) in x.iter().enumerate().skip(1) {
        let t = FpVar::from(is_lt(&best, v, d)?);
        best = &best + &t * (v - &best);
        index = &index + t * (FpVar::Constant(F::from(i as u64)) - &index);
    }
    Ok((index, best))
}
