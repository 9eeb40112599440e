//! Decision-tree ensembles (random forests, gradient boosting): each tree a chain of bounded
//! comparisons of an input feature with a constant threshold, its leaf selected by the
//! product of the path's comparison bits, the ensemble's scores a sum of leaf values.
//!
//! A [`Forest`] numbers its nodes `0..branches + leaves`: indices below `branches.len()` are
//! branches, the rest leaves (leaf `i - branches.len()`, a row of [`Forest::leaves`]). Each
//! branch's children have larger indices than the branch, and every node is a root or the
//! child of exactly one branch, so the forest is a set of trees ([`Forest::check`]).
//!
//! In circuit, over an input with bound `B` (`-2^B <= x < 2^B`):
//! - each distinct comparison `x[f] <= T` (or `<`) a live branch makes is one bounded
//!   comparison, `B + 3` constraints ([`compare_cost`] of the difference's bound `B + 1`);
//!   a threshold no input within the bound can cross is a constant, free;
//! - the indicator of a branch's "yes" child is the branch's indicator times the bit: one
//!   constraint where both are variables (a root's indicator is the constant 1, so a root's
//!   children cost nothing), the "no" child's indicator the difference (free);
//! - every score is `base + sum of leaf value * leaf indicator`, a linear combination (free).
//!
//! Soundness: the comparison bits are those of the bounded decompositions, so by induction
//! from the roots exactly the leaves on the true paths have indicator 1 and the rest 0; the
//! scores are then fixed. [`forest_cost`] counts exactly what [`forest`] writes.

use std::collections::HashMap;

use ark_ff::PrimeField;
use ark_r1cs_std::{boolean::Boolean, fields::fp::FpVar};
use ndarray::{Array1, Array2};
use num_bigint::BigInt;

use crate::compare::{compare_cost, diff_bound_of, is_le};
use crate::error::{Error, Result};
use crate::fixed::{bits_for, check_bound, pow2, to_field};

/// A branch: "yes" when `x[feature] <= threshold` (`<` when `strict`), else "no".
#[derive(Clone, Debug, PartialEq)]
pub struct Branch<T> {
    /// The input feature compared.
    pub feature: usize,
    /// The threshold.
    pub threshold: T,
    /// `<` instead of `<=`.
    pub strict: bool,
    /// The node taken when the comparison holds.
    pub yes: usize,
    /// The node taken otherwise.
    pub no: usize,
}

/// A tree ensemble with `targets` scores: see the [module docs](self) for the numbering.
#[derive(Clone, Debug, PartialEq)]
pub struct Forest<T> {
    /// The branches, nodes `0..branches.len()`.
    pub branches: Vec<Branch<T>>,
    /// Per leaf, its value for each score: `[leaves][targets]`.
    pub leaves: Array2<T>,
    /// Each tree's root node.
    pub roots: Vec<usize>,
    /// Added to each score: `[targets]`.
    pub base: Array1<T>,
}

/// Whether a node's indicator is known zero, known one, or a variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Zero,
    One,
    Var,
}

/// A live branch's test: known from the bound alone, or comparison `k` of the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Test {
    Const(bool),
    Compare(usize),
}

/// What synthesis does, from the structure and the input bound alone: per node its
/// indicator's state, per live branch its test (a constant or a comparison index), and the
/// distinct comparisons `x[f] <= t`.
struct Plan {
    states: Vec<State>,
    tests: Vec<Option<Test>>,
    compares: Vec<(usize, BigInt)>,
}

impl<T> Forest<T> {
    /// The number of scores.
    pub fn targets(&self) -> usize {
        self.base.len()
    }

    /// The number of nodes (branches and leaves).
    pub fn nodes(&self) -> usize {
        self.branches.len() + self.leaves.nrows()
    }

