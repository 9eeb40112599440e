//! Poseidon with circomlib's parameters: x^5 S-box, 8 full rounds, circomlib's partial round
//! counts `[56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68]` for widths
//! `t = 2..17`, and circomlib's round constants and MDS matrices (read from circomlibjs 0.1.7
//! by `scripts/vectors/vectors.mjs` into `poseidon_constants.bin`). The hash of `n` inputs
//! (`1 <= n <= 16`) is the first element of the permutation of `[0, x_1, ..., x_n]`, as
//! circomlib's `Poseidon(n)` and circomlibjs' `poseidon`.
//!
//! ```
//! use arkml_gadgets::crypto::native_poseidon;
//! use ark_bn254::Fr;
//! let h = native_poseidon(&[Fr::from(1u64), Fr::from(2u64)]).unwrap();
//! assert_eq!(h.to_string(),
//!     "7853200120776062878684798364095072458815029376092732009249414926327459813530");
//! ```
//!
//! In circuit the permutation runs in circomlibjs' optimised form (the same function,
//! sparse partial rounds; `poseidon_opt.bin`), which keeps the linear combinations small;
//! natively the reference form. The tests check the two agree.
//!
//! Cost in circuit: an S-box is 3 constraints (`x^2`, `x^4`, `x^5`) unless its input is a
//! constant; a permutation of width `t` costs `3 (8 t + R_P)` less 3 per S-box of the first
//! round whose input is constant: for the hash of `n` inputs (capacity element 0),
//! `3 (8 (n+1) + R_P) - 3`: **240** for 2 inputs (circom's `Poseidon(2)`: 240).

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{Field, PrimeField};
use ark_r1cs_std::{
    fields::{
        fp::{AllocatedFp, FpVar},
        FieldVar,
    },
    GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, Variable};

use crate::error::{Error, Result};

/// Full rounds.
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds for width `t` at index `t - 2`.
pub const PARTIAL_ROUNDS: [usize; 16] = [
    56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68,
];

/// The constants of one width.
#[derive(Debug)]
pub struct Params {
    /// Width.
    pub t: usize,
    /// Partial rounds.
    pub partial: usize,
    /// Round constants, `t` per round.
    pub c: Vec<Fr>,
    /// MDS matrix, row-major `t x t`.
    pub m: Vec<Vec<Fr>>,
}

static CONSTANTS: &[u8] = include_bytes!("poseidon_constants.bin");

fn all_params() -> &'static [Params] {
    static P: OnceLock<Vec<Params>> = OnceLock::new();
    P.get_or_init(|| {
        let mut at = 0;
        let mut next = || {
            let v = Fr::from_be_bytes_mod_order(&CONSTANTS[at..at + 32]);
            at += 32;
            v
        };
        (2..=17)
            .map(|t| {
                let partial = PARTIAL_ROUNDS[t - 2];
                let c = (0..(FULL_ROUNDS + partial) * t).map(|_| next()).collect();
                let m = (0..t).map(|_| (0..t).map(|_| next()).collect()).collect();
                Params { t, partial, c, m }
            })
            .collect()
    })
}

/// The parameters for width `t` (`2..=17`).
pub fn params(t: usize) -> Result<&'static Params> {
    if !(2..=17).contains(&t) {
        return Err(Error::param(
            "poseidon width",
            format!("{t} is outside 2..=17 (1 to 16 inputs)"),
        ));
    }
    Ok(&all_params()[t - 2])
}

/// circomlibjs' optimised form of the same permutation (the "neptune" rewriting, which
/// circomlib's `poseidon.circom` uses): constants folded forward and sparse matrices in the
/// partial rounds, so mixing a partial round touches `2t` state terms instead of `t^2`.
struct OptParams {
    c: Vec<Fr>,
    s: Vec<Fr>,
    /// `M` transposed (row `i` holds `M[j][i]`), as the optimised rounds apply it.
    mt: Vec<Vec<Fr>>,
    /// `P` transposed.
    pt: Vec<Vec<Fr>>,
}

static OPT: &[u8] = include_bytes!("poseidon_opt.bin");

