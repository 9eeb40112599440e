//! Groth16 on BN254: setup, prove (after checking the witness satisfies the circuit) and
//! verify.
//!
//! ark-groth16 in release mode returns a proof for an unsatisfied witness (the check is a
//! `debug_assert`), which then fails to verify. [`prove`] synthesises the circuit once,
//! checks every constraint on the R1CS matrices, returns [`ProveError::Unsatisfied`] naming
//! the first failing constraint, and otherwise proves from those same matrices (ark-groth16's
//! `create_proof_with_reduction_and_matrices`), so the circuit is synthesised once, not twice.
//!
//! Generic over any `ConstraintSynthesizer<Fr>`: this module knows nothing of models; the
//! statement around a model (and its errors: [`crate::circuit::CircuitError`]) is
//! [`crate::circuit`].

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
    /// The key is for another circuit (its fingerprint or sizes differ).
    #[error("wrong key: {0}")]
    WrongKey(String),
    /// A key read part by part ([`Synthesized::prove_streaming`]) does not deserialise.
    #[error("reading the proving key: {0}")]
    KeyRead(#[from] ark_serialize::SerializationError),
}

/// The first row of `cs` (finalised, prove mode) whose R1CS constraint does not hold,
/// evaluated on the matrices.
pub fn first_unsatisfied_row(cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>) -> Option<usize> {
    let m = finalized_matrices(cs).ok()?;
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

/// A circuit's fingerprint: SHA-256 over its R1CS matrices (every row of A, B and C, each
/// entry's column and coefficient) and its instance, witness and constraint counts. Two
/// circuits with the same fingerprint have the same constraint system, so a Groth16 key
/// made for one is a key for the other; keys record it ([`crate::io`]) so a key for
/// another circuit is refused before any proving work.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// Lower-case hex, 64 characters.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hex characters.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Fingerprint(out))
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

/// The shape of a circuit: its fingerprint and sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitInfo {
    /// The hash of the matrices and counts.
    pub fingerprint: Fingerprint,
    /// Number of constraints.
    pub constraints: usize,
    /// Number of public inputs (without the constant one).
    pub public_inputs: usize,
    /// Number of witness variables.
    pub witnesses: usize,
}

/// Hashes matrices and counts into a [`CircuitInfo`].
fn circuit_info(m: &[Matrix<Fr>], num_instance: usize, num_witness: usize) -> CircuitInfo {
    use ark_ff::{BigInteger, PrimeField};
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"arkml-r1cs-v1");
    let rows = m.first().map_or(0, |a| a.len());
    for n in [num_instance, num_witness, rows, m.len()] {
        h.update((n as u64).to_le_bytes());
    }
    // buffered: one update per 64 KiB rather than per entry
    let mut buf = Vec::with_capacity(1 << 16);
    for matrix in m {
        for row in matrix {
            buf.extend_from_slice(&(row.len() as u64).to_le_bytes());
            for (c, i) in row {
                buf.extend_from_slice(&(*i as u64).to_le_bytes());
                buf.extend_from_slice(&c.into_bigint().to_bytes_le());
                if buf.len() >= (1 << 16) - 64 {
                    h.update(&buf);
                    buf.clear();
                }
            }
        }
    }
    h.update(&buf);
    CircuitInfo {
        fingerprint: Fingerprint(h.finalize().into()),
        constraints: rows,
        public_inputs: num_instance.saturating_sub(1),
        witnesses: num_witness,
    }
}

/// Finalises `cs` and returns its R1CS matrices (A, B, C).
fn finalized_matrices(
    cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>,
) -> Result<Vec<Matrix<Fr>>, SynthesisError> {
    cs.finalize();
    cs.to_matrices()?
        .remove(R1CS_PREDICATE_LABEL)
        .ok_or(SynthesisError::MissingCS)
}

/// The circuit's [`CircuitInfo`] (fingerprint and sizes), from one synthesis in setup mode
/// (no witness is computed or needed).
pub fn circuit_fingerprint<C: ConstraintSynthesizer<Fr>>(
    circuit: C,
) -> Result<CircuitInfo, ProveError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    circuit.generate_constraints(cs.clone())?;
    let matrices = finalized_matrices(&cs)?;
    Ok(circuit_info(
        &matrices,
        cs.num_instance_variables(),
        cs.num_witness_variables(),
    ))
}

/// A circuit synthesised for proving: its matrices and full assignment, with the
/// constraint system already freed. [`Synthesized::info`] gives its fingerprint, so a
/// caller can compare it with a key's before loading or using the key;
/// [`Synthesized::prove`] runs the MSMs.
pub struct Synthesized {
    matrices: Vec<Matrix<Fr>>,
    full: Vec<Fr>,
    num_inputs: usize,
    num_constraints: usize,
}

