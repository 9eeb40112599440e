//! snarkjs Groth16 proving keys (`.zkey`, from a phase-2 ceremony: `snarkjs groth16 setup`,
//! `zkey contribute`, `zkey beacon`) as arkworks keys, and the prover that uses them.
//!
//! A `.zkey` holds the points of a circuit `arkml export r1cs` wrote; [`read_zkey`] reads
//! them (iden3 container; coordinates little-endian in Montgomery form, each checked below
//! the modulus and on the curve; the verifying key's G2 points also in the prime-order
//! subgroup — checking all 2n query points there would cost 10× the read, and the proof
//! made with them is verified against the verifying key anyway. Whether the ceremony was
//! done right is `snarkjs zkey verify`'s job). snarkjs computes the
//! quotient polynomial's points for the odd powers of a domain twice the size, not for
//! `tau^i Z(tau)` as arkworks does, so a zkey proves with [`SnarkjsReduction`] (the same
//! witness map snarkjs' prover and rapidsnark use): [`prove_with_zkey`]. Verifying is plain
//! Groth16 either way.
//!
//! The `.zkey` does not name its circuit; [`prove_with_zkey`] checks the sizes (wires,
//! public inputs, domain) against the circuit before proving, and verifies the proof it made
//! against the zkey's own verifying key, so a key for another circuit of the same sizes is
//! [`ProveError::WrongKey`], never a proof that fails later.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, PrimeField, UniformRand, Zero};
use ark_groth16::r1cs_to_qap::{evaluate_constraint, LibsnarkReduction, R1CSToQAP};
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_poly::EvaluationDomain;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use ark_std::rand::{CryptoRng, RngCore};
use thiserror::Error as ThisError;

use crate::groth16::{ProveError, Synthesized};

/// Why a `.zkey` was refused.
#[derive(Debug, ThisError)]
pub enum ZkeyError {
    /// Not a zkey, cut short, or a section missing.
    #[error("zkey: {0}")]
    Malformed(String),
    /// Not Groth16 on BN254.
    #[error("zkey: {0}")]
    Unsupported(String),
    /// A coordinate at or above the modulus, or a point off the curve or outside the
    /// prime-order subgroup.
    #[error("zkey: point {index} of {what}: {why}")]
    Point {
        /// Which section.
        what: &'static str,
        /// Which point.
        index: usize,
        /// What is wrong.
        why: &'static str,
    },
}

/// A zkey's Groth16 keys and sizes.
#[derive(Clone, Debug)]
pub struct Zkey {
    /// The proving key (its verifying key inside).
    pub pk: ProvingKey<Bn254>,
    /// Wires (`nVars`): the constant one, the public inputs, the witness.
    pub n_vars: usize,
    /// Public inputs.
    pub n_public: usize,
    /// The QAP domain's size.
    pub domain_size: usize,
    /// The circuit the zkey was made for: its A and B matrices as `(matrix, constraint,
    /// wire, coefficient)`, sorted (with snarkjs' extra rows for the public inputs).
    coeffs: Vec<(u32, u32, u32, [u64; 4])>,
}

