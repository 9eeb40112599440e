//! Groth16 on BN254: setup, prove (after checking the witness satisfies the circuit) and
//! verify.
//!
//! ark-groth16 in release mode returns a proof for an unsatisfied witness (the check is a
//! `debug_assert`), which then fails to verify. [`prove`] synthesises the circuit once,
//! checks every constraint, returns [`ProveError::Unsatisfied`] naming the first failing
//! constraint, and otherwise proves from that same synthesis.
//!
//! The prover never builds the R1CS matrices ([`evaluate`]): arkworks' `finalize` inlines
//! every linear combination into a second copy and `to_matrices` into a third, which on a
//! constant-weight model (each neuron a combination of hundreds of inputs) is most of the
//! prover's memory. Instead each constraint's `A·z`, `B·z`, `C·z` is read from the
//! combinations' values and the fingerprint is hashed row by row as each row is expanded,
//! giving the same fingerprint as the matrices and the same proof as ark-groth16's prover
//! for the same randomness (`tests/prover.rs`). [`synthesize`] still builds the matrices
//! for the exporters (`.r1cs`, `.zkey`) and proves through the same code.
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

/// Incremental [`CircuitInfo`] hashing: the counts, then every row of A, B and C in order.
struct InfoHasher {
    h: sha2::Sha256,
    buf: Vec<u8>,
    num_instance: usize,
    num_witness: usize,
    rows: usize,
}

impl InfoHasher {
    fn new(num_instance: usize, num_witness: usize, rows: usize, matrices: usize) -> Self {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"arkml-r1cs-v1");
        for n in [num_instance, num_witness, rows, matrices] {
            h.update((n as u64).to_le_bytes());
        }
        InfoHasher {
            h,
            buf: Vec::with_capacity(1 << 16),
            num_instance,
            num_witness,
            rows,
        }
    }

    fn row(&mut self, row: &[(Fr, usize)]) {
        use ark_ff::{BigInteger, PrimeField};
        use sha2::Digest;
        // buffered: one update per 64 KiB rather than per entry
        self.buf
            .extend_from_slice(&(row.len() as u64).to_le_bytes());
        for (c, i) in row {
            self.buf.extend_from_slice(&(*i as u64).to_le_bytes());
            self.buf.extend_from_slice(&c.into_bigint().to_bytes_le());
            if self.buf.len() >= (1 << 16) - 64 {
                self.h.update(&self.buf);
                self.buf.clear();
            }
        }
    }

    fn finish(mut self) -> CircuitInfo {
        use sha2::Digest;
        self.h.update(&self.buf);
        CircuitInfo {
            fingerprint: Fingerprint(self.h.finalize().into()),
            constraints: self.rows,
            public_inputs: self.num_instance.saturating_sub(1),
            witnesses: self.num_witness,
        }
    }
}

/// Hashes matrices and counts into a [`CircuitInfo`].
fn circuit_info(m: &[Matrix<Fr>], num_instance: usize, num_witness: usize) -> CircuitInfo {
    let rows = m.first().map_or(0, |a| a.len());
    let mut h = InfoHasher::new(num_instance, num_witness, rows, m.len());
    for row in m.iter().flatten() {
        h.row(row);
    }
    h.finish()
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
}

/// Synthesises `circuit` with its witness, recording its constraints (and, with
/// `lc_values`, every linear combination's value); returns the constraint system and the
/// full assignment (the constant one, the public inputs, then the witness).
fn synthesize_witness<C: ConstraintSynthesizer<Fr>>(
    circuit: C,
    lc_values: bool,
) -> Result<(ark_relations::gr1cs::ConstraintSystemRef<Fr>, Vec<Fr>), ProveError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    // as ark-groth16's setup and prover do, so the rows are the proving key's
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: true,
        generate_lc_assignments: lc_values,
    });
    circuit.generate_constraints(cs.clone())?;
    let full = [cs.instance_assignment()?, cs.witness_assignment()?].concat();
    Ok((cs, full))
}