/// Synthesises `circuit` once with its witness and checks every constraint on the R1CS
/// matrices: an unsatisfied witness is [`ProveError::Unsatisfied`] naming the first failing
/// row, never a proof.
pub fn synthesize<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<Synthesized, ProveError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    // as ark-groth16's setup and prover do, so the matrices are the proving key's
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: true,
        generate_lc_assignments: false,
    });
    circuit.generate_constraints(cs.clone())?;
    let matrices = finalized_matrices(&cs)?;
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
    Ok(Synthesized {
        matrices,
        full,
        num_inputs,
        num_constraints,
    })
}

impl Synthesized {
    /// The circuit's fingerprint and sizes.
    pub fn info(&self) -> CircuitInfo {
        circuit_info(
            &self.matrices,
            self.num_inputs,
            self.full.len() - self.num_inputs,
        )
    }

    /// The R1CS matrices (A, B, C; rows are constraints, columns the full assignment's
    /// indices), the number of instance variables (the constant one and the public inputs)
    /// and the number of variables in all.
    pub fn parts(&self) -> (&[Matrix<Fr>], usize, usize) {
        (&self.matrices, self.num_inputs, self.full.len())
    }

    /// The full assignment: the constant one, the public inputs, then the witness.
    pub fn assignment(&self) -> &[Fr] {
        &self.full
    }

    /// The public inputs the witness assigns, in the circuit's order.
    pub fn public_inputs(&self) -> &[Fr] {
        &self.full[1..self.num_inputs]
    }

    /// Proves with `pk`. A key whose sizes do not match this circuit is
    /// [`ProveError::WrongKey`], before any multi-scalar multiplication.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        pk: &ProvingKey<Bn254>,
        rng: &mut R,
    ) -> Result<Proof<Bn254>, ProveError> {
        let vars = self.full.len();
        if pk.vk.gamma_abc_g1.len() != self.num_inputs || pk.a_query.len() != vars {
            return Err(ProveError::WrongKey(format!(
                "the key is for a circuit with {} public inputs and {} variables; this one has {} and {}",
                pk.vk.gamma_abc_g1.len().saturating_sub(1),
                pk.a_query.len(),
                self.num_inputs - 1,
                vars
            )));
        }
        let (r, s) = (Fr::rand(rng), Fr::rand(rng));
        Ok(Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            pk,
            r,
            s,
            &self.matrices,
            self.num_inputs,
            self.num_constraints,
            &self.full,
        )?)
    }
}

/// Points read at a time by [`Synthesized::prove_streaming`]: at most 2^18 (about 19 MB
/// of G1 or 36 MB of G2 points in memory), large enough that the chunked multi-scalar
/// multiplications cost within a few per cent of one over the whole query.
const KEY_CHUNK: usize = 1 << 18;