impl Zkey {
    /// Whether the zkey was made for this circuit: its A and B matrices, as the zkey records
    /// them, are the circuit's (the one binding a zkey has to a circuit; the verifying key
    /// alone names none).
    pub fn matches(&self, s: &Synthesized) -> bool {
        let (matrices, num_inputs, wires) = s.parts();
        if wires != self.n_vars || num_inputs != self.n_public + 1 {
            return false;
        }
        let constraints = matrices.first().map_or(0, |m| m.len()) as u32;
        let mut ours: Vec<(u32, u32, u32, [u64; 4])> = vec![];
        for (k, m) in matrices.iter().take(2).enumerate() {
            for (row, lc) in m.iter().enumerate() {
                for (coeff, wire) in lc {
                    if !coeff.is_zero() {
                        ours.push((k as u32, row as u32, *wire as u32, coeff.into_bigint().0));
                    }
                }
            }
        }
        for i in 0..num_inputs as u32 {
            ours.push((0, constraints + i, i, Fr::from(1u64).into_bigint().0));
        }
        ours.sort_unstable();
        ours == self.coeffs
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ZkeyError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| ZkeyError::Malformed(format!("cut short at byte {}", self.at)))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, ZkeyError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, ZkeyError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn limbs(&mut self) -> Result<[u64; 4], ZkeyError> {
        let b = self.take(32)?;
        let mut l = [0u64; 4];
        for (i, c) in b.chunks_exact(8).enumerate() {
            l[i] = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        }
        Ok(l)
    }
    /// An Fq coordinate in Montgomery form.
    fn fq(&mut self) -> Result<Option<Fq>, ZkeyError> {
        let l = BigInt::new(self.limbs()?);
        if l >= Fq::MODULUS {
            return Ok(None);
        }
        Ok(Some(Fq::new_unchecked(l)))
    }
    fn g1(&mut self, what: &'static str, index: usize) -> Result<G1Affine, ZkeyError> {
        let bad = |why| ZkeyError::Point { what, index, why };
        let (x, y) = (self.fq()?, self.fq()?);
        let (x, y) = x
            .zip(y)
            .ok_or_else(|| bad("a coordinate at or above the modulus"))?;
        if x.is_zero() && y.is_zero() {
            return Ok(G1Affine::zero());
        }
        let p = G1Affine::new_unchecked(x, y);
        if !p.is_on_curve() {
            return Err(bad("not on the curve"));
        }
        Ok(p)
    }
    /// A G2 point; `subgroup`: also checked in the prime-order subgroup (done for the
    /// verifying key's points; the prover's B2 query is checked on the curve only, and the
    /// proof made with it is verified against the verifying key).
    fn g2(
        &mut self,
        what: &'static str,
        index: usize,
        subgroup: bool,
    ) -> Result<G2Affine, ZkeyError> {
        let bad = |why| ZkeyError::Point { what, index, why };
        let c = [self.fq()?, self.fq()?, self.fq()?, self.fq()?];
        let [Some(x0), Some(x1), Some(y0), Some(y1)] = c else {
            return Err(bad("a coordinate at or above the modulus"));
        };
        let (x, y) = (Fq2::new(x0, x1), Fq2::new(y0, y1));
        if x.is_zero() && y.is_zero() {
            return Ok(G2Affine::zero());
        }
        let p = G2Affine::new_unchecked(x, y);
        if !p.is_on_curve() {
            return Err(bad("not on the curve"));
        }
        if subgroup && !p.is_in_correct_subgroup_assuming_on_curve() {
            return Err(bad("not in the prime-order subgroup"));
        }
        Ok(p)
    }
}