/// Synthesises `circuit` once with its witness and checks every constraint on the R1CS
/// matrices: an unsatisfied witness is [`ProveError::Unsatisfied`] naming the first failing
/// row, never a proof.
pub fn synthesize<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<Synthesized, ProveError> {
    let (cs, full) = synthesize_witness(circuit, false)?;
    let matrices = finalized_matrices(&cs)?;
    let num_inputs = cs.num_instance_variables();
    // the matrices and the assignment are all the prover needs: free the constraint
    // system (its linear-combination maps) before the MSMs
    drop(cs);
    if let Some(row) = first_unsatisfied(&matrices, &full) {
        let rows = matrices.first().map_or(0, |m| m.len());
        return Err(ProveError::Unsatisfied(format!(
            "constraint {row} of {rows}"
        )));
    }
    Ok(Synthesized {
        matrices,
        full,
        num_inputs,
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
        self.evaluated()?.prove(pk, rng)
    }
}

/// Points read at a time by [`Evaluated::prove_streaming`]: at most 2^18 (about 19 MB
/// of G1 or 36 MB of G2 points in memory), large enough that the chunked multi-scalar
/// multiplications cost within a few per cent of one over the whole query.
const KEY_CHUNK: usize = 1 << 18;

impl Synthesized {
    /// [`Evaluated::prove_streaming`] on these rows ([`Synthesized::evaluated`]): the
    /// matrices are freed before the key is read.
    pub fn prove_streaming<K: std::io::Read, R: RngCore + CryptoRng>(
        self,
        key: K,
        compress: ark_serialize::Compress,
        validate: ark_serialize::Validate,
        rng: &mut R,
    ) -> Result<Proof<Bn254>, ProveError> {
        let e = self.evaluated()?;
        drop(self);
        e.prove_streaming(key, compress, validate, rng)
    }

    /// Each constraint's sides evaluated on the assignment ([`Evaluated`]), checked.
    pub fn evaluated(&self) -> Result<Evaluated, ProveError> {
        use rayon::prelude::*;
        let side = |m: usize| -> Result<Vec<Fr>, ProveError> {
            let rows = self.matrices.get(m).ok_or(SynthesisError::MissingCS)?;
            Ok(rows
                .par_iter()
                .map(|row| row.iter().map(|(c, i)| self.full[*i] * c).sum())
                .collect())
        };
        Evaluated::new(
            [side(0)?, side(1)?, side(2)?],
            self.full.clone(),
            self.num_inputs,
            self.info(),
        )
    }
}

/// The rows arkworks' `finalize` + `to_matrices` would build for `cs` (not finalised), in
/// matrix order (every row of A, then B, then C), each passed to `f`, without building the
/// matrices: every linear combination is expanded into the variables it stands for, terms
/// sorted by variable and merged, zeros dropped (ark-relations' `inline_all_lcs`,
/// `compactify` and `make_row`); when no combination refers to another, arkworks inlines
/// nothing and each row keeps its combination's order. A combination used more than once
/// is expanded once and kept only until its last use.
fn for_each_row(
    cs: &ark_relations::gr1cs::ConstraintSystem<Fr>,
    mut f: impl FnMut(&[(Fr, usize)]),
) -> Result<(), SynthesisError> {
    use ark_ff::{One, Zero};
    use ark_relations::gr1cs::Variable;
    use std::collections::HashMap;

    let cons = cs
        .predicate_constraint_systems
        .get(R1CS_PREDICATE_LABEL)
        .ok_or(SynthesisError::MissingCS)?
        .get_constraints();
    let num_instance = cs.num_instance_variables();
    let any_nested = cs.lc_map.iter().any(|mut lc| lc.any(|(_, v)| v.is_lc()));

    // how often each combination is used, by other combinations and by the constraints
    let mut uses = vec![0u32; if any_nested { cs.lc_map.num_lcs() } else { 0 }];
    let mut count = |v: &Variable| {
        if let Some(j) = v.get_lc_index() {
            if let Some(u) = uses.get_mut(j) {
                *u = u.saturating_add(1);
            }
        }
    };
    cs.lc_map
        .iter()
        .for_each(|lc| lc.for_each(|(_, v)| count(v)));
    cons.iter().flatten().for_each(&mut count);

    /// Expansions of shared combinations, and what is left of their uses.
    struct Shared {
        memo: HashMap<usize, Vec<(Fr, Variable)>>,
        uses: Vec<u32>,
    }
    /// Appends `coeff * lc` fully expanded to `out` (unsorted).
    fn expand(
        cs: &ark_relations::gr1cs::ConstraintSystem<Fr>,
        shared: &mut Shared,
        lc: Variable,
        coeff: Fr,
        out: &mut Vec<(Fr, Variable)>,
    ) {
        let mut stack = vec![(coeff, lc)];
        while let Some((c, v)) = stack.pop() {
            let Some(j) = v.get_lc_index() else {
                out.push((c, v));
                continue;
            };
            if shared.uses.get(j).copied().unwrap_or(0) > 1 || shared.memo.contains_key(&j) {
                if !shared.memo.contains_key(&j) {
                    let mut e = Vec::new();
                    for (c2, v2) in cs.get_lc(v).0 {
                        expand(cs, shared, v2, c2, &mut e);
                    }
                    compact(&mut e);
                    shared.memo.insert(j, e);
                }
                let e = &shared.memo[&j];
                out.extend(e.iter().map(|(c2, v2)| (c * c2, *v2)));
                // kept until its last use
                let left = &mut shared.uses[j];
                *left -= 1;
                if *left == 0 {
                    shared.memo.remove(&j);
                }
            } else {
                stack.extend(cs.get_lc(v).0.into_iter().map(|(c2, v2)| (c * c2, v2)));
            }
        }
    }
    /// Sorts by variable and merges.
    fn compact(e: &mut Vec<(Fr, Variable)>) {
        e.sort_unstable_by_key(|t| t.1);
        e.dedup_by(|b, a| {
            if a.1 == b.1 {
                a.0 += b.0;
                true
            } else {
                false
            }
        });
    }

    // arkworks inlines (and so sorts and merges) only when some combination is nested
    let mut shared = any_nested.then(|| Shared {
        memo: HashMap::new(),
        uses,
    });
    let (mut terms, mut row) = (Vec::new(), Vec::new());
    for v in cons.iter().flatten() {
        terms.clear();
        match &mut shared {
            Some(shared) => {
                expand(cs, shared, *v, Fr::one(), &mut terms);
                compact(&mut terms);
            }
            None => terms.extend(cs.get_lc(*v).0),
        }
        row.clear();
        row.extend(terms.iter().filter_map(|&(c, v)| {
            (!c.is_zero() && !v.is_zero())
                .then(|| v.get_variable_index(num_instance).map(|j| (c, j)))?
        }));
        f(&row);
    }
    Ok(())
}

/// A circuit synthesised for proving, reduced to what the prover needs: each constraint's
/// `A·z`, `B·z` and `C·z`, the full assignment `z` and the circuit's [`CircuitInfo`]. It
/// holds no matrices, so the prover's memory is the assignment and three values per
/// constraint ([`evaluate`] builds it from a constraint system without finalising it into
/// matrices; [`Synthesized::evaluated`] from the matrices).
pub struct Evaluated {
    rows: [Vec<Fr>; 3],
    full: Vec<Fr>,
    num_inputs: usize,
    info: CircuitInfo,
}

/// Synthesises `circuit` once with its witness, as [`synthesize`] does, but never builds
/// the R1CS matrices: the fingerprint is hashed row by row as each row is expanded, and
/// each constraint's sides are evaluated from the linear combinations' values. The same
/// proof as from [`Synthesized`] with far less memory on circuits whose linear
/// combinations are large (a constant-weight layer: each neuron's sum over its inputs is
/// held once, not three times). An unsatisfied witness is [`ProveError::Unsatisfied`]
/// naming the first failing row.
pub fn evaluate<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<Evaluated, ProveError> {
    let (cs, full) = synthesize_witness(circuit, true)?;
    let num_inputs = cs.num_instance_variables();
    let (info, rows) = {
        let inner = cs.borrow().ok_or(SynthesisError::MissingCS)?;
        let mut h = InfoHasher::new(
            num_inputs,
            cs.num_witness_variables(),
            cs.num_constraints(),
            3,
        );
        for_each_row(&inner, |row| h.row(row))?;
        let cons = inner
            .predicate_constraint_systems
            .get(R1CS_PREDICATE_LABEL)
            .ok_or(SynthesisError::MissingCS)?
            .get_constraints();
        let mut rows: [Vec<Fr>; 3] = Default::default();
        for (m, side) in rows.iter_mut().enumerate() {
            let vars = cons.get(m).ok_or(SynthesisError::MissingCS)?;
            *side = vars
                .iter()
                .map(|v| {
                    inner
                        .assigned_value(*v)
                        .ok_or(SynthesisError::AssignmentMissing)
                })
                .collect::<Result<_, _>>()?;
        }
        (h.finish(), rows)
    };
    // the values are all the prover needs: free the constraint system before the MSMs
    drop(cs);
    Evaluated::new(rows, full, num_inputs, info)
}

impl Evaluated {
    fn new(
        rows: [Vec<Fr>; 3],
        full: Vec<Fr>,
        num_inputs: usize,
        info: CircuitInfo,
    ) -> Result<Self, ProveError> {
        let [a, b, c] = &rows;
        if let Some(row) = (0..a.len()).find(|&i| a[i] * b[i] != c[i]) {
            return Err(ProveError::Unsatisfied(format!(
                "constraint {row} of {}",
                a.len()
            )));
        }
        Ok(Evaluated {
            rows,
            full,
            num_inputs,
            info,
        })
    }

    /// The circuit's fingerprint and sizes.
    pub fn info(&self) -> CircuitInfo {
        self.info
    }

    /// The public inputs the witness assigns, in the circuit's order.
    pub fn public_inputs(&self) -> &[Fr] {
        &self.full[1..self.num_inputs]
    }

    /// Proves with `pk`. A key whose sizes do not match this circuit is
    /// [`ProveError::WrongKey`], before any multi-scalar multiplication.
    pub fn prove<R: RngCore + CryptoRng>(
        self,
        pk: &ProvingKey<Bn254>,
        rng: &mut R,
    ) -> Result<Proof<Bn254>, ProveError> {
        self.prove_from(InMemory(pk), rng)
    }

    /// Proves as [`Evaluated::prove`] does, reading the proving key from `key` (in
    /// ark-groth16's serialisation: the verifying key, `beta_g1`, `delta_g1`, then the A, B
    /// (G1), B (G2), H and L queries) one chunk of points at a time, so the key is never
    /// whole in memory. `validate` checks every point (curve and subgroup) as it is read,
    /// for keys from elsewhere. A query whose length is not this circuit's is
    /// [`ProveError::WrongKey`] before its multiplication; a key that does not deserialise
    /// is [`ProveError::KeyRead`]. The reader is left just after the key, so a caller can
    /// check for trailing bytes or a checksum before using the proof.
    pub fn prove_streaming<K: std::io::Read, R: RngCore + CryptoRng>(
        self,
        key: K,
        compress: ark_serialize::Compress,
        validate: ark_serialize::Validate,
        rng: &mut R,
    ) -> Result<Proof<Bn254>, ProveError> {
        self.prove_from(
            Streamed {
                key,
                compress,
                validate,
            },
            rng,
        )
    }

    fn prove_from<S: KeySource, R: RngCore + CryptoRng>(
        self,
        mut key: S,
        rng: &mut R,
    ) -> Result<Proof<Bn254>, ProveError> {
        use ark_bn254::{G1Projective, G2Projective};
        use ark_ec::CurveGroup;
        use ark_ff::PrimeField;

        let Evaluated {
            rows,
            full,
            num_inputs,
            ..
        } = self;
        let (vk, beta_g1, delta_g1) = key.head()?;
        if vk.gamma_abc_g1.len() != num_inputs {
            return Err(ProveError::WrongKey(format!(
                "the key is for a circuit with {} public inputs; this one has {}",
                vk.gamma_abc_g1.len().saturating_sub(1),
                num_inputs - 1
            )));
        }
        let h = quotient(rows, &full[..num_inputs])?;
        let z: Vec<_> = full.iter().map(|f| f.into_bigint()).collect();
        drop(full);
        let (r, s) = (Fr::rand(rng), Fr::rand(rng));

        let a = key.g1(Query::A, &z)?;
        let g_a = a + vk.alpha_g1 + delta_g1 * r;
        let b1 = key.g1(Query::BG1, &z)?;
        let g1_b = b1 + beta_g1 + delta_g1 * s;
        let b2 = key.g2(&z)?;
        let g2_b: G2Projective = b2 + vk.beta_g2 + vk.delta_g2 * s;
        // the quotient has degree below the domain's size less one: the key's H query has
        // one point fewer than the domain (ark-groth16's MSM pairs up the shorter length)
        let h: Vec<_> = h[..h.len().saturating_sub(1)]
            .iter()
            .map(|f| f.into_bigint())
            .collect();
        let h_acc = key.g1(Query::H, &h)?;
        drop(h);
        let l_acc = key.g1(Query::L, &z[num_inputs..])?;
        let g_c: G1Projective = g_a * s + g1_b * r - delta_g1 * (r * s) + l_acc + h_acc;
        Ok(Proof {
            a: g_a.into_affine(),
            b: g2_b.into_affine(),
            c: g_c.into_affine(),
        })
    }
}

/// ark-groth16's `LibsnarkReduction::witness_map_from_matrices` from the rows' values: the
/// coefficients of `h = (A·B − C) / Z` over the coset, with the instance rows appended to
/// `A` as libsnark's reduction does.
fn quotient(rows: [Vec<Fr>; 3], inputs: &[Fr]) -> Result<Vec<Fr>, ProveError> {
    use ark_ff::{FftField, Field, Zero};
    use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
    use rayon::prelude::*;
    let [mut a, mut b, mut c] = rows;
    let n = a.len();
    let domain = GeneralEvaluationDomain::<Fr>::new(n + inputs.len())
        .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
    let size = domain.size();
    a.extend_from_slice(inputs);
    for v in [&mut a, &mut b, &mut c] {
        v.resize(size, Fr::zero());
    }
    let coset = domain
        .get_coset(Fr::GENERATOR)
        .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
    domain.ifft_in_place(&mut a);
    domain.ifft_in_place(&mut b);
    coset.fft_in_place(&mut a);
    coset.fft_in_place(&mut b);
    let mut ab = domain.mul_polynomials_in_evaluation_domain(&a, &b);
    drop(a);
    drop(b);
    domain.ifft_in_place(&mut c);
    coset.fft_in_place(&mut c);
    let z_inv = domain
        .evaluate_vanishing_polynomial(Fr::GENERATOR)
        .inverse()
        .ok_or(SynthesisError::DivisionByZero)?;
    ab.par_iter_mut().zip(c).for_each(|(ab, c)| {
        *ab -= &c;
        *ab *= &z_inv;
    });
    coset.ifft_in_place(&mut ab);
    Ok(ab)
}

/// The proving key's queries, in ark-groth16's order.
#[derive(Clone, Copy)]
enum Query {
    A,
    BG1,
    H,
    L,
}

impl Query {
    fn name(self) -> &'static str {
        match self {
            Query::A => "A",
            Query::BG1 => "B (G1)",
            Query::H => "H",
            Query::L => "L",
        }
    }
}

