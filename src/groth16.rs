//! Groth16 on BN254: setup, prove (after checking the witness satisfies the circuit) and
//! verify.
//!
//! ark-groth16 in release mode returns a proof for an unsatisfied witness (the check is a
//! `debug_assert`), which then fails to verify. [`prove`] synthesises the circuit once in
//! prove mode first and returns [`ProveError::Unsatisfied`] naming the first failing
//! constraint instead.

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisError};
use ark_snark::SNARK;
use ark_std::rand::{CryptoRng, RngCore};
use thiserror::Error;

/// Why proving or setup failed.
#[derive(Debug, Error)]
pub enum ProveError {
    /// The witness does not satisfy the circuit; the string names the first failing
    /// constraint.
    #[error("the witness does not satisfy the circuit: {0}")]
    Unsatisfied(String),
    /// An error from arkworks.
    #[error("synthesis error: {0}")]
    Synthesis(#[from] SynthesisError),
}

/// Circuit-specific setup. Returns the proving key (which contains the verifying key).
pub fn setup<C, R>(circuit: C, rng: &mut R) -> Result<ProvingKey<Bn254>, ProveError>
where
    C: ConstraintSynthesizer<Fr>,
    R: RngCore + CryptoRng,
{
    Ok(Groth16::<Bn254>::generate_random_parameters_with_reduction(
        circuit, rng,
    )?)
}

/// Checks that `circuit`'s witness satisfies its constraints; returns the number of
/// constraints.
pub fn check<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<usize, ProveError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone())?;
    if let Some(which) = cs.which_is_unsatisfied()? {
        return Err(ProveError::Unsatisfied(which));
    }
    Ok(cs.num_constraints())
}

/// Proves, after [`check`]ing the witness on a clone of the circuit.
pub fn prove<C, R>(
    pk: &ProvingKey<Bn254>,
    circuit: C,
    rng: &mut R,
) -> Result<Proof<Bn254>, ProveError>
where
    C: ConstraintSynthesizer<Fr> + Clone,
    R: RngCore + CryptoRng,
{
    check(circuit.clone())?;
    Ok(Groth16::<Bn254>::prove(pk, circuit, rng)?)
}

/// Verifies a proof against the public inputs, in the order the circuit allocated them.
pub fn verify(
    vk: &VerifyingKey<Bn254>,
    public_inputs: &[Fr],
    proof: &Proof<Bn254>,
) -> Result<bool, SynthesisError> {
    let pvk: PreparedVerifyingKey<Bn254> = ark_groth16::prepare_verifying_key(vk);
    Groth16::<Bn254>::verify_with_processed_vk(&pvk, public_inputs, proof)
}
