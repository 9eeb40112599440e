//! The verifier: a proof, the prover's public file, a key (arkml's, snarkjs'
//! `verification_key.json` or a ceremony's `.zkey`) and what the verifier expects, in; the
//! verdict with the proven output, and what was and was not checked, out. `arkml verify` only
//! parses its arguments and calls [`verify`].
//!
//! The rules (`docs/statement.md`):
//! - **Roles come from the verifier, never from the prover.** The layout of the public
//!   inputs (which is the output, the input, a weight, the commitment) is the arkml key's
//!   record, the model's circuit (`expected.model`), or a layout file the verifier trusts
//!   ([`Layout`], written by `arkml export r1cs` / `export snarkjs`). The roles in the
//!   prover's file are only compared with it.
//! - **No expectation is dropped.** An expected input, commitment or model that the key has
//!   no slot for, or that cannot be placed because no layout is known, is an error that
//!   says what to give instead ([`VerifyError::NoLayout`], [`VerifyError::NoSlot`]).
//! - **Without a layout and without expectations**, the proof is checked for the public
//!   inputs exactly as given, and the verdict says that nothing else was
//!   ([`Verdict::not_checked`]).
//! - **Keys are checked against the model on their content where they have any**: a zkey's
//!   recorded A and B matrices are compared with the model's circuit, and a proof of the
//!   model's circuit made with the zkey's points must verify under its verifying key (so a
//!   zkey whose points are another circuit's, C included, is refused). An arkml verifying key
//!   holds no circuit: its header's fingerprint is a mix-up check (the right key file for
//!   the model), not a proof that the key came from that circuit's setup; the key must come
//!   from a setup the verifier trusts. A snarkjs `verification_key.json` names no circuit at
//!   all, so it cannot be checked against a model ([`VerifyError::KeyMismatch`]; give the
//!   zkey).
//!
//! ```
//! use std::sync::Arc;
//! use ark_std::rand::{rngs::StdRng, SeedableRng};
//! use arkml::circuit::ModelCircuit;
//! use arkml::file::{KeyMeta, PublicEntry};
//! use arkml::model::{ints, ops, Layer, Model};
//! use arkml::ndarray::array;
//! use arkml::verify::{verify, Expected, VerifierKey};
//!
//! let layers = vec![Layer::Relu(ops::Relu), Layer::ArgMax(ops::ArgMax)];
//! let model = Arc::new(Model::chain(&[3], 4, layers));
//! let circuit = ModelCircuit::new(model.clone(), ints(array![-2, 7, 3]).into_dyn()).unwrap();
//! let mut rng = StdRng::seed_from_u64(1);
//! let pk = circuit.setup(&mut rng).unwrap();
//! let proof = circuit.prove(&pk, &mut rng).unwrap();
//! let meta = KeyMeta::new(&circuit.info().unwrap(), circuit.layout());
//! let key = VerifierKey::Arkml { vk: pk.vk.clone(), meta };
//! // what the prover sends: the public values (roles, if any, are only compared)
//! let public: Vec<PublicEntry> = circuit
//!     .public_inputs()
//!     .into_iter()
//!     .map(|value| PublicEntry { role: None, value })
//!     .collect();
//! let expected = Expected { model: Some(model), ..Default::default() };
//! let v = verify(&key, &proof, &public, &expected, &mut rng).unwrap();
//! assert!(v.valid);
//! assert_eq!(v.output.unwrap(), vec![1.into()]); // the class
//! ```

use std::sync::Arc;

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::{Proof, VerifyingKey};
use ark_std::rand::{CryptoRng, Rng, RngCore};
use arkml_gadgets::fixed::from_field;
use ndarray::{ArrayD, IxDyn};
use num_bigint::BigInt;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::circuit::StatementError;
use crate::circuit::{layout_len, role_at, CircuitError, Expectation, ModelCircuit, Part, Role};
use crate::io::{KeyMeta, PublicEntry};
use crate::model::{Model, ModelError};
use crate::zkey::Zkey;