/// Where the prover reads the proving key from: in memory or streamed from a file. The
/// prover asks for the head, then the A, B (G1), B (G2), H and L multiplications in that
/// order (the order of ark-groth16's serialisation).
trait KeySource {
    fn head(
        &mut self,
    ) -> Result<
        (
            VerifyingKey<Bn254>,
            ark_bn254::G1Affine,
            ark_bn254::G1Affine,
        ),
        ProveError,
    >;
    fn g1(
        &mut self,
        q: Query,
        scalars: &[<Fr as ark_ff::PrimeField>::BigInt],
    ) -> Result<ark_bn254::G1Projective, ProveError>;
    fn g2(
        &mut self,
        scalars: &[<Fr as ark_ff::PrimeField>::BigInt],
    ) -> Result<ark_bn254::G2Projective, ProveError>;
}

/// A proving key in memory.
struct InMemory<'a>(&'a ProvingKey<Bn254>);

/// A query's length against the circuit's.
fn query_len(name: &str, n: u64, scalars: usize) -> Result<(), ProveError> {
    if n != scalars as u64 {
        return Err(ProveError::WrongKey(format!(
            "the key's {name} query has {n} points; this circuit needs {scalars}"
        )));
    }
    Ok(())
}

impl KeySource for InMemory<'_> {
    fn head(
        &mut self,
    ) -> Result<
        (
            VerifyingKey<Bn254>,
            ark_bn254::G1Affine,
            ark_bn254::G1Affine,
        ),
        ProveError,
    > {
        Ok((self.0.vk.clone(), self.0.beta_g1, self.0.delta_g1))
    }
    fn g1(
        &mut self,
        q: Query,
        scalars: &[<Fr as ark_ff::PrimeField>::BigInt],
    ) -> Result<ark_bn254::G1Projective, ProveError> {
        use ark_ec::VariableBaseMSM;
        let points = match q {
            Query::A => &self.0.a_query,
            Query::BG1 => &self.0.b_g1_query,
            Query::H => &self.0.h_query,
            Query::L => &self.0.l_query,
        };
        query_len(q.name(), points.len() as u64, scalars.len())?;
        Ok(ark_bn254::G1Projective::msm_bigint(points, scalars))
    }
    fn g2(
        &mut self,
        scalars: &[<Fr as ark_ff::PrimeField>::BigInt],
    ) -> Result<ark_bn254::G2Projective, ProveError> {
        use ark_ec::VariableBaseMSM;
        query_len("B (G2)", self.0.b_g2_query.len() as u64, scalars.len())?;
        Ok(ark_bn254::G2Projective::msm_bigint(
            &self.0.b_g2_query,
            scalars,
        ))
    }
}

