//! Conv1D over `[len][cin]`, weights `[k][cin][cout]`, bias `[cout]`: a 2D convolution on a
//! single row. Cost: 0 with constant weights, else `taps * cin * cout` (real cells only).

use arkml_gadgets::{
    layers::{conv::conv1d_config, conv1d},
    tensor::Scalar,
    Error,
};
use ndarray::{Array1, Array3, ArrayD, ArrayViewD, Ix1, Ix2, Ix3};

use super::*;

/// Conv1D over `[len][cin]`, weights `[k][cin][cout]`.
///
/// ```
/// use arkml::model::{ints, ops::Conv1d, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::gadgets::layers::conv::Padding;
/// // differences of neighbours: kernel [1, -1] over a one-channel sequence
/// let w = ints(array![[[1]], [[-1]]]); // [k][cin][cout]
/// let conv = Conv1d { w, b: ints(array![0]), stride: 1, padding: Padding::Valid, dilation: 1 };
/// let model = Model::chain(&[4, 1], 4, vec![Layer::Conv1d(conv)]);
/// let y = model.predict(&ints(array![[1], [2], [4], [8]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![[-1], [-2], [-4]]).into_dyn());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Conv1d<N = BigInt> {
    /// Weights.
    pub w: Array3<N>,
    /// Bias.
    pub b: Array1<N>,
    /// Stride.
    pub stride: usize,
    /// Padding.
    pub padding: Padding,
    /// Dilation.
    pub dilation: usize,
}

impl<N: Clone + Debug> Conv1d<N> {
    /// The same op with each parameter replaced by `f(parameter, kind)` (in
    /// [`Op::params`]' order): how [`Op::with_params`] and quantisation rebuild it.
    pub fn map<M: Clone>(
        &self,
        mut f: impl FnMut(ArrayViewD<'_, N>, Param) -> Result<ArrayD<M>, Error>,
    ) -> Result<Conv1d<M>, Error> {
        Ok(Conv1d {
            w: ranked(f(self.w.view().into_dyn(), Param::Weight)?)?,
            b: ranked(f(self.b.view().into_dyn(), Param::Bias)?)?,
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
        })
    }
}

impl<N: Clone + Debug> Op<N> for Conv1d<N> {
    fn kind(&self) -> &'static str {
        "Conv1D"
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
        let x = rank(ins, "conv1d input", 2)?;
        let w = self.w.shape();
        // a 1D convolution is a 2D one on a single row, along the columns
        let cfg = conv1d_config(self.stride, self.padding, self.dilation);
        let g = window2d(1, x[0], (1, w[0]), &cfg)?;
        within("padded input", &[g.padded.1, x[1]], limits)?;
        want("conv1d weights input channels", x[1], w[1])?;
        want("conv1d bias", w[2], self.b.len())?;
        Ok(vec![g.out.1, w[2]])
    }
}

impl<N: Clone + Debug> Linear<N> for Conv1d<N> {
    fn apply<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>, Error> {
        count(p, 2)?;
        Ok(conv1d(
            dims::<_, Ix2>(x)?,
            dims::<_, Ix3>(&p[0])?,
            dims::<_, Ix1>(&p[1])?,
            self.stride,
            self.padding,
            self.dilation,
        )?
        .into_dyn())
    }
    fn weight_factors(&self) -> u32 {
        1
    }
    fn products(&self, x: &[usize]) -> Result<usize, Error> {
        let w = self.w.shape();
        let cfg = conv1d_config(self.stride, self.padding, self.dilation);
        Ok(conv_taps(1, x[0], (1, w[0]), &cfg)? * w[1] * w[2])
    }
}

linear_op!(Conv1d);

impl<N: Num> FileForm<N> for Conv1d<N> {
    const TAGS: &'static [&'static str] = &["conv1d"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Conv1d {
            w: f.tensor("weights")?,
            b: f.tensor("bias")?,
            stride: f.opt("stride")?.unwrap_or(1),
            padding: f.padding()?,
            dilation: f.opt("dilation")?.unwrap_or(1),
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put_tensor("weights", &self.w);
        f.put_tensor("bias", &self.b);
        f.put("stride", self.stride);
        f.put("padding", form::padding_file(self.padding));
        f.put("dilation", self.dilation);
        "conv1d"
    }
}
