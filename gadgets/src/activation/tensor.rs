//! Tensor forms of the activations: each applies its scalar gadget elementwise and returns a
//! tensor of the same shape and dimension type, so a layer's output feeds the next without
//! reshaping. Costs are the scalar gadget's times the number of elements
//! ([`relu_cost`] for ReLU).
//!
//! ```
//! use arkml_gadgets::prelude::*;
//! use arkml_gadgets::activation::{relu_cost, relu_tensor, rescale_relu_tensor};
//!
//! let cs = ConstraintSystem::<Fr>::new_ref();
//! let b = |v: i64| BigInt::from(v);
//! let x = alloc_tensor(cs.clone(), &array![[b(-9), b(40)], [b(7), b(-1)]], Visibility::Private).unwrap();
//! let y = relu_tensor(&x, 8).unwrap(); // Array2 in, Array2 out
//! assert_eq!(tensor_values(&y).unwrap(), array![[b(0), b(40)], [b(7), b(0)]]);
//! assert_eq!(cs.num_constraints(), 4 * relu_cost(8));
//! let (r, z) = rescale_relu_tensor(&x, 8, &BigUint::from(4u32)).unwrap();
//! assert_eq!(tensor_values(&z).unwrap(), array![[b(0), b(10)], [b(1), b(0)]]);
//! assert_eq!(r.bound, 6);
//! assert!(cs.is_satisfied().unwrap());
//! ```

use ark_ff::PrimeField;
use ark_r1cs_std::fields::fp::FpVar;
use ndarray::{Array, Dimension};
use num_bigint::{BigInt, BigUint};

use super::{cubic, leaky_relu, poly, relu, rescale_relu, Cubic};
use crate::error::Result;
use crate::rescale::{quotient_bound, RescaledTensor};
use crate::tensor::try_map;

/// The constraints [`relu`] writes for a variable with bound `b`: `b + 3`.
pub fn relu_cost(b: u32) -> usize {
    b as usize + 3
}

/// [`relu`] on every element.
pub fn relu_tensor<F: PrimeField, D: Dimension>(
    x: &Array<FpVar<F>, D>,
    b: u32,
) -> Result<Array<FpVar<F>, D>> {
    try_map(x, |v| relu(v, b))
}

/// A tensor rescaled (quotients, remainders, bound) and its activations.
pub type RescaledRelu<F, D> = (RescaledTensor<F, D>, Array<FpVar<F>, D>);

/// [`rescale_relu`] on every element: the rescale (quotients, remainders, bound) and the
/// activations.
pub fn rescale_relu_tensor<F: PrimeField, D: Dimension>(
    x: &Array<FpVar<F>, D>,
    b: u32,
    n: &BigUint,
) -> Result<RescaledRelu<F, D>> {
    let parts = try_map(x, |v| rescale_relu(v, b, n))?;
    Ok((
        RescaledTensor {
            quotient: parts.map(|(r, _)| r.quotient.clone()),
            remainder: parts.map(|(r, _)| r.remainder.clone()),
            bound: quotient_bound(b, n),
        },
        parts.map(|(_, y)| y.clone()),
    ))
}

/// [`leaky_relu`] on every element (slope `a / d`).
pub fn leaky_relu_tensor<F: PrimeField, D: Dimension>(
    x: &Array<FpVar<F>, D>,
    b: u32,
    a: &BigInt,
    d: &BigUint,
) -> Result<Array<FpVar<F>, D>> {
    try_map(x, |v| leaky_relu(v, b, a, d))
}

/// [`poly`] on every element: the quotients `floor((x^2 + n x) / n)`.
pub fn poly_tensor<F: PrimeField, D: Dimension>(
    x: &Array<FpVar<F>, D>,
    b: u32,
    n: &BigUint,
) -> Result<Array<FpVar<F>, D>> {
    try_map(x, |v| Ok(poly(v, b, n)?.quotient))
}

/// [`cubic`] on every element: the quotients.
pub fn cubic_tensor<F: PrimeField, D: Dimension>(
    c: &Cubic,
    x: &Array<FpVar<F>, D>,
    b: u32,
    scale: &BigUint,
) -> Result<Array<FpVar<F>, D>> {
    try_map(x, |v| Ok(cubic(c, v, b, scale)?.quotient))
}