/// The key a verifier holds.
#[derive(Clone, Debug)]
pub enum VerifierKey {
    /// An arkml verifying key with its header (the circuit's fingerprint and layout).
    Arkml {
        /// The key.
        vk: VerifyingKey<Bn254>,
        /// Its header.
        meta: KeyMeta,
    },
    /// snarkjs' `verification_key.json`: no circuit, no layout.
    Snarkjs(VerifyingKey<Bn254>),
    /// A ceremony's `.zkey` (its verifying key is used; its recorded circuit is checked
    /// against the model when one is expected).
    Zkey(Box<Zkey>),
}

impl VerifierKey {
    /// The Groth16 verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        match self {
            VerifierKey::Arkml { vk, .. } | VerifierKey::Snarkjs(vk) => vk,
            VerifierKey::Zkey(z) => &z.pk.vk,
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            VerifierKey::Arkml { .. } => "the arkml verifying key",
            VerifierKey::Snarkjs(_) => "a snarkjs verification key",
            VerifierKey::Zkey(_) => "a zkey",
        }
    }
}

/// The roles of a statement's public inputs, from a source the verifier trusts (the model's
/// owner, the ceremony's coordinator) — never from the prover's public file. The file form
/// (`arkml::file::save_layout`):
/// `{"format": "arkml-layout", "version": 1, "public": [{"role": "output", "count": 1},
/// {"role": "commitment", "count": 1}], "input_shape": [64]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// The runs of roles, in order.
    pub public: Vec<Part>,
    /// The model input's shape, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_shape: Option<Vec<usize>>,
}

impl Layout {
    /// The layout of a circuit's public inputs.
    pub fn of(circuit: &ModelCircuit) -> Self {
        Layout {
            public: circuit.layout(),
            input_shape: Some(circuit.model.input_shape.clone()),
        }
    }

    /// The layout an arkml key's header records.
    pub fn of_key(meta: &KeyMeta) -> Self {
        Layout {
            public: meta.public.clone(),
            input_shape: meta.input_shape.clone(),
        }
    }
}

/// What the verifier expects. Every field given must be checked, or [`verify`] fails.
#[derive(Clone, Debug, Default)]
pub struct Expected {
    /// The model the proof must be about: gives the layout, the public weights, and the
    /// circuit the key is checked against.
    pub model: Option<Arc<Model>>,
    /// The model input the proof must be about (a statement with a public input).
    pub input: Option<ArrayD<BigInt>>,
    /// The weight commitment the model's owner published.
    pub commitment: Option<Fr>,
    /// The public inputs' roles, from a trusted source (for keys that record none).
    pub layout: Option<Layout>,
}

/// The outcome of a verification that could be carried out.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Whether the proof verifies for the public inputs the verifier rebuilt.
    pub valid: bool,
    /// The proven output (the values at the layout's output entries), when a layout is
    /// known.
    pub output: Option<Vec<BigInt>>,
    /// The public inputs the proof was checked against, in order.
    pub public_inputs: Vec<Fr>,
    /// What was checked besides the proof equation, one sentence each.
    pub checked: Vec<String>,
    /// What the verifier might assume but was not checked, one sentence each.
    pub not_checked: Vec<String>,
}

