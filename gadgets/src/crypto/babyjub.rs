//! Baby Jubjub in circomlib's form, `168700 x^2 + y^2 = 1 + 168696 x^2 y^2` over BN254's
//! scalar field, with circomlib's `Base8` (generator of the prime-order subgroup of order
//! `l`, about `2^251`). Natively the arithmetic is ark-ed-on-bn254's (the same curve with
//! `a = 1`: `x_ark = sqrt(168700) x`); in circuit it is written here with circomlib's
//! coefficients.
//!
//! - [`public_key`]: `s * Base8` for a private scalar of up to 253 bits (as circomlib's
//!   `BabyPbk`), 2-bit fixed-base windows: `254 + 126 + 126 * 6` = **1,136** constraints
//!   (target 1,600).
//! - [`ecdh`]: `s * P` for a variable point `P`, which is first checked on the curve and in
//!   the prime-order subgroup ([`assert_in_subgroup`]: the prover supplies `Q` with
//!   `8 Q = P` and `P` is not the identity, so small-order points are rejected), then
//!   [`mul`]: double-and-add in Montgomery form with an order-8 offset, 9 constraints per bit:
//!   `19 + 254 + 9 * 253 + 4` = **2,554** constraints with every check (target 2,800;
//!   circom's `EscalarMulAny` ECDH, which checks nothing: 2,554).
//!
//! ```
//! use arkml_gadgets::crypto::babyjub::{base8, native_mul, native_public_key};
//! use num_bigint::BigUint;
//! let (a, b) = (BigUint::from(12345u32), BigUint::from(678u32));
//! let (pa, pb) = (native_public_key(&a), native_public_key(&b));
//! assert_eq!(native_mul(&pb, &a), native_mul(&pa, &b)); // ECDH
//! assert!(base8().is_on_curve());
//! ```

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ec::{twisted_edwards::Affine, AffineRepr, CurveGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsConfig};
use ark_ff::{Field, PrimeField};
use ark_r1cs_std::{
    alloc::AllocVar, boolean::Boolean, eq::EqGadget, fields::fp::FpVar, fields::FieldVar, GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use num_bigint::BigUint;

use crate::error::{Error, Result};
use crate::tensor::Visibility;

/// circomlib's `a`.
pub const A: u64 = 168_700;
/// circomlib's `d`.
pub const D: u64 = 168_696;
/// Bits of a private scalar (circomlib's `BabyPbk` uses 253).
pub const SCALAR_BITS: usize = 253;

/// A point in circomlib's coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    /// x.
    pub x: Fr,
    /// y.
    pub y: Fr,
}

fn sqrt_a() -> Fr {
    static S: OnceLock<Fr> = OnceLock::new();
    *S.get_or_init(|| Fr::from(A).sqrt().expect("168700 is a square mod p"))
}

impl Point {
    /// The identity `(0, 1)`.
    pub fn identity() -> Self {
        Point {
            x: Fr::from(0u64),
            y: Fr::from(1u64),
        }
    }

    /// Whether the point satisfies circomlib's curve equation.
    pub fn is_on_curve(&self) -> bool {
        let (x2, y2) = (self.x.square(), self.y.square());
        Fr::from(A) * x2 + y2 == Fr::from(1u64) + Fr::from(D) * x2 * y2
    }

    /// Whether the point is on the curve, in the prime-order subgroup and not the identity
    /// (what a public key or an ECDH peer key must be).
    pub fn is_valid_key(&self) -> bool {
        self.is_on_curve()
            && *self != Point::identity()
            && to_ark(self).is_in_correct_subgroup_assuming_on_curve()
    }
}

fn to_ark(p: &Point) -> EdwardsAffine {
    Affine::<EdwardsConfig>::new_unchecked(p.x * sqrt_a(), p.y)
}

fn from_ark(q: EdwardsAffine) -> Point {
    if q.is_zero() {
        return Point::identity();
    }
    Point {
        x: q.x * sqrt_a().inverse().expect("non-zero"),
        y: q.y,
    }
}

/// circomlib's `Base8`.
pub fn base8() -> Point {
    use std::str::FromStr;
    Point {
        x: Fr::from_str(
            "5299619240641551281634865583518297030282874472190772894086521144482721001553",
        )
        .expect("decimal"),
        y: Fr::from_str(
            "16950150798460657717958625567821834550301663161624707787222815936182638968203",
        )
        .expect("decimal"),
    }
}

