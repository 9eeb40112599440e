//! The circom world's binary files for arkml circuits: `.r1cs` (the constraint system) and
//! `.wtns` (a witness), in iden3's container format, so that snarkjs (`r1cs info`,
//! `wtns check`, `groth16 setup` for a phase-2 ceremony) and snarkjs-compatible provers
//! (rapidsnark, ICICLE) read arkml circuits.
//!
//! Wires are arkworks' variables in order: wire 0 is the constant one, wires
//! `1..=n_public` the public inputs in the circuit's order ([`crate::circuit`]), then the
//! witness variables. Every public input is declared a public *input* (`nPubOut = 0`), so
//! snarkjs' public signals are arkml's public inputs in the same order. Field elements are
//! little-endian in standard (not Montgomery) form, as both formats specify.
//!
//! ```
//! use std::sync::Arc;
//! use arkml::{iden3, model::{ops, Layer, Model, ModelCircuit}};
//! use ndarray::{array, ArrayD, IxDyn};
//! use num_bigint::BigInt;
//!
//! let b = |v: i64| BigInt::from(v);
//! let model = Model {
//!     input_shape: vec![2],
//!     input_bound: 8,
//!     input_visibility: arkml_gadgets::tensor::Visibility::Private,
//!     layers: vec![
//!         Layer::Dense(ops::Dense { w: array![[b(3), b(-1)], [b(2), b(5)]], b: array![b(1), b(0)] }),
//!         Layer::Relu(ops::Relu),
//!     ],
//!     graph: Default::default(),
//!     weights: Default::default(),
//!     scale: None,
//! };
//! let x = ArrayD::from_shape_vec(IxDyn(&[2]), vec![b(4), b(-3)]).unwrap();
//! let c = ModelCircuit::new(Arc::new(model), x).unwrap();
//! let s = c.synthesize().unwrap();
//! let (r1cs, wtns) = (iden3::r1cs(&s), iden3::wtns(&s));
//! assert_eq!(&r1cs[..4], b"r1cs");
//! assert_eq!(&wtns[..4], b"wtns");
//! assert_eq!(iden3::check(&r1cs, &wtns).unwrap(), s.info().constraints);
//! ```

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use thiserror::Error as ThisError;

use crate::groth16::Synthesized;

const N8: u32 = 32;

fn le(f: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&f.into_bigint().to_bytes_le());
    out
}

fn prime() -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Fr::MODULUS.to_bytes_le());
    out
}

/// An iden3 container: magic, version, sections `(type, body)`.
fn container(magic: &[u8; 4], version: u32, sections: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    for (ty, body) in sections {
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(body);
    }
    out
}

/// The circuit as an iden3 `.r1cs` file (version 1: header, constraints, wire-to-label map).
pub fn r1cs(s: &Synthesized) -> Vec<u8> {
    let (matrices, n_inputs, n_wires) = s.parts();
    let n_constraints = matrices.first().map_or(0, |m| m.len());
    let mut header = Vec::new();
    header.extend_from_slice(&N8.to_le_bytes());
    header.extend_from_slice(&prime());
    header.extend_from_slice(&(n_wires as u32).to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes()); // public outputs
    header.extend_from_slice(&((n_inputs - 1) as u32).to_le_bytes()); // public inputs
    header.extend_from_slice(&0u32.to_le_bytes()); // private inputs
    header.extend_from_slice(&(n_wires as u64).to_le_bytes()); // labels
    header.extend_from_slice(&(n_constraints as u32).to_le_bytes());
    let mut body = Vec::new();
    for row in 0..n_constraints {
        for m in matrices.iter().take(3) {
            let lc = &m[row];
            body.extend_from_slice(&(lc.len() as u32).to_le_bytes());
            for (coeff, wire) in lc {
                body.extend_from_slice(&(*wire as u32).to_le_bytes());
                body.extend_from_slice(&le(coeff));
            }
        }
    }
    let labels: Vec<u8> = (0..n_wires as u64).flat_map(|i| i.to_le_bytes()).collect();
    container(b"r1cs", 1, &[(1, header), (2, body), (3, labels)])
}

/// The circuit's symbol file (`.sym`, circom's CSV `label,wire,component,name`), which
/// `snarkjs r1cs print` reads beside the `.r1cs`: wire `i` is `main.public[k]` for the
/// public inputs and `main.w[k]` for the witness.
pub fn sym(s: &Synthesized) -> String {
    let (_, n_inputs, n_wires) = s.parts();
    let mut out = String::new();
    for i in 1..n_wires {
        let name = if i < n_inputs {
            format!("main.public[{}]", i - 1)
        } else {
            format!("main.w[{}]", i - n_inputs)
        };
        out.push_str(&format!("{i},{i},0,{name}\n"));
    }
    out
}

