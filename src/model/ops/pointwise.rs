//! Pointwise (1x1) convolution, weights `[cin][cout]`, bias `[cout]`.
//! Cost: 0 with constant weights, else `h * w * cin * cout`.

use arkml_gadgets::{layers::pointwise_conv2d, tensor::Scalar, Error};
use ndarray::{Array1, Array2, ArrayD, ArrayViewD, Ix1, Ix2, Ix3};

use super::*;

/// Pointwise (1x1) convolution, weights `[cin][cout]`.
///
/// ```
/// use arkml::model::{ints, ops::PointwiseConv2d, Layer, Model};
/// use arkml::ndarray::array;
/// // a 1x1 convolution mixes the channels of each pixel: w is [cin][cout]
/// let conv = PointwiseConv2d { w: ints(array![[1, 0], [1, 1]]), b: ints(array![0, 1]) };
/// let model = Model::chain(&[1, 1, 2], 4, vec![Layer::PointwiseConv2d(conv)]);
/// let y = model.predict(&ints(array![[[3, 4]]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![[[7, 5]]]).into_dyn());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PointwiseConv2d<N = BigInt> {
    /// Weights.
    pub w: Array2<N>,
    /// Bias.
    pub b: Array1<N>,
}

impl<N: Clone + Debug> PointwiseConv2d<N> {
    /// The same op with each parameter replaced by `f(parameter, kind)` (in
    /// [`Op::params`]' order): how [`Op::with_params`] and quantisation rebuild it.
    pub fn map<M: Clone>(
        &self,
        mut f: impl FnMut(ArrayViewD<'_, N>, Param) -> Result<ArrayD<M>, Error>,
    ) -> Result<PointwiseConv2d<M>, Error> {
        Ok(PointwiseConv2d {
            w: ranked(f(self.w.view().into_dyn(), Param::Weight)?)?,
            b: ranked(f(self.b.view().into_dyn(), Param::Bias)?)?,
        })
    }
}

impl<N: Clone + Debug> Op<N> for PointwiseConv2d<N> {
    fn kind(&self) -> &'static str {
        "Pointwise"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn params(&self) -> Vec<(ArrayViewD<'_, N>, Param)> {
        vec![
            (self.w.view().into_dyn(), Param::Weight),
            (self.b.view().into_dyn(), Param::Bias),
        ]
    }
    fn with_params(&self, p: Vec<ArrayD<N>>) -> Result<Self, Error> {
        count(&p, 2)?;
        let mut p = p.into_iter();
        self.map(|_, _| next(&mut p))
    }
    fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error> {
        params_within(self, limits)?;
        let x = rank(ins, "pointwise input", 3)?;
        want("pointwise weights rows", x[2], self.w.shape()[0])?;
        want("pointwise bias", self.w.shape()[1], self.b.len())?;
        Ok(vec![x[0], x[1], self.w.shape()[1]])
    }
}

impl<N: Clone + Debug> Linear<N> for PointwiseConv2d<N> {
    fn apply<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>, Error> {
        count(p, 2)?;
        Ok(pointwise_conv2d(
            dims::<_, Ix3>(x)?,
            dims::<_, Ix2>(&p[0])?,
            dims::<_, Ix1>(&p[1])?,
        )?
        .into_dyn())
    }
    fn weight_factors(&self) -> u32 {
        1
    }
    fn products(&self, x: &[usize]) -> Result<usize, Error> {
        Ok(x[0] * x[1] * self.w.len())
    }
}

linear_op!(PointwiseConv2d);

impl<N: Num> FileForm<N> for PointwiseConv2d<N> {
    const TAGS: &'static [&'static str] = &["pointwise_conv2d"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(PointwiseConv2d {
            w: f.tensor("weights")?,
            b: f.tensor("bias")?,
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put_tensor("weights", &self.w);
        f.put_tensor("bias", &self.b);
        "pointwise_conv2d"
    }
}
