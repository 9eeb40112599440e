//! Tensors: allocation with a chosen visibility, values back out, and the scalar trait that
//! lets one layer implementation serve the circuit (`FpVar`), its native twin (`BigInt`)
//! and the float reference (`f64`).

use ark_ff::PrimeField;
use ark_r1cs_std::{
    alloc::{AllocVar, AllocationMode},
    fields::fp::{AllocatedFp, FpVar},
    GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination};
use ndarray::{Array, ArrayD, Dimension, IxDyn};
use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use crate::error::{Error, Result};
use crate::fixed::{bits_for_abs, from_field, pow2, to_field};

/// How a tensor enters the circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Baked into the circuit: multiplying by it is a linear combination, zero constraints.
    Constant,
    /// A public input (part of the statement the verifier sees).
    Public,
    /// A private witness.
    Private,
}

impl From<Visibility> for AllocationMode {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Constant => AllocationMode::Constant,
            Visibility::Public => AllocationMode::Input,
            Visibility::Private => AllocationMode::Witness,
        }
    }
}

/// A ring element a layer can compute with: a circuit variable or a native integer.
///
/// The linear layers are written once over this trait; instantiated at [`BigInt`] they are
/// the native twins, at [`FpVar`] the gadgets. For `FpVar`, a product of two variables costs
/// one constraint and everything else (sums, products with constants) is free.
pub trait Scalar: Clone {
    /// The additive identity.
    fn zero() -> Self;
    /// `self * other`.
    fn mul(&self, other: &Self) -> Self;
    /// The sum of all items, as one linear combination in-circuit.
    fn sum_all<I: IntoIterator<Item = Self>>(items: I) -> Self;
    /// `sum(a * b) + plus`: a dot product, as [`Scalar::sum_all`] of the products would
    /// give. For `FpVar` it is one linear combination whose terms are the products with
    /// constants themselves, not one symbolic combination per product: the same R1CS
    /// matrices, with a third of the constraint system's memory for a layer with constant
    /// weights.
    fn sum_products<'a, I>(pairs: I, plus: &'a Self) -> Self
    where
        Self: 'a,
        I: IntoIterator<Item = (&'a Self, &'a Self)>,
    {
        Self::sum_all(
            pairs
                .into_iter()
                .map(|(a, b)| a.mul(b))
                .chain(std::iter::once(plus.clone())),
        )
    }
}

impl Scalar for BigInt {
    fn zero() -> Self {
        Zero::zero()
    }
    fn mul(&self, other: &Self) -> Self {
        self * other
    }
    fn sum_all<I: IntoIterator<Item = Self>>(items: I) -> Self {
        items.into_iter().sum()
    }
}

impl<F: PrimeField> Scalar for FpVar<F> {
    fn zero() -> Self {
        FpVar::Constant(F::zero())
    }
    fn mul(&self, other: &Self) -> Self {
        self * other
    }
    fn sum_all<I: IntoIterator<Item = Self>>(items: I) -> Self {
        items.into_iter().sum()
    }
    fn sum_products<'a, I>(pairs: I, plus: &'a Self) -> Self
    where
        Self: 'a,
        I: IntoIterator<Item = (&'a Self, &'a Self)>,
    {
        let mut constant = F::zero();
        let mut terms = Vec::new();
        let mut value = Some(F::zero());
        let mut cs = ConstraintSystemRef::None;
        let mut term = |c: F, v: &AllocatedFp<F>| {
            if !c.is_zero() {
                terms.push((c, v.variable));
                value = value.zip(v.value().ok()).map(|(s, x)| s + x * c);
                cs = cs.clone().or(v.cs.clone());
            }
        };
        for (a, b) in pairs {
            match (a, b) {
                (FpVar::Constant(x), FpVar::Constant(y)) => constant += *x * y,
                (FpVar::Constant(c), FpVar::Var(v)) | (FpVar::Var(v), FpVar::Constant(c)) => {
                    term(*c, v)
                }
                // one constraint, as `a * b` costs
                (FpVar::Var(_), FpVar::Var(_)) => match a * b {
                    FpVar::Var(p) => term(F::one(), &p),
                    FpVar::Constant(c) => constant += c,
                },
            }
        }
        match plus {
            FpVar::Constant(c) => constant += c,
            FpVar::Var(v) => term(F::one(), v),
        }
        if terms.is_empty() {
            return FpVar::Constant(constant);
        }
        // `new_lc` fails only on a missing constraint system, and every term came from a
        // variable of one (ark-r1cs-std's `add_many` unwraps the same call)
        let var = cs
            .new_lc(|| LinearCombination(terms))
            .expect("a variable's constraint system");
        FpVar::Var(AllocatedFp::new(value, var, cs)) + constant
    }
}

