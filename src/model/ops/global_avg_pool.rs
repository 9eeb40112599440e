//! GlobalAveragePooling2D: HWC to C, `out * (h w) + r = channel sum`. Cost:
//! `c * rescale_cost(B + ceil(log2(h w)), h w)`.

use arkml_gadgets::{
    fixed::check_bound,
    layers::{global_avg_pool2d, global_sum_pool2d, native_global_avg_pool2d},
    rescale::{quotient_bound, rescale_cost},
    Error,
};
use ndarray::{ArrayD, ArrayViewD, Ix3};

use super::*;

/// GlobalAveragePooling2D: HWC to C.
///
/// ```
/// use arkml::model::{ints, ops::GlobalAvgPool2d, Layer, Model};
/// use arkml::ndarray::array;
/// let model = Model::chain(&[2, 2, 1], 4, vec![Layer::GlobalAvgPool2d(GlobalAvgPool2d)]);
/// let y = model.predict(&ints(array![[[1], [2]], [[3], [5]]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![2]).into_dyn());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GlobalAvgPool2d;

/// A global pooling's output shape.
pub(crate) fn global_shape(ins: &[&[usize]]) -> Result<Vec<usize>, Error> {
    let x = rank(ins, "global pooling input", 3)?;
    if x[0] == 0 || x[1] == 0 {
        return Err(Error::param("global pooling input", "must not be empty"));
    }
    Ok(vec![x[2]])
}

impl<N: Clone + Debug> Op<N> for GlobalAvgPool2d {
    fn kind(&self) -> &'static str {
        "GlobalAvg"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        global_shape(ins)
    }
}

impl GlobalAvgPool2d {
    fn sum(x: &Facts) -> Result<(u32, BigUint), Error> {
        let n = x.shape[0].saturating_mul(x.shape[1]).max(1);
        Ok((
            check_bound::<Fr>("pooling window sum", x.bound + grow(n))?,
            BigUint::from(n),
        ))
    }
}

impl IntOp for GlobalAvgPool2d {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        let x = first(ins)?;
        let (sb, n) = Self::sum(x)?;
        Ok(Bound::keeps(quotient_bound(sb, &n), x))
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], _: &Facts, _: &Cx) -> usize {
        match ins.first().map(|x| (x, Self::sum(x))) {
            Some((x, Ok((sb, n)))) => x.shape[2] * rescale_cost(sb, &n),
            _ => 0,
        }
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        let x = dims::<_, Ix3>(first(ins)?)?;
        if x.is_empty() {
            return Err(Error::param("global pooling input", "must not be empty"));
        }
        let (q, r) = native_global_avg_pool2d(x);
        Ok(LayerOutput {
            out: q.into_dyn(),
            remainder: Some(r.into_dyn()),
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        let r = global_avg_pool2d(dims::<_, Ix3>(x.vars)?, x.facts.bound)?;
        Ok(Out {
            vars: r.quotient.into_dyn(),
            signs: None,
            proved: Some(r.bound),
        })
    }
}

impl FloatOp for GlobalAvgPool2d {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let x = dims::<_, Ix3>(first(ins)?)?;
        let n = (x.dim().0 * x.dim().1).max(1) as f64;
        Ok(global_sum_pool2d(x).map(|s| s / n).into_dyn())
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for GlobalAvgPool2d {
    const TAGS: &'static [&'static str] = &["global_avg_pool2d"];
    fn read(_: &str, _: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(GlobalAvgPool2d))
    }
    fn write(&self, _: &mut Fields) -> &'static str {
        "global_avg_pool2d"
    }
}
