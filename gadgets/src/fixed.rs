//! The fixed-point convention shared by every gadget, and its native helpers.
//!
//! A signed integer `v` lives in the field as `v mod p`; a tensor at scale `S` stands for the
//! reals `v / S`. Scales are `2^k` (cheapest: rescales are plain bit decompositions) or `10^k`
//! (what circomlib-ml and keras2circom use).
//!
//! Every in-circuit value carries a **bound** `B`: the gadgets prove or derive
//! `-2^B <= v < 2^B` (the range of a `(B+1)`-bit two's-complement number). Bounds never exceed
//! [`max_bound_bits`] (250 on BN254), so sums and products that the bounds describe never wrap
//! around the field.

use ark_ff::PrimeField;
use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

use crate::error::{Error, Result};

/// A fixed-point scale factor: `2^k` or `10^k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scale {
    /// `2^k`.
    Pow2(u32),
    /// `10^k`.
    Pow10(u32),
}

impl Scale {
    /// The scale as an integer.
    ///
    /// ```
    /// use arkml_gadgets::fixed::Scale;
    /// assert_eq!(Scale::Pow10(3).value(), 1000u32.into());
    /// assert_eq!(Scale::Pow2(4).value(), 16u32.into());
    /// ```
    pub fn value(&self) -> BigUint {
        match *self {
            Scale::Pow2(k) => BigUint::one() << k,
            Scale::Pow10(k) => BigUint::from(10u32).pow(k),
        }
    }

    /// Quantise a real number to this scale, rounding to nearest.
    pub fn quantize(&self, x: f64) -> BigInt {
        let scaled = x * self.value_f64();
        BigInt::from(scaled.round() as i128)
    }

    fn value_f64(&self) -> f64 {
        match *self {
            Scale::Pow2(k) => 2f64.powi(k as i32),
            Scale::Pow10(k) => 10f64.powi(k as i32),
        }
    }
}

/// The largest value bound (in bits) a gadget accepts for field `F`: `MODULUS_BIT_SIZE - 4`
/// (250 on BN254). A value with this bound, decomposed with its sign, stays far below `p/2`.
pub fn max_bound_bits<F: PrimeField>() -> u32 {
    F::MODULUS_BIT_SIZE - 4
}

/// Errors with [`Error::BoundTooLarge`] when `bits` exceeds [`max_bound_bits`].
pub fn check_bound<F: PrimeField>(what: &str, bits: u32) -> Result<u32> {
    let max = max_bound_bits::<F>();
    if bits > max {
        Err(Error::BoundTooLarge {
            what: what.to_string(),
            bits,
            max,
        })
    } else {
        Ok(bits)
    }
}

/// The field element `v mod p`.
///
/// ```
/// use arkml_gadgets::fixed::{to_field, from_field};
/// use ark_bn254::Fr;
/// use num_bigint::BigInt;
/// let v = BigInt::from(-5);
/// assert_eq!(from_field(to_field::<Fr>(&v)), v);
/// ```
pub fn to_field<F: PrimeField>(v: &BigInt) -> F {
    let magnitude = F::from(v.magnitude().clone());
    if v.sign() == Sign::Minus {
        -magnitude
    } else {
        magnitude
    }
}

/// The signed integer a field element stands for: `f` if `f <= (p-1)/2`, else `f - p`.
pub fn from_field<F: PrimeField>(f: F) -> BigInt {
    let u: BigUint = f.into();
    let half: BigUint = F::MODULUS_MINUS_ONE_DIV_TWO.into();
    if u > half {
        let p: BigUint = F::MODULUS.into();
        BigInt::from(u) - BigInt::from(p)
    } else {
        BigInt::from(u)
    }
}

/// The field modulus as an integer.
pub fn modulus<F: PrimeField>() -> BigUint {
    F::MODULUS.into()
}

/// Floor division with a non-negative remainder (Python's `//` and `%`):
/// `v = q*n + r`, `0 <= r < n`.
///
/// ```
/// use arkml_gadgets::fixed::floor_div;
/// use num_bigint::{BigInt, BigUint};
/// let (q, r) = floor_div(&BigInt::from(-7), &BigUint::from(2u32));
/// assert_eq!((q, r), (BigInt::from(-4), BigInt::from(1)));
/// ```
pub fn floor_div(v: &BigInt, n: &BigUint) -> (BigInt, BigInt) {
    v.div_mod_floor(&BigInt::from(n.clone()))
}

/// The smallest `B` with `-2^B <= v < 2^B` for every `v` with `|v| <= max_abs`.
pub fn bits_for_abs(max_abs: &BigUint) -> u32 {
    max_abs.bits() as u32
}

/// The smallest `B` with `-2^B <= v < 2^B`.
pub fn bits_for(v: &BigInt) -> u32 {
    if v.is_negative() {
        // -2^B <= v  <=>  |v| - 1 < 2^B
        ((v.magnitude() - 1u32).bits()) as u32
    } else {
        v.magnitude().bits() as u32
    }
}

/// Whether `-2^bits <= v < 2^bits`.
pub fn fits_signed(v: &BigInt, bits: u32) -> bool {
    bits_for(v) <= bits
}

/// Whether `0 <= v < 2^bits`.
pub fn fits_unsigned(v: &BigInt, bits: u32) -> bool {
    !v.is_negative() && v.magnitude().bits() <= bits as u64
}

/// `2^k` as a signed integer.
pub fn pow2(k: u32) -> BigInt {
    BigInt::one() << k
}

/// The number of bits needed to write `n - 1` (`0` for `n = 1`): a remainder in `[0, n)`
/// fits in this many bits.
pub fn remainder_bits(n: &BigUint) -> u32 {
    if n.is_zero() {
        0
    } else {
        (n - 1u32).bits() as u32
    }
}

/// Whether `n` is a power of two.
pub fn is_pow2(n: &BigUint) -> bool {
    !n.is_zero() && (n & (n - 1u32)).is_zero()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;

    #[test]
    fn bits_for_matches_definition() {
        for v in -40i64..40 {
            let b = bits_for(&BigInt::from(v));
            assert!(-(1i64 << b) <= v && v < (1i64 << b), "{v} {b}");
            if b > 0 {
                let c = b - 1;
                assert!(
                    !(-(1i64 << c) <= v && v < (1i64 << c)),
                    "{v} {b} not minimal"
                );
            }
        }
    }

    #[test]
    fn field_roundtrip_edges() {
        let half: BigUint = <Fr as PrimeField>::MODULUS_MINUS_ONE_DIV_TWO.into();
        for v in [
            BigInt::from(half.clone()),
            -BigInt::from(half),
            BigInt::zero(),
        ] {
            assert_eq!(from_field(to_field::<Fr>(&v)), v);
        }
    }
}
