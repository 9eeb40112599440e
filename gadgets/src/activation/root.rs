//! Checked integer roots and reciprocals: `floor(sqrt(c v))` (a square root at scale `S`
//! with `c = S`), `sign(v) floor(c / |v|)` (a reciprocal, `c = S^2`) and
//! `floor(sqrt(c / v))` (an inverse square root, `c = S^3`). The prover supplies the result
//! `y` and the circuit checks its bracket, so each is exact: the output is the floor of the
//! true value, an error below one unit of the output scale for every input in the domain
//! (the whole non-negative line for the square root, every non-zero value for the
//! reciprocal, every positive value for the inverse square root). An input outside the
//! domain (negative under a root, zero under a division) cannot be proven: natively it is
//! [`Error::OutOfRange`].
//!
//! For an input with bound `b` (`-2^b <= v < 2^b`) and `w` the bits of `c`:
//!
//! | kernel | checks | constraints |
//! |---|---|---|
//! | [`Root::Sqrt`] | `0 <= y < 2^h`, `y^2 <= c v < (y+1)^2` (`h = ceil((w + b) / 2)`) | `(h + 1) + 1 + 2 (h + 2)` |
//! | [`Root::Recip`] | sign `s` of `v`, `a = (2s - 1) v`, `0 <= q < 2^w`, `q a <= c < (q+1) a`, `y = (2s - 1) q` | `(b + 2) + 1 + (w + 1) + 1 + 2 (b + 1) + 1` |
//! | [`Root::Rsqrt`] | `0 <= y < 2^h`, `y^2 v <= c < (y+1)^2 v` (`h = ceil(w / 2)`) | `(h + 1) + 3 + (w + 1) + (max(w, b) + 3)` |
//!
//! Soundness: every value the checks compare is an integer below `2^(w + b + 2)` in
//! magnitude (checked against the field), so the field equations are integer ones, and the
//! bracket has exactly one integer solution.

use ark_ff::PrimeField;
use ark_r1cs_std::{
    alloc::AllocVar,
    fields::{fp::FpVar, FieldVar},
    GR1CSVar,
};
use ark_relations::gr1cs::SynthesisError;
use num_bigint::{BigInt, BigUint, Sign};
use num_traits::{Signed, Zero};

use crate::compare::is_nonnegative;
use crate::error::{Error, Result};
use crate::fixed::{check_bound, from_field, to_field};
use crate::range::{enforce_unsigned, range_cost};

/// Which checked kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Root {
    /// `floor(sqrt(c v))`, for `v >= 0`.
    Sqrt,
    /// `sign(v) floor(c / |v|)`, for `v != 0`.
    Recip,
    /// `floor(sqrt(c / v))`, for `v > 0`.
    Rsqrt,
}

fn width(c: &BigUint) -> u32 {
    c.bits() as u32
}

impl Root {
    /// The bits of the result's magnitude range check for an input bound `b`.
    fn result_bits(self, b: u32, c: &BigUint) -> u32 {
        let w = width(c);
        match self {
            Root::Sqrt => (w + b).div_ceil(2),
            Root::Recip => w,
            Root::Rsqrt => w.div_ceil(2),
        }
    }

    /// The output's bound: `-2^B <= y < 2^B`.
    pub fn bound(self, b: u32, c: &BigUint) -> u32 {
        self.result_bits(b, c)
    }

    /// Whether every output is non-negative.
    pub fn nonnegative(self) -> bool {
        self != Root::Recip
    }

    /// The constraints [`root`] writes for an input with bound `b`.
    pub fn cost(self, b: u32, c: &BigUint) -> usize {
        let (w, h) = (width(c), self.result_bits(b, c));
        match self {
            Root::Sqrt => range_cost(h) + 1 + 2 * range_cost(h + 1),
            Root::Recip => (b as usize + 2) + 1 + range_cost(w) + 1 + 2 * range_cost(b) + 1,
            Root::Rsqrt => range_cost(h) + 3 + range_cost(w) + range_cost(w.max(b) + 2),
        }
    }

    /// Errors unless every value the checks compare fits the field with room.
    fn validate<F: PrimeField>(self, b: u32, c: &BigUint) -> Result<()> {
        let w = width(c);
        check_bound::<F>("checked root", w + b + 2)?;
        if c.is_zero() {
            return Err(Error::param("root constant", "must be at least 1"));
        }
        Ok(())
    }

