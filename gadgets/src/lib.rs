#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod activation;
pub mod argmax;
pub mod circuit;
pub mod compare;
pub mod crypto;
pub mod error;
pub mod fixed;
pub mod layers;
pub mod range;
pub mod rescale;
pub mod tensor;
pub mod testing;
pub mod tree;

pub use error::{Error, Result};

// The crates this one's public API is written in, re-exported so that a user's versions
// always match ours (`cargo add ndarray num-bigint` picks newer majors whose types differ).
pub use ark_bn254;
pub use ark_ff;
pub use ark_r1cs_std;
pub use ark_relations;
pub use ndarray;
pub use num_bigint;

/// What a gadget user needs in scope: the field, the constraint system, variables, tensors
/// and the commonly used gadgets.
///
/// ```
/// use arkml_gadgets::prelude::*;
///
/// let cs = ConstraintSystem::<Fr>::new_ref();
/// let x = alloc_tensor(cs.clone(), &array![BigInt::from(-9), BigInt::from(20)], Visibility::Private).unwrap();
/// let y = rescale_tensor(&x, 6, &BigUint::from(8u32)).unwrap(); // floor(-9/8), floor(20/8)
/// assert_eq!(tensor_values(&y.quotient).unwrap(), array![BigInt::from(-2), BigInt::from(2)]);
/// assert!(cs.is_satisfied().unwrap());
/// ```
pub mod prelude {
    pub use crate::activation::{relu, rescale_relu};
    pub use crate::argmax::argmax;
    pub use crate::fixed::{from_field, to_field, Scale};
    pub use crate::layers::{conv2d, dense, Conv2dConfig, Padding, Pool2dConfig};
    pub use crate::range::enforce_bound;
    pub use crate::rescale::{rescale, rescale_tensor};
    pub use crate::tensor::{alloc_tensor, tensor_values, Visibility};
    pub use crate::{Error, Result};
    pub use ark_bn254::Fr;
    pub use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar, GR1CSVar};
    pub use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef};
    pub use ndarray::{array, ArrayD, IxDyn};
    pub use num_bigint::{BigInt, BigUint};
}
