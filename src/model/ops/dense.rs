//! Dense: `y = x W + b`, weights `[in][out]`, bias `[out]` at the accumulator's scale.
//! Cost: 0 with constant weights, `in * out` with public or private ones.

use arkml_gadgets::{layers::dense, tensor::Scalar, Error};
use ndarray::{Array1, Array2, ArrayD, ArrayViewD, Ix1, Ix2};

use super::*;

/// Dense, weights `[in][out]`, bias at the accumulator's scale.
///
/// ```
/// use arkml::model::{ints, ops::Dense, Layer, Model};
/// use arkml::ndarray::array;
/// // y = x W + b, W is [in = 2][out = 3]
/// let w = ints(array![[1, 2, 0], [3, -1, 1]]);
/// let model = Model::chain(&[2], 4, vec![Layer::Dense(Dense { w, b: ints(array![0, 1, -1]) })]);
/// let y = model.predict(&ints(array![1, 2]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![7, 1, 1]).into_dyn());
/// // constant weights: the sums are linear combinations, no constraint
/// assert_eq!(model.analyse().unwrap()[0].constraints, 0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<N = BigInt> {
    /// Weights.
    pub w: Array2<N>,
    /// Bias.
    pub b: Array1<N>,
}

impl<N: Clone + Debug> Dense<N> {
    /// The same op with each parameter replaced by `f(parameter, kind)` (in
    /// [`Op::params`]' order): how [`Op::with_params`] and quantisation rebuild it.
    pub fn map<M: Clone>(
        &self,
        mut f: impl FnMut(ArrayViewD<'_, N>, Param) -> Result<ArrayD<M>, Error>,
    ) -> Result<Dense<M>, Error> {
        Ok(Dense {
            w: ranked(f(self.w.view().into_dyn(), Param::Weight)?)?,
            b: ranked(f(self.b.view().into_dyn(), Param::Bias)?)?,
        })
    }
}

impl<N: Clone + Debug> Op<N> for Dense<N> {
    fn kind(&self) -> &'static str {
        "Dense"
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
        let x = rank(ins, "dense input", 1)?;
        let w = self.w.shape();
        want("dense weights rows", x[0], w[0])?;
        want("dense bias", w[1], self.b.len())?;
        Ok(vec![w[1]])
    }
}

impl<N: Clone + Debug> Linear<N> for Dense<N> {
    fn apply<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>, Error> {
        count(p, 2)?;
        Ok(dense(
            dims::<_, Ix1>(x)?,
            dims::<_, Ix2>(&p[0])?,
            dims::<_, Ix1>(&p[1])?,
        )?
        .into_dyn())
    }
    fn weight_factors(&self) -> u32 {
        1
    }
    fn products(&self, _x: &[usize]) -> Result<usize, Error> {
        Ok(self.w.len())
    }
}
linear_op!(Dense);

impl<N: Num> FileForm<N> for Dense<N> {
    const TAGS: &'static [&'static str] = &["dense"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Dense {
            w: f.tensor("weights")?,
            b: f.tensor("bias")?,
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put_tensor("weights", &self.w);
        f.put_tensor("bias", &self.b);
        "dense"
    }
}
