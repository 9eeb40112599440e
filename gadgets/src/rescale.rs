//! Rescale: floor division by a scale with a range-checked remainder **and quotient**.
//!
//! Proves `v = q*n + r` with `0 <= r < n` (floor semantics, Python's `//`) for a value with
//! bound `-2^B <= v < 2^B`. The remainder is written as `k = bits(n-1)` boolean witnesses and
//! the quotient as `Bq + 1` boolean witnesses of `q + 2^Bq`, where `Bq` is the smallest width
//! with `-2^Bq <= floor(v/n) < 2^Bq` ([`quotient_bound`]). Both are linear combinations of
//! their bits, so one constraint ties them to `v`.
//!
//! Checking the quotient's range is what makes the division unique: with only
//! `0 <= r < n` checked (circomlib-ml checks not even that), `q = (v - r)/n` exists in the
//! field for every `r`, and a prover picks the output. The quotient's bits are returned, so a
//! following ReLU needs one more constraint (its sign bit is the last bit).
//!
//! **Cost** ([`rescale_cost`]): `k + (Bq + 1) + 1`, plus `k + 1` (the check `n - 1 - r >= 0`)
//! when `n` is not a power of two. For `n = 2^s` that is exactly `B + 2`: one decomposition of
//! `v + 2^B` split into remainder and quotient. `n = 1` costs nothing.

use ark_ff::PrimeField;
use ark_r1cs_std::{boolean::Boolean, eq::EqGadget, fields::fp::FpVar, GR1CSVar};
use ark_relations::gr1cs::SynthesisError;
use num_bigint::{BigInt, BigUint};
use num_integer::Integer;
use num_traits::{One, Zero};

use crate::error::{Error, Result};
use crate::fixed::{
    check_bound, fits_signed, floor_div, from_field, is_pow2, pow2, remainder_bits, to_field,
};
use crate::range::{alloc_bits, check_value, decompose};

/// The result of a rescale.
#[derive(Clone, Debug)]
pub struct Rescaled<F: PrimeField> {
    /// `q = floor(v / n)`.
    pub quotient: FpVar<F>,
    /// `r = v - q*n`, in `[0, n)`.
    pub remainder: FpVar<F>,
    /// The proven bound of the quotient: `-2^Bq <= q < 2^Bq`.
    pub quotient_bound: u32,
    /// The `Bq + 1` bits of `q + 2^Bq`, little-endian; the last is `1` iff `q >= 0`. Empty
    /// when `n = 1` or `v` is a constant.
    pub quotient_bits: Vec<Boolean<F>>,
}

/// The smallest `Bq` with `-2^Bq <= floor(v / n) < 2^Bq` for every `-2^B <= v < 2^B`.
pub fn quotient_bound(v_bound: u32, n: &BigUint) -> u32 {
    // need 2^Bq >= ceil(2^B / n); the upper side floor((2^B - 1)/n) < 2^Bq follows.
    let need = Integer::div_ceil(&(BigUint::one() << v_bound), n);
    if need <= BigUint::one() {
        0
    } else {
        (need - 1u32).bits() as u32
    }
}

/// The exact number of constraints [`rescale`] writes for a variable `v` with bound `v_bound`.
pub fn rescale_cost(v_bound: u32, n: &BigUint) -> usize {
    if n.is_one() {
        return 0;
    }
    let k = remainder_bits(n) as usize;
    let bq = quotient_bound(v_bound, n) as usize;
    let extra = if is_pow2(n) { 0 } else { k + 1 };
    k + bq + 1 + 1 + extra
}

/// Native twin of [`rescale`]: `(floor(v / n), v mod n)` with `0 <= r < n`.
pub fn native_rescale(v: &BigInt, n: &BigUint) -> (BigInt, BigInt) {
    floor_div(v, n)
}

