//! circomlib-ml v1's undivided Poly `x^2 + n x` (at scale `n^2` for an input at scale `n`).
//! One constraint per element.

use arkml_gadgets::{activation::poly::poly_bound, fixed::check_bound, Error};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// circomlib-ml v1's undivided Poly `x^2 + n x`.
///
/// ```
/// use arkml::model::{ints, ops::PolyRaw, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::num_bigint::BigUint;
/// // x^2 + 4 x, undivided: one constraint per element
/// let model = Model::chain(&[2], 4, vec![Layer::PolyRaw(PolyRaw(BigUint::from(4u32)))]);
/// let y = model.predict(&ints(array![2, -3]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![12, -3]).into_dyn());
/// assert_eq!(model.analyse().unwrap()[0].constraints, 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolyRaw(pub BigUint);

impl<N: Clone + Debug> Op<N> for PolyRaw {
    fn kind(&self) -> &'static str {
        "PolyRaw"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        same(ins)
    }
}

impl IntOp for PolyRaw {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        nonzero(&self.0, "scale")?;
        Ok(Bound::of(check_bound::<Fr>(
            "poly x^2 + n*x",
            poly_bound(first(ins)?.bound, &self.0),
        )?))
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s * &self.0)
    }
    fn cost(&self, _: &[&Facts], out: &Facts, _: &Cx) -> usize {
        numel(&out.shape)
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        nonzero(&self.0, "scale")?;
        let n = BigInt::from(self.0.clone());
        Ok(LayerOutput {
            out: first(ins)?.map(|v| v * v + &n * v),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let nf = Fr::from(self.0.clone());
        each(ins, |v, _| Ok(v * v + v * nf))
    }
}

impl FloatOp for PolyRaw {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let n = num_traits::ToPrimitive::to_f64(&self.0).unwrap_or(f64::INFINITY);
        Ok(first(ins)?.map(|v| v * v + n * v))
    }
    /// `PolyRaw(n)` at scale `S` is `PolyRaw(n S)`, at scale `S^2`.
    fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok(PolyRaw(&self.0 * q.scale()).into())
    }
}

impl<N: Num> FileForm<N> for PolyRaw {
    const TAGS: &'static [&'static str] = &["poly_raw"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(PolyRaw(f.positive::<N>("n")?)))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        form::put_scale::<N>(f, "n", &self.0);
        "poly_raw"
    }
}
