//! GlobalMaxPooling2D: HWC to C. Cost: `c * (h w - 1) * (D + 3)`, `D = diff_bound(B, nonneg)`.

use arkml_gadgets::{
    compare::diff_bound,
    layers::{global_max_pool2d, native_global_max_pool2d},
    Error,
};
use ndarray::{ArrayD, ArrayViewD, Axis, Ix3};

use super::*;

/// GlobalMaxPooling2D: HWC to C.
///
/// ```
/// use arkml::model::{ints, ops::GlobalMaxPool2d, Layer, Model};
/// use arkml::ndarray::array;
/// let model = Model::chain(&[2, 2, 1], 4, vec![Layer::GlobalMaxPool2d(GlobalMaxPool2d)]);
/// let y = model.predict(&ints(array![[[1], [2]], [[3], [5]]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![5]).into_dyn());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GlobalMaxPool2d;

impl<N: Clone + Debug> Op<N> for GlobalMaxPool2d {
    fn kind(&self) -> &'static str {
        "GlobalMax"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        super::global_avg_pool::global_shape(ins)
    }
}

impl IntOp for GlobalMaxPool2d {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        keep_facts(ins)
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], _: &Facts, _: &Cx) -> usize {
        ins.first().map_or(0, |x| {
            x.shape[2] * super::max_pool::max_cost(x.shape[0] * x.shape[1], x)
        })
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        Ok(LayerOutput {
            out: native_global_max_pool2d(dims::<_, Ix3>(first(ins)?)?)?.into_dyn(),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        let d = diff_bound(x.facts.bound, x.facts.nonneg);
        Ok(Out::vars(
            global_max_pool2d(dims::<_, Ix3>(x.vars)?, d)?.into_dyn(),
        ))
    }
}

impl FloatOp for GlobalMaxPool2d {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let x = dims::<_, Ix3>(first(ins)?)?;
        Ok(x.lanes(Axis(2))
            .into_iter()
            .fold(None::<ndarray::Array1<f64>>, |m, lane| {
                Some(match m {
                    None => lane.to_owned(),
                    Some(m) => ndarray::Zip::from(&m)
                        .and(lane)
                        .map_collect(|a, b| a.max(*b)),
                })
            })
            .unwrap_or_default()
            .into_dyn())
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for GlobalMaxPool2d {
    const TAGS: &'static [&'static str] = &["global_max_pool2d"];
    fn read(_: &str, _: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(GlobalMaxPool2d))
    }
    fn write(&self, _: &mut Fields) -> &'static str {
        "global_max_pool2d"
    }
}
