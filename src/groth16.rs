//! Groth16 on BN254: setup, prove (after checking the witness satisfies the circuit) and
//! verify.
//!
//! ark-groth16 in release mode returns a proof for an unsatisfied witness (the check is a
//! `debug_assert`), which then fails to verify. [`prove`] synthesises the circuit once,
//! checks every constraint on the R1CS matrices, returns [`ProveError::Unsatisfied`] naming
//! the first failing constraint, and otherwise proves from those same matrices (ark-groth16's
//! `create_proof_with_reduction_and_matrices`), so the circuit is synthesised once, not twice.

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisError,
    SynthesisMode, R1CS_PREDICATE_LABEL,
};
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
    /// The model rejects its input or parameters (names the layer).
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
}

/// The first row of `cs` (finalised, prove mode) whose R1CS constraint does not hold,
/// evaluated on the matrices.
pub fn first_unsatisfied_row(cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>) -> Option<usize> {
    cs.finalize();
    let m = cs.to_matrices().ok()?.remove(R1CS_PREDICATE_LABEL)?;
    let z = [
        cs.instance_assignment().ok()?,
        cs.witness_assignment().ok()?,
    ]
    .concat();
    first_unsatisfied(&m, &z)
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

/// The first row `i` of the R1CS matrices with `(A z)_i * (B z)_i != (C z)_i`.
fn first_unsatisfied(m: &[Matrix<Fr>], z: &[Fr]) -> Option<usize> {
    let dot = |row: &[(Fr, usize)]| row.iter().map(|(c, i)| *c * z[*i]).sum::<Fr>();
    (0..m[0].len()).find(|&r| dot(&m[0][r]) * dot(&m[1][r]) != dot(&m[2][r]))
}

/// Proves: synthesises once, checks every constraint, and proves from the same matrices.
/// An unsatisfied witness is [`ProveError::Unsatisfied`], never a proof.
pub fn prove<C, R>(
    pk: &ProvingKey<Bn254>,
    circuit: C,
    rng: &mut R,
) -> Result<Proof<Bn254>, ProveError>
where
    C: ConstraintSynthesizer<Fr>,
    R: RngCore + CryptoRng,
{
    let cs = ConstraintSystem::<Fr>::new_ref();
    // as ark-groth16's setup and prover do, so the matrices are the proving key's
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: true,
        generate_lc_assignments: false,
    });
    circuit.generate_constraints(cs.clone())?;
    cs.finalize();
    let matrices = cs
        .to_matrices()?
        .remove(R1CS_PREDICATE_LABEL)
        .ok_or(SynthesisError::MissingCS)?;
    let num_inputs = cs.num_instance_variables();
    let num_constraints = cs.num_constraints();
    let full = [cs.instance_assignment()?, cs.witness_assignment()?].concat();
    // the matrices and the assignment are all the prover needs: free the constraint
    // system (its linear-combination maps) before the MSMs
    drop(cs);
    if let Some(row) = first_unsatisfied(&matrices, &full) {
        return Err(ProveError::Unsatisfied(format!(
            "constraint {row} of {num_constraints}"
        )));
    }
    let (r, s) = (Fr::rand(rng), Fr::rand(rng));
    Ok(Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
        pk,
        r,
        s,
        &matrices,
        num_inputs,
        num_constraints,
        &full,
    )?)
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
