//! Concatenation along the last (channel) axis of inputs at equal scale whose other
//! dimensions agree. Zero constraints; bound: the largest input bound.

use arkml_gadgets::Error;
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// Concatenation along the channel axis.
///
/// ```
/// use arkml::model::{ints, ops::Concat, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::model::{ops::Relu, Graph};
/// // node 0 is the model's input, node i + 1 is layer i: Concat reads ReLU(x) and x
/// let mut model = Model::chain(&[2], 4, vec![Layer::Relu(Relu), Layer::Concat(Concat)]);
/// model.graph = Graph { inputs: vec![vec![], vec![1, 0]], ..Default::default() };
/// let y = model.predict(&ints(array![-2, 3]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![0, 3, -2, 3]).into_dyn());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Concat;

/// Concatenation along the last axis; every other dimension must agree.
fn concat_last<T: Clone>(xs: &[&ArrayD<T>]) -> Result<ArrayD<T>, Error> {
    let shapes: Vec<&[usize]> = xs.iter().map(|x| x.shape()).collect();
    let out = concat_shape(&shapes)?;
    let views: Vec<_> = xs.iter().map(|x| x.view()).collect();
    ndarray::concatenate(ndarray::Axis(out.len() - 1), &views)
        .map_err(|err| Error::param("concat", err.to_string()))
}

fn concat_shape(ins: &[&[usize]]) -> Result<Vec<usize>, Error> {
    let x = first(ins)?;
    let rank = x.len();
    if rank == 0 {
        return Err(Error::param("concat input", "a scalar has no channel axis"));
    }
    let mut c = x[rank - 1];
    for y in &ins[1..] {
        if y.len() != rank || y[..rank - 1] != x[..rank - 1] {
            return Err(Error::shape(
                "concat input",
                format!("{x:?} but the last axis"),
                format!("{y:?}"),
            ));
        }
        c = c.checked_add(y[rank - 1]).ok_or_else(too_big)?;
    }
    let mut out = x.to_vec();
    out[rank - 1] = c;
    Ok(out)
}

impl<N: Clone + Debug> Op<N> for Concat {
    fn kind(&self) -> &'static str {
        "Concat"
    }
    fn arity(&self) -> (usize, usize) {
        (1, usize::MAX)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        concat_shape(ins)
    }
}

impl IntOp for Concat {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        widest(ins)
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, _: &[&Facts], _: &Facts, _: &Cx) -> usize {
        0
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        Ok(LayerOutput {
            out: concat_last(ins)?,
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let xs: Vec<&ArrayD<FpVar<Fr>>> = ins.iter().map(|x| x.vars).collect();
        Ok(Out::vars(concat_last(&xs)?))
    }
}

impl FloatOp for Concat {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        concat_last(ins)
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for Concat {
    const TAGS: &'static [&'static str] = &["concat"];
    fn read(_: &str, _: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Concat))
    }
    fn write(&self, _: &mut Fields) -> &'static str {
        "concat"
    }
}
