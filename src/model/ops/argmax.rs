//! ArgMax: the output becomes the index of the first maximum. Cost: `(n - 1) * (D + 4) - 1`
//! for `n >= 2` (0 for one value), `D = diff_bound(B, nonneg)`.

use arkml_gadgets::{
    argmax::{argmax, argmax_cost, native_argmax},
    compare::diff_bound,
    Error,
};
use ndarray::{ArrayD, ArrayViewD, Ix1, IxDyn};

use super::*;

/// ArgMax: the index of the first maximum.
///
/// ```
/// use arkml::model::{ints, ops::ArgMax, Layer, Model};
/// use arkml::ndarray::array;
/// // the index of the first maximum
/// let model = Model::chain(&[4], 4, vec![Layer::ArgMax(ArgMax)]);
/// let y = model.predict(&ints(array![3, 7, 7, 1]).into_dyn()).unwrap();
/// assert_eq!(y, ints(arkml::ndarray::arr0(1)).into_dyn()); // a scalar
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArgMax;

impl<N: Clone + Debug> Op<N> for ArgMax {
    fn kind(&self) -> &'static str {
        "ArgMax"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        let x = rank(ins, "argmax input", 1)?;
        if x[0] == 0 {
            return Err(Error::param("argmax input", "must not be empty"));
        }
        Ok(vec![])
    }
}

impl IntOp for ArgMax {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        let n = first(ins)?.shape.first().copied().unwrap_or(0) as u64;
        Ok(Bound::of(64 - n.leading_zeros()))
    }
    fn scale(&self, _: &BigUint, _: &Cx) -> Option<BigUint> {
        None
    }
    fn cost(&self, ins: &[&Facts], _: &Facts, _: &Cx) -> usize {
        ins.first().map_or(0, |x| {
            argmax_cost(
                x.shape.first().copied().unwrap_or(0),
                diff_bound(x.bound, x.nonneg),
            )
        })
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        let i = native_argmax(dims::<_, Ix1>(first(ins)?)?)?;
        Ok(LayerOutput {
            out: ArrayD::from_elem(IxDyn(&[]), BigInt::from(i)),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        let d = diff_bound(x.facts.bound, x.facts.nonneg);
        let (i, _) = argmax(dims::<_, Ix1>(x.vars)?, d)?;
        Ok(Out::vars(ArrayD::from_elem(IxDyn(&[]), i)))
    }
}

impl FloatOp for ArgMax {
    /// The first index of the maximum, as the integer twin picks it.
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let x = first(ins)?;
        let mut best: Option<(usize, f64)> = None;
        for (i, v) in x.iter().enumerate() {
            if best.is_none_or(|(_, b)| *v > b) {
                best = Some((i, *v));
            }
        }
        let (i, _) = best.ok_or_else(|| Error::param("argmax input", "must not be empty"))?;
        Ok(ArrayD::from_elem(IxDyn(&[]), i as f64))
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for ArgMax {
    const TAGS: &'static [&'static str] = &["argmax"];
    fn read(_: &str, _: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(ArgMax))
    }
    fn write(&self, _: &mut Fields) -> &'static str {
        "argmax"
    }
}