    /// Errors unless the nodes form a forest over inputs of `features` elements: children
    /// after their branch, every node a root or one branch's child exactly once, every
    /// feature within the input, the leaf table and the base of one width.
    pub fn check(&self, features: usize) -> Result<()> {
        let n = self.nodes();
        if self.leaves.ncols() != self.targets() {
            return Err(Error::shape(
                "tree leaf values per target",
                self.targets(),
                self.leaves.ncols(),
            ));
        }
        let mut parents = vec![0u8; n];
        let mut refer = |i: usize, after: Option<usize>| -> Result<()> {
            if i >= n || after.is_some_and(|p| i <= p) {
                return Err(Error::param(
                    "tree node",
                    format!("child {i} of node {after:?} (of {n}) breaks the order"),
                ));
            }
            parents[i] += 1;
            if parents[i] > 1 {
                return Err(Error::param(
                    "tree node",
                    format!("node {i} is reached twice"),
                ));
            }
            Ok(())
        };
        for &r in &self.roots {
            refer(r, None)?;
        }
        for (i, b) in self.branches.iter().enumerate() {
            if b.feature >= features {
                return Err(Error::param(
                    "tree feature",
                    format!("{} of an input of {features}", b.feature),
                ));
            }
            refer(b.yes, Some(i))?;
            refer(b.no, Some(i))?;
        }
        if let Some(i) = parents.iter().position(|&p| p == 0) {
            return Err(Error::param("tree node", format!("node {i} is in no tree")));
        }
        Ok(())
    }

    /// Per root, the leaf rows its tree holds.
    fn tree_leaves(&self) -> Vec<Vec<usize>> {
        let nb = self.branches.len();
        self.roots
            .iter()
            .map(|&r| {
                let (mut stack, mut out) = (vec![r], Vec::new());
                while let Some(i) = stack.pop() {
                    match self.branches.get(i) {
                        Some(b) => stack.extend([b.yes, b.no]),
                        None => out.push(i - nb),
                    }
                }
                out
            })
            .collect()
    }
}

impl Forest<BigInt> {
    /// The integer threshold `t` with `x <= t` equivalent to the branch's test.
    fn le_threshold(b: &Branch<BigInt>) -> BigInt {
        if b.strict {
            &b.threshold - 1
        } else {
            b.threshold.clone()
        }
    }

    fn plan(&self, bound: u32) -> Plan {
        let n = self.nodes();
        let mut states = vec![State::Zero; n];
        for &r in &self.roots {
            states[r] = State::One;
        }
        let (lo, hi) = (-pow2(bound), pow2(bound) - 1);
        let mut tests = vec![None; self.branches.len()];
        let mut compares = Vec::new();
        let mut seen: HashMap<(usize, BigInt), usize> = HashMap::new();
        for (i, b) in self.branches.iter().enumerate() {
            let s = states[i];
            if s == State::Zero {
                continue;
            }
            let t = Self::le_threshold(b);
            let test = if t >= hi {
                Test::Const(true)
            } else if t < lo {
                Test::Const(false)
            } else {
                let k = compares.len();
                Test::Compare(*seen.entry((b.feature, t.clone())).or_insert_with(|| {
                    compares.push((b.feature, t));
                    k
                }))
            };
            let (yes, no) = match test {
                Test::Const(true) => (s, State::Zero),
                Test::Const(false) => (State::Zero, s),
                Test::Compare(_) => (State::Var, State::Var),
            };
            states[b.yes] = yes;
            states[b.no] = no;
            tests[i] = Some(test);
        }
        Plan {
            states,
            tests,
            compares,
        }
    }

    /// The scores' bound: per score, the base plus each tree's largest (and smallest) leaf
    /// value, the wider end.
    pub fn bound(&self) -> Result<u32> {
        let trees = self.tree_leaves();
        let mut bits = 0;
        for k in 0..self.targets() {
            let (mut hi, mut lo) = (self.base[k].clone(), self.base[k].clone());
            for leaves in &trees {
                let col = leaves.iter().map(|&l| &self.leaves[[l, k]]);
                hi += col.clone().max().cloned().unwrap_or_default();
                lo += col.min().cloned().unwrap_or_default();
            }
            bits = bits.max(bits_for(&hi)).max(bits_for(&lo));
        }
        check_bound::<ark_bn254::Fr>("tree ensemble scores", bits)
    }