/// A proving key read from a stream, one chunk of points at a time.
struct Streamed<K> {
    key: K,
    compress: ark_serialize::Compress,
    validate: ark_serialize::Validate,
}

impl<K: std::io::Read> Streamed<K> {
    /// One query: its length, checked, then its points chunk by chunk into one MSM.
    fn query<P>(
        &mut self,
        name: &str,
        scalars: &[<Fr as ark_ff::PrimeField>::BigInt],
    ) -> Result<P::Group, ProveError>
    where
        P: ark_ec::AffineRepr<ScalarField = Fr> + ark_serialize::CanonicalDeserialize + Send,
        P::Group: ark_ec::VariableBaseMSM<MulBase = P>,
    {
        use ark_ec::VariableBaseMSM;
        use ark_ff::Zero;
        use ark_serialize::CanonicalDeserialize;
        use rayon::prelude::*;
        let (compress, validate) = (self.compress, self.validate);
        let n = u64::deserialize_with_mode(&mut self.key, compress, validate)?;
        query_len(name, n, scalars.len())?;
        let size = P::zero().serialized_size(compress);
        let mut acc = P::Group::zero();
        let mut bytes = Vec::new();
        for part in scalars.chunks(KEY_CHUNK) {
            bytes.resize(part.len() * size, 0);
            self.key
                .read_exact(&mut bytes)
                .map_err(ark_serialize::SerializationError::IoError)?;
            let points = bytes
                .par_chunks(size)
                .map(|mut b| P::deserialize_with_mode(&mut b, compress, validate))
                .collect::<Result<Vec<P>, _>>()?;
            acc += P::Group::msm_bigint(&points, part);
        }
        Ok(acc)
    }
}

