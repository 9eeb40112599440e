//! The elementwise product with a tensor `c` of the input's shape (a weight: constant,
//! public or private as the model's weights), at the input's scale times `c`'s.
//! Cost: 0 with constant weights, else one constraint per element.

use arkml_gadgets::{tensor::Scalar, Error};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// The elementwise product with a tensor of the input's shape.
///
/// ```
/// use arkml::model::{ints, ops::Mul, Layer, Model};
/// use arkml::ndarray::array;
/// let mul = Mul { c: ints(array![2, 3]).into_dyn() };
/// let model = Model::chain(&[2], 4, vec![Layer::Mul(mul)]);
/// let y = model.predict(&ints(array![5, -1]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![10, -3]).into_dyn());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Mul<N = BigInt> {
    /// The factors.
    pub c: ArrayD<N>,
}

impl<N: Clone + Debug> Mul<N> {
    /// The same op with each parameter replaced by `f(parameter, kind)` (in
    /// [`Op::params`]' order): how [`Op::with_params`] and quantisation rebuild it.
    pub fn map<M: Clone>(
        &self,
        mut f: impl FnMut(ArrayViewD<'_, N>, Param) -> Result<ArrayD<M>, Error>,
    ) -> Result<Mul<M>, Error> {
        Ok(Mul {
            c: ranked(f(self.c.view().into_dyn(), Param::Weight)?)?,
        })
    }
}

impl<N: Clone + Debug> Op<N> for Mul<N> {
    fn kind(&self) -> &'static str {
        "Mul"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn params(&self) -> Vec<(ArrayViewD<'_, N>, Param)> {
        vec![(self.c.view(), Param::Weight)]
    }
    fn with_params(&self, p: Vec<ArrayD<N>>) -> Result<Self, Error> {
        count(&p, 1)?;
        let mut p = p.into_iter();
        self.map(|_, _| next(&mut p))
    }
    fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error> {
        params_within(self, limits)?;
        let x = first(ins)?;
        if self.c.shape() != x {
            return Err(Error::shape(
                "mul factors",
                format!("{x:?}"),
                format!("{:?}", self.c.shape()),
            ));
        }
        Ok(x.to_vec())
    }
}

impl<N: Clone + Debug> Linear<N> for Mul<N> {
    fn apply<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>, Error> {
        count(p, 1)?;
        zip2(x, &p[0], |a, c| a.mul(c)).map_err(|_| {
            Error::shape(
                "mul factors",
                format!("{:?}", x.shape()),
                format!("{:?}", p[0].shape()),
            )
        })
    }
    fn weight_factors(&self) -> u32 {
        1
    }
    fn products(&self, x: &[usize]) -> Result<usize, Error> {
        Ok(numel(x))
    }
}

linear_op!(Mul);

impl<N: Num> FileForm<N> for Mul<N> {
    const TAGS: &'static [&'static str] = &["mul"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Mul { c: f.tensor("c")? }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put_tensor("c", &self.c);
        "mul"
    }
}