fn opt_params(t: usize) -> &'static OptParams {
    static P: OnceLock<Vec<OptParams>> = OnceLock::new();
    &P.get_or_init(|| {
        let mut at = 0;
        let mut next = |n: usize| -> Vec<Fr> {
            (0..n)
                .map(|_| {
                    let v = Fr::from_be_bytes_mod_order(&OPT[at..at + 32]);
                    at += 32;
                    v
                })
                .collect()
        };
        let transpose = |flat: Vec<Fr>, t: usize| -> Vec<Vec<Fr>> {
            (0..t)
                .map(|i| (0..t).map(|j| flat[j * t + i]).collect())
                .collect()
        };
        (2..=17)
            .map(|t| {
                let rp = PARTIAL_ROUNDS[t - 2];
                let c = next(8 * t + rp);
                let s = next((2 * t - 1) * rp);
                let mt = transpose(next(t * t), t);
                let pt = transpose(next(t * t), t);
                OptParams { c, s, mt, pt }
            })
            .collect::<Vec<_>>()
    })[t - 2]
}

/// The permutation on a state of width `t`, generic over native field elements and
/// circuit variables (`sbox` raises to the fifth power).
fn permute<T: Clone>(
    p: &Params,
    state: &mut Vec<T>,
    add_const: impl Fn(&T, &Fr) -> T,
    sbox: impl Fn(&T) -> T,
    mix: impl Fn(&[Fr], &[T]) -> T,
) {
    let t = p.t;
    for r in 0..FULL_ROUNDS + p.partial {
        for (i, s) in state.iter_mut().enumerate() {
            *s = add_const(s, &p.c[r * t + i]);
        }
        if r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + p.partial {
            for s in state.iter_mut() {
                *s = sbox(s);
            }
        } else {
            state[0] = sbox(&state[0]);
        }
        *state = p.m.iter().map(|row| mix(row, state)).collect();
    }
}

/// Native permutation of a state of width 2 to 17.
pub fn native_poseidon_permutation(state: &[Fr]) -> Result<Vec<Fr>> {
    let p = params(state.len())?;
    let mut s = state.to_vec();
    permute(
        p,
        &mut s,
        |a, c| *a + c,
        |a| a.square().square() * a,
        |row, st| row.iter().zip(st).map(|(m, v)| *m * v).sum(),
    );
    Ok(s)
}

/// Native Poseidon hash of 1 to 16 field elements (circomlibjs' `poseidon`).
pub fn native_poseidon(inputs: &[Fr]) -> Result<Fr> {
    let mut state = vec![Fr::from(0u64)];
    state.extend_from_slice(inputs);
    check_inputs(inputs.len())?;
    Ok(native_poseidon_permutation(&state)?[0])
}

fn check_inputs(n: usize) -> Result<()> {
    if !(1..=16).contains(&n) {
        return Err(Error::param(
            "poseidon inputs",
            format!("{n} inputs; circomlib's parameters cover 1 to 16"),
        ));
    }
    Ok(())
}

/// A state element as one flat linear combination with its value. arkworks turns every
/// `+` and scalar product of `FpVar`s into a new nested linear-combination node, and
/// inlining thousands of nested nodes at `finalize` dominated setup and proving time (5.9 s
/// of finalisation for a 43k-constraint hand-over). Mixing flat combinations here leaves
/// one node per S-box input and output.
#[derive(Clone)]
struct Lin {
    lc: Vec<(Fr, Variable)>,
    value: Option<Fr>,
}

impl Lin {
    fn from_var(x: &FpVar<Fr>) -> Self {
        match x {
            FpVar::Constant(c) => Lin {
                lc: vec![(*c, Variable::One)],
                value: Some(*c),
            },
            FpVar::Var(a) => Lin {
                lc: vec![(Fr::from(1u64), a.variable)],
                value: a.value().ok(),
            },
        }
    }

    fn constant(&self) -> Option<Fr> {
        self.lc
            .iter()
            .all(|(_, v)| *v == Variable::One)
            .then(|| self.lc.iter().map(|(c, _)| *c).sum())
    }

    fn add_const(&mut self, c: Fr) {
        self.lc.push((c, Variable::One));
        self.value = self.value.map(|v| v + c);
    }

    fn mix(row: &[Fr], parts: &[Lin]) -> Self {
        let mut lc = LinearCombination(
            row.iter()
                .zip(parts)
                .flat_map(|(m, p)| p.lc.iter().map(move |(c, v)| (*m * c, *v)))
                .collect(),
        );
        lc.compactify();
        let value = row
            .iter()
            .zip(parts)
            .try_fold(Fr::from(0u64), |acc, (m, p)| p.value.map(|v| acc + *m * v));
        Lin { lc: lc.0, value }
    }

