//! The statement around a model: what the proof says, which public inputs it has and in
//! which order, what binds the weights, and how a verifier rebuilds the public inputs from
//! what it expects rather than from what the prover wrote.
//!
//! ## Public inputs
//!
//! In order: the model's output (unless [`ModelCircuit::with_private_output`]), the model's
//! input if public, every weight and bias if the weights are public (layer by layer, weights
//! before bias), then the weight commitment if the circuit proves one. [`ModelCircuit::layout`]
//! names each run ([`Role`]); key files record the layout, public files name each entry's
//! role.
//!
//! ## What binds the weights
//!
//! - **Constant** weights are baked into the circuit, so the verifying key (and the circuit
//!   [`Fingerprint`] it records) fixes them.
//! - **Public** weights are public inputs: a verifier must take them from the model it
//!   expects ([`Expectation::for_model`]), never from the prover's files.
//! - **Private** weights must be bound by a public Poseidon commitment with a private salt
//!   ([`ModelCircuit::with_commitment`]); the verifier compares it with the commitment it
//!   expects ([`Expectation::with_commitment`]). Without one the circuit is refused
//!   ([`StatementError::UnboundWeights`]) unless the caller opts in with
//!   [`ModelCircuit::allow_unbound_weights`].
//!
//! ```
//! use std::sync::Arc;
//! use ark_bn254::Fr;
//! use arkml::circuit::{Expectation, ModelCircuit};
//! use arkml::model::{ops, Layer, Model, WeightSpec};
//! use arkml_gadgets::tensor::Visibility;
//! use ndarray::{array, ArrayD, IxDyn};
//! use num_bigint::BigInt;
//! use ark_std::rand::{rngs::StdRng, SeedableRng};
//!
//! let big = |v: &[i64]| v.iter().map(|&x| BigInt::from(x)).collect::<Vec<_>>();
//! let model = Model {
//!     input_shape: vec![2],
//!     input_bound: 8,
//!     input_visibility: Visibility::Private,
//!     layers: vec![
//!         Layer::Dense(ops::Dense {
//!             w: ndarray::Array2::from_shape_vec((2, 2), big(&[1, -2, 3, 4])).unwrap(),
//!             b: ndarray::Array1::from_vec(big(&[5, 6])),
//!         }),
//!         Layer::ArgMax(ops::ArgMax),
//!     ],
//!     graph: Default::default(), // a chain
//!     weights: WeightSpec { visibility: Visibility::Private, weight_bits: 8, bias_bits: 8 },
//!     scale: None,
//! };
//! let model = Arc::new(model);
//! let x = ArrayD::from_shape_vec(IxDyn(&[2]), big(&[3, -1])).unwrap();
//! let mut rng = StdRng::seed_from_u64(1);
//! // private weights need a commitment (or an explicit `allow_unbound_weights()`)
//! assert!(ModelCircuit::new(model.clone(), x.clone()).unwrap().setup(&mut rng).is_err());
//! let salt = Fr::from(12345u64);
//! let circuit = ModelCircuit::new(model.clone(), x).unwrap().with_commitment(salt);
//! let pk = circuit.setup(&mut rng).unwrap();
//! let proof = circuit.prove(&pk, &mut rng).unwrap();
//! // the verifier knows the commitment (published by the model's owner), not the weights
//! let expected = Expectation::default().with_commitment(circuit.weight_commitment().unwrap());
//! let claimed = circuit.public_inputs(); // what the prover sends
//! let public = expected.public_inputs(&circuit.layout(), &claimed).unwrap();
//! assert!(arkml::groth16::verify(&pk.vk, &public, &proof).unwrap());
//! ```

use std::sync::Arc;

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Proof, ProvingKey};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::{CryptoRng, RngCore};
use arkml_gadgets::fixed::to_field;
use arkml_gadgets::tensor::{alloc_tensor, Visibility};
use ndarray::ArrayD;
use num_bigint::BigInt;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::groth16::{CircuitInfo, Fingerprint, ProveError};
use crate::model::{Model, ModelError};
use thiserror::Error as ThisError;