    /// Whether every score is non-negative (the base and every leaf value are).
    pub fn nonnegative(&self) -> bool {
        let zero = BigInt::from(0);
        self.base
            .iter()
            .chain(self.leaves.iter())
            .all(|v| *v >= zero)
    }

    /// Native twin of [`forest`]: each tree walked from its root.
    pub fn native(&self, x: &[BigInt]) -> Result<Array1<BigInt>> {
        let nb = self.branches.len();
        let mut out = self.base.clone();
        for &r in &self.roots {
            let mut i = r;
            while let Some(b) = self.branches.get(i) {
                let v = x
                    .get(b.feature)
                    .ok_or_else(|| Error::shape("tree input", b.feature + 1, x.len()))?;
                i = if *v <= Self::le_threshold(b) {
                    b.yes
                } else {
                    b.no
                };
            }
            out += &self.leaves.row(i - nb);
        }
        Ok(out)
    }
}

/// The constraints [`forest`] writes over an input with bound `bound`: `bound + 3` per
/// distinct comparison of a live branch whose threshold the input can cross, plus one per
/// branch whose indicator and bit are both variables.
pub fn forest_cost(f: &Forest<BigInt>, bound: u32) -> usize {
    let plan = f.plan(bound);
    let compares = plan
        .compares
        .iter()
        .map(|(_, t)| compare_cost(diff_bound_of(bound, bits_for(t))))
        .sum::<usize>();
    let products = f
        .branches
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            plan.states[*i] == State::Var && matches!(plan.tests[*i], Some(Test::Compare(_)))
        })
        .count();
    compares + products
}

/// The ensemble's scores in circuit, over an input `x` with bound `bound` (every element in
/// `[-2^bound, 2^bound)`, proven by whatever made it). Checks the forest first.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn forest<F: PrimeField>(
    f: &Forest<BigInt>,
    x: &[FpVar<F>],
    bound: u32,
) -> Result<Vec<FpVar<F>>> {
    f.check(x.len())?;
    let plan = f.plan(bound);
    let bits = plan
        .compares
        .iter()
        .map(|(i, t)| {
            let c = FpVar::Constant(to_field::<F>(t));
            is_le(&x[*i], &c, diff_bound_of(bound, bits_for(t)))
        })
        .collect::<Result<Vec<Boolean<F>>>>()?;
    let one = FpVar::Constant(F::one());
    let zero = FpVar::Constant(F::zero());
    let mut ind: Vec<FpVar<F>> = plan
        .states
        .iter()
        .map(|s| {
            if *s == State::One {
                one.clone()
            } else {
                zero.clone()
            }
        })
        .collect();
    for (i, b) in f.branches.iter().enumerate() {
        let Some(test) = &plan.tests[i] else { continue };
        let here = ind[i].clone();
        let (yes, no) = match test {
            Test::Const(true) => (here, zero.clone()),
            Test::Const(false) => (zero.clone(), here),
            Test::Compare(k) => {
                let bit = FpVar::from(bits[*k].clone());
                // a root's indicator is the constant 1: its children cost nothing
                let yes = if plan.states[i] == State::One {
                    bit
                } else {
                    here.clone() * bit
                };
                let no = &here - &yes;
                (yes, no)
            }
        };
        ind[b.yes] = yes;
        ind[b.no] = no;
    }
    let nb = f.branches.len();
    Ok((0..f.targets())
        .map(|k| {
            let mut acc = FpVar::Constant(to_field::<F>(&f.base[k]));
            for (l, s) in plan.states[nb..].iter().enumerate() {
                let w = &f.leaves[[l, k]];
                if *s != State::Zero && *w != BigInt::from(0) {
                    acc += &ind[nb + l] * FpVar::Constant(to_field::<F>(w));
                }
            }
            acc
        })
        .collect())
}