/// Floats: the same layer code is the float reference that quantisation is measured against.
impl Scalar for f64 {
    fn zero() -> Self {
        0.0
    }
    fn mul(&self, other: &Self) -> Self {
        self * other
    }
    fn sum_all<I: IntoIterator<Item = Self>>(items: I) -> Self {
        items.into_iter().sum()
    }
}

/// Maps a fallible function over an array, keeping its shape.
pub fn try_map<T, U, D: Dimension>(
    a: &Array<T, D>,
    mut f: impl FnMut(&T) -> Result<U>,
) -> Result<Array<U, D>> {
    let items = a.iter().map(&mut f).collect::<Result<Vec<U>>>()?;
    Array::from_shape_vec(a.raw_dim(), items).map_err(|e| Error::shape("tensor", a.len(), e))
}

/// Allocates a tensor of signed integers with the given visibility, in row-major order
/// (public inputs appear in that order).
///
/// ```
/// use ark_bn254::Fr;
/// use ark_relations::gr1cs::ConstraintSystem;
/// use arkml_gadgets::tensor::{alloc_tensor, tensor_values, Visibility};
/// use ndarray::array;
/// use num_bigint::BigInt;
///
/// let cs = ConstraintSystem::<Fr>::new_ref();
/// let x = array![BigInt::from(-3), BigInt::from(4)];
/// let v = alloc_tensor(cs.clone(), &x, Visibility::Public).unwrap();
/// assert_eq!(tensor_values(&v).unwrap(), x);
/// assert_eq!(cs.num_instance_variables(), 3); // the constant 1, then the two inputs
/// ```
pub fn alloc_tensor<F: PrimeField, D: Dimension>(
    cs: ConstraintSystemRef<F>,
    values: &Array<BigInt, D>,
    visibility: Visibility,
) -> Result<Array<FpVar<F>, D>> {
    let mode: AllocationMode = visibility.into();
    try_map(values, |v| {
        Ok(FpVar::new_variable(
            cs.clone(),
            || Ok(to_field::<F>(v)),
            mode,
        )?)
    })
}

/// The signed integer values of a tensor of variables (prove mode only).
pub fn tensor_values<F: PrimeField, D: Dimension>(
    t: &Array<FpVar<F>, D>,
) -> Result<Array<BigInt, D>> {
    try_map(t, |v| Ok(from_field(v.value()?)))
}

/// The smallest bound `B` (`-2^B <= v < 2^B`) that holds for every element.
pub fn bound_of<D: Dimension>(t: &Array<BigInt, D>) -> u32 {
    t.iter().map(crate::fixed::bits_for).max().unwrap_or(0)
}

/// The bound of a linear layer's output, given its output on worst-case magnitudes:
/// run the layer on [`worst_case`] inputs and the absolute values of weights and bias
/// ([`abs`]), then call this. Exact interval analysis for known weights.
pub fn linear_bound<D: Dimension>(worst_case_out: &Array<BigInt, D>) -> u32 {
    let max = worst_case_out
        .iter()
        .map(|v| v.magnitude().clone())
        .max()
        .unwrap_or_default();
    bits_for_abs(&max)
}

/// A tensor of the given shape holding `2^bound`, the largest magnitude a value with that
/// bound can take.
pub fn worst_case(shape: &[usize], bound: u32) -> ArrayD<BigInt> {
    ArrayD::from_elem(IxDyn(shape), pow2(bound))
}

/// Elementwise absolute value.
pub fn abs<D: Dimension>(t: &Array<BigInt, D>) -> Array<BigInt, D> {
    t.map(|v| v.abs())
}

/// Errors unless `got == expected`.
pub(crate) fn expect_shape(what: &str, expected: &[usize], got: &[usize]) -> Result<()> {
    if expected != got {
        return Err(Error::shape(
            what,
            format!("{expected:?}"),
            format!("{got:?}"),
        ));
    }
    Ok(())
}