/// What a public input stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The model's output (the claim; the only value a verifier takes from the prover).
    Output,
    /// The model's input (when public).
    Input,
    /// A weight or bias (when the weights are public).
    Weight,
    /// The Poseidon commitment to the weights.
    Commitment,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Output => "output",
            Role::Input => "input",
            Role::Weight => "weight",
            Role::Commitment => "commitment",
        })
    }
}

/// A run of consecutive public inputs with one role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// What they are.
    pub role: Role,
    /// How many.
    pub count: usize,
}

/// The roles of a public-input list, in order: `role` of entry `i`, or `None` past the end.
pub fn role_at(layout: &[Part], mut i: usize) -> Option<Role> {
    for p in layout {
        if i < p.count {
            return Some(p.role);
        }
        i -= p.count;
    }
    None
}

/// The number of public inputs a layout describes (`None` on overflow).
pub fn layout_len(layout: &[Part]) -> Option<usize> {
    layout
        .iter()
        .try_fold(0usize, |a, p| a.checked_add(p.count))
}

/// Why a statement is refused, or why a public-input list is not the expected one.
#[derive(Debug, Error)]
pub enum StatementError {
    /// Private weights with no commitment: the proof would only say "some weights exist".
    #[error(
        "the weights are private and nothing binds them: such a proof says only that SOME \
         weights give this output. Commit to them (`with_commitment(salt)`) or opt in with \
         `allow_unbound_weights()`"
    )]
    UnboundWeights,
    /// A commitment to constant weights (already fixed by the key).
    #[error("a commitment to constant weights: the verifying key already fixes them")]
    CommitmentToConstants,
    /// The statement has public inputs of `role` but the verifier gave no expected value.
    #[error("the statement has public {role}s, but no expected {role} was given: {hint}")]
    Missing {
        /// The role.
        role: Role,
        /// What to give.
        hint: &'static str,
    },
    /// An expected tensor of the wrong length.
    #[error("expected {expected} public {role} values, got {got}")]
    Length {
        /// The role.
        role: Role,
        /// The layout's count.
        expected: usize,
        /// What was given.
        got: usize,
    },
    /// A public-input list of the wrong length.
    #[error("the key has {expected} public inputs, the list has {got}")]
    Count {
        /// The key's count.
        expected: usize,
        /// The list's.
        got: usize,
    },
    /// A public file whose entry is marked with another role than the key's layout says.
    #[error("public input {index} is marked {got}, the key has a {expected} there")]
    RoleMismatch {
        /// Entry index.
        index: usize,
        /// The key's role.
        expected: Role,
        /// The file's.
        got: Role,
    },
    /// The prover's list has another value than expected at a non-output entry.
    #[error(
        "public input {index} ({role}) is not the expected {role}: the proof is about \
         another {role} than the one you expect"
    )]
    Differs {
        /// Entry index.
        index: usize,
        /// Its role.
        role: Role,
    },
}