/// `s * P` natively, for any point on the curve and any non-negative scalar (not reduced).
pub fn native_mul(p: &Point, s: &BigUint) -> Point {
    from_ark(to_ark(p).mul_bigint(s.to_u64_digits()).into_affine())
}

/// `s * Base8`.
pub fn native_public_key(s: &BigUint) -> Point {
    native_mul(&base8(), s)
}

/// The ECDH shared point `s * P`; errors unless `P` is a valid key ([`Point::is_valid_key`]).
pub fn native_ecdh(s: &BigUint, p: &Point) -> Result<Point> {
    if !p.is_valid_key() {
        return Err(Error::param(
            "ECDH peer key",
            "not a point of the prime-order subgroup (off the curve, small order or identity)",
        ));
    }
    Ok(native_mul(p, s))
}

/// A point in circuit.
#[derive(Clone, Debug)]
pub struct PointVar {
    /// x.
    pub x: FpVar<Fr>,
    /// y.
    pub y: FpVar<Fr>,
}

impl PointVar {
    /// A constant point.
    pub fn constant(p: &Point) -> Self {
        PointVar {
            x: FpVar::Constant(p.x),
            y: FpVar::Constant(p.y),
        }
    }

    /// Allocates a point as a public input, a private witness or a constant (as tensors are,
    /// with [`Visibility`]) without any check: follow with [`assert_in_subgroup`] for a
    /// point from outside. `p` may be `None` in setup mode; a constant needs its value.
    pub fn new(cs: ConstraintSystemRef<Fr>, p: Option<Point>, vis: Visibility) -> Result<Self> {
        if vis == Visibility::Constant {
            let p = p.ok_or_else(|| Error::param("constant point", "needs a value"))?;
            return Ok(Self::constant(&p));
        }
        let alloc = |v: Option<Fr>| -> Result<FpVar<Fr>> {
            let f = || v.ok_or(SynthesisError::AssignmentMissing);
            Ok(if vis == Visibility::Public {
                FpVar::new_input(cs.clone(), f)?
            } else {
                FpVar::new_witness(cs.clone(), f)?
            })
        };
        Ok(PointVar {
            x: alloc(p.map(|p| p.x))?,
            y: alloc(p.map(|p| p.y))?,
        })
    }

    /// The point's value (prove mode).
    pub fn value(&self) -> Result<Point> {
        Ok(Point {
            x: self.x.value()?,
            y: self.y.value()?,
        })
    }

    /// Enforces equality with another point.
    pub fn enforce_equal(&self, other: &PointVar) -> Result<()> {
        self.x.enforce_equal(&other.x)?;
        self.y.enforce_equal(&other.y)?;
        Ok(())
    }
}

/// An ECDH shared point is the cipher's key: `cipher::encrypt(msg, &shared, nonce)`.
impl<'a> From<&'a PointVar> for (&'a FpVar<Fr>, &'a FpVar<Fr>) {
    fn from(p: &'a PointVar) -> Self {
        (&p.x, &p.y)
    }
}

/// A native shared point ([`native_ecdh`]) is the native cipher's key.
impl From<Point> for (Fr, Fr) {
    fn from(p: Point) -> Self {
        (p.x, p.y)
    }
}

/// `num / den` as a new witness with one constraint (`q * den = num`); constant when both
/// are. `den` is never zero on the curve (the formulas are complete).
fn div(num: &FpVar<Fr>, den: &FpVar<Fr>) -> Result<FpVar<Fr>> {
    if let (FpVar::Constant(n), FpVar::Constant(d)) = (num, den) {
        return Ok(FpVar::Constant(*n * d.inverse().unwrap_or_default()));
    }
    let cs = num.cs().or(den.cs());
    let q = FpVar::new_witness(cs, || {
        let d = den.value()?;
        Ok(num.value()? * d.inverse().ok_or(SynthesisError::DivisionByZero)?)
    })?;
    q.mul_equals(den, num)?;
    Ok(q)
}

