#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod activation;
pub mod argmax;
pub mod compare;
pub mod crypto;
pub mod error;
pub mod fixed;
pub mod layers;
pub mod range;
pub mod rescale;
pub mod tensor;
pub mod testing;

pub use error::{Error, Result};
