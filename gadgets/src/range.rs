//! Bounded bit decomposition: range checks, signed bounds and sign bits.
//!
//! Every check here decomposes into **exactly as many bits as the bound needs**, never the
//! whole field: a `k`-bit check costs `k` booleanity constraints plus one recomposition
//! constraint (`k + 1`). Because `2^k` stays far below `p` (`k <= MODULUS_BIT_SIZE - 2`),
//! the recomposition cannot wrap around the field, so no alias check is needed.
//!
//! | gadget | proves | constraints |
//! |---|---|---|
//! | [`enforce_unsigned`]`(x, k)` | `0 <= x < 2^k` | `k + 1` |
//! | [`enforce_signed`]`(x, k)` | `-2^(k-1) <= x < 2^(k-1)` | `k + 1` |
//! | [`enforce_bound`]`(x, B)` | `-2^B <= x < 2^B`, and returns the sign bit | `B + 2` |
//!
//! A constant input is checked natively and costs nothing.

use ark_ff::PrimeField;
use ark_r1cs_std::{
    alloc::AllocVar,
    boolean::Boolean,
    eq::EqGadget,
    fields::fp::{AllocatedFp, FpVar},
    GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError};
use num_bigint::{BigInt, BigUint};

use crate::error::{Error, Result};
use crate::fixed::{fits_signed, fits_unsigned, from_field, pow2, to_field};

/// The widest decomposition this module writes for field `F` (`MODULUS_BIT_SIZE - 2`).
pub fn max_decomposition_bits<F: PrimeField>() -> u32 {
    F::MODULUS_BIT_SIZE - 2
}

fn check_width<F: PrimeField>(what: &str, k: u32) -> Result<()> {
    let max = max_decomposition_bits::<F>();
    if k > max {
        return Err(Error::BoundTooLarge {
            what: what.to_string(),
            bits: k,
            max,
        });
    }
    Ok(())
}

/// The low `k` bits (little-endian) of the canonical integer of a field element.
pub fn native_bits<F: PrimeField>(f: F, k: u32) -> Vec<bool> {
    let u: BigUint = f.into();
    (0..k as u64).map(|i| u.bit(i)).collect()
}

/// Allocates `k` boolean witnesses holding the low `k` bits of `value` (its canonical
/// integer in `[0, p)`), and returns them with their weighted sum `sum b_i 2^i` as a linear
/// combination. Costs `k` constraints (booleanity); the caller ties the sum to something.
///
/// This is the raw building block: it never fails on a value that does not fit, it assigns
/// the low bits and lets the caller's constraint fail. Prefer [`enforce_unsigned`] and friends.
pub fn alloc_bits<F: PrimeField>(
    cs: ConstraintSystemRef<F>,
    value: core::result::Result<F, SynthesisError>,
    k: u32,
) -> Result<(Vec<Boolean<F>>, FpVar<F>)> {
    check_width::<F>("bit decomposition", k)?;
    let native = value.map(|v| native_bits(v, k));
    let mut bits = Vec::with_capacity(k as usize);
    for i in 0..k as usize {
        let bit =
            Boolean::new_witness(cs.clone(), || native.as_ref().map(|b| b[i]).map_err(|e| *e))?;
        bits.push(bit);
    }
    let sum = weighted_sum(&cs, &bits)?;
    Ok((bits, sum))
}

/// `sum b_i 2^i` as one linear combination (no constraint).
pub fn weighted_sum<F: PrimeField>(
    cs: &ConstraintSystemRef<F>,
    bits: &[Boolean<F>],
) -> Result<FpVar<F>> {
    let mut terms = Vec::with_capacity(bits.len());
    let mut constant = F::zero();
    let mut coeff = F::one();
    let mut value = Some(F::zero());
    for bit in bits {
        match bit {
            Boolean::Var(b) => terms.push((coeff, b.variable())),
            Boolean::Constant(true) => constant += coeff,
            Boolean::Constant(false) => {}
        }
        value = match (value, bit.value()) {
            (Some(acc), Ok(true)) => Some(acc + coeff),
            (Some(acc), Ok(false)) => Some(acc),
            _ => None,
        };
        coeff.double_in_place();
    }
    if terms.is_empty() {
        return Ok(FpVar::Constant(constant));
    }
    let value = value.map(|v| v - constant);
    let var = cs.new_lc(|| LinearCombination(terms))?;
    Ok(FpVar::Var(AllocatedFp::new(value, var, cs.clone())) + constant)
}