/// Reads a snarkjs Groth16 `.zkey` (BN254).
pub fn read_zkey(bytes: &[u8]) -> Result<Zkey, ZkeyError> {
    let mut r = Reader { b: bytes, at: 0 };
    if r.take(4)? != b"zkey" {
        return Err(ZkeyError::Malformed("not a zkey file (magic)".into()));
    }
    let _version = r.u32()?;
    let n = r.u32()?;
    let mut sections: Vec<(u32, &[u8])> = vec![];
    for _ in 0..n.min(64) {
        let ty = r.u32()?;
        let len = usize::try_from(r.u64()?)
            .map_err(|_| ZkeyError::Malformed("section too large".into()))?;
        sections.push((ty, r.take(len)?));
    }
    let sec = |ty: u32| -> Result<Reader<'_>, ZkeyError> {
        sections
            .iter()
            .find(|(t, _)| *t == ty)
            .map(|(_, b)| Reader { b, at: 0 })
            .ok_or_else(|| ZkeyError::Malformed(format!("section {ty} missing")))
    };
    if sec(1)?.u32()? != 1 {
        return Err(ZkeyError::Unsupported("not a Groth16 key".into()));
    }
    let mut h = sec(2)?;
    let n8q = h.u32()? as usize;
    let q = h.take(n8q)?.to_vec();
    let n8r = h.u32()? as usize;
    let rr = h.take(n8r)?.to_vec();
    use ark_ff::BigInteger;
    if n8q != 32 || q != Fq::MODULUS.to_bytes_le() || n8r != 32 || rr != Fr::MODULUS.to_bytes_le() {
        return Err(ZkeyError::Unsupported("not the BN254 curve".into()));
    }
    let n_vars = h.u32()? as usize;
    let n_public = h.u32()? as usize;
    let domain_size = h.u32()? as usize;
    if n_public >= n_vars || !domain_size.is_power_of_two() {
        return Err(ZkeyError::Malformed(format!(
            "{n_vars} wires, {n_public} public inputs, domain {domain_size}"
        )));
    }
    let alpha_g1 = h.g1("alpha", 0)?;
    let beta_g1 = h.g1("beta", 0)?;
    let beta_g2 = h.g2("beta", 0, true)?;
    let gamma_g2 = h.g2("gamma", 0, true)?;
    let delta_g1 = h.g1("delta", 0)?;
    let delta_g2 = h.g2("delta", 0, true)?;
    // each section must hold exactly its points: refuse a count before reading it
    let g1s = |ty: u32, what: &'static str, count: usize| -> Result<Vec<G1Affine>, ZkeyError> {
        let mut s = sec(ty)?;
        if s.b.len() != count.saturating_mul(64) {
            return Err(ZkeyError::Malformed(format!(
                "section {ty} ({what}) holds {} bytes for {count} points",
                s.b.len()
            )));
        }
        (0..count).map(|i| s.g1(what, i)).collect()
    };
    let mut c4 = sec(4)?;
    let n_coeffs = c4.u32()? as usize;
    if c4.b.len() != 4 + n_coeffs.saturating_mul(44) {
        return Err(ZkeyError::Malformed(format!(
            "section 4 holds {} bytes for {n_coeffs} coefficients",
            c4.b.len()
        )));
    }
    let mut coeffs = Vec::with_capacity(n_coeffs);
    for _ in 0..n_coeffs {
        let (m, c, w) = (c4.u32()?, c4.u32()?, c4.u32()?);
        // stored as Montgomery form of (value * R): two reductions
        let l = BigInt::new(c4.limbs()?);
        if l >= Fr::MODULUS {
            return Err(ZkeyError::Malformed(
                "a coefficient at or above the modulus".into(),
            ));
        }
        let v = Fr::new_unchecked(Fr::new_unchecked(l).into_bigint());
        if !v.is_zero() {
            coeffs.push((m, c, w, v.into_bigint().0));
        }
    }
    coeffs.sort_unstable();
    let ic = g1s(3, "IC", n_public + 1)?;
    let a_query = g1s(5, "A", n_vars)?;
    let b_g1_query = g1s(6, "B1", n_vars)?;
    let mut s7 = sec(7)?;
    if s7.b.len() != n_vars.saturating_mul(128) {
        return Err(ZkeyError::Malformed(
            "section 7 (B2) has the wrong size".into(),
        ));
    }
    let b_g2_query = (0..n_vars)
        .map(|i| s7.g2("B2", i, false))
        .collect::<Result<_, _>>()?;
    let l_query = g1s(8, "C", n_vars - n_public - 1)?;
    let h_query = g1s(9, "H", domain_size)?;
    let vk = VerifyingKey {
        alpha_g1,
        beta_g2,
        gamma_g2,
        delta_g2,
        gamma_abc_g1: ic,
    };
    Ok(Zkey {
        pk: ProvingKey {
            vk,
            beta_g1,
            delta_g1,
            a_query,
            b_g1_query,
            b_g2_query,
            h_query,
            l_query,
        },
        n_vars,
        n_public,
        domain_size,
        coeffs,
    })
}