/// The full assignment as an iden3 `.wtns` file (version 2: header, values).
pub fn wtns(s: &Synthesized) -> Vec<u8> {
    let full = s.assignment();
    let mut header = Vec::new();
    header.extend_from_slice(&N8.to_le_bytes());
    header.extend_from_slice(&prime());
    header.extend_from_slice(&(full.len() as u32).to_le_bytes());
    let values: Vec<u8> = full.iter().flat_map(le).collect();
    container(b"wtns", 2, &[(1, header), (2, values)])
}

/// Why a `.r1cs` or `.wtns` file was refused.
#[derive(Debug, ThisError, PartialEq, Eq)]
pub enum Iden3Error {
    /// Not the expected container, or cut short.
    #[error("{what}: {why}")]
    Malformed {
        /// Which file.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
    /// The field is not BN254's scalar field.
    #[error("{0}: not BN254's scalar field")]
    Field(&'static str),
    /// The witness does not fit the constraint system.
    #[error("the witness has {got} values, the constraint system {expected} wires")]
    Length {
        /// Wires in the `.r1cs`.
        expected: usize,
        /// Values in the `.wtns`.
        got: usize,
    },
    /// A constraint the witness does not satisfy.
    #[error("constraint {0} is not satisfied")]
    Unsatisfied(usize),
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Iden3Error> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| Iden3Error::Malformed {
            what: self.what,
            why: format!("cut short at byte {}", self.at),
        })?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, Iden3Error> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, Iden3Error> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn fr(&mut self) -> Result<Fr, Iden3Error> {
        let b = self.take(32)?;
        let v = Fr::from_le_bytes_mod_order(b);
        if le(&v) != b {
            return Err(Iden3Error::Malformed {
                what: self.what,
                why: "a field element at or above the modulus".into(),
            });
        }
        Ok(v)
    }
}

/// The sections of a container, by type.
fn sections<'a>(
    b: &'a [u8],
    magic: &[u8; 4],
    what: &'static str,
) -> Result<Vec<(u32, &'a [u8])>, Iden3Error> {
    let mut r = Reader { b, at: 0, what };
    if r.take(4)? != magic {
        return Err(Iden3Error::Malformed {
            what,
            why: "wrong magic".into(),
        });
    }
    let _version = r.u32()?;
    let n = r.u32()?;
    let mut out = vec![];
    for _ in 0..n {
        let ty = r.u32()?;
        let len = usize::try_from(r.u64()?).map_err(|_| Iden3Error::Malformed {
            what,
            why: "section too large".into(),
        })?;
        out.push((ty, r.take(len)?));
    }
    Ok(out)
}

fn section<'a>(
    s: &[(u32, &'a [u8])],
    ty: u32,
    what: &'static str,
) -> Result<Reader<'a>, Iden3Error> {
    s.iter()
        .find(|(t, _)| *t == ty)
        .map(|(_, b)| Reader { b, at: 0, what })
        .ok_or_else(|| Iden3Error::Malformed {
            what,
            why: format!("no section {ty}"),
        })
}

fn field(r: &mut Reader<'_>) -> Result<(), Iden3Error> {
    let what = r.what;
    if r.u32()? != N8 || r.take(32)? != prime() {
        return Err(Iden3Error::Field(what));
    }
    Ok(())
}

/// Checks `wtns` against `r1cs` as `snarkjs wtns check` does (every constraint
/// `<A,w> * <B,w> = <C,w>`), returning the number of constraints; typed errors for a
/// malformed file, another field, a witness of the wrong length, or an unsatisfied
/// constraint.
pub fn check(r1cs: &[u8], wtns: &[u8]) -> Result<usize, Iden3Error> {
    let rs = sections(r1cs, b"r1cs", ".r1cs")?;
    let mut h = section(&rs, 1, ".r1cs")?;
    field(&mut h)?;
    let n_wires = h.u32()? as usize;
    let (_out, _in, _prv, _labels) = (h.u32()?, h.u32()?, h.u32()?, h.u64()?);
    let m = h.u32()? as usize;
    let ws = sections(wtns, b"wtns", ".wtns")?;
    let mut wh = section(&ws, 1, ".wtns")?;
    field(&mut wh)?;
    let n = wh.u32()? as usize;
    if n != n_wires {
        return Err(Iden3Error::Length {
            expected: n_wires,
            got: n,
        });
    }
    let mut wv = section(&ws, 2, ".wtns")?;
    let w: Vec<Fr> = (0..n).map(|_| wv.fr()).collect::<Result<_, _>>()?;
    let mut c = section(&rs, 2, ".r1cs")?;
    for row in 0..m {
        let mut lc = [Fr::from(0u64); 3];
        for v in lc.iter_mut() {
            let terms = c.u32()?;
            for _ in 0..terms {
                let wire = c.u32()? as usize;
                let coeff = c.fr()?;
                let x = w.get(wire).ok_or_else(|| Iden3Error::Malformed {
                    what: ".r1cs",
                    why: format!("constraint {row} reads wire {wire} of {n_wires}"),
                })?;
                *v += coeff * x;
            }
        }
        if lc[0] * lc[1] != lc[2] {
            return Err(Iden3Error::Unsatisfied(row));
        }
    }
    Ok(m)
}