/// Complete twisted Edwards addition: 6 constraints for two variable points (3 when one is
/// constant).
pub fn add(p: &PointVar, q: &PointVar) -> Result<PointVar> {
    let (a, d) = (Fr::from(A), Fr::from(D));
    let beta = &p.x * &q.y;
    let gamma = &p.y * &q.x;
    let delta = (&p.y - &p.x * a) * (&q.x + &q.y);
    let tau = &beta * &gamma;
    let one = FpVar::Constant(Fr::from(1u64));
    let x = div(&(&beta + &gamma), &(&one + &tau * d))?;
    let y = div(&(delta + &beta * a - &gamma), &(one - tau * d))?;
    Ok(PointVar { x, y })
}

/// Doubling via the curve equation: 5 constraints.
pub fn double(p: &PointVar) -> Result<PointVar> {
    let a = Fr::from(A);
    let x2 = p.x.square()?;
    let y2 = p.y.square()?;
    let xy = &p.x * &p.y;
    let ax2 = x2 * a;
    let x = div(&xy.double()?, &(&ax2 + &y2))?;
    let y = div(&(&y2 - &ax2), &(FpVar::Constant(Fr::from(2u64)) - ax2 - y2))?;
    Ok(PointVar { x, y })
}

/// Enforces `2 p = target`: the doubling's two divisions with `target`'s coordinates as
/// the quotients, 5 constraints.
fn double_onto(p: &PointVar, target: &PointVar) -> Result<()> {
    let a = Fr::from(A);
    let x2 = p.x.square()?;
    let y2 = p.y.square()?;
    let xy = &p.x * &p.y;
    let ax2 = x2 * a;
    target.x.mul_equals(&(&ax2 + &y2), &xy.double()?)?;
    target.y.mul_equals(
        &(FpVar::Constant(Fr::from(2u64)) - &ax2 - &y2),
        &(&y2 - &ax2),
    )?;
    Ok(())
}

/// The `SCALAR_BITS` little-endian bits of a scalar variable: 253 booleans and one
/// recomposition constraint (`2^253 < p`, so the bits are unique).
pub fn scalar_bits(s: &FpVar<Fr>) -> Result<Vec<Boolean<Fr>>> {
    let cs = s.cs();
    let value = s.value().ok();
    if let Some(v) = value {
        if BigUint::from(v).bits() > SCALAR_BITS as u64 {
            return Err(Error::OutOfRange {
                what: "Baby Jubjub scalar".into(),
                value: v.to_string(),
                range: format!("[0, 2^{SCALAR_BITS})"),
            });
        }
    }
    let bits = (0..SCALAR_BITS)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                let v: BigUint = value.ok_or(SynthesisError::AssignmentMissing)?.into();
                Ok(v.bit(i as u64))
            })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    crate::range::weighted_sum(&cs, &bits)?.enforce_equal(s)?;
    Ok(bits)
}

/// `s * Base8` in circuit from the scalar's bits (little-endian): 2-bit windows over
/// precomputed constant multiples, 1 constraint per window to select and 6 to add.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn mul_base8(bits: &[Boolean<Fr>]) -> Result<PointVar> {
    let mut base = to_ark(&base8());
    let mut acc: Option<PointVar> = None;
    for w in bits.chunks(2) {
        let table: Vec<Point> = (0..4u64)
            .map(|k| from_ark((base * ark_ed_on_bn254::Fr::from(k)).into_affine()))
            .collect();
        let b0 = FpVar::from(w[0].clone());
        let b1 = w
            .get(1)
            .map_or(FpVar::Constant(Fr::from(0u64)), |b| FpVar::from(b.clone()));
        let b01 = &b0 * &b1;
        let pick = |c: [Fr; 4]| {
            &b0 * (c[1] - c[0]) + &b1 * (c[2] - c[0]) + &b01 * (c[3] - c[2] - c[1] + c[0]) + c[0]
        };
        let sel = PointVar {
            x: pick([table[0].x, table[1].x, table[2].x, table[3].x]),
            y: pick([table[0].y, table[1].y, table[2].y, table[3].y]),
        };
        acc = Some(match acc {
            None => sel,
            Some(a) => add(&a, &sel)?,
        });
        base = (base * ark_ed_on_bn254::Fr::from(4u64)).into_affine();
    }
    Ok(acc.unwrap_or_else(|| PointVar::constant(&Point::identity())))
}

