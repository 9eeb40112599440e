//! Reshape, row-major. Zero constraints.

use arkml_gadgets::{layers::reshape, Error};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// Reshape, row-major, to the given shape.
///
/// ```
/// use arkml::model::{ints, ops::Reshape, Layer, Model};
/// use arkml::ndarray::array;
/// let model = Model::chain(&[4], 4, vec![Layer::Reshape(Reshape(vec![2, 2]))]);
/// let y = model.predict(&ints(array![1, 2, 3, 5]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![[1, 2], [3, 5]]).into_dyn());
/// // a shape with another element count is refused before any inference
/// assert!(Model::chain(&[4], 4, vec![Layer::Reshape(Reshape(vec![3]))]).analyse().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reshape(pub Vec<usize>);

impl<N: Clone + Debug> Op<N> for Reshape {
    fn kind(&self) -> &'static str {
        "Reshape"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        let n = checked_count(&self.0).ok_or_else(too_big)?;
        want(
            "reshape element count",
            checked_count(first(ins)?).ok_or_else(too_big)?,
            n,
        )?;
        Ok(self.0.clone())
    }
}

impl IntOp for Reshape {
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
            out: reshape(first(ins)?.view(), &self.0)?,
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        Ok(Out::vars(reshape(x.vars.view(), &self.0)?))
    }
}

impl FloatOp for Reshape {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        reshape(first(ins)?.view(), &self.0)
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok(self.clone().into())
    }
}

impl<N: Num> FileForm<N> for Reshape {
    const TAGS: &'static [&'static str] = &["reshape"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Reshape(f.req("shape")?)))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put("shape", &self.0);
        "reshape"
    }
}