impl<K: std::io::Read> KeySource for Streamed<K> {
    fn head(
        &mut self,
    ) -> Result<
        (
            VerifyingKey<Bn254>,
            ark_bn254::G1Affine,
            ark_bn254::G1Affine,
        ),
        ProveError,
    > {
        use ark_serialize::CanonicalDeserialize;
        let (c, v) = (self.compress, self.validate);
        let vk = VerifyingKey::<Bn254>::deserialize_with_mode(&mut self.key, c, v)?;
        let beta_g1 = ark_bn254::G1Affine::deserialize_with_mode(&mut self.key, c, v)?;
        let delta_g1 = ark_bn254::G1Affine::deserialize_with_mode(&mut self.key, c, v)?;
        Ok((vk, beta_g1, delta_g1))
    }
    fn g1(
        &mut self,
        q: Query,
        scalars: &[<Fr as ark_ff::PrimeField>::BigInt],
    ) -> Result<ark_bn254::G1Projective, ProveError> {
        self.query::<ark_bn254::G1Affine>(q.name(), scalars)
    }
    fn g2(
        &mut self,
        scalars: &[<Fr as ark_ff::PrimeField>::BigInt],
    ) -> Result<ark_bn254::G2Projective, ProveError> {
        self.query::<ark_bn254::G2Affine>("B (G2)", scalars)
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
    evaluate(circuit)?.prove(pk, rng)
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
    let s = evaluate(circuit)?;
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
