//! The elementwise sum of two inputs of equal shape and scale (a residual connection).
//! Zero constraints; bound: the larger input bound plus one.

use arkml_gadgets::{fixed::check_bound, Error};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// The elementwise sum of two inputs.
///
/// ```
/// use arkml::model::{ints, ops::Add, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::model::{ops::Relu, Graph};
/// // node 0 is the model's input, node i + 1 is layer i: Add reads ReLU(x) and x
/// let mut model = Model::chain(&[2], 4, vec![Layer::Relu(Relu), Layer::Add(Add)]);
/// model.graph = Graph { inputs: vec![vec![], vec![1, 0]], ..Default::default() };
/// let y = model.predict(&ints(array![-2, 3]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![-2, 6]).into_dyn());
/// assert_eq!(model.analyse().unwrap()[1].constraints, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Add;

/// Two inputs of one shape.
pub(crate) fn binary_shape(ins: &[&[usize]]) -> Result<Vec<usize>, Error> {
    let (x, y) = two(ins)?;
    if x != y {
        return Err(Error::shape(
            "second input",
            format!("{x:?} (the first input's shape)"),
            format!("{y:?}"),
        ));
    }
    Ok(x.to_vec())
}

/// The bound of a sum or difference of two inputs.
pub(crate) fn binary_bound(ins: &[&Facts]) -> Result<u32, Error> {
    let (x, y) = two(ins)?;
    check_bound::<Fr>("sum", x.bound.max(y.bound) + 1)
}

impl<N: Clone + Debug> Op<N> for Add {
    fn kind(&self) -> &'static str {
        "Add"
    }
    fn arity(&self) -> (usize, usize) {
        (2, 2)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        binary_shape(ins)
    }
}

impl IntOp for Add {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        Ok(Bound {
            bound: binary_bound(ins)?,
            nonneg: ins.iter().all(|f| f.nonneg),
            signs: false,
        })
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
            out: zip2(x, y, |a, b| a + b)?,
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        match ins {
            [x, y] => Ok(Out::vars(zip2(x.vars, y.vars, |a, b| a + b)?)),
            _ => Err(Error::shape("inputs", 2, ins.len())),
        }
    }
}

impl FloatOp for Add {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let (x, y) = two(ins)?;
        zip2(x, y, |a, b| a + b)
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for Add {
    const TAGS: &'static [&'static str] = &["add"];
    fn read(_: &str, _: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Add))
    }
    fn write(&self, _: &mut Fields) -> &'static str {
        "add"
    }
}
