//! snarkjs' Groth16 JSON files: `verification_key.json`, `proof.json` and `public.json`.
//!
//! Points are affine with decimal-string coordinates and a trailing `"1"` (projective `z`);
//! a G2 coordinate is `[c0, c1]`, the real part first; `"protocol": "groth16"`,
//! `"curve": "bn128"`. snarkjs' verification equation is ark-groth16's, so a proof made
//! here verifies with `snarkjs groth16 verify` and the other way round.
//!
//! Import checks everything: the curve and protocol names, every coordinate below the base
//! field modulus, every point on its curve (and G2 points in the prime-order subgroup),
//! `IC`'s length against `nPublic`. Errors are [`SnarkjsError`], never panics.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{PrimeField, Zero};
use ark_groth16::{Proof, VerifyingKey};
use num_bigint::BigUint;
use serde_json::{json, Value};
use thiserror::Error;

/// Why a snarkjs file was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SnarkjsError {
    /// Not JSON, or a field missing or of the wrong type.
    #[error("{0}")]
    Malformed(String),
    /// `curve` or `protocol` is not snarkjs' Groth16 on bn128.
    #[error("unsupported {field}: {value:?}")]
    Unsupported {
        /// `curve` or `protocol`.
        field: &'static str,
        /// What the file says.
        value: String,
    },
    /// A coordinate at or above the field modulus, or not a decimal integer.
    #[error("{what}: {why}")]
    Coordinate {
        /// Which coordinate.
        what: String,
        /// Why.
        why: String,
    },
    /// A point off its curve or outside the prime-order subgroup.
    #[error("{0}: not a valid curve point")]
    NotOnCurve(String),
    /// Lengths that do not agree.
    #[error("{0}")]
    Length(String),
}

fn dec<F: PrimeField>(f: F) -> Value {
    Value::String(f.into_bigint().to_string())
}

fn g1_json(p: &G1Affine) -> Value {
    if p.is_zero() {
        return json!(["0", "1", "0"]);
    }
    json!([dec(p.x), dec(p.y), "1"])
}

fn g2_json(p: &G2Affine) -> Value {
    if p.is_zero() {
        return json!([["0", "0"], ["1", "0"], ["0", "0"]]);
    }
    json!([
        [dec(p.x.c0), dec(p.x.c1)],
        [dec(p.y.c0), dec(p.y.c1)],
        ["1", "0"]
    ])
}

/// The verifying key as snarkjs' `verification_key.json`.
pub fn vk_to_json(vk: &VerifyingKey<Bn254>) -> Value {
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len().saturating_sub(1),
        "vk_alpha_1": g1_json(&vk.alpha_g1),
        "vk_beta_2": g2_json(&vk.beta_g2),
        "vk_gamma_2": g2_json(&vk.gamma_g2),
        "vk_delta_2": g2_json(&vk.delta_g2),
        "IC": vk.gamma_abc_g1.iter().map(g1_json).collect::<Vec<_>>(),
    })
}