/// Why setting up or proving a model's circuit failed.
#[derive(Debug, ThisError)]
pub enum CircuitError {
    /// Groth16 refused: the witness does not satisfy the circuit (the message names where:
    /// the range checks, a layer, the output or the commitment), a synthesis error, or a key
    /// for another circuit.
    #[error(transparent)]
    Prove(#[from] ProveError),
    /// The model rejects its input or parameters (names the layer).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The statement is refused as asked (e.g. private weights that nothing binds).
    #[error(transparent)]
    Statement(#[from] StatementError),
}

/// What a verifier expects, besides the claimed output: the public input (if the statement
/// has one), the public weights (from the model the verifier trusts) and the weight
/// commitment. [`Expectation::public_inputs`] builds the verifier's public-input list from
/// these and only the claimed output from the prover.
///
/// Public weights: a proof made with other weights than the verifier's model does not
/// verify, even when the prover's own public-input list is internally consistent.
///
/// ```
/// use std::sync::Arc;
/// use ark_std::rand::{rngs::StdRng, SeedableRng};
/// use arkml::circuit::{Expectation, ModelCircuit};
/// use arkml::gadgets::tensor::Visibility;
/// use arkml::model::{ops, Layer, Model, WeightSpec};
/// use arkml::ndarray::{array, ArrayD, IxDyn};
/// use arkml::num_bigint::BigInt;
///
/// let b = |v: i64| BigInt::from(v);
/// let model = |w: i64| Model {
///     input_shape: vec![2],
///     input_bound: 4,
///     input_visibility: Visibility::Private,
///     layers: vec![Layer::Dense(ops::Dense { w: array![[b(w)], [b(1)]], b: array![b(0)] })],
///     graph: Default::default(),
///     weights: WeightSpec { visibility: Visibility::Public, weight_bits: 4, bias_bits: 4 },
///     scale: None,
/// };
/// let x = ArrayD::from_shape_vec(IxDyn(&[2]), vec![b(3), b(1)]).unwrap();
/// let (trusted, other) = (Arc::new(model(2)), Arc::new(model(5)));
/// let mut rng = StdRng::seed_from_u64(1);
/// // the key depends on the shape only, so one key serves both weight sets
/// let honest = ModelCircuit::new(trusted.clone(), x.clone()).unwrap();
/// let pk = honest.setup(&mut rng).unwrap();
/// let lie = ModelCircuit::new(other, x).unwrap();
/// let proof = lie.prove(&pk, &mut rng).unwrap(); // valid for the other weights
/// let expect = Expectation::for_model(&trusted);
/// let public = expect.public_inputs(&lie.layout(), &lie.public_inputs());
/// // the claimed list holds weights the verifier did not expect: named, not just invalid
/// assert!(public.is_err());
/// // and with only the claimed output taken from the prover, the proof fails
/// let mut claimed = honest.public_inputs();
/// claimed[0] = lie.public_inputs()[0];
/// let public = expect.public_inputs(&honest.layout(), &claimed).unwrap();
/// assert!(!arkml::groth16::verify(&pk.vk, &public, &proof).unwrap());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Expectation {
    /// The model's input, if public.
    pub input: Option<Vec<Fr>>,
    /// Every weight and bias in the verifier's order, if public.
    pub weights: Option<Vec<Fr>>,
    /// The weight commitment.
    pub commitment: Option<Fr>,
}

impl Expectation {
    /// The expectation for `model`: its weights (used when they are public).
    pub fn for_model(model: &Model) -> Self {
        Expectation {
            weights: Some(model.weight_values()),
            ..Default::default()
        }
    }

    /// Expects this model input (for a public input).
    pub fn with_input(mut self, input: &ArrayD<BigInt>) -> Self {
        self.input = Some(input.iter().map(to_field::<Fr>).collect());
        self
    }

    /// Expects this weight commitment.
    pub fn with_commitment(mut self, c: Fr) -> Self {
        self.commitment = Some(c);
        self
    }

