//! Folded batch normalisation `a * x + b` per channel (the last axis).
//! Cost: 0 with constant weights, else one constraint per element.

use arkml_gadgets::{layers::batch_norm, tensor::Scalar, Error};
use ndarray::{Array1, ArrayD, ArrayViewD, Ix1};

use super::*;

/// Folded batch normalisation `a * x + b` per channel.
///
/// ```
/// use arkml::model::{ints, ops::BatchNorm, Layer, Model};
/// use arkml::ndarray::array;
/// // a * x + b per channel (the last axis)
/// let bn = BatchNorm { a: ints(array![2, -1]), b: ints(array![1, 0]) };
/// let model = Model::chain(&[2], 4, vec![Layer::BatchNorm(bn)]);
/// let y = model.predict(&ints(array![3, 4]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![7, -4]).into_dyn());
/// assert_eq!(model.analyse().unwrap()[0].constraints, 0); // constant a: free
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BatchNorm<N = BigInt> {
    /// Scale.
    pub a: Array1<N>,
    /// Shift.
    pub b: Array1<N>,
}

impl<N: Clone + Debug> BatchNorm<N> {
    /// The same op with each parameter replaced by `f(parameter, kind)` (in
    /// [`Op::params`]' order): how [`Op::with_params`] and quantisation rebuild it.
    pub fn map<M: Clone>(
        &self,
        mut f: impl FnMut(ArrayViewD<'_, N>, Param) -> Result<ArrayD<M>, Error>,
    ) -> Result<BatchNorm<M>, Error> {
        Ok(BatchNorm {
            a: ranked(f(self.a.view().into_dyn(), Param::Weight)?)?,
            b: ranked(f(self.b.view().into_dyn(), Param::Bias)?)?,
        })
    }
}

impl<N: Clone + Debug> Op<N> for BatchNorm<N> {
    fn kind(&self) -> &'static str {
        "BatchNorm"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn params(&self) -> Vec<(ArrayViewD<'_, N>, Param)> {
        vec![
            (self.a.view().into_dyn(), Param::Weight),
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
        let c = *x.last().ok_or_else(|| rank_err("batch norm input", 1, x))?;
        want("batch norm a", c, self.a.len())?;
        want("batch norm b", c, self.b.len())?;
        Ok(x.to_vec())
    }
}

impl<N: Clone + Debug> Linear<N> for BatchNorm<N> {
    fn apply<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>, Error> {
        count(p, 2)?;
        batch_norm(x.view(), dims::<_, Ix1>(&p[0])?, dims::<_, Ix1>(&p[1])?)
    }
    fn weight_factors(&self) -> u32 {
        1
    }
    fn products(&self, x: &[usize]) -> Result<usize, Error> {
        Ok(numel(x))
    }
}

linear_op!(BatchNorm);

impl<N: Num> FileForm<N> for BatchNorm<N> {
    const TAGS: &'static [&'static str] = &["batch_norm"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(BatchNorm {
            a: f.tensor("a")?,
            b: f.tensor("b")?,
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put_tensor("a", &self.a);
        f.put_tensor("b", &self.b);
        "batch_norm"
    }
}