fn validate<F: PrimeField>(v_bound: u32, n: &BigUint) -> Result<()> {
    if n.is_zero() {
        return Err(Error::param("divisor", "must be at least 1"));
    }
    check_bound::<F>("rescale input", v_bound)?;
    let bq = quotient_bound(v_bound, n);
    let rhs_bits = bq + n.bits() as u32 + 1;
    let max = F::MODULUS_BIT_SIZE - 2;
    if rhs_bits > max {
        return Err(Error::BoundTooLarge {
            what: "rescale: quotient * divisor".into(),
            bits: rhs_bits,
            max,
        });
    }
    Ok(())
}

/// Floor-divides `v` (with `-2^v_bound <= v < 2^v_bound`) by `n`, taking the quotient and
/// remainder from the native twin. See the module docs for what it proves and costs.
///
/// Errors: `n = 0`, a bound too large for the field, or (when proving) a `v` outside its
/// declared bound.
///
/// ```
/// use ark_bn254::Fr;
/// use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar, GR1CSVar};
/// use ark_relations::gr1cs::ConstraintSystem;
/// use arkml_gadgets::{fixed::{to_field, from_field}, rescale::{rescale, rescale_cost}};
/// use num_bigint::{BigInt, BigUint};
///
/// let cs = ConstraintSystem::<Fr>::new_ref();
/// let v = FpVar::new_witness(cs.clone(), || Ok(to_field::<Fr>(&BigInt::from(-1001)))).unwrap();
/// let out = rescale(&v, 12, &BigUint::from(1000u32)).unwrap();
/// assert_eq!(from_field(out.quotient.value().unwrap()), BigInt::from(-2));
/// assert_eq!(from_field(out.remainder.value().unwrap()), BigInt::from(999));
/// assert_eq!(cs.num_constraints(), rescale_cost(12, &BigUint::from(1000u32)));
/// assert!(cs.is_satisfied().unwrap());
/// ```
pub fn rescale<F: PrimeField>(v: &FpVar<F>, v_bound: u32, n: &BigUint) -> Result<Rescaled<F>> {
    validate::<F>(v_bound, n)?;
    check_value(
        "rescale input",
        v,
        |x| fits_signed(x, v_bound),
        || format!("[-2^{v_bound}, 2^{v_bound})"),
    )?;
    let n2 = n.clone();
    rescale_with_claim(v, v_bound, n, || {
        let x = from_field(v.value()?);
        Ok(floor_div(&x, &n2))
    })
}

/// Like [`rescale`], but the prover's claimed `(q, r)` comes from `claim` instead of the
/// native twin, and nothing is checked natively. This is the gadget as a dishonest prover
/// sees it: any claim other than the true floor division leaves the system unsatisfied.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn rescale_with_claim<F: PrimeField>(
    v: &FpVar<F>,
    v_bound: u32,
    n: &BigUint,
    claim: impl FnOnce() -> core::result::Result<(BigInt, BigInt), SynthesisError>,
) -> Result<Rescaled<F>> {
    rescale_bounded(v, v_bound, n, quotient_bound(v_bound, n), claim)
}

