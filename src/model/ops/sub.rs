//! The elementwise difference `a - b` of two inputs of equal shape and scale. Zero
//! constraints; bound: the larger input bound plus one.

use arkml_gadgets::Error;
use ndarray::{ArrayD, ArrayViewD};

use super::add::{binary_bound, binary_shape};
use super::*;

/// The elementwise difference of two inputs.
///
/// ```
/// use arkml::model::{ints, ops::Sub, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::model::{ops::Relu, Graph};
/// // node 0 is the model's input, node i + 1 is layer i: Sub reads ReLU(x) and x
/// let mut model = Model::chain(&[2], 4, vec![Layer::Relu(Relu), Layer::Sub(Sub)]);
/// model.graph = Graph { inputs: vec![vec![], vec![1, 0]], ..Default::default() };
/// let y = model.predict(&ints(array![-2, 3]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![2, 0]).into_dyn());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sub;

impl<N: Clone + Debug> Op<N> for Sub {
    fn kind(&self) -> &'static str {
        "Sub"
    }
    fn arity(&self) -> (usize, usize) {
        (2, 2)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        binary_shape(ins)
    }
}

impl IntOp for Sub {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        Ok(Bound::of(binary_bound(ins)?))
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, _: &[&Facts], _: &Facts, _: &Cx) -> usize {
        0
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        let (x, y) = two(ins)?;
        Ok(LayerOutput {
            out: zip2(x, y, |a, b| a - b)?,
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        match ins {
            [x, y] => Ok(Out::vars(zip2(x.vars, y.vars, |a, b| a - b)?)),
            _ => Err(Error::shape("inputs", 2, ins.len())),
        }
    }
}

impl FloatOp for Sub {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let (x, y) = two(ins)?;
        zip2(x, y, |a, b| a - b)
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for Sub {
    const TAGS: &'static [&'static str] = &["sub"];
    fn read(_: &str, _: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Sub))
    }
    fn write(&self, _: &mut Fields) -> &'static str {
        "sub"
    }
}
