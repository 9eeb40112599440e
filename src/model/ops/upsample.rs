//! UpSampling2D, nearest neighbour, by `(rows, columns)`. Zero constraints.

use arkml_gadgets::{layers::upsample2d, Error};
use ndarray::{ArrayD, ArrayViewD, Ix3};

use super::*;

/// UpSampling2D, nearest neighbour, by `(rows, columns)`.
///
/// ```
/// use arkml::model::{ints, ops::UpSample2d, Layer, Model};
/// use arkml::ndarray::array;
/// // nearest-neighbour upsampling, rows doubled
/// let model = Model::chain(&[1, 2, 1], 4, vec![Layer::UpSample2d(UpSample2d((2, 1)))]);
/// let y = model.predict(&ints(array![[[1], [2]]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![[[1], [2]], [[1], [2]]]).into_dyn());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpSample2d(pub (usize, usize));

impl<N: Clone + Debug> Op<N> for UpSample2d {
    fn kind(&self) -> &'static str {
        "UpSample2D"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        let x = rank(ins, "upsampling input", 3)?;
        let size = self.0;
        if size.0 == 0 || size.1 == 0 {
            return Err(Error::param("upsampling size", "must be at least 1"));
        }
        Ok(vec![
            x[0].checked_mul(size.0).ok_or_else(too_big)?,
            x[1].checked_mul(size.1).ok_or_else(too_big)?,
            x[2],
        ])
    }
}

impl IntOp for UpSample2d {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        keep_facts(ins)
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, _: &[&Facts], _: &Facts, _: &Cx) -> usize {
        0
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        Ok(LayerOutput {
            out: upsample2d(dims::<_, Ix3>(first(ins)?)?, self.0)?.into_dyn(),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        Ok(Out::vars(
            upsample2d(dims::<_, Ix3>(x.vars)?, self.0)?.into_dyn(),
        ))
    }
}

impl FloatOp for UpSample2d {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        Ok(upsample2d(dims::<_, Ix3>(first(ins)?)?, self.0)?.into_dyn())
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for UpSample2d {
    const TAGS: &'static [&'static str] = &["up_sample2d"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        let s: [usize; 2] = f.req("size")?;
        Ok(Some(UpSample2d((s[0], s[1]))))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put("size", [self.0 .0, self.0 .1]);
        "up_sample2d"
    }
}