/// Decomposes `x + offset` into `k` bits and enforces the recomposition. Costs `k + 1`
/// constraints (`0` when `x` is a constant). Proves `0 <= x + offset < 2^k`.
///
/// No native check: a value that does not fit leaves the system unsatisfied.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn decompose<F: PrimeField>(x: &FpVar<F>, offset: &BigInt, k: u32) -> Result<Vec<Boolean<F>>> {
    check_width::<F>("bit decomposition", k)?;
    let off: F = to_field(offset);
    if let FpVar::Constant(c) = x {
        let shifted = *c + off;
        let v = from_field(shifted);
        if !fits_unsigned(&v, k) {
            return Err(Error::OutOfRange {
                what: "constant".into(),
                value: (v - offset).to_string(),
                range: format!("[{}, {})", -offset, pow2(k) - offset),
            });
        }
        return Ok(native_bits(shifted, k)
            .into_iter()
            .map(Boolean::Constant)
            .collect());
    }
    let cs = x.cs();
    let (bits, sum) = alloc_bits(cs, x.value().map(|v| v + off), k)?;
    (x + off).enforce_equal(&sum)?;
    Ok(bits)
}

/// In prove mode, errors with [`Error::OutOfRange`] when `x`'s value lies outside
/// `[lo, hi)`. In setup mode (no values) it does nothing.
pub(crate) fn check_value<F: PrimeField>(
    what: &str,
    x: &FpVar<F>,
    fits: impl Fn(&BigInt) -> bool,
    range: impl Fn() -> String,
) -> Result<()> {
    if let Ok(v) = x.value() {
        let v = from_field(v);
        if !fits(&v) {
            return Err(Error::OutOfRange {
                what: what.to_string(),
                value: v.to_string(),
                range: range(),
            });
        }
    }
    Ok(())
}

/// The constraints [`enforce_unsigned`] and [`enforce_signed`] write for a `k`-bit range on a
/// variable: `k + 1` (a constant is checked natively and costs nothing).
pub fn range_cost(k: u32) -> usize {
    k as usize + 1
}

/// The constraints [`enforce_bound`] writes for the bound `b` on a variable: `b + 2`.
pub fn bound_cost(b: u32) -> usize {
    b as usize + 2
}

/// Proves `0 <= x < 2^k`. Costs `k + 1` constraints; returns the `k` bits, little-endian.
///
/// A witness that does not fit is a typed error ([`Error::OutOfRange`]), never a circuit that
/// silently proves something else.
///
/// ```
/// use ark_bn254::Fr;
/// use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar};
/// use ark_relations::gr1cs::ConstraintSystem;
/// use arkml_gadgets::range::enforce_unsigned;
///
/// let cs = ConstraintSystem::<Fr>::new_ref();
/// let x = FpVar::new_witness(cs.clone(), || Ok(Fr::from(200u64))).unwrap();
/// enforce_unsigned(&x, 8).unwrap();
/// assert_eq!(cs.num_constraints(), 9);
/// assert!(cs.is_satisfied().unwrap());
/// assert!(enforce_unsigned(&x, 7).is_err()); // 200 >= 2^7
/// ```
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn enforce_unsigned<F: PrimeField>(x: &FpVar<F>, k: u32) -> Result<Vec<Boolean<F>>> {
    check_width::<F>("unsigned range check", k)?;
    check_value(
        "value",
        x,
        |v| fits_unsigned(v, k),
        || format!("[0, 2^{k})"),
    )?;
    decompose(x, &BigInt::from(0), k)
}

/// Proves `-2^(k-1) <= x < 2^(k-1)` (a `k`-bit two's-complement value) by decomposing
/// `x + 2^(k-1)` into `k` bits. Costs `k + 1` constraints; returns those bits, whose last one
/// is `1` exactly when `x >= 0`.
pub fn enforce_signed<F: PrimeField>(x: &FpVar<F>, k: u32) -> Result<Vec<Boolean<F>>> {
    if k == 0 {
        return Err(Error::param("k", "a signed range needs at least one bit"));
    }
    enforce_bound(x, k - 1)
}

/// Proves the bound `-2^b <= x < 2^b` by decomposing `x + 2^b` into `b + 1` bits. Costs
/// `b + 2` constraints. The returned bits' last one is the sign bit: `1` iff `x >= 0`.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn enforce_bound<F: PrimeField>(x: &FpVar<F>, b: u32) -> Result<Vec<Boolean<F>>> {
    check_width::<F>("signed range check", b.saturating_add(1))?;
    check_value(
        "value",
        x,
        |v| fits_signed(v, b),
        || format!("[-2^{b}, 2^{b})"),
    )?;
    decompose(x, &pow2(b), b + 1)
}

/// Native twin of [`enforce_bound`]: the bits of `x + 2^b`, or `None` if `x` is out of range.
pub fn native_bound_bits(x: &BigInt, b: u32) -> Option<Vec<bool>> {
    if !fits_signed(x, b) {
        return None;
    }
    let shifted = x + pow2(b);
    Some((0..=b as u64).map(|i| shifted.bit(i)).collect())
}
