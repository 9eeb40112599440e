//! The bounty circuit (ZKaggle's flow, done soundly in one circuit): a private model's
//! accuracy on public, content-addressed data.
//!
//! Statement, public inputs in this order: for each data file the two 128-bit halves of its
//! SHA-256 digest (what its CIDv1 holds), the true labels, the threshold, and the Poseidon
//! commitment to the model's weights. Private: the files' bytes, the weights, the
//! commitment's salt. The circuit proves, for every file: its bytes hash to its public
//! digest (every bit boolean); its pixels are its bytes after the header (the byte values
//! themselves, so no bit-order mistake is possible); the committed model applied to them
//! predicts a class; and the number of predictions equal to their labels is at least the
//! threshold. The same weight variables serve every file and the commitment.
//!
//! For the hand-over of the weights to a buyer see [`crate::handover`]: its commitment is
//! the same [`arkml_gadgets::crypto::commit()`], so the two proofs bind the same model.

use std::sync::Arc;

use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use arkml_gadgets::crypto::sha256::{digest_of_cid, native_halves, native_sha256, sha256_bytes};
use arkml_gadgets::crypto::{commit, native_commit};
use arkml_gadgets::tensor::Visibility;
use arkml_gadgets::Error;
use ndarray::{ArrayD, IxDyn};
use num_bigint::BigInt;
use num_traits::ToPrimitive;

use crate::model::{Model, ModelError};

/// Where a file's pixels are: an 8-bit binary PGM (`P5`) header, then `width * height`
/// bytes, one per pixel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pgm {
    /// Bytes of the header (the pixels start here).
    pub offset: usize,
    /// Width.
    pub width: usize,
    /// Height.
    pub height: usize,
}

impl Pgm {
    /// Parses the header of a binary 8-bit PGM; errors name what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |why: &str| Error::param("PGM file", why);
        let mut fields = Vec::new();
        let mut i = 0;
        while fields.len() < 4 {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && bytes[i] == b'#' {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if start == i {
                return Err(bad("truncated header"));
            }
            fields.push(
                std::str::from_utf8(&bytes[start..i]).map_err(|_| bad("header is not ASCII"))?,
            );
        }
        if fields[0] != "P5" {
            return Err(bad("not a binary PGM (magic P5)"));
        }
        let num = |s: &str, what: &str| s.parse::<usize>().map_err(|_| bad(what));
        let (width, height) = (num(fields[1], "bad width")?, num(fields[2], "bad height")?);
        if num(fields[3], "bad maximum value")? != 255 {
            return Err(bad("only 8-bit PGMs (maximum value 255) are supported"));
        }
        let offset = i + 1; // exactly one whitespace byte after the maximum value
        let pixels = width
            .checked_mul(height)
            .ok_or_else(|| bad("width x height overflows"))?;
        if Some(bytes.len()) != offset.checked_add(pixels) {
            return Err(bad(&format!(
                "{} bytes of pixels, expected {pixels}",
                bytes.len().saturating_sub(offset),
            )));
        }
        Ok(Pgm {
            offset,
            width,
            height,
        })
    }
}

/// The bounty circuit with its witness.
#[derive(Clone, Debug)]
pub struct Bounty {
    /// The model: its weights must be private; its input shape must hold `height * width`
    /// pixels (e.g. `[28, 28, 1]`), and its last layer must be an ArgMax.
    pub model: Arc<Model>,
    /// The data files' bytes (private witnesses, bound to their public digests).
    pub files: Vec<Vec<u8>>,
    /// The public digest of each file, e.g. from its CID ([`digest_of_cid`]).
    pub digests: Vec<[u8; 32]>,
    /// The true labels (public).
    pub labels: Vec<u64>,
    /// The least number of correct predictions the proof claims (public).
    pub threshold: u64,
    /// The commitment's salt (private).
    pub salt: Fr,
}

/// Why a bounty could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BountyError {
    /// A file, CID, label or parameter is wrong.
    #[error("file {index}: {source}")]
    File {
        /// Which file.
        index: usize,
        /// What is wrong.
        source: Error,
    },
    /// The model rejects the data or is not a private-weight classifier.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The counts do not line up, or the threshold is not met.
    #[error("{0}")]
    Statement(String),
}