    /// The public inputs to verify against, in `layout`'s order: the output entries come
    /// from `claimed` (the prover's list), every other entry from this expectation. Errors
    /// when `claimed` has the wrong length, when an expected value is missing, and when
    /// `claimed` holds another value than expected at a non-output entry (so the caller
    /// learns *what* differs, not only that the proof is invalid).
    pub fn public_inputs(
        &self,
        layout: &[Part],
        claimed: &[Fr],
    ) -> Result<Vec<Fr>, StatementError> {
        let n = layout_len(layout).ok_or(StatementError::Count {
            expected: usize::MAX,
            got: claimed.len(),
        })?;
        if claimed.len() != n {
            return Err(StatementError::Count {
                expected: n,
                got: claimed.len(),
            });
        }
        let mut out = Vec::with_capacity(n);
        let mut at = 0;
        for p in layout {
            let given: Vec<Fr> = match p.role {
                Role::Output => claimed[at..at + p.count].to_vec(),
                Role::Input => self.input.clone().ok_or(StatementError::Missing {
                    role: Role::Input,
                    hint: "the input the proof must be about",
                })?,
                Role::Weight => self.weights.clone().ok_or(StatementError::Missing {
                    role: Role::Weight,
                    hint: "the model whose public weights the proof must use",
                })?,
                Role::Commitment => vec![self.commitment.ok_or(StatementError::Missing {
                    role: Role::Commitment,
                    hint: "the weight commitment the model's owner published",
                })?],
            };
            if given.len() != p.count {
                return Err(StatementError::Length {
                    role: p.role,
                    expected: p.count,
                    got: given.len(),
                });
            }
            if let Some(k) = (0..p.count).find(|&k| given[k] != claimed[at + k]) {
                return Err(StatementError::Differs {
                    index: at + k,
                    role: p.role,
                });
            }
            out.extend(given);
            at += p.count;
        }
        Ok(out)
    }
}

/// The model applied to one input, as a circuit: the output is a public input by default
/// ([`ModelCircuit::with_private_output`] keeps it private), first in the verifier's input
/// order (then the model input, if public, then every layer's weights and biases in order,
/// if public, then the weight commitment, if asked for). See the [module docs](self) for
/// what binds the weights.
///
/// With [`ModelCircuit::with_commitment`], the circuit also proves a public Poseidon
/// commitment ([`arkml_gadgets::crypto::commit()`]) to the public or private weights, in the
/// verifier's order, with a private salt: a verifier who holds the commitment knows the
/// proof used exactly the committed model, without seeing it.
///
/// ```
/// use std::sync::Arc;
/// use arkml::circuit::ModelCircuit;
/// use arkml::model::{ints, ops, Layer, Model};
/// use arkml::ndarray::{arr0, array};
/// use ark_std::rand::{rngs::StdRng, SeedableRng};
///
/// let layers = vec![Layer::Relu(ops::Relu), Layer::ArgMax(ops::ArgMax)];
/// let model = Arc::new(Model::chain(&[3], 4, layers));
/// let circuit = ModelCircuit::new(model, ints(array![-2, 7, 3]).into_dyn()).unwrap();
/// assert_eq!(circuit.output, ints(arr0(1)).into_dyn()); // the class, a public input
/// let info = circuit.info().unwrap(); // sizes and fingerprint, without a witness
/// assert_eq!(info.public_inputs, 1);
/// let mut rng = StdRng::seed_from_u64(1);
/// let pk = circuit.setup(&mut rng).unwrap();
/// // what the prover needs (no matrices); its fingerprint is the one the key was made for
/// let evaluated = circuit.evaluate().unwrap();
/// assert_eq!(evaluated.info(), info);
/// let proof = evaluated.prove(&pk, &mut rng).unwrap();
/// assert!(arkml::groth16::verify(&pk.vk, &circuit.public_inputs(), &proof).unwrap());
/// // the same statement with the output kept private has no public input
/// assert!(circuit.clone().with_private_output().public_inputs().is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct ModelCircuit {
    /// The model.
    pub model: Arc<Model>,
    /// The input.
    pub input: ArrayD<BigInt>,
    /// The claimed output (from [`Model::infer`]).
    pub output: ArrayD<BigInt>,
    /// The private salt of the weight commitment, if the circuit proves one.
    pub commitment_salt: Option<Fr>,
    /// Whether the output is a public input (the default) or stays private (then the proof
    /// only says the model ran; combine it with other statements about the output).
    pub output_visibility: Visibility,
    /// Whether private weights without a commitment are accepted
    /// ([`ModelCircuit::allow_unbound_weights`]).
    pub unbound_weights_allowed: bool,
}

impl ModelCircuit {
    /// Runs the model natively and wraps it with its output.
    pub fn new(model: Arc<Model>, input: ArrayD<BigInt>) -> Result<Self, ModelError> {
        // the facts pass first: a bound too wide for the field names its layer and bits
        model.facts()?;
        let output = model.predict(&input)?;
        Ok(ModelCircuit {
            model,
            input,
            output,
            commitment_salt: None,
            output_visibility: Visibility::Public,
            unbound_weights_allowed: false,
        })
    }