impl Synthesized {
    /// Proves as [`Synthesized::prove`] does, reading the proving key from `key` (in
    /// ark-groth16's serialisation: the verifying key, `beta_g1`, `delta_g1`, then the A, B
    /// (G1), B (G2), H and L queries) one chunk of points at a time, so the key is never
    /// whole in memory: the prover's peak holds the matrices or one chunk, not the key.
    /// The matrices are freed once the quotient is computed. `validate` checks every point
    /// (curve and subgroup) as it is read, for keys from elsewhere. A query whose length is
    /// not this circuit's is [`ProveError::WrongKey`] before its multiplication; a key that
    /// does not deserialise is [`ProveError::KeyRead`]. The reader is left just after the
    /// key, so a caller can check for trailing bytes or a checksum before using the proof.
    pub fn prove_streaming<K: std::io::Read, R: RngCore + CryptoRng>(
        self,
        mut key: K,
        compress: ark_serialize::Compress,
        validate: ark_serialize::Validate,
        rng: &mut R,
    ) -> Result<Proof<Bn254>, ProveError> {
        use ark_bn254::{G1Affine, G1Projective, G2Affine, G2Projective};
        use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
        use ark_ff::PrimeField;
        use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
        use ark_serialize::CanonicalDeserialize;

        let Synthesized {
            matrices,
            full,
            num_inputs,
            num_constraints,
        } = self;
        let vk = VerifyingKey::<Bn254>::deserialize_with_mode(&mut key, compress, validate)?;
        if vk.gamma_abc_g1.len() != num_inputs {
            return Err(ProveError::WrongKey(format!(
                "the key is for a circuit with {} public inputs; this one has {}",
                vk.gamma_abc_g1.len().saturating_sub(1),
                num_inputs - 1
            )));
        }
        let beta_g1 = G1Affine::deserialize_with_mode(&mut key, compress, validate)?;
        let delta_g1 = G1Affine::deserialize_with_mode(&mut key, compress, validate)?;
        // the quotient first, so the matrices are freed before any query is read
        let h = LibsnarkReduction::witness_map_from_matrices::<
            Fr,
            ark_poly::GeneralEvaluationDomain<Fr>,
        >(&matrices, num_inputs, num_constraints, &full)?;
        drop(matrices);
        let z: Vec<_> = full.iter().map(|f| f.into_bigint()).collect();
        drop(full);
        let (r, s) = (Fr::rand(rng), Fr::rand(rng));

        // one query: its length, checked, then its points chunk by chunk into one MSM
        fn query<P, K>(
            key: &mut K,
            name: &str,
            scalars: &[<Fr as ark_ff::PrimeField>::BigInt],
            compress: ark_serialize::Compress,
            validate: ark_serialize::Validate,
        ) -> Result<P::Group, ProveError>
        where
            P: AffineRepr<ScalarField = Fr> + CanonicalDeserialize + Send,
            P::Group: VariableBaseMSM<MulBase = P>,
            K: std::io::Read,
        {
            use ark_ff::Zero;
            use rayon::prelude::*;
            let n = u64::deserialize_with_mode(&mut *key, compress, validate)?;
            if n != scalars.len() as u64 {
                return Err(ProveError::WrongKey(format!(
                    "the key's {name} query has {n} points; this circuit needs {}",
                    scalars.len()
                )));
            }
            let size = P::zero().serialized_size(compress);
            let mut acc = P::Group::zero();
            let mut bytes = Vec::new();
            for part in scalars.chunks(KEY_CHUNK) {
                bytes.resize(part.len() * size, 0);
                key.read_exact(&mut bytes)
                    .map_err(ark_serialize::SerializationError::IoError)?;
                let points = bytes
                    .par_chunks(size)
                    .map(|mut b| P::deserialize_with_mode(&mut b, compress, validate))
                    .collect::<Result<Vec<P>, _>>()?;
                acc += P::Group::msm_bigint(&points, part);
            }
            Ok(acc)
        }
        let a = query::<G1Affine, _>(&mut key, "A", &z, compress, validate)?;
        let g_a = a + vk.alpha_g1 + delta_g1 * r;
        let b1 = query::<G1Affine, _>(&mut key, "B (G1)", &z, compress, validate)?;
        let g1_b = b1 + beta_g1 + delta_g1 * s;
        let b2 = query::<G2Affine, _>(&mut key, "B (G2)", &z, compress, validate)?;
        let g2_b: G2Projective = b2 + vk.beta_g2 + vk.delta_g2 * s;
        // the quotient has degree below the domain's size less one: the key's H query has
        // one point fewer than the domain (ark-groth16's MSM pairs up the shorter length)
        let h: Vec<_> = h[..h.len().saturating_sub(1)]
            .iter()
            .map(|f| f.into_bigint())
            .collect();
        let h_acc = query::<G1Affine, _>(&mut key, "H", &h, compress, validate)?;
        drop(h);
        let l_acc = query::<G1Affine, _>(&mut key, "L", &z[num_inputs..], compress, validate)?;
        let g_c: G1Projective = g_a * s + g1_b * r - delta_g1 * (r * s) + l_acc + h_acc;
        Ok(Proof {
            a: g_a.into_affine(),
            b: g2_b.into_affine(),
            c: g_c.into_affine(),
        })
    }
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
    synthesize(circuit)?.prove(pk, rng)
}

/// As [`prove`], but first checks that the circuit's fingerprint is `expected` (the one
/// recorded with the proving key): a key for another circuit is [`ProveError::WrongKey`]
/// before any multi-scalar multiplication.
pub fn prove_for<C, R>(
    pk: &ProvingKey<Bn254>,
    expected: &Fingerprint,
    circuit: C,
    rng: &mut R,
) -> Result<Proof<Bn254>, ProveError>
where
    C: ConstraintSynthesizer<Fr>,
    R: RngCore + CryptoRng,
{
    let s = synthesize(circuit)?;
    let info = s.info();
    if &info.fingerprint != expected {
        return Err(ProveError::WrongKey(format!(
            "the key is for circuit {expected}, this circuit is {}",
            info.fingerprint
        )));
    }
    s.prove(pk, rng)
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