/// The proof as snarkjs' `proof.json`.
pub fn proof_to_json(p: &Proof<Bn254>) -> Value {
    json!({
        "pi_a": g1_json(&p.a),
        "pi_b": g2_json(&p.b),
        "pi_c": g1_json(&p.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// Public inputs as snarkjs' `public.json`.
pub fn public_to_json(inputs: &[Fr]) -> Value {
    Value::Array(inputs.iter().map(|f| dec(*f)).collect())
}

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value, SnarkjsError> {
    v.get(key)
        .ok_or_else(|| SnarkjsError::Malformed(format!("missing field {key:?}")))
}

fn check_names(v: &Value) -> Result<(), SnarkjsError> {
    for (key, want) in [("protocol", "groth16"), ("curve", "bn128")] {
        let got = field(v, key)?
            .as_str()
            .ok_or_else(|| SnarkjsError::Malformed(format!("{key:?} must be a string")))?;
        if got != want {
            return Err(SnarkjsError::Unsupported {
                field: if key == "curve" { "curve" } else { "protocol" },
                value: got.to_string(),
            });
        }
    }
    Ok(())
}

fn num<F: PrimeField>(v: &Value, what: &str) -> Result<F, SnarkjsError> {
    let s = v.as_str().ok_or_else(|| SnarkjsError::Coordinate {
        what: what.into(),
        why: "not a decimal string".into(),
    })?;
    let digits = !s.is_empty() && s.len() <= 80 && s.bytes().all(|b| b.is_ascii_digit());
    let n: BigUint = s
        .parse()
        .ok()
        .filter(|_| digits)
        .ok_or_else(|| SnarkjsError::Coordinate {
            what: what.into(),
            why: format!("{s:?} is not a decimal integer"),
        })?;
    if n >= F::MODULUS.into() {
        return Err(SnarkjsError::Coordinate {
            what: what.into(),
            why: "not below the field modulus".into(),
        });
    }
    Ok(F::from(n))
}

fn arr<'a>(v: &'a Value, n: usize, what: &str) -> Result<&'a Vec<Value>, SnarkjsError> {
    match v.as_array() {
        Some(a) if a.len() == n => Ok(a),
        _ => Err(SnarkjsError::Length(format!(
            "{what}: expected an array of {n}"
        ))),
    }
}

fn g1(v: &Value, what: &str) -> Result<G1Affine, SnarkjsError> {
    let a = arr(v, 3, what)?;
    let (x, y, z) = (
        num::<Fq>(&a[0], what)?,
        num::<Fq>(&a[1], what)?,
        num::<Fq>(&a[2], what)?,
    );
    if z.is_zero() {
        // the identity is written [0, 1, 0] by snarkjs; junk coordinates are refused
        if !x.is_zero() || y != Fq::from(1u64) {
            return Err(SnarkjsError::NotOnCurve(format!(
                "{what} (an identity point must be [0, 1, 0])"
            )));
        }
        return Ok(G1Affine::zero());
    }
    if z != Fq::from(1u64) {
        return Err(SnarkjsError::NotOnCurve(format!(
            "{what} (z must be 0 or 1)"
        )));
    }
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(SnarkjsError::NotOnCurve(what.into()));
    }
    Ok(p)
}

fn fq2(v: &Value, what: &str) -> Result<Fq2, SnarkjsError> {
    let a = arr(v, 2, what)?;
    Ok(Fq2::new(num(&a[0], what)?, num(&a[1], what)?))
}

fn g2(v: &Value, what: &str) -> Result<G2Affine, SnarkjsError> {
    let a = arr(v, 3, what)?;
    let (x, y, z) = (fq2(&a[0], what)?, fq2(&a[1], what)?, fq2(&a[2], what)?);
    if z.is_zero() {
        if !x.is_zero() || y != Fq2::from(1u64) {
            return Err(SnarkjsError::NotOnCurve(format!(
                "{what} (an identity point must be [[0, 0], [1, 0], [0, 0]])"
            )));
        }
        return Ok(G2Affine::zero());
    }
    if z != Fq2::from(1u64) {
        return Err(SnarkjsError::NotOnCurve(format!(
            "{what} (z must be 0 or 1)"
        )));
    }
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(SnarkjsError::NotOnCurve(what.into()));
    }
    Ok(p)
}

/// Reads snarkjs' `verification_key.json`.
pub fn vk_from_json(v: &Value) -> Result<VerifyingKey<Bn254>, SnarkjsError> {
    check_names(v)?;
    let n = field(v, "nPublic")?
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| SnarkjsError::Malformed("\"nPublic\" must be a number".into()))?;
    let ic = field(v, "IC")?
        .as_array()
        .ok_or_else(|| SnarkjsError::Malformed("\"IC\" must be an array".into()))?;
    if n.checked_add(1) != Some(ic.len()) {
        return Err(SnarkjsError::Length(format!(
            "IC has {} points, nPublic = {n} needs nPublic + 1",
            ic.len(),
        )));
    }
    let alpha_g1 = g1(field(v, "vk_alpha_1")?, "vk_alpha_1")?;
    let beta_g2 = g2(field(v, "vk_beta_2")?, "vk_beta_2")?;
    let gamma_g2 = g2(field(v, "vk_gamma_2")?, "vk_gamma_2")?;
    let delta_g2 = g2(field(v, "vk_delta_2")?, "vk_delta_2")?;
    // an identity alpha, beta, gamma or delta makes the pairing check trivial to satisfy
    for (name, zero) in [
        ("vk_alpha_1", alpha_g1.is_zero()),
        ("vk_beta_2", beta_g2.is_zero()),
        ("vk_gamma_2", gamma_g2.is_zero()),
        ("vk_delta_2", delta_g2.is_zero()),
    ] {
        if zero {
            return Err(SnarkjsError::NotOnCurve(format!(
                "{name} is the identity: such a key accepts forged proofs"
            )));
        }
    }
    Ok(VerifyingKey {
        alpha_g1,
        beta_g2,
        gamma_g2,
        delta_g2,
        gamma_abc_g1: ic
            .iter()
            .enumerate()
            .map(|(i, p)| g1(p, &format!("IC[{i}]")))
            .collect::<Result<_, _>>()?,
    })
}

/// Reads snarkjs' `proof.json`.
pub fn proof_from_json(v: &Value) -> Result<Proof<Bn254>, SnarkjsError> {
    check_names(v)?;
    Ok(Proof {
        a: g1(field(v, "pi_a")?, "pi_a")?,
        b: g2(field(v, "pi_b")?, "pi_b")?,
        c: g1(field(v, "pi_c")?, "pi_c")?,
    })
}

/// Reads snarkjs' `public.json`: decimal strings below the scalar field modulus.
pub fn public_from_json(v: &Value) -> Result<Vec<Fr>, SnarkjsError> {
    v.as_array()
        .ok_or_else(|| SnarkjsError::Malformed("public inputs must be an array".into()))?
        .iter()
        .enumerate()
        .map(|(i, x)| num::<Fr>(x, &format!("public input {i}")))
        .collect()
}
