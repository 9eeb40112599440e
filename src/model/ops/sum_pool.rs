//! SumPooling2D: window sums, undivided. Zero constraints; bound `B + ceil(log2(kh kw))`.

use arkml_gadgets::{fixed::check_bound, layers::sum_pool2d, Error};
use ndarray::{ArrayD, ArrayViewD, Ix3};

use super::*;

/// SumPooling2D: window sums, undivided.
///
/// ```
/// use arkml::model::{ints, ops::SumPool2d, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::gadgets::layers::pool::Pool2dConfig;
/// let model = Model::chain(&[2, 2, 1], 4, vec![Layer::SumPool2d(SumPool2d(Pool2dConfig::new((2, 2))))]);
/// let y = model.predict(&ints(array![[[1], [2]], [[3], [5]]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![[[11]]]).into_dyn());
/// assert_eq!(model.analyse().unwrap()[0].constraints, 0); // sums are free
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SumPool2d(pub Pool2dConfig);

impl<N: Clone + Debug> Op<N> for SumPool2d {
    fn kind(&self) -> &'static str {
        "SumPool2D"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error> {
        super::avg_pool::pool_shape(ins, &self.0, limits)
    }
}

impl IntOp for SumPool2d {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        let x = first(ins)?;
        let k = self.0.size.0.saturating_mul(self.0.size.1).max(1);
        Ok(Bound::keeps(
            check_bound::<Fr>("window sum", x.bound + grow(k))?,
            x,
        ))
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, _: &[&Facts], _: &Facts, _: &Cx) -> usize {
        0
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        Ok(LayerOutput {
            out: sum_pool2d(dims::<_, Ix3>(first(ins)?)?, &self.0)?.into_dyn(),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        Ok(Out::vars(
            sum_pool2d(dims::<_, Ix3>(x.vars)?, &self.0)?.into_dyn(),
        ))
    }
}

impl FloatOp for SumPool2d {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        Ok(sum_pool2d(dims::<_, Ix3>(first(ins)?)?, &self.0)?.into_dyn())
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for SumPool2d {
    const TAGS: &'static [&'static str] = &["sum_pool2d"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(SumPool2d(f.pool()?)))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put_pool(&self.0);
        "sum_pool2d"
    }
}