    /// Native twin of [`root`].
    pub fn native(self, v: &BigInt, c: &BigUint) -> Result<BigInt> {
        let out = |why: &str| Error::OutOfRange {
            what: format!("{self:?} input"),
            value: v.to_string(),
            range: why.into(),
        };
        let c = BigInt::from(c.clone());
        match self {
            Root::Sqrt if v.is_negative() => Err(out("v >= 0")),
            Root::Sqrt => Ok((&c * v).sqrt()),
            Root::Recip if v.is_zero() => Err(out("v != 0")),
            Root::Recip => {
                let q = &c / v.abs();
                Ok(if v.is_negative() { -q } else { q })
            }
            Root::Rsqrt if v.sign() != Sign::Plus => Err(out("v > 0")),
            // floor(sqrt(floor(c / v))) = floor(sqrt(c / v))
            Root::Rsqrt => Ok((&c / v).sqrt()),
        }
    }
}

/// The kernel in circuit over `v` with bound `b`: the result from the native twin, checked.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn root<F: PrimeField>(kind: Root, v: &FpVar<F>, b: u32, c: &BigUint) -> Result<FpVar<F>> {
    if let Ok(x) = v.value() {
        kind.native(&from_field(x), c)?;
    }
    root_with_claim(kind, v, b, c, || {
        kind.native(&from_field(v.value()?), c)
            .map_err(|_| SynthesisError::Unsatisfiable)
    })
}

/// [`root`] with the result claimed by `claim` instead of the native twin (nothing checked
/// natively): any claim but the true result leaves the system unsatisfied.
pub fn root_with_claim<F: PrimeField>(
    kind: Root,
    v: &FpVar<F>,
    b: u32,
    c: &BigUint,
    claim: impl FnOnce() -> core::result::Result<BigInt, SynthesisError>,
) -> Result<FpVar<F>> {
    kind.validate::<F>(b, c)?;
    let cs = v.cs();
    let cf = FpVar::Constant(to_field::<F>(&BigInt::from(c.clone())));
    let one = FpVar::Constant(F::one());
    let h = kind.result_bits(b, c);
    let w = width(c);
    let claimed = claim();
    // the result's magnitude (the reciprocal's quotient of |v|)
    let mag_value = || -> core::result::Result<F, SynthesisError> {
        let y = claimed.clone()?;
        Ok(to_field::<F>(&BigInt::from(y.magnitude().clone())))
    };
    let y = FpVar::new_witness(cs.clone(), mag_value)?;
    enforce_unsigned(&y, h)?;
    match kind {
        Root::Sqrt => {
            // y^2 <= c v < (y + 1)^2: both gaps are at most 2y < 2^(h + 1)
            let t = v * &cf;
            let sq = y.square()?;
            enforce_unsigned(&(&t - &sq), h + 1)?;
            enforce_unsigned(&(&sq + y.double()? - &t), h + 1)?;
            Ok(y)
        }
        Root::Rsqrt => {
            // y^2 v <= c < (y + 1)^2 v: the first gap is at most c < 2^w, the second below
            // (2y + 1) v <= 2 sqrt(c v) + v < 2^(max(w, b) + 2)
            let sq = y.square()?;
            let q = &sq * v;
            let m = &y * v;
            enforce_unsigned(&(&cf - &q), w)?;
            enforce_unsigned(&(&q + m.double()? + v - &cf - &one), w.max(b) + 2)?;
            Ok(y)
        }
        Root::Recip => {
            // s = [v >= 0]; a = |v| = (2s - 1) v; q a <= c < (q + 1) a with r = c - q a in
            // [0, a), a < 2^b + 1; the result is (2s - 1) q
            let s = FpVar::from(is_nonnegative(v, b)?);
            let pm = s.double()? - &one;
            let a = &pm * v;
            let qa = &y * &a;
            let r = &cf - &qa;
            enforce_unsigned(&r, b)?;
            enforce_unsigned(&(&a - &r - &one), b)?;
            Ok(&pm * &y)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_twins_bracket_the_true_value() {
        let c = BigUint::from(4096u32);
        for v in 0..3000i64 {
            let y = Root::Sqrt.native(&BigInt::from(v), &c).unwrap();
            assert!(
                &y * &y <= BigInt::from(4096 * v) && (&y + 1) * (&y + 1) > BigInt::from(4096 * v)
            );
        }
        let c3 = BigUint::from(1u64 << 36);
        for v in 1..3000i64 {
            let y = Root::Rsqrt.native(&BigInt::from(v), &c3).unwrap();
            let cc = BigInt::from(1u64 << 36);
            assert!(&y * &y * v <= cc && (&y + 1) * (&y + 1) * v > cc, "{v}");
            let r = Root::Recip.native(&BigInt::from(-v), &c).unwrap();
            assert_eq!(r, -BigInt::from(4096 / v));
        }
        assert!(Root::Sqrt.native(&BigInt::from(-1), &c).is_err());
        assert!(Root::Recip.native(&BigInt::from(0), &c).is_err());
        assert!(Root::Rsqrt.native(&BigInt::from(0), &c).is_err());
    }
}
