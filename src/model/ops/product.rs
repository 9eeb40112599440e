//! The elementwise product of two activations (SiLU, HardSwish, squeeze-excite's channel
//! gate), the second broadcast against the first as NumPy does (a `[C]` or `[1, 1, C]`
//! gate over an `[H, W, C]` map). One constraint per output element
//! ([`arkml_gadgets::activation::product`]); with both inputs at scale `S` the output is at
//! `S^2`, and the quantiser puts a rescale by `S` after it.

use arkml_gadgets::{
    activation::{native_product, product, product_bound, product_cost},
    fixed::check_bound,
    Error,
};
use ndarray::{ArrayD, ArrayViewD, IxDyn};

use super::*;

/// The elementwise product of two inputs.
///
/// ```
/// use arkml::model::{ints, ops::{Product, Relu}, Graph, Layer, Model};
/// use arkml::ndarray::array;
/// // x * relu(x): node 0 is the input, node 1 the ReLU
/// let mut model = Model::chain(&[3], 4, vec![Layer::Relu(Relu), Layer::Product(Product)]);
/// model.graph = Graph { inputs: vec![vec![], vec![0, 1]], ..Default::default() };
/// let y = model.predict(&ints(array![-2, 3, 5]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![0, 9, 25]).into_dyn());
/// assert_eq!(model.analyse().unwrap()[1].constraints, 3);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Product;

/// NumPy broadcasting of `y` against `x` (right-aligned; each axis equal or 1), the
/// result's shape.
pub(crate) fn broadcast_shape(x: &[usize], y: &[usize]) -> Result<Vec<usize>, Error> {
    let n = x.len().max(y.len());
    let at = |s: &[usize], i: usize| (i + s.len()).checked_sub(n).map_or(1, |k| s[k]);
    (0..n)
        .map(|i| match (at(x, i), at(y, i)) {
            (a, b) if a == b || b == 1 => Ok(a),
            (1, b) => Ok(b),
            _ => Err(Error::shape(
                "second input",
                format!("a shape that broadcasts against {x:?}"),
                format!("{y:?}"),
            )),
        })
        .collect()
}

/// `f` over the two inputs broadcast to their common shape.
fn broadcast2<T: Clone>(
    x: &ArrayD<T>,
    y: &ArrayD<T>,
    mut f: impl FnMut(&T, &T) -> Result<T, Error>,
) -> Result<ArrayD<T>, Error> {
    let shape = broadcast_shape(x.shape(), y.shape())?;
    let bad = || {
        Error::shape(
            "inputs",
            format!("{shape:?}"),
            "shapes that do not broadcast",
        )
    };
    let xb = x.broadcast(IxDyn(&shape)).ok_or_else(bad)?;
    let yb = y.broadcast(IxDyn(&shape)).ok_or_else(bad)?;
    let v: Vec<T> = xb
        .iter()
        .zip(yb.iter())
        .map(|(a, b)| f(a, b))
        .collect::<Result<_, _>>()?;
    ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(|e| Error::shape("product", 0, e))
}

impl<N: Clone + Debug> Op<N> for Product {
    fn kind(&self) -> &'static str {
        "Product"
    }
    fn arity(&self) -> (usize, usize) {
        (2, 2)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error> {
        let (x, y) = two(ins)?;
        let s = broadcast_shape(x, y)?;
        within("product output", &s, limits)?;
        Ok(s)
    }
}

impl IntOp for Product {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        let (x, y) = two(ins)?;
        Ok(Bound {
            bound: check_bound::<Fr>(
                "product of two activations",
                product_bound(x.bound, y.bound),
            )?,
            nonneg: x.nonneg && y.nonneg,
            signs: false,
        })
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s * s)
    }
    fn cost(&self, _: &[&Facts], out: &Facts, _: &Cx) -> usize {
        numel(&out.shape) * product_cost()
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        let (x, y) = two(ins)?;
        Ok(LayerOutput {
            out: broadcast2(x, y, |a, b| Ok(native_product(a, b)))?,
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        match ins {
            [x, y] => {
                let (a, b) = (x.facts.bound, y.facts.bound);
                Ok(Out::vars(broadcast2(x.vars, y.vars, |p, q| {
                    product(p, q, a, b)
                })?))
            }
            _ => Err(Error::shape("inputs", 2, ins.len())),
        }
    }
}

impl FloatOp for Product {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let (x, y) = two(ins)?;
        broadcast2(x, y, |a, b| Ok(a * b))
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
    /// The product of two values at `S` is at `S^2`: one rescale by `S` after it.
    fn rescale_power(&self) -> u32 {
        1
    }
}

impl<N: Num> FileForm<N> for Product {
    const TAGS: &'static [&'static str] = &["product"];
    fn read(_: &str, _: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Product))
    }
    fn write(&self, _: &mut Fields) -> &'static str {
        "product"
    }
}