/// Why a verification could not be carried out as asked.
#[derive(Debug, Error)]
pub enum VerifyError {
    /// An expectation was given, but the key records no roles and no layout was given.
    #[error(
        "{given} was given, but {key} records no roles for its public inputs, so it cannot \
         be placed: give the model (--model) or a layout file (--layout) for the roles"
    )]
    NoLayout {
        /// What was given.
        given: &'static str,
        /// Which key.
        key: &'static str,
    },
    /// An expectation the statement has no public input for.
    #[error("{given} was given, but the statement has no public {role}: {why}")]
    NoSlot {
        /// What was given.
        given: &'static str,
        /// The role it would need.
        role: Role,
        /// Why there is none, and what that means.
        why: &'static str,
    },
    /// The expected input has another shape than the statement's input.
    #[error("the expected input has shape {got:?}, the statement's input has shape {expected:?}")]
    InputShape {
        /// The statement's.
        expected: Vec<usize>,
        /// The verifier's.
        got: Vec<usize>,
    },
    /// The key is not the expected model's circuit, or its header disagrees with it.
    #[error("{0}")]
    KeyMismatch(String),
    /// The given layout disagrees with the key's record or the model's circuit.
    #[error("the layout {given:?} disagrees with {other} ({theirs:?})")]
    LayoutMismatch {
        /// The layout file's.
        given: Vec<Part>,
        /// What it was compared with.
        other: &'static str,
        /// Its layout.
        theirs: Vec<Part>,
    },
    /// The public file against the layout, or an expected value against the prover's.
    #[error(transparent)]
    Statement(#[from] StatementError),
    /// The expected model's circuit could not be built.
    #[error(transparent)]
    Circuit(#[from] CircuitError),
}

impl From<ModelError> for VerifyError {
    fn from(e: ModelError) -> Self {
        VerifyError::Circuit(e.into())
    }
}

/// A satisfying assignment of the model's statement for an unpredictable input: random
/// values within the input bound (more wires non-zero than for a zero input), else smaller
/// ones, else zeros (a model with calibrated widths may refuse a random input).
fn sample_circuit<R: RngCore + CryptoRng>(
    m: &Arc<Model>,
    rng: &mut R,
) -> Result<ModelCircuit, VerifyError> {
    let n: usize = m.input_shape.iter().product();
    let salt = Fr::rand(rng);
    for bits in [m.input_bound, m.input_bound / 2, 0] {
        let x: Vec<BigInt> = (0..n)
            .map(|_| {
                if bits == 0 {
                    BigInt::from(0)
                } else {
                    let b = bits.min(62);
                    BigInt::from(rng.gen_range(-(1i64 << b)..(1i64 << b)))
                }
            })
            .collect();
        let x = ArrayD::from_shape_vec(IxDyn(&m.input_shape), x)
            .map_err(|e| VerifyError::KeyMismatch(format!("input shape: {e}")))?;
        match ModelCircuit::bound(m.clone(), x, salt) {
            Ok(c) => return Ok(c),
            Err(e) if bits == 0 => return Err(e.into()),
            Err(_) => continue,
        }
    }
    unreachable!("the zero input ends the loop")
}

/// Checks that a zkey is the model's circuit, on the zkey's content: its recorded A and B
/// matrices (and sizes) are the circuit's, and a proof of the circuit for a random input made
/// with the zkey's points verifies under the zkey's verifying key. The second check is what
/// catches points of another circuit (the C matrix is not recorded in a zkey; it enters only
/// through the points): with a random input and random proof blinding, another circuit's
/// points give a proof that fails, except for wires that are zero for every input.
/// `snarkjs zkey verify` with the ceremony's ptau recomputes every point; this check needs
/// no ptau.
pub fn check_zkey_is_model<R: RngCore + CryptoRng>(
    z: &Zkey,
    m: &Arc<Model>,
    rng: &mut R,
) -> Result<(), VerifyError> {
    let c = sample_circuit(m, rng)?;
    let s = c.synthesize()?;
    if !z.matches(&s) {
        return Err(VerifyError::KeyMismatch(
            "the zkey is for another circuit than the model: its recorded sizes or A and B \
             matrices are not the model circuit's"
                .into(),
        ));
    }
    crate::zkey::prove_with_zkey(&s, z, rng).map_err(|_| {
        VerifyError::KeyMismatch(
            "the zkey is for another circuit than the model: its A and B matrices are the \
             model's, but a proof of the model's circuit made with its points does not verify \
             under its verifying key (its points are another circuit's)"
                .into(),
        )
    })?;
    Ok(())
}

/// Verifies `proof` for the statement the verifier expects. `public` is the prover's
/// public file; only the values at output entries are taken from it, every other entry from
/// `expected`. `rng` serves the zkey check ([`check_zkey_is_model`]).
///
/// Errors (never a verdict) when an expectation cannot be checked, when the key is not the
/// expected model's circuit, when the prover's file has another length than the key or roles
/// other than the layout's, and when the prover's file holds another input, weight or
/// commitment than expected ([`StatementError::Differs`]: the proof is about something else).
pub fn verify<R: RngCore + CryptoRng>(
    key: &VerifierKey,
    proof: &Proof<Bn254>,
    public: &[PublicEntry],
    expected: &Expected,
    rng: &mut R,
) -> Result<Verdict, VerifyError> {
    let vk = key.vk();
    let n = vk.gamma_abc_g1.len().saturating_sub(1);
    if public.len() != n {
        return Err(StatementError::Count {
            expected: n,
            got: public.len(),
        }
        .into());
    }
    let mut checked = Vec::new();
    let mut not_checked = Vec::new();

    // the model's circuit, and the key checked against it
    let from_model = match &expected.model {
        None => None,
        Some(m) => {
            let c = ModelCircuit::bound(m.clone(), zeros(m), Fr::from(0u64))?;
            match key {
                VerifierKey::Arkml { meta, .. } => {
                    let info = c.info()?;
                    if meta.fingerprint().as_ref() != Some(&info.fingerprint) {
                        return Err(VerifyError::KeyMismatch(format!(
                            "the verifying key is for another circuit ({}) than the model's ({})",
                            meta.fingerprint, info.fingerprint
                        )));
                    }
                    if meta
                        .input_shape
                        .as_ref()
                        .is_some_and(|s| s != &m.input_shape)
                    {
                        return Err(VerifyError::KeyMismatch(format!(
                            "the verifying key's header records the input shape {:?}, the \
                             model's is {:?}",
                            meta.input_shape.as_deref().unwrap_or_default(),
                            m.input_shape
                        )));
                    }
                    if meta.public != c.layout() || meta.constraints != info.constraints {
                        return Err(VerifyError::KeyMismatch(format!(
                            "the verifying key's header names the model's circuit but records \
                             another layout ({:?}) or constraint count ({}) than it has ({:?}, {})",
                            meta.public,
                            meta.constraints,
                            c.layout(),
                            info.constraints
                        )));
                    }
                    checked.push(format!(
                        "the key's header names the model's circuit ({}); a mix-up check: \
                         that the key came from a setup of that circuit is what you trust \
                         in taking it",
                        info.fingerprint
                    ));
                }
                VerifierKey::Zkey(z) => {
                    check_zkey_is_model(z, m, rng)?;
                    checked.push(
                        "the zkey is the model's circuit (its A and B matrices, and a proof \
                         of the model's circuit made with its points)"
                            .into(),
                    );
                }
                VerifierKey::Snarkjs(_) => {
                    return Err(VerifyError::KeyMismatch(
                        "a snarkjs verification key does not name its circuit, so it cannot \
                         be checked against the model: give the ceremony's zkey (--zkey) \
                         instead, or, to check an input or a commitment with this key, the \
                         layout (--layout) in place of the model"
                            .into(),
                    ))
                }
            }
            Some(Layout::of(&c))
        }
    };

    // the layout: the key's record, else the model's circuit, else the verifier's file
    let layout = match key {
        VerifierKey::Arkml { meta, .. } => {
            let own = Layout::of_key(meta);
            if let Some(l) = &expected.layout {
                if l.public != own.public {
                    return Err(VerifyError::LayoutMismatch {
                        given: l.public.clone(),
                        other: "the key's record",
                        theirs: own.public,
                    });
                }
            }
            Some(Layout {
                input_shape: own
                    .input_shape
                    .or_else(|| from_model.as_ref().and_then(|l| l.input_shape.clone()))
                    .or_else(|| expected.layout.as_ref().and_then(|l| l.input_shape.clone())),
                public: own.public,
            })
        }
        _ => match (from_model, &expected.layout) {
            (Some(m), Some(l)) if l.public != m.public => {
                return Err(VerifyError::LayoutMismatch {
                    given: l.public.clone(),
                    other: "the model's circuit",
                    theirs: m.public,
                })
            }
            (Some(m), _) => Some(m),
            (None, Some(l)) => Some(l.clone()),
            (None, None) => None,
        },
    };
    if let Some(l) = &layout {
        if layout_len(&l.public) != Some(n) {
            return Err(VerifyError::KeyMismatch(format!(
                "the layout lists {} public inputs, {} has {n}",
                layout_len(&l.public).map_or("too many".into(), |k| k.to_string()),
                key.describe()
            )));
        }
    }

    let claimed: Vec<Fr> = public.iter().map(|e| e.value).collect();
    let Some(layout) = layout else {
        // no roles known: only the proof's validity for these values can be checked
        let given = if expected.input.is_some() {
            Some("an expected input (--input)")
        } else if expected.commitment.is_some() {
            Some("an expected commitment (--commitment)")
        } else {
            None
        };
        if let Some(given) = given {
            return Err(VerifyError::NoLayout {
                given,
                key: key.describe(),
            });
        }
        let valid = crate::groth16::verify(vk, &claimed, proof).unwrap_or(false);
        not_checked.push(format!(
            "only that the proof holds for these {n} public values as given: {} records no \
             roles, so which is the output, and which model, input, weights or commitment \
             they stand for, was not (give --model or --layout, with the expected input or \
             commitment)",
            key.describe()
        ));
        if public.iter().any(|e| e.role.is_some()) {
            not_checked
                .push("the roles in the public file are the prover's and were not used".into());
        }
        return Ok(Verdict {
            valid,
            output: None,
            public_inputs: claimed,
            checked,
            not_checked,
        });
    };

    // every expectation needs a slot
    let has = |r: Role| layout.public.iter().any(|p| p.role == r && p.count > 0);
    if expected.input.is_some() && !has(Role::Input) {
        return Err(VerifyError::NoSlot {
            given: "an expected input (--input)",
            role: Role::Input,
            why: "the model's input is private in this statement, so a proof says nothing \
                  about which input it was",
        });
    }
    if expected.commitment.is_some() && !has(Role::Commitment) {
        return Err(VerifyError::NoSlot {
            given: "an expected commitment (--commitment)",
            role: Role::Commitment,
            why: "the statement commits to no weights (constant weights are fixed by the \
                  key, public weights are checked against the model: give --model)",
        });
    }
    if let (Some(x), Some(shape)) = (&expected.input, &layout.input_shape) {
        if x.shape() != shape.as_slice() {
            return Err(VerifyError::InputShape {
                expected: shape.clone(),
                got: x.shape().to_vec(),
            });
        }
    }
    // (with a model, the layout's shape is the model's: the key's header was checked equal)
    if expected.input.is_some() && layout.input_shape.is_none() {
        not_checked.push(
            "the expected input's shape (only its values, in order): the key records no \
             input shape"
                .into(),
        );
    }
    for (index, e) in public.iter().enumerate() {
        let want = role_at(&layout.public, index).expect("the layout's length is the key's");
        if let Some(got) = e.role {
            if got != want {
                return Err(StatementError::RoleMismatch {
                    index,
                    expected: want,
                    got,
                }
                .into());
            }
        }
    }

    let mut e = match &expected.model {
        Some(m) if has(Role::Weight) => Expectation::for_model(m),
        _ => Expectation::default(),
    };
    if let Some(x) = &expected.input {
        e = e.with_input(x);
    }
    if let Some(c) = expected.commitment {
        e = e.with_commitment(c);
    }
    let inputs = e.public_inputs(&layout.public, &claimed)?;
    for (role, what) in [
        (Role::Input, "the input is the one you gave"),
        (Role::Weight, "the public weights are the model's"),
        (
            Role::Commitment,
            "the weight commitment is the one you gave",
        ),
    ] {
        if has(role) {
            checked.push(what.into());
        }
    }
    let valid = crate::groth16::verify(vk, &inputs, proof).unwrap_or(false);
    let output: Vec<BigInt> = public
        .iter()
        .enumerate()
        .filter(|(i, _)| role_at(&layout.public, *i) == Some(Role::Output))
        .map(|(_, e)| from_field(e.value))
        .collect();
    if output.is_empty() {
        not_checked.push("no output: the statement keeps it private".into());
    }
    Ok(Verdict {
        valid,
        output: Some(output),
        public_inputs: inputs,
        checked,
        not_checked,
    })
}

fn zeros(m: &Model) -> ArrayD<BigInt> {
    ArrayD::from_elem(IxDyn(&m.input_shape), BigInt::from(0))
}
