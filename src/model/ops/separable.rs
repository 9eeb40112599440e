//! SeparableConv2D: depthwise then pointwise with no rescale between, so the output is at
//! the input's scale times both weight scales. Cost: 0 with constant weights, else the
//! depthwise products (`taps * cin * multiplier`) plus the pointwise ones
//! (`oh * ow * cin * multiplier * cout`).

use arkml_gadgets::{layers::separable_conv2d, tensor::Scalar, Error};
use ndarray::{Array1, Array2, Array4, ArrayD, ArrayViewD, Ix1, Ix2, Ix3, Ix4};

use super::*;

/// SeparableConv2D: depthwise then pointwise with no rescale between.
///
/// ```
/// use arkml::model::{ints, ops::SeparableConv2d, Layer, Model};
/// use arkml::ndarray::array;
/// // the depthwise step of DepthwiseConv2d's example, then a pointwise sum of the two channels
/// let sep = SeparableConv2d {
///     depthwise: ints(array![[[[1], [1]], [[1], [-1]]]]),
///     pointwise: ints(array![[1], [1]]),
///     b: ints(array![0]),
///     cfg: Default::default(),
/// };
/// let model = Model::chain(&[1, 2, 2], 5, vec![Layer::SeparableConv2d(sep)]);
/// let y = model.predict(&ints(array![[[1, 10], [2, 20]]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![[[-7]]]).into_dyn());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SeparableConv2d<N = BigInt> {
    /// Depthwise weights `[kh][kw][cin][multiplier]`.
    pub depthwise: Array4<N>,
    /// Pointwise weights `[cin * multiplier][cout]`.
    pub pointwise: Array2<N>,
    /// Bias `[cout]`, at the output's scale.
    pub b: Array1<N>,
    /// Stride, padding, dilation of the depthwise step.
    pub cfg: Conv2dConfig,
}

impl<N: Clone + Debug> SeparableConv2d<N> {
    /// The same op with each parameter replaced by `f(parameter, kind)` (in
    /// [`Op::params`]' order): how [`Op::with_params`] and quantisation rebuild it.
    pub fn map<M: Clone>(
        &self,
        mut f: impl FnMut(ArrayViewD<'_, N>, Param) -> Result<ArrayD<M>, Error>,
    ) -> Result<SeparableConv2d<M>, Error> {
        Ok(SeparableConv2d {
            depthwise: ranked(f(self.depthwise.view().into_dyn(), Param::Weight)?)?,
            pointwise: ranked(f(self.pointwise.view().into_dyn(), Param::Weight)?)?,
            b: ranked(f(self.b.view().into_dyn(), Param::Bias)?)?,
            cfg: self.cfg,
        })
    }
}

impl<N: Clone + Debug> Op<N> for SeparableConv2d<N> {
    fn kind(&self) -> &'static str {
        "Separable"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn params(&self) -> Vec<(ArrayViewD<'_, N>, Param)> {
        vec![
            (self.depthwise.view().into_dyn(), Param::Weight),
            (self.pointwise.view().into_dyn(), Param::Weight),
            (self.b.view().into_dyn(), Param::Bias),
        ]
    }
    fn with_params(&self, p: Vec<ArrayD<N>>) -> Result<Self, Error> {
        count(&p, 3)?;
        let mut p = p.into_iter();
        self.map(|_, _| next(&mut p))
    }
    fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error> {
        params_within(self, limits)?;
        let x = first(ins)?;
        let d = self.depthwise.shape();
        let (oh, ow) = conv_out(x, (d[0], d[1]), &self.cfg, limits)?;
        want("separable depthwise channels", x[2], d[2])?;
        let c = d[2].checked_mul(d[3]).ok_or_else(too_big)?;
        want("separable pointwise rows", c, self.pointwise.shape()[0])?;
        want("separable bias", self.pointwise.shape()[1], self.b.len())?;
        Ok(vec![oh, ow, self.pointwise.shape()[1]])
    }
}

impl<N: Clone + Debug> Linear<N> for SeparableConv2d<N> {
    fn apply<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>, Error> {
        count(p, 3)?;
        Ok(separable_conv2d(
            dims::<_, Ix3>(x)?,
            dims::<_, Ix4>(&p[0])?,
            dims::<_, Ix2>(&p[1])?,
            dims::<_, Ix1>(&p[2])?,
            &self.cfg,
        )?
        .into_dyn())
    }
    fn weight_factors(&self) -> u32 {
        2
    }
    fn products(&self, x: &[usize]) -> Result<usize, Error> {
        let d = self.depthwise.shape();
        let g = window2d(x[0], x[1], (d[0], d[1]), &self.cfg)?;
        Ok(
            conv_taps(x[0], x[1], (d[0], d[1]), &self.cfg)? * d[2] * d[3]
                + g.out.0 * g.out.1 * self.pointwise.len(),
        )
    }
}

linear_op!(SeparableConv2d);

impl<N: Num> FileForm<N> for SeparableConv2d<N> {
    const TAGS: &'static [&'static str] = &["separable_conv2d"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(SeparableConv2d {
            depthwise: f.tensor("depthwise")?,
            pointwise: f.tensor("pointwise")?,
            b: f.tensor("bias")?,
            cfg: f.conv()?,
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put_tensor("depthwise", &self.depthwise);
        f.put_tensor("pointwise", &self.pointwise);
        f.put_tensor("bias", &self.b);
        f.put_conv(&self.cfg);
        "separable_conv2d"
    }
}
