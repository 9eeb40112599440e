//! ReLU. Cost per element: `relu_cost(B) = B + 3`, or 1 where the input kept its sign bits
//! (a rescale's quotient: the fused rescale + ReLU).

use arkml_gadgets::{
    activation::{native_relu, relu, relu_cost},
    Error,
};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// ReLU.
///
/// ```
/// use arkml::model::{ints, ops::Relu, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::gadgets::activation::relu_cost;
/// let model = Model::chain(&[3], 4, vec![Layer::Relu(Relu)]);
/// let y = model.predict(&ints(array![-2, 0, 5]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![0, 0, 5]).into_dyn());
/// // relu_cost(B) = B + 3 per element, for the input bound B = 4
/// assert_eq!(model.analyse().unwrap()[0].constraints, 3 * relu_cost(4));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

impl<N: Clone + Debug> Op<N> for Relu {
    fn kind(&self) -> &'static str {
        "ReLU"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        same(ins)
    }
}

impl IntOp for Relu {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        Ok(Bound {
            bound: first(ins)?.bound,
            nonneg: true,
            signs: false,
        })
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], out: &Facts, _: &Cx) -> usize {
        match ins.first() {
            Some(x) if x.signs => numel(&out.shape),
            Some(x) => numel(&out.shape) * relu_cost(x.bound),
            None => 0,
        }
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        Ok(LayerOutput {
            out: first(ins)?.map(native_relu),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        match x.signs {
            // s * v, with s the rescale's sign bit: one constraint per element
            Some(sg) => Ok(Out::vars(zip2(
                x.vars,
                &sg.map(|s| FpVar::from(s.clone())),
                |v, s| s * v,
            )?)),
            None => each(ins, relu),
        }
    }
}

impl FloatOp for Relu {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        Ok(first(ins)?.map(|v| v.max(0.0)))
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for Relu {
    const TAGS: &'static [&'static str] = &["relu"];
    fn read(_: &str, _: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Relu))
    }
    fn write(&self, _: &mut Fields) -> &'static str {
        "relu"
    }
}