/// Floor-divides `v` by `n` as [`rescale`] does, but range-checks the quotient to a
/// narrower width `q_bound` (a bound calibrated from data, below [`quotient_bound`]): the
/// output is proven within `[-2^q_bound, 2^q_bound)`, so every layer after it sees a small
/// bound, and the rescale costs `q_bound` in place of `quotient_bound(v_bound, n)`.
///
/// Still sound: `v = q*n + r` holds in the field with `|q*n + r| < 2^(q_bound + bits(n))`
/// and `|v| < 2^v_bound`, both below `p / 2`, so it holds over the integers and `q` is the
/// floor. What is lost is completeness: a `v` whose quotient exceeds the width cannot be
/// proven — natively that is [`Error::OutOfRange`], before any constraint. Cost
/// ([`rescale_within_cost`]): [`rescale_cost`] with `q_bound` for the quotient width.
/// Dividing by 1 is free and narrows nothing (the output keeps `v_bound`).
///
/// ```
/// use ark_bn254::Fr;
/// use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar, GR1CSVar};
/// use ark_relations::gr1cs::ConstraintSystem;
/// use arkml_gadgets::{fixed::{to_field, from_field}, rescale::{rescale_within, rescale_within_cost}};
/// use num_bigint::{BigInt, BigUint};
///
/// let cs = ConstraintSystem::<Fr>::new_ref();
/// let n = BigUint::from(256u32);
/// let v = FpVar::new_witness(cs.clone(), || Ok(to_field::<Fr>(&BigInt::from(-5000)))).unwrap();
/// // v is declared up to 2^60, but its quotient is known (calibrated) within 2^6
/// let out = rescale_within(&v, 60, &n, 6).unwrap();
/// assert_eq!(from_field(out.quotient.value().unwrap()), BigInt::from(-20));
/// assert_eq!(out.quotient_bound, 6);
/// assert_eq!(cs.num_constraints(), rescale_within_cost(60, &n, 6));
/// assert!(cs.is_satisfied().unwrap());
/// // a value whose quotient is beyond the width is refused, not proven
/// let big = FpVar::new_witness(cs.clone(), || Ok(to_field::<Fr>(&BigInt::from(1 << 20)))).unwrap();
/// assert!(rescale_within(&big, 60, &n, 6).is_err());
/// ```
pub fn rescale_within<F: PrimeField>(
    v: &FpVar<F>,
    v_bound: u32,
    n: &BigUint,
    q_bound: u32,
) -> Result<Rescaled<F>> {
    validate::<F>(v_bound, n)?;
    let bq = within_bound(v_bound, n, q_bound);
    check_value(
        "rescale input",
        v,
        |x| fits_signed(x, v_bound),
        || format!("[-2^{v_bound}, 2^{v_bound})"),
    )?;
    check_value(
        "rescale quotient (calibrated width)",
        v,
        |x| fits_signed(&floor_div(x, n).0, bq),
        || format!("a quotient in [-2^{bq}, 2^{bq}) after dividing by {n}"),
    )?;
    let n2 = n.clone();
    rescale_bounded(v, v_bound, n, bq, || {
        let x = from_field(v.value()?);
        Ok(floor_div(&x, &n2))
    })
}

/// [`rescale_within`] with the prover's claimed `(q, r)` from `claim` and nothing checked
/// natively: the gadget as a dishonest prover sees it (for tamper tests).
pub fn rescale_within_with_claim<F: PrimeField>(
    v: &FpVar<F>,
    v_bound: u32,
    n: &BigUint,
    q_bound: u32,
    claim: impl FnOnce() -> core::result::Result<(BigInt, BigInt), SynthesisError>,
) -> Result<Rescaled<F>> {
    rescale_bounded(v, v_bound, n, within_bound(v_bound, n, q_bound), claim)
}

/// The width [`rescale_within`] proves: `q_bound`, at most [`quotient_bound`], and
/// `v_bound` when `n = 1` (nothing is checked, so nothing narrows).
pub fn within_bound(v_bound: u32, n: &BigUint, q_bound: u32) -> u32 {
    if n.is_one() {
        v_bound
    } else {
        q_bound.min(quotient_bound(v_bound, n))
    }
}

/// The exact number of constraints [`rescale_within`] writes for a variable `v`.
pub fn rescale_within_cost(v_bound: u32, n: &BigUint, q_bound: u32) -> usize {
    if n.is_one() {
        return 0;
    }
    let k = remainder_bits(n) as usize;
    let bq = q_bound.min(quotient_bound(v_bound, n)) as usize;
    let extra = if is_pow2(n) { 0 } else { k + 1 };
    k + bq + 1 + 1 + extra
}