/// The pixels of PGM file `index` in the model's input shape.
fn pixels(model: &Model, index: usize, f: &[u8]) -> Result<ArrayD<BigInt>, BountyError> {
    let e = |source| BountyError::File { index, source };
    let pgm = Pgm::parse(f).map_err(e)?;
    let shape = model.input_shape.clone();
    let px: Vec<BigInt> = f[pgm.offset..].iter().map(|b| BigInt::from(*b)).collect();
    ArrayD::from_shape_vec(IxDyn(&shape), px).map_err(|_| {
        e(Error::shape(
            "pixels",
            format!("{shape:?}"),
            format!("{} x {}", pgm.height, pgm.width),
        ))
    })
}

/// A classifier's predictions on PGM files, natively: what a bounty's threshold is chosen
/// from, before any statement is built ([`Bounty::new`] needs the threshold). The model
/// takes raw pixels and ends in an ArgMax.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use arkml::bounty::predictions;
/// let model = arkml::file::load_model("model.json".as_ref())?;
/// let files = vec![std::fs::read("0.pgm")?, std::fs::read("1.pgm")?];
/// let preds = predictions(&model, &files)?;
/// let labels = [7u64, 2];
/// let correct = preds.iter().zip(&labels).filter(|(p, l)| p == l).count();
/// # Ok(()) }
/// ```
pub fn predictions(model: &Model, files: &[Vec<u8>]) -> Result<Vec<u64>, BountyError> {
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let x = pixels(model, i, f)?;
            let out = model.predict(&x)?;
            let y = out.first().and_then(|v| v.to_u64());
            y.ok_or_else(|| BountyError::Statement("the model must end with an ArgMax".into()))
        })
        .collect()
}

impl Bounty {
    /// Builds the statement from files and their CIDs; checks everything natively (every
    /// file hashes to its CID and parses as a PGM of the model's size, the weights are
    /// private, the accuracy meets the threshold).
    pub fn new(
        model: Arc<Model>,
        files: Vec<Vec<u8>>,
        cids: &[String],
        labels: Vec<u64>,
        threshold: u64,
        salt: Fr,
    ) -> Result<Self, BountyError> {
        if files.len() != cids.len() {
            return Err(BountyError::Statement(format!(
                "{} files, {} CIDs",
                files.len(),
                cids.len()
            )));
        }
        let mut digests = Vec::new();
        for (index, (f, cid)) in files.iter().zip(cids).enumerate() {
            let e = |source| BountyError::File { index, source };
            let d = digest_of_cid(cid).map_err(e)?;
            if native_sha256(f) != d {
                return Err(e(Error::param(
                    "file",
                    format!("bytes do not hash to {cid}"),
                )));
            }
            digests.push(d);
        }
        let b = Bounty {
            model,
            files,
            digests,
            labels,
            threshold,
            salt,
        };
        b.check()?;
        let correct = b.correct()?;
        if correct < threshold {
            return Err(BountyError::Statement(format!(
                "{correct} correct predictions, below the threshold {threshold}"
            )));
        }
        Ok(b)
    }

    /// Checks the statement is well formed, before any work: as many files, digests and
    /// labels; private weights; a model that passes its shape pass, takes bytes (input bound
    /// at least 8 bits) and ends in an ArgMax; every file a PGM whose width and height are
    /// the model's input shape. [`Bounty::new`] and synthesis run it.
    pub fn check(&self) -> Result<(), BountyError> {
        let (f, d, l) = (self.files.len(), self.digests.len(), self.labels.len());
        if f != d || f != l {
            return Err(BountyError::Statement(format!(
                "{f} files, {d} digests, {l} labels"
            )));
        }
        if self.model.weights.visibility != Visibility::Private {
            return Err(BountyError::Statement(
                "the model's weights must be private".into(),
            ));
        }
        let n = self.model.layers.len();
        if !matches!(
            self.model.layers.last(),
            Some(crate::model::Layer::ArgMax(_))
        ) || self.model.graph.outputs_of(n) != [n]
        {
            return Err(BountyError::Statement(
                "the model must end with an ArgMax (a class to compare with the label)".into(),
            ));
        }
        if self.model.input_bound < 8 {
            return Err(BountyError::Statement(format!(
                "the model's input bound is {} bits; pixels need 8",
                self.model.input_bound
            )));
        }
        self.model.facts()?;
        let shape = &self.model.input_shape;
        for (index, file) in self.files.iter().enumerate() {
            let e = |source| BountyError::File { index, source };
            let pgm = Pgm::parse(file).map_err(e)?;
            let fits = match shape.as_slice() {
                [h, w] | [h, w, 1] => *h == pgm.height && *w == pgm.width,
                _ => false,
            };
            if !fits {
                return Err(e(Error::shape(
                    "PGM height x width",
                    format!("the model's input shape {shape:?}"),
                    format!("{} x {}", pgm.height, pgm.width),
                )));
            }
        }
        Ok(())
    }