    fn to_var(&self, cs: &ConstraintSystemRef<Fr>) -> Result<FpVar<Fr>> {
        if let Some(c) = self.constant() {
            return Ok(FpVar::Constant(c));
        }
        let var = cs.new_lc(|| LinearCombination(self.lc.clone()))?;
        Ok(FpVar::Var(AllocatedFp::new(self.value, var, cs.clone())))
    }
}

/// The permutation in circuit: `3` constraints per S-box on a non-constant value.
pub fn poseidon_permutation(state: &[FpVar<Fr>]) -> Result<Vec<FpVar<Fr>>> {
    let p = params(state.len())?;
    let cs = state
        .iter()
        .fold(ConstraintSystemRef::None, |cs, v| cs.or(v.cs()));
    if cs.is_none() {
        // every input constant: the output is constant too
        let values: Vec<Fr> = state.iter().map(|v| v.value().expect("constant")).collect();
        return Ok(native_poseidon_permutation(&values)?
            .into_iter()
            .map(FpVar::Constant)
            .collect());
    }
    let t = p.t;
    let o = opt_params(t);
    let half = FULL_ROUNDS / 2;
    let mut s: Vec<Lin> = state.iter().map(Lin::from_var).collect();
    let sbox = |l: &Lin| -> Result<Lin> {
        Ok(match l.constant() {
            Some(c) => {
                let c5 = c.square().square() * c;
                Lin {
                    lc: vec![(c5, Variable::One)],
                    value: Some(c5),
                }
            }
            None => Lin::from_var(&sbox_var(&l.to_var(&cs)?)?),
        })
    };
    let full = |s: &[Lin], consts: Option<&[Fr]>, m: &[Vec<Fr>]| -> Result<Vec<Lin>> {
        let mut x = s.iter().map(&sbox).collect::<Result<Vec<_>>>()?;
        if let Some(c) = consts {
            for (e, c) in x.iter_mut().zip(c) {
                e.add_const(*c);
            }
        }
        Ok(m.iter().map(|row| Lin::mix(row, &x)).collect())
    };
    for (e, c) in s.iter_mut().zip(&o.c[..t]) {
        e.add_const(*c);
    }
    for r in 0..half - 1 {
        s = full(&s, Some(&o.c[(r + 1) * t..(r + 2) * t]), &o.mt)?;
    }
    s = full(&s, Some(&o.c[half * t..(half + 1) * t]), &o.pt)?;
    for r in 0..p.partial {
        s[0] = sbox(&s[0])?;
        s[0].add_const(o.c[(half + 1) * t + r]);
        let row = &o.s[(2 * t - 1) * r..(2 * t - 1) * (r + 1)];
        let s0 = Lin::mix(&row[..t], &s);
        for k in 1..t {
            s[k] = Lin::mix(
                &[Fr::from(1u64), row[t + k - 1]],
                &[s[k].clone(), s[0].clone()],
            );
        }
        s[0] = s0;
    }
    for r in 0..half - 1 {
        let at = (half + 1) * t + p.partial + r * t;
        s = full(&s, Some(&o.c[at..at + t]), &o.mt)?;
    }
    s = full(&s, None, &o.mt)?;
    s.iter().map(|l| l.to_var(&cs)).collect()
}

fn sbox_var(x: &FpVar<Fr>) -> Result<FpVar<Fr>> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

/// Poseidon hash of 1 to 16 variables in circuit, equal to [`native_poseidon`].
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn poseidon(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>> {
    check_inputs(inputs.len())?;
    let mut state = vec![FpVar::Constant(Fr::from(0u64))];
    state.extend_from_slice(inputs);
    Ok(poseidon_permutation(&state)?.swap_remove(0))
}

/// Constraints of [`poseidon`] on `n` non-constant inputs: `3 (8 (n+1) + R_P) - 3`; like
/// every `*_cost` function, `usize::MAX` where the gadget refuses the parameters (here `n`
/// outside `1..=16`).
pub fn poseidon_cost(n: usize) -> usize {
    match check_inputs(n) {
        Ok(()) => 3 * (FULL_ROUNDS * (n + 1) + PARTIAL_ROUNDS[n - 1]) - 3,
        Err(_) => usize::MAX,
    }
}