/// [`rescale_with_claim`] with the quotient range-checked to `bq` bits (at most
/// [`quotient_bound`]; [`rescale_within`] checks the width is sound).
fn rescale_bounded<F: PrimeField>(
    v: &FpVar<F>,
    v_bound: u32,
    n: &BigUint,
    bq: u32,
    claim: impl FnOnce() -> core::result::Result<(BigInt, BigInt), SynthesisError>,
) -> Result<Rescaled<F>> {
    validate::<F>(v_bound, n)?;
    if n.is_one() {
        return Ok(Rescaled {
            quotient: v.clone(),
            remainder: FpVar::Constant(F::zero()),
            quotient_bound: v_bound,
            quotient_bits: vec![],
        });
    }
    let n_f: F = F::from(n.clone());
    if let FpVar::Constant(c) = v {
        let (q, r) = floor_div(&from_field(*c), n);
        if !fits_signed(&q, bq) {
            return Err(Error::OutOfRange {
                what: "rescale input (constant)".into(),
                value: from_field(*c).to_string(),
                range: format!("[-2^{v_bound}, 2^{v_bound})"),
            });
        }
        return Ok(Rescaled {
            quotient: FpVar::Constant(to_field(&q)),
            remainder: FpVar::Constant(to_field(&r)),
            quotient_bound: bq,
            quotient_bits: vec![],
        });
    }
    let cs = v.cs();
    let k = remainder_bits(n);
    let claimed = claim();
    let q_val = claimed
        .as_ref()
        .map(|(q, _)| to_field::<F>(&(q + pow2(bq))))
        .map_err(|e| *e);
    let r_val = claimed
        .as_ref()
        .map(|(_, r)| to_field::<F>(r))
        .map_err(|e| *e);
    let (_, remainder) = alloc_bits(cs.clone(), r_val, k)?;
    let (quotient_bits, q_shifted) = alloc_bits(cs, q_val, bq + 1)?;
    let quotient = q_shifted - to_field::<F>(&pow2(bq));
    v.enforce_equal(&(&quotient * n_f + &remainder))?;
    if !is_pow2(n) {
        // r <= n - 1: decompose n - 1 - r into k bits.
        let slack = FpVar::Constant(F::from(n - 1u32)) - &remainder;
        decompose(&slack, &BigInt::zero(), k)?;
    }
    Ok(Rescaled {
        quotient,
        remainder,
        quotient_bound: bq,
        quotient_bits,
    })
}

/// A rescaled tensor: quotients, remainders and the quotients' proven bound.
#[derive(Clone, Debug)]
pub struct RescaledTensor<F: PrimeField, D: ndarray::Dimension> {
    /// `floor(v / n)` elementwise.
    pub quotient: ndarray::Array<FpVar<F>, D>,
    /// `v - q*n` elementwise, each in `[0, n)`.
    pub remainder: ndarray::Array<FpVar<F>, D>,
    /// The bound every quotient is proven to satisfy.
    pub bound: u32,
}

/// [`rescale`] applied to every element. Cost: `len * rescale_cost(v_bound, n)`.
pub fn rescale_tensor<F: PrimeField, D: ndarray::Dimension>(
    v: &ndarray::Array<FpVar<F>, D>,
    v_bound: u32,
    n: &BigUint,
) -> Result<RescaledTensor<F, D>> {
    let parts = crate::tensor::try_map(v, |x| rescale(x, v_bound, n))?;
    Ok(RescaledTensor {
        quotient: parts.map(|p| p.quotient.clone()),
        remainder: parts.map(|p| p.remainder.clone()),
        bound: quotient_bound(v_bound, n),
    })
}

/// Native twin of [`rescale_tensor`]: `(quotients, remainders)`.
pub fn native_rescale_tensor<D: ndarray::Dimension>(
    v: &ndarray::Array<BigInt, D>,
    n: &BigUint,
) -> (ndarray::Array<BigInt, D>, ndarray::Array<BigInt, D>) {
    let qr = v.map(|x| floor_div(x, n));
    (qr.map(|p| p.0.clone()), qr.map(|p| p.1.clone()))
}