/// Proves a synthesised circuit with a zkey's key: sizes checked first, the proof verified
/// against the zkey's verifying key after (another circuit's key of the same sizes is
/// [`ProveError::WrongKey`]).
pub fn prove_with_zkey<R: RngCore + CryptoRng>(
    s: &Synthesized,
    z: &Zkey,
    rng: &mut R,
) -> Result<Proof<Bn254>, ProveError> {
    let (matrices, num_inputs, wires) = s.parts();
    let constraints = matrices.first().map_or(0, |m| m.len());
    let domain = ark_poly::GeneralEvaluationDomain::<Fr>::new(constraints + num_inputs)
        .map(|d| d.size())
        .unwrap_or(0);
    if z.n_vars != wires || z.n_public + 1 != num_inputs || z.domain_size != domain || !z.matches(s)
    {
        return Err(ProveError::WrongKey(format!(
            "the zkey is for another circuit ({} wires, {} public inputs, domain {}; this one has {wires}, {} and {domain}, and its A and B matrices must be the zkey's)",
            z.n_vars,
            z.n_public,
            z.domain_size,
            num_inputs - 1
        )));
    }
    let (r, t) = (Fr::rand(rng), Fr::rand(rng));
    let proof = Groth16::<Bn254, SnarkjsReduction>::create_proof_with_reduction_and_matrices(
        &z.pk,
        r,
        t,
        matrices,
        num_inputs,
        constraints,
        s.assignment(),
    )?;
    let pvk = ark_groth16::prepare_verifying_key(&z.pk.vk);
    let ok = Groth16::<Bn254>::verify_proof(&pvk, &proof, s.public_inputs()).unwrap_or(false);
    if !ok {
        return Err(ProveError::WrongKey(
            "the zkey is for another circuit (of the same sizes): its proof does not verify".into(),
        ));
    }
    Ok(proof)
}

/// snarkjs' witness map: the quotient's evaluations on the odd powers of a root of unity of
/// twice the domain's order (the points snarkjs' `.zkey` holds for H), in place of arkworks'
/// coefficients of `(AB - C) / Z`. The instance map is arkworks' own.
pub struct SnarkjsReduction;

impl R1CSToQAP for SnarkjsReduction {
    #[allow(clippy::type_complexity)]
    fn instance_map_with_evaluation<F: PrimeField, D: EvaluationDomain<F>>(
        cs: ConstraintSystemRef<F>,
        t: &F,
    ) -> Result<(Vec<F>, Vec<F>, Vec<F>, F, usize, usize), SynthesisError> {
        LibsnarkReduction::instance_map_with_evaluation::<F, D>(cs, t)
    }

    fn witness_map_from_matrices<F: PrimeField, D: EvaluationDomain<F>>(
        matrices: &[Vec<Vec<(F, usize)>>],
        num_inputs: usize,
        num_constraints: usize,
        full: &[F],
    ) -> Result<Vec<F>, SynthesisError> {
        let domain =
            D::new(num_constraints + num_inputs).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let n = domain.size();
        let (mut a, mut b) = (vec![F::zero(); n], vec![F::zero(); n]);
        for (i, (ra, rb)) in matrices[0].iter().zip(&matrices[1]).enumerate() {
            a[i] = evaluate_constraint(ra, full);
            b[i] = evaluate_constraint(rb, full);
        }
        // snarkjs' extra rows: A holds each public input (and the one) once
        a[num_constraints..num_constraints + num_inputs].clone_from_slice(&full[..num_inputs]);
        let c: Vec<F> = a.iter().zip(&b).map(|(x, y)| *x * y).collect();
        // to the odd powers of a 2n-th root of unity: interpolate, shift, evaluate
        let shift = D::new(2 * n)
            .ok_or(SynthesisError::PolynomialDegreeTooLarge)?
            .element(1);
        let odd = |mut v: Vec<F>| {
            domain.ifft_in_place(&mut v);
            D::distribute_powers_and_mul_by_const(&mut v, shift, F::one());
            domain.fft_in_place(&mut v);
            v
        };
        let (a, b, c) = (odd(a), odd(b), odd(c));
        Ok(a.iter()
            .zip(&b)
            .zip(&c)
            .map(|((x, y), z)| *x * y - z)
            .collect())
    }

    /// The setup side (not used to read a zkey, given for a complete reduction): the
    /// Lagrange coefficients at `t` over the doubled domain, odd indices, over delta.
    fn h_query_scalars<F: PrimeField, D: EvaluationDomain<F>>(
        max_power: usize,
        t: F,
        _: F,
        delta_inverse: F,
    ) -> Result<Vec<F>, SynthesisError> {
        let mut scalars: Vec<F> = (0..2 * max_power + 1)
            .map(|i| delta_inverse * t.pow([i as u64]))
            .collect();
        let domain = D::new(scalars.len()).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        domain.ifft_in_place(&mut scalars);
        Ok(scalars.into_iter().skip(1).step_by(2).collect())
    }
}
