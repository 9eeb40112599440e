//! DepthwiseConv2D, weights `[kh][kw][cin][multiplier]`, bias `[cin * multiplier]`.
//! Cost: 0 with constant weights, else `taps * cin * multiplier` (real cells only).

use arkml_gadgets::{layers::depthwise_conv2d, tensor::Scalar, Error};
use ndarray::{Array1, Array4, ArrayD, ArrayViewD, Ix1, Ix3, Ix4};

use super::*;

/// DepthwiseConv2D, weights `[kh][kw][cin][multiplier]`, bias `[cin * multiplier]`.
///
/// ```
/// use arkml::model::{ints, ops::DepthwiseConv2d, Layer, Model};
/// use arkml::ndarray::array;
/// // a 1x2 kernel per channel: channel 0 sums its pair, channel 1 takes the difference
/// let w = ints(array![[[[1], [1]], [[1], [-1]]]]); // [kh][kw][cin][multiplier]
/// let conv = DepthwiseConv2d { w, b: ints(array![0, 0]), cfg: Default::default() };
/// let model = Model::chain(&[1, 2, 2], 5, vec![Layer::DepthwiseConv2d(conv)]);
/// let y = model.predict(&ints(array![[[1, 10], [2, 20]]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![[[3, -10]]]).into_dyn());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DepthwiseConv2d<N = BigInt> {
    /// Weights.
    pub w: Array4<N>,
    /// Bias.
    pub b: Array1<N>,
    /// Stride, padding, dilation.
    pub cfg: Conv2dConfig,
}

impl<N: Clone + Debug> DepthwiseConv2d<N> {
    /// The same op with each parameter replaced by `f(parameter, kind)` (in
    /// [`Op::params`]' order): how [`Op::with_params`] and quantisation rebuild it.
    pub fn map<M: Clone>(
        &self,
        mut f: impl FnMut(ArrayViewD<'_, N>, Param) -> Result<ArrayD<M>, Error>,
    ) -> Result<DepthwiseConv2d<M>, Error> {
        Ok(DepthwiseConv2d {
            w: ranked(f(self.w.view().into_dyn(), Param::Weight)?)?,
            b: ranked(f(self.b.view().into_dyn(), Param::Bias)?)?,
            cfg: self.cfg,
        })
    }
}

impl<N: Clone + Debug> Op<N> for DepthwiseConv2d<N> {
    fn kind(&self) -> &'static str {
        "Depthwise"
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
        let x = first(ins)?;
        let w = self.w.shape();
        let (oh, ow) = conv_out(x, (w[0], w[1]), &self.cfg, limits)?;
        want("depthwise weights channels", x[2], w[2])?;
        let c = w[2].checked_mul(w[3]).ok_or_else(too_big)?;
        want("depthwise bias", c, self.b.len())?;
        Ok(vec![oh, ow, c])
    }
}

impl<N: Clone + Debug> Linear<N> for DepthwiseConv2d<N> {
    fn apply<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>, Error> {
        count(p, 2)?;
        Ok(depthwise_conv2d(
            dims::<_, Ix3>(x)?,
            dims::<_, Ix4>(&p[0])?,
            dims::<_, Ix1>(&p[1])?,
            &self.cfg,
        )?
        .into_dyn())
    }
    fn weight_factors(&self) -> u32 {
        1
    }
    fn products(&self, x: &[usize]) -> Result<usize, Error> {
        let w = self.w.shape();
        Ok(conv_taps(x[0], x[1], (w[0], w[1]), &self.cfg)? * w[2] * w[3])
    }
    /// Output channel `ci * multiplier + j` comes from weights `[.., .., ci, j]`: the
    /// trailing two axes, flattened, are the channels (MobileNet's depthwise + BatchNorm).
    fn affine_channels(&self) -> Option<usize> {
        let w = self.w.shape();
        Some(w[2] * w[3])
    }
}

linear_op!(DepthwiseConv2d);

impl<N: Num> FileForm<N> for DepthwiseConv2d<N> {
    const TAGS: &'static [&'static str] = &["depthwise_conv2d"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(DepthwiseConv2d {
            w: f.tensor("weights")?,
            b: f.tensor("bias")?,
            cfg: f.conv()?,
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put_tensor("weights", &self.w);
        f.put_tensor("bias", &self.b);
        f.put_conv(&self.cfg);
        "depthwise_conv2d"
    }
}
