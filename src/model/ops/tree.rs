//! A decision-tree ensemble (scikit-learn's random forests and gradient boosting, through
//! ONNX's `TreeEnsembleClassifier` / `TreeEnsembleRegressor`): a flat input of features in,
//! one score per target out, the sum over the trees of the reached leaves' values plus a
//! base. The gadget is [`arkml_gadgets::tree`]. Cost: `B + 3` per distinct comparison a
//! live branch makes (`B` the input's bound; a threshold no input within the bound crosses
//! is free), plus one per branch below a root whose test is a comparison
//! ([`forest_cost`]). The thresholds and leaf values are constants of the circuit (not
//! private weights). Bound: per score the base plus each tree's widest leaf value.
//!
//! Quantised at the activation scale `S`: a test `x <= t` becomes `X <= floor(t S)` and
//! `x < t` becomes `X < ceil(t S)`, exactly the float test on the dequantised input `X / S`;
//! leaf values and bases are rounded at `S`.

use arkml_gadgets::{
    tree::{forest, forest_cost, Branch, Forest},
    Error,
};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use serde::{Deserialize, Serialize};

use super::*;

/// A tree ensemble over a flat input.
///
/// ```
/// use arkml::gadgets::tree::{Branch, Forest};
/// use arkml::model::{ints, ops::TreeEnsemble, Layer, Model};
/// use arkml::ndarray::{array, Array1, Array2};
/// use arkml::num_bigint::BigInt;
/// let b = |v: i64| BigInt::from(v);
/// // one stump on feature 1: x[1] <= 3 scores (10, 0), else (0, 10)
/// let forest = Forest {
///     branches: vec![Branch { feature: 1, threshold: b(3), strict: false, yes: 1, no: 2 }],
///     leaves: Array2::from_shape_vec((2, 2), vec![b(10), b(0), b(0), b(10)]).unwrap(),
///     roots: vec![0],
///     base: Array1::from_vec(vec![b(0), b(0)]),
/// };
/// let model = Model::chain(&[2], 4, vec![Layer::TreeEnsemble(TreeEnsemble(forest))]);
/// let y = model.predict(&ints(array![0, 5]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![0, 10]).into_dyn());
/// // one comparison of an input with bound 4: 4 + 3 constraints
/// assert_eq!(model.analyse().unwrap()[0].constraints, 7);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TreeEnsemble<N = BigInt>(pub Forest<N>);

impl<N: Clone + Debug> Op<N> for TreeEnsemble<N> {
    fn kind(&self) -> &'static str {
        "TreeEnsemble"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error> {
        let x = rank(ins, "tree ensemble input (flat features)", 1)?;
        let f = &self.0;
        within("tree leaf values", f.leaves.shape(), limits)?;
        within("tree nodes", &[f.nodes()], limits)?;
        f.check(x[0])?;
        Ok(vec![f.targets()])
    }
}

impl IntOp for TreeEnsemble {
    fn facts(&self, _: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        Ok(Bound {
            bound: self.0.bound()?,
            nonneg: self.0.nonnegative(),
            signs: false,
        })
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], _: &Facts, _: &Cx) -> usize {
        ins.first().map_or(0, |x| forest_cost(&self.0, x.bound))
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        let x: Vec<BigInt> = first(ins)?.iter().cloned().collect();
        Ok(LayerOutput {
            out: self.0.native(&x)?.into_dyn(),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        let xs: Vec<FpVar<Fr>> = x.vars.iter().cloned().collect();
        let y = forest(&self.0, &xs, x.facts.bound)?;
        Ok(Out::vars(
            ArrayD::from_shape_vec(IxDyn(&[y.len()]), y)
                .map_err(|e| Error::param("tree ensemble output", e.to_string()))?,
        ))
    }
}

impl FloatOp for TreeEnsemble<f64> {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let x: Vec<f64> = first(ins)?.iter().copied().collect();
        let f = &self.0;
        let nb = f.branches.len();
        let mut out = f.base.clone();
        for &r in &f.roots {
            let mut i = r;
            while let Some(b) = f.branches.get(i) {
                let v = *x
                    .get(b.feature)
                    .ok_or_else(|| Error::shape("tree input", b.feature + 1, x.len()))?;
                let yes = if b.strict {
                    v < b.threshold
                } else {
                    v <= b.threshold
                };
                i = if yes { b.yes } else { b.no };
            }
            out += &f.leaves.row(i - nb);
        }
        Ok(out.into_dyn())
    }
    fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        let f = &self.0;
        let branches = f
            .branches
            .iter()
            .map(|b| {
                // x <= t  <=>  X <= floor(t S);  x < t  <=>  X < ceil(t S)
                let t = if b.strict {
                    ceil_scaled(b.threshold, q.scale())
                } else {
                    floor_scaled(b.threshold, q.scale())
                }
                .ok_or_else(|| Error::param("tree threshold", "not a finite number"))?;
                Ok(Branch {
                    feature: b.feature,
                    threshold: t,
                    strict: b.strict,
                    yes: b.yes,
                    no: b.no,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(TreeEnsemble(Forest {
            branches,
            leaves: q.tensor(&f.leaves.view(), 1),
            roots: f.roots.clone(),
            base: q.tensor(&f.base.view(), 1),
        })
        .into())
    }
}

/// A branch as a model file writes it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BranchFile {
    feature: usize,
    threshold: String,
    #[serde(default)]
    strict: bool,
    yes: usize,
    no: usize,
}

impl<N: Num> FileForm<N> for TreeEnsemble<N> {
    const TAGS: &'static [&'static str] = &["tree_ensemble"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        let branches: Vec<BranchFile> = f.req("branches")?;
        let branches = branches
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                Ok(Branch {
                    feature: b.feature,
                    threshold: N::parse(&b.threshold).ok_or_else(|| {
                        Error::param(
                            "branches",
                            format!("branch {i}'s threshold {:?} is not a number", b.threshold),
                        )
                    })?,
                    strict: b.strict,
                    yes: b.yes,
                    no: b.no,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Some(TreeEnsemble(Forest {
            branches,
            leaves: f.tensor("leaves")?,
            roots: f.req("roots")?,
            base: f.tensor::<N, ndarray::Ix1>("base")?,
        })))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        let branches: Vec<BranchFile> = self
            .0
            .branches
            .iter()
            .map(|b| BranchFile {
                feature: b.feature,
                threshold: b.threshold.text(),
                strict: b.strict,
                yes: b.yes,
                no: b.no,
            })
            .collect();
        f.put("branches", &branches);
        f.put_tensor("leaves", &self.0.leaves);
        f.put("roots", &self.0.roots);
        f.put_tensor("base", &self.0.base);
        "tree_ensemble"
    }
}

/// `floor(x S)` exactly, or `None` when `x` is not finite.
fn floor_scaled(x: f64, s: &BigUint) -> Option<BigInt> {
    if !x.is_finite() {
        return None;
    }
    let (m, e) = decompose(x);
    let num = BigInt::from(m) * BigInt::from(s.clone());
    Some(if e >= 0 {
        num << e as u32
    } else {
        arkml_gadgets::fixed::floor_div(&num, &(BigUint::from(1u32) << (-e) as u32)).0
    })
}

/// `ceil(x S)` exactly.
fn ceil_scaled(x: f64, s: &BigUint) -> Option<BigInt> {
    floor_scaled(-x, s).map(|v| -v)
}