    /// The statement the CLI proves and the verifier checks against: the model's circuit,
    /// with private weights always committed (with `salt`), so nothing leaves them unbound.
    pub fn bound(model: Arc<Model>, input: ArrayD<BigInt>, salt: Fr) -> Result<Self, ModelError> {
        let private = model.weights.visibility == Visibility::Private;
        let c = ModelCircuit::new(model, input)?;
        Ok(if private { c.with_commitment(salt) } else { c })
    }

    /// Keep the output private: it is not a public input.
    pub fn with_private_output(mut self) -> Self {
        self.output_visibility = Visibility::Private;
        self
    }

    /// Also prove a public Poseidon commitment to the weights with this (private, random)
    /// salt. The weights must be public or private: constant weights are already fixed by
    /// the verifying key, and committing to them is refused
    /// ([`StatementError::CommitmentToConstants`]).
    pub fn with_commitment(mut self, salt: Fr) -> Self {
        self.commitment_salt = Some(salt);
        self
    }

    /// **Accept private weights that nothing binds.** A proof of such a circuit says only
    /// "there EXIST weights (within their declared widths) for which this model maps the
    /// input to the output": the prover may pick any weights, including ones made for the
    /// output it wants. Use it only when another statement binds the weights (e.g. a
    /// circuit that proves their commitment elsewhere, on the same variables).
    pub fn allow_unbound_weights(mut self) -> Self {
        self.unbound_weights_allowed = true;
        self
    }

    /// Refuses a statement that would not bind what it claims: private weights with no
    /// commitment (unless [`ModelCircuit::allow_unbound_weights`]), or a commitment to
    /// constant weights.
    pub fn check_statement(&self) -> Result<(), StatementError> {
        match (self.model.weights.visibility, self.commitment_salt) {
            (Visibility::Private, None) if !self.unbound_weights_allowed => {
                Err(StatementError::UnboundWeights)
            }
            (Visibility::Constant, Some(_)) => Err(StatementError::CommitmentToConstants),
            _ => Ok(()),
        }
    }

    /// The public inputs' roles and counts, in order.
    pub fn layout(&self) -> Vec<Part> {
        let mut l = Vec::new();
        let mut push = |role, count| {
            if count > 0 {
                l.push(Part { role, count });
            }
        };
        if self.output_visibility == Visibility::Public {
            push(Role::Output, self.output.len());
        }
        if self.model.input_visibility == Visibility::Public {
            push(Role::Input, self.input.len());
        }
        if self.model.weights.visibility == Visibility::Public {
            push(Role::Weight, self.model.weight_count());
        }
        if self.commitment_salt.is_some() {
            push(Role::Commitment, 1);
        }
        l
    }

    /// Groth16 setup for this circuit (after [`ModelCircuit::check_statement`]). The key
    /// depends on the circuit's shape, not on the input, the salt or private weights.
    pub fn setup<R: RngCore + CryptoRng>(
        &self,
        rng: &mut R,
    ) -> Result<ProvingKey<Bn254>, CircuitError> {
        self.check_statement()?;
        Ok(crate::groth16::setup(self.clone(), rng)?)
    }

    /// The circuit's fingerprint and sizes (after [`ModelCircuit::check_statement`]).
    pub fn info(&self) -> Result<CircuitInfo, CircuitError> {
        self.check_statement()?;
        Ok(crate::groth16::circuit_fingerprint(self.clone())?)
    }

