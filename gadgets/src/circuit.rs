//! Circuits written with gadgets whose errors stay typed through synthesis.
//!
//! arkworks' `ConstraintSynthesizer::generate_constraints` can only return a
//! `SynthesisError`, so a gadget's typed error (a value out of its declared range, a shape
//! mismatch) reaches a Groth16 caller as `SynthesisError::Unsatisfiable`. Write the circuit
//! as a [`GadgetCircuit`] instead, wrap it in [`Typed`], hand the wrapper to any arkworks
//! prover, and read the gadget's own error back with [`Typed::error`].
//!
//! ```
//! use arkml_gadgets::prelude::*;
//! use arkml_gadgets::circuit::{GadgetCircuit, Typed};
//! use arkml_gadgets::range::enforce_unsigned;
//!
//! #[derive(Clone)]
//! struct Byte(u64);
//! impl GadgetCircuit<Fr> for Byte {
//!     fn synthesize(self, cs: ConstraintSystemRef<Fr>) -> Result<()> {
//!         let x = FpVar::new_witness(cs, || Ok(Fr::from(self.0)))?;
//!         enforce_unsigned(&x, 8)?; // a typed error if 0 <= x < 256 does not hold
//!         Ok(())
//!     }
//! }
//!
//! let c = Typed::new(Byte(300));
//! let cs = ConstraintSystem::<Fr>::new_ref();
//! // what a prover sees
//! assert!(c.clone().generate_constraints(cs).is_err());
//! // what happened
//! assert!(matches!(c.error(), Some(Error::OutOfRange { .. })));
//! ```

use std::sync::{Arc, Mutex};

use ark_ff::PrimeField;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use crate::error::{Error, Result};

/// A circuit whose synthesis returns the gadgets' typed [`Error`].
pub trait GadgetCircuit<F: PrimeField> {
    /// Writes the constraints (and, in prove mode, the witness).
    fn synthesize(self, cs: ConstraintSystemRef<F>) -> Result<()>;
}

/// A [`GadgetCircuit`] as an arkworks `ConstraintSynthesizer`, keeping the first typed
/// error its synthesis returned (clones share it, so keep one to ask after a prover
/// consumed another).
#[derive(Clone, Debug)]
pub struct Typed<C> {
    circuit: C,
    error: Arc<Mutex<Option<Error>>>,
}

impl<C> Typed<C> {
    /// Wraps a circuit.
    pub fn new(circuit: C) -> Self {
        Typed {
            circuit,
            error: Arc::new(Mutex::new(None)),
        }
    }

    /// The typed error of the last synthesis that failed, if any.
    pub fn error(&self) -> Option<Error> {
        self.error.lock().ok().and_then(|e| e.clone())
    }

    /// The wrapped circuit.
    pub fn inner(&self) -> &C {
        &self.circuit
    }
}

impl<F: PrimeField, C: GadgetCircuit<F>> ConstraintSynthesizer<F> for Typed<C> {
    fn generate_constraints(
        self,
        cs: ConstraintSystemRef<F>,
    ) -> core::result::Result<(), SynthesisError> {
        self.circuit.synthesize(cs).map_err(|e| {
            if let Ok(mut slot) = self.error.lock() {
                *slot = Some(e.clone());
            }
            SynthesisError::from(e)
        })
    }
}
