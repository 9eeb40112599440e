//! Flatten (row, column, channel). Zero constraints.

use arkml_gadgets::{layers::flatten, Error};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// Flatten (row, column, channel).
///
/// ```
/// use arkml::model::{ints, ops::Flatten, Layer, Model};
/// use arkml::ndarray::array;
/// let model = Model::chain(&[2, 2, 1], 4, vec![Layer::Flatten(Flatten)]);
/// let y = model.predict(&ints(array![[[1], [2]], [[3], [5]]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![1, 2, 3, 5]).into_dyn());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flatten;

impl<N: Clone + Debug> Op<N> for Flatten {
    fn kind(&self) -> &'static str {
        "Flatten"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        Ok(vec![checked_count(first(ins)?).ok_or_else(too_big)?])
    }
}

impl IntOp for Flatten {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        keep_facts(ins)
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, _: &[&Facts], _: &Facts, _: &Cx) -> usize {
        0
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        Ok(LayerOutput {
            out: flatten(first(ins)?.view()).into_dyn(),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        Ok(Out::vars(flatten(x.vars.view()).into_dyn()))
    }
}

impl FloatOp for Flatten {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        Ok(flatten(first(ins)?.view()).into_dyn())
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for Flatten {
    const TAGS: &'static [&'static str] = &["flatten"];
    fn read(_: &str, _: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Flatten))
    }
    fn write(&self, _: &mut Fields) -> &'static str {
        "flatten"
    }
}