    /// Proves with [`crate::groth16::prove`] (after [`ModelCircuit::check_statement`]);
    /// when the witness does not satisfy the circuit, the error names where: the input or
    /// weight range checks, a layer (index and kind), the output equality or the weight
    /// commitment.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        pk: &ProvingKey<Bn254>,
        rng: &mut R,
    ) -> Result<Proof<Bn254>, CircuitError> {
        self.prove_inner(pk, None, rng)
    }

    /// As [`ModelCircuit::prove`], refusing a key whose recorded fingerprint is not this
    /// circuit's ([`ProveError::WrongKey`]) before any multi-scalar multiplication.
    pub fn prove_for<R: RngCore + CryptoRng>(
        &self,
        pk: &ProvingKey<Bn254>,
        expected: &Fingerprint,
        rng: &mut R,
    ) -> Result<Proof<Bn254>, CircuitError> {
        self.prove_inner(pk, Some(expected), rng)
    }

    fn prove_inner<R: RngCore + CryptoRng>(
        &self,
        pk: &ProvingKey<Bn254>,
        expected: Option<&Fingerprint>,
        rng: &mut R,
    ) -> Result<Proof<Bn254>, CircuitError> {
        let s = self.evaluate()?;
        if let Some(fp) = expected {
            let info = s.info();
            if &info.fingerprint != fp {
                return Err(CircuitError::Prove(ProveError::WrongKey(format!(
                    "the key is for circuit {fp}, this model's circuit is {}",
                    info.fingerprint
                ))));
            }
        }
        Ok(s.prove(pk, rng)?)
    }

    /// Synthesises the circuit with its witness (after [`ModelCircuit::check_statement`])
    /// and checks every constraint, naming where an unsatisfied one fails; the result's
    /// [`Synthesized::info`](crate::groth16::Synthesized::info) gives the fingerprint to
    /// compare with a key's before loading it, and
    /// [`Synthesized::prove`](crate::groth16::Synthesized::prove) proves.
    pub fn synthesize(&self) -> Result<crate::groth16::Synthesized, CircuitError> {
        self.check_statement()?;
        match crate::groth16::synthesize(self.clone()) {
            Err(ProveError::Unsatisfied(_)) | Err(ProveError::Synthesis(_)) => Err(self.diagnose()),
            other => Ok(other?),
        }
    }

    /// What the prover needs and nothing more ([`crate::groth16::evaluate`]: each
    /// constraint's sides evaluated, the assignment and the fingerprint, no matrices), after
    /// [`ModelCircuit::check_statement`]; an unsatisfied witness is named as
    /// [`ModelCircuit::synthesize`] names it. [`Evaluated::info`](crate::groth16::Evaluated::info)
    /// gives the fingerprint to compare with a key's, and
    /// [`Evaluated::prove`](crate::groth16::Evaluated::prove) or
    /// [`crate::file::prove_with_key_file`] proves.
    pub fn evaluate(&self) -> Result<crate::groth16::Evaluated, CircuitError> {
        self.check_statement()?;
        match crate::groth16::evaluate(self.clone()) {
            Err(ProveError::Unsatisfied(_)) | Err(ProveError::Synthesis(_)) => Err(self.diagnose()),
            other => Ok(other?),
        }
    }

    /// As [`ModelCircuit::evaluate`], consuming the circuit: when no other handle holds the
    /// model, its weights are freed as soon as the constraints are written, before the rows
    /// are evaluated (about 100 MB less on a 2M-parameter MLP). An unsatisfied witness is
    /// reported by row only: call [`ModelCircuit::evaluate`] on a circuit you keep to learn
    /// the layer.
    pub fn into_evaluated(self) -> Result<crate::groth16::Evaluated, CircuitError> {
        self.check_statement()?;
        Ok(crate::groth16::evaluate(self)?)
    }

    /// As [`ModelCircuit::synthesize`], consuming the circuit: when no other handle holds the
    /// model, its weights are freed as soon as the constraints are written, before the
    /// constraint system is finalised into matrices (the prover's memory peak; about 100 MB
    /// less on a 2M-parameter MLP). An unsatisfied witness is reported by row only: call
    /// [`ModelCircuit::synthesize`] on a circuit you keep to learn the layer.
    pub fn into_synthesized(self) -> Result<crate::groth16::Synthesized, CircuitError> {
        self.check_statement()?;
        Ok(crate::groth16::synthesize(self)?)
    }

    /// Where the circuit fails: synthesises it again, keeping the per-layer boundaries.
    fn diagnose(&self) -> CircuitError {
        let cs = ark_relations::gr1cs::ConstraintSystem::<Fr>::new_ref();
        let vis = match self.output_visibility {
            Visibility::Public => Visibility::Public,
            _ => Visibility::Private,
        };
        if let Err(e) = alloc_tensor(cs.clone(), &self.output, vis) {
            return CircuitError::Model(ModelError::Input(e));
        }
        let s = match self.model.synthesize_with_weights(cs.clone(), &self.input) {
            Ok(s) => s,
            Err(e) => return CircuitError::Model(e),
        };
        let body = cs.num_constraints();
        let layers: usize = s.summary.iter().map(|l| l.constraints).sum();
        // the whole circuit, in the same order, to find the failing row
        let full = ark_relations::gr1cs::ConstraintSystem::<Fr>::new_ref();
        if let Err(e) = self.clone().generate_constraints(full.clone()) {
            return ProveError::Synthesis(e).into();
        }
        let Some(row) = crate::groth16::first_unsatisfied_row(&full) else {
            return ProveError::Unsatisfied("no constraint fails on a fresh synthesis".into())
                .into();
        };
        let checks = body - layers;
        let place = if row < checks {
            "the input or weight range checks".to_string()
        } else if row < body {
            let mut at = checks;
            let mut place = String::new();
            for (i, l) in s.summary.iter().enumerate() {
                if row < at + l.constraints {
                    place = format!("layer {i} ({})", l.kind);
                    break;
                }
                at += l.constraints;
            }
            place
        } else if row < body + self.output.len() {
            "the output: the claimed output is not the model's".to_string()
        } else {
            "the weight commitment".to_string()
        };
        ProveError::Unsatisfied(format!("constraint {row}, in {place}")).into()
    }

    /// Every weight and bias in the verifier's order, as field elements
    /// ([`Model::weight_values`]).
    pub fn weight_values(&self) -> Vec<Fr> {
        self.model.weight_values()
    }

    /// The weight commitment the circuit proves, if any.
    pub fn weight_commitment(&self) -> Option<Fr> {
        self.commitment_salt
            .map(|salt| arkml_gadgets::crypto::native_commit(&self.weight_values(), salt))
    }

    /// The public inputs in the verifier's order (what the prover claims; a verifier
    /// rebuilds them with [`Expectation::public_inputs`]).
    pub fn public_inputs(&self) -> Vec<Fr> {
        let mut v: Vec<Fr> = Vec::new();
        if self.output_visibility == Visibility::Public {
            v.extend(self.output.iter().map(to_field::<Fr>));
        }
        if self.model.input_visibility == Visibility::Public {
            v.extend(self.input.iter().map(to_field::<Fr>));
        }
        if self.model.weights.visibility == Visibility::Public {
            v.extend(self.weight_values());
        }
        v.extend(self.weight_commitment());
        v
    }
}

impl ConstraintSynthesizer<Fr> for ModelCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        // an unbound statement is refused here too, for callers of the generic API
        self.check_statement()
            .map_err(|_| SynthesisError::Unsatisfiable)?;
        let vis = match self.output_visibility {
            Visibility::Public => Visibility::Public,
            _ => Visibility::Private,
        };
        let claimed = alloc_tensor(cs.clone(), &self.output, vis)?;
        let s = self
            .model
            .synthesize_with_weights(cs.clone(), &self.input)
            .map_err(|_| SynthesisError::Unsatisfiable)?;
        if s.output.shape() != claimed.shape() {
            return Err(SynthesisError::Unsatisfiable);
        }
        for (a, b) in s.output.iter().zip(claimed.iter()) {
            a.enforce_equal(b)?;
        }
        if let Some(salt) = self.commitment_salt {
            let public = FpVar::new_input(cs.clone(), || {
                self.weight_commitment()
                    .ok_or(SynthesisError::AssignmentMissing)
            })?;
            let salt = FpVar::new_witness(cs, || Ok(salt))?;
            arkml_gadgets::crypto::commit(&s.weights, &salt)
                .map_err(SynthesisError::from)?
                .enforce_equal(&public)?;
        }
        Ok(())
    }
}