    /// The model's predictions on the files (native).
    pub fn predictions(&self) -> Result<Vec<u64>, BountyError> {
        predictions(&self.model, &self.files)
    }

    /// How many predictions equal their labels (native).
    pub fn correct(&self) -> Result<u64, BountyError> {
        Ok(self
            .predictions()?
            .iter()
            .zip(&self.labels)
            .filter(|(p, l)| p == l)
            .count() as u64)
    }

    /// The weight commitment.
    pub fn commitment(&self) -> Fr {
        native_commit(&self.model.weight_values(), self.salt)
    }

    /// The public inputs in the verifier's order.
    pub fn public_inputs(&self) -> Vec<Fr> {
        let mut v = Vec::new();
        for d in &self.digests {
            let (hi, lo) = native_halves(d);
            v.push(hi);
            v.push(lo);
        }
        v.extend(self.labels.iter().map(|l| Fr::from(*l)));
        v.push(Fr::from(self.threshold));
        v.push(self.commitment());
        v
    }
}

impl ConstraintSynthesizer<Fr> for Bounty {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.check().map_err(|_| SynthesisError::Unsatisfiable)?;
        let input = |v: Fr| FpVar::new_input(cs.clone(), || Ok(v));
        let mut halves = Vec::new();
        for d in &self.digests {
            let (hi, lo) = native_halves(d);
            halves.push((input(hi)?, input(lo)?));
        }
        let labels = self
            .labels
            .iter()
            .map(|l| input(Fr::from(*l)))
            .collect::<Result<Vec<_>, _>>()?;
        let threshold = input(Fr::from(self.threshold))?;
        let commitment = input(self.commitment())?;

        let weights = self
            .model
            .alloc_weights(cs.clone())
            .map_err(|_| SynthesisError::Unsatisfiable)?;
        let flat: Vec<FpVar<Fr>> = weights
            .iter()
            .flatten()
            .flat_map(|t| t.iter().cloned())
            .collect();
        let salt = FpVar::new_witness(cs.clone(), || Ok(self.salt))?;
        commit(&flat, &salt)?.enforce_equal(&commitment)?;

        let mut correct = FpVar::Constant(Fr::from(0u64));
        for (i, f) in self.files.iter().enumerate() {
            let bytes = f
                .iter()
                .map(|b| FpVar::new_witness(cs.clone(), || Ok(Fr::from(*b as u64))))
                .collect::<Result<Vec<_>, _>>()?;
            let d = sha256_bytes(&bytes)?;
            d.hi.enforce_equal(&halves[i].0)?;
            d.lo.enforce_equal(&halves[i].1)?;
            // the header is fixed by the digest; the pixels are the bytes after it, each
            // already proven to be a byte by the hash's decomposition
            let pgm = Pgm::parse(f).map_err(|_| SynthesisError::Unsatisfiable)?;
            let x = ArrayD::from_shape_vec(
                IxDyn(&self.model.input_shape),
                bytes[pgm.offset..].to_vec(),
            )
            .map_err(|_| SynthesisError::Unsatisfiable)?;
            if self.model.input_bound < 8 {
                return Err(SynthesisError::Unsatisfiable);
            }
            let (y, _) = self
                .model
                .synthesize_on(cs.clone(), x, &weights)
                .map_err(|_| SynthesisError::Unsatisfiable)?;
            let pred = y.first().ok_or(SynthesisError::Unsatisfiable)?;
            correct += FpVar::from(pred.is_eq(&labels[i])?);
        }
        // correct - threshold in [0, 2^k): at least the threshold
        let k = 64 - (self.files.len() as u64).leading_zeros();
        arkml_gadgets::range::enforce_unsigned(&(correct - threshold), k)
            .map_err(SynthesisError::from)?;
        Ok(())
    }
}