/// circomlib's Montgomery form of the curve: `v^2 = u^3 + 168698 u^2 + u`
/// (`u = (1 + y) / (1 - y)`, `v = u / x`).
const MONT_A: u64 = 168_698;

/// A point in Montgomery coordinates (never the identity, which the form cannot hold).
#[derive(Clone, Debug)]
struct MontVar {
    u: FpVar<Fr>,
    v: FpVar<Fr>,
}

fn to_mont(p: &Point) -> (Fr, Fr) {
    let u = (Fr::from(1u64) + p.y) * (Fr::from(1u64) - p.y).inverse().unwrap_or_default();
    (u, u * p.x.inverse().unwrap_or_default())
}

/// A point of order 8: the ladder's offset, outside the prime-order subgroup.
fn torsion8() -> Point {
    static T: OnceLock<Point> = OnceLock::new();
    *T.get_or_init(|| {
        let l: BigUint = ark_ed_on_bn254::Fr::MODULUS.into();
        (1u64..)
            .find_map(|x0| {
                let x = Fr::from(x0);
                let x2 = x.square();
                let y2 = (Fr::from(1u64) - Fr::from(A) * x2)
                    * (Fr::from(1u64) - Fr::from(D) * x2).inverse()?;
                let p = Point { x, y: y2.sqrt()? };
                let t = native_mul(&p, &l);
                let t4 = native_mul(&t, &BigUint::from(4u32));
                (t4 != Point::identity()).then_some(t)
            })
            .expect("the curve has points of order 8")
    })
}

/// Edwards to Montgomery in circuit: 2 constraints (`y != 1` and `x != 0` for a checked
/// point other than the identity).
fn edwards_to_mont(p: &PointVar) -> Result<MontVar> {
    let one = FpVar::Constant(Fr::from(1u64));
    let u = div(&(&one + &p.y), &(&one - &p.y))?;
    let v = div(&u, &p.x)?;
    Ok(MontVar { u, v })
}

/// Montgomery to Edwards: 2 constraints (`v != 0`, `u != -1`: no point of order 2 and, on
/// this complete curve, no `u = -1`).
fn mont_to_edwards(m: &MontVar) -> Result<PointVar> {
    let one = FpVar::Constant(Fr::from(1u64));
    Ok(PointVar {
        x: div(&m.u, &m.v)?,
        y: div(&(&m.u - &one), &(&m.u + &one))?,
    })
}

/// Montgomery addition of points with different `u`: 3 constraints.
fn mont_add(p: &MontVar, q: &MontVar) -> Result<MontVar> {
    let lam = div(&(&q.v - &p.v), &(&q.u - &p.u))?;
    let u = lam.square()? - Fr::from(MONT_A) - &p.u - &q.u;
    let v = lam * (&p.u - &u) - &p.v;
    Ok(MontVar { u, v })
}

/// Montgomery doubling of a point with `v != 0`: 4 constraints.
fn mont_double(p: &MontVar) -> Result<MontVar> {
    let u2 = p.u.square()?;
    let num = u2 * Fr::from(3u64) + &p.u * Fr::from(2 * MONT_A) + Fr::from(1u64);
    let lam = div(&num, &p.v.double()?)?;
    let u = lam.square()? - Fr::from(MONT_A) - p.u.double()?;
    let v = lam * (&p.u - &u) - &p.v;
    Ok(MontVar { u, v })
}

/// `s * P` in circuit for a point `P` of the prime-order subgroup (check it first with
/// [`assert_in_subgroup`]), from the scalar's bits (little-endian).
///
/// Double-and-add in Montgomery form, 9 constraints per bit (doubling 4, addition 3, a
/// conditional choice 2), with the accumulator offset by a point `T` of order 8: it is
/// `T + k P`, never the identity and never `±2^i P`, so no addition meets an exceptional
/// case (which would leave its slope free), and `T` is removed at the end with one complete
/// Edwards addition of a constant. `9 n + 4` constraints for `n` bits (with the
/// conversions in and out).
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn mul(p: &PointVar, bits: &[Boolean<Fr>]) -> Result<PointVar> {
    let t = torsion8();
    let (tu, tv) = to_mont(&t);
    let mut acc = MontVar {
        u: FpVar::Constant(tu),
        v: FpVar::Constant(tv),
    };
    let mut q = edwards_to_mont(p)?;
    for (i, b) in bits.iter().enumerate() {
        let sum = mont_add(&acc, &q)?;
        let bf = FpVar::from(b.clone());
        acc = MontVar {
            u: &acc.u + &bf * (&sum.u - &acc.u),
            v: &acc.v + &bf * (&sum.v - &acc.v),
        };
        if i + 1 < bits.len() {
            q = mont_double(&q)?;
        }
    }
    let minus_t = Point { x: -t.x, y: t.y };
    add(&mont_to_edwards(&acc)?, &PointVar::constant(&minus_t))
}

