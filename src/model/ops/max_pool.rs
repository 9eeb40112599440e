//! Max pooling over each window's real cells. Cost per window and channel:
//! `(cells - 1) * (D + 3)` with `D = diff_bound(B, nonneg)`.

use arkml_gadgets::{
    compare::diff_bound,
    layers::{max_pool2d, native_max_pool2d},
    Error,
};
use ndarray::{ArrayD, ArrayViewD, Ix3};

use super::*;

/// Max pooling.
///
/// ```
/// use arkml::model::{ints, ops::MaxPool2d, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::gadgets::layers::pool::Pool2dConfig;
/// let model = Model::chain(&[2, 2, 1], 4, vec![Layer::MaxPool2d(MaxPool2d(Pool2dConfig::new((2, 2))))]);
/// let y = model.predict(&ints(array![[[1], [2]], [[3], [5]]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![[[5]]]).into_dyn());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool2d(pub Pool2dConfig);

impl<N: Clone + Debug> Op<N> for MaxPool2d {
    fn kind(&self) -> &'static str {
        "MaxPool2D"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error> {
        super::avg_pool::pool_shape(ins, &self.0, limits)
    }
}

/// The cost of a maximum over `cells` values per `(cells - 1)` comparisons.
pub(crate) fn max_cost(cells: usize, x: &Facts) -> usize {
    cells.saturating_sub(1) * arkml_gadgets::compare::max_cost(diff_bound(x.bound, x.nonneg))
}

impl IntOp for MaxPool2d {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        keep_facts(ins)
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], _: &Facts, _: &Cx) -> usize {
        let Some(x) = ins.first() else { return 0 };
        let Ok(cells) = window_cells(x.shape[0], x.shape[1], &self.0) else {
            return 0;
        };
        x.shape[2] * cells.iter().map(|&n| max_cost(n, x)).sum::<usize>()
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        Ok(LayerOutput {
            out: native_max_pool2d(dims::<_, Ix3>(first(ins)?)?, &self.0)?.into_dyn(),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        let d = diff_bound(x.facts.bound, x.facts.nonneg);
        Ok(Out::vars(
            max_pool2d(dims::<_, Ix3>(x.vars)?, d, &self.0)?.into_dyn(),
        ))
    }
}

impl FloatOp for MaxPool2d {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let x = dims::<_, Ix3>(first(ins)?)?;
        let c = x.dim().2;
        Ok(
            arkml_gadgets::layers::conv::windows(x, self.0.size, &self.0.conv(), |win| {
                (0..c)
                    .map(|ch| {
                        win.index_axis(ndarray::Axis(2), ch)
                            .iter()
                            .flatten()
                            .fold(f64::NEG_INFINITY, |m, v| m.max(*v))
                    })
                    .collect()
            })?
            .into_dyn(),
        )
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for MaxPool2d {
    const TAGS: &'static [&'static str] = &["max_pool2d"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(MaxPool2d(f.pool()?)))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put_pool(&self.0);
        "max_pool2d"
    }
}
