//! The typed error every gadget returns.

use ark_relations::gr1cs::SynthesisError;
use thiserror::Error;

/// What went wrong while building or checking a gadget.
///
/// Bad input (shapes, parameters, bounds) is reported here before any constraint is
/// written; [`Error::Synthesis`] wraps errors raised by arkworks itself.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// Two shapes that must agree do not.
    #[error("shape mismatch in {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Which tensor or parameter.
        what: String,
        /// What the gadget needed.
        expected: String,
        /// What it was given.
        got: String,
    },
    /// A parameter is outside its valid range (zero stride, zero kernel, divisor below 1, ...).
    #[error("invalid parameter {what}: {why}")]
    InvalidParameter {
        /// Which parameter.
        what: String,
        /// Why it is rejected.
        why: String,
    },
    /// A bit bound too large to stay safely below the field modulus.
    #[error("bound of {bits} bits for {what} exceeds the safe maximum of {max} bits")]
    BoundTooLarge {
        /// Which value.
        what: String,
        /// The bound asked for.
        bits: u32,
        /// The largest bound this field supports.
        max: u32,
    },
    /// A witness value does not fit the bound it was declared with.
    #[error("value {value} of {what} does not fit its declared range {range}")]
    OutOfRange {
        /// Which value.
        what: String,
        /// The value, as a signed integer.
        value: String,
        /// The declared range.
        range: String,
    },
    /// A ciphertext that does not decrypt: a wrong key, nonce or length, tampering, or
    /// non-zero padding.
    #[error("decryption failed: {0}")]
    Decryption(String),
    /// An error from arkworks' constraint system.
    #[error("synthesis error: {0}")]
    Synthesis(#[from] SynthesisError),
}

/// Shorthand for results of this crate.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// A [`Error::ShapeMismatch`].
    pub fn shape(what: &str, expected: impl ToString, got: impl ToString) -> Self {
        Error::ShapeMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            got: got.to_string(),
        }
    }

    /// An [`Error::InvalidParameter`].
    pub fn param(what: &str, why: impl ToString) -> Self {
        Error::InvalidParameter {
            what: what.to_string(),
            why: why.to_string(),
        }
    }
}

impl From<Error> for SynthesisError {
    /// Inside a `ConstraintSynthesizer`, where only `SynthesisError` can be returned: arkworks
    /// errors pass through, bad input becomes `Unsatisfiable` (validate before synthesis to
    /// keep the typed error).
    fn from(e: Error) -> Self {
        match e {
            Error::Synthesis(s) => s,
            _ => SynthesisError::Unsatisfiable,
        }
    }
}