/// Enforces that `p` is on the curve, in the prime-order subgroup, and not the identity:
/// the prover supplies `Q = p / 8` (on the curve: 3 constraints), then `8 Q = p` (3
/// doublings, 15, the last one onto `p`'s coordinates) and `x != 0` (1). Every point of
/// `8 E` lies in the subgroup of order `l`, and there `x = 0` only at the identity. 19
/// constraints.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn assert_in_subgroup(p: &PointVar) -> Result<()> {
    let cs = p.x.cs().or(p.y.cs());
    let eighth = p.value().ok().map(|pv| {
        let inv8 = ark_ed_on_bn254::Fr::from(8u64)
            .inverse()
            .expect("8 is invertible mod l");
        from_ark((to_ark(&pv) * inv8).into_affine())
    });
    let q = PointVar::new(cs, eighth, Visibility::Private)?;
    // Q on the curve
    let (a, d) = (Fr::from(A), Fr::from(D));
    let x2 = q.x.square()?;
    let y2 = q.y.square()?;
    let x2y2 = &x2 * &y2;
    (x2 * a + y2).enforce_equal(&(x2y2 * d + FpVar::Constant(Fr::from(1u64))))?;
    // 8 Q = p, the last doubling written straight into p's coordinates (no equalities)
    double_onto(&double(&double(&q)?)?, p)?;
    // x != 0: x * inv = 1
    let inv = FpVar::new_witness(p.x.cs(), || Ok(p.x.value()?.inverse().unwrap_or_default()))?;
    p.x.mul_equals(&inv, &FpVar::Constant(Fr::from(1u64)))?;
    if let Ok(pv) = p.value() {
        if !pv.is_valid_key() {
            return Err(Error::param(
                "Baby Jubjub point",
                "not in the prime-order subgroup (off the curve, small order or identity)",
            ));
        }
    }
    Ok(())
}

/// The constraints [`scalar_bits`] writes: 253 booleans and one recomposition, 254.
pub fn scalar_bits_cost() -> usize {
    SCALAR_BITS + 1
}

/// The constraints [`mul_base8`] writes for `n` variable bits: per 2-bit window one product
/// of its bits (none for a last window of one bit) and, after the first window, one
/// addition of 6.
pub fn mul_base8_cost(n: usize) -> usize {
    n / 2 + 6 * n.div_ceil(2).saturating_sub(1)
}

/// The constraints [`mul`] writes for `n` bits: `9 n + 4`.
pub fn mul_cost(n: usize) -> usize {
    n.saturating_mul(9).saturating_add(4)
}

/// The constraints [`assert_in_subgroup`] writes: 19.
pub fn assert_in_subgroup_cost() -> usize {
    19
}

/// The constraints [`public_key`] writes: [`scalar_bits_cost`] + [`mul_base8_cost`] of 253
/// bits = 1,136.
pub fn public_key_cost() -> usize {
    scalar_bits_cost() + mul_base8_cost(SCALAR_BITS)
}

/// The constraints [`ecdh`] writes: the subgroup check, the scalar's bits and the ladder,
/// `19 + 254 + 9 * 253 + 4` = 2,554.
pub fn ecdh_cost() -> usize {
    assert_in_subgroup_cost() + scalar_bits_cost() + mul_cost(SCALAR_BITS)
}

/// `s * Base8` for a private scalar variable (up to 253 bits).
pub fn public_key(s: &FpVar<Fr>) -> Result<PointVar> {
    mul_base8(&scalar_bits(s)?)
}

/// The ECDH shared point `s * P`, with `P` checked to be in the prime-order subgroup.
pub fn ecdh(s: &FpVar<Fr>, p: &PointVar) -> Result<PointVar> {
    assert_in_subgroup(p)?;
    mul(p, &scalar_bits(s)?)
}
