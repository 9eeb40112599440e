//! Conv2D over HWC, weights `[kh][kw][cin][cout]`, bias `[cout]`.
//! Cost: 0 with constant weights; with public or private ones, one constraint per product
//! of a weight and a real (not padded) input cell: `taps * cin * cout`.

use arkml_gadgets::{layers::conv2d, tensor::Scalar, Error};
use ndarray::{Array1, Array4, ArrayD, ArrayViewD, Ix1, Ix3, Ix4};

use super::*;

/// Conv2D over HWC, weights `[kh][kw][cin][cout]`.
///
/// ```
/// use arkml::model::{ints, ops::Conv2d, Layer, Model};
/// use arkml::ndarray::array;
/// // a 2x2 kernel summing each window's diagonal over a 3x3 one-channel image (HWC)
/// let w = ints(array![[[[1]], [[0]]], [[[0]], [[1]]]]); // [kh][kw][cin][cout]
/// let conv = Conv2d { w, b: ints(array![0]), cfg: Default::default() };
/// let model = Model::chain(&[3, 3, 1], 4, vec![Layer::Conv2d(conv)]);
/// let x = ints(array![[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]).into_dyn();
/// let y = model.predict(&x).unwrap();
/// assert_eq!(y, ints(array![[[6], [8]], [[12], [14]]]).into_dyn());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d<N = BigInt> {
    /// Weights.
    pub w: Array4<N>,
    /// Bias.
    pub b: Array1<N>,
    /// Stride, padding, dilation.
    pub cfg: Conv2dConfig,
}

impl<N: Clone + Debug> Conv2d<N> {
    /// The same op with each parameter replaced by `f(parameter, kind)` (in
    /// [`Op::params`]' order): how [`Op::with_params`] and quantisation rebuild it.
    pub fn map<M: Clone>(
        &self,
        mut f: impl FnMut(ArrayViewD<'_, N>, Param) -> Result<ArrayD<M>, Error>,
    ) -> Result<Conv2d<M>, Error> {
        Ok(Conv2d {
            w: ranked(f(self.w.view().into_dyn(), Param::Weight)?)?,
            b: ranked(f(self.b.view().into_dyn(), Param::Bias)?)?,
            cfg: self.cfg,
        })
    }
}

impl<N: Clone + Debug> Op<N> for Conv2d<N> {
    fn kind(&self) -> &'static str {
        "Conv2D"
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
        want("conv2d weights input channels", x[2], w[2])?;
        want("conv2d bias", w[3], self.b.len())?;
        Ok(vec![oh, ow, w[3]])
    }
}

impl<N: Clone + Debug> Linear<N> for Conv2d<N> {
    fn apply<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>, Error> {
        count(p, 2)?;
        Ok(conv2d(
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
}

linear_op!(Conv2d);

impl<N: Num> FileForm<N> for Conv2d<N> {
    const TAGS: &'static [&'static str] = &["conv2d"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Conv2d {
            w: f.tensor("weights")?,
            b: f.tensor("bias")?,
            cfg: f.conv()?,
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put_tensor("weights", &self.w);
        f.put_tensor("bias", &self.b);
        f.put_conv(&self.cfg);
        "conv2d"
    }
}
