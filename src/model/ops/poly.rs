//! circomlib-ml's Poly activation `floor((x^2 + n x) / n)` at activation scale `n` (in a
//! float model `n = 1`: `x^2 + x`). Cost per element: `1 + rescale_cost(poly_bound(B, n), n)`.

use arkml_gadgets::{
    activation::{native_poly, poly, poly::poly_bound, poly_cost},
    fixed::check_bound,
    rescale::quotient_bound,
    Error,
};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// circomlib-ml's Poly activation `floor((x^2 + n x) / n)`.
///
/// ```
/// use arkml::model::{ints, ops::Poly, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::num_bigint::BigUint;
/// // floor((x^2 + 4 x) / 4) at activation scale 4
/// let model = Model::chain(&[2], 4, vec![Layer::Poly(Poly(BigUint::from(4u32)))]);
/// let y = model.predict(&ints(array![2, -3]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![3, -1]).into_dyn());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Poly(pub BigUint);

impl<N: Clone + Debug> Op<N> for Poly {
    fn kind(&self) -> &'static str {
        "Poly"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        same(ins)
    }
}

impl Poly {
    fn numerator(&self, b: u32) -> Result<u32, Error> {
        nonzero(&self.0, "scale")?;
        check_bound::<Fr>("poly x^2 + n*x", poly_bound(b, &self.0))
    }
}

impl IntOp for Poly {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        let pb = self.numerator(first(ins)?.bound)?;
        Ok(Bound::of(quotient_bound(pb, &self.0)))
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], out: &Facts, _: &Cx) -> usize {
        match ins.first().map(|x| self.numerator(x.bound)) {
            Some(Ok(_)) => numel(&out.shape) * poly_cost(ins[0].bound, &self.0),
            _ => 0,
        }
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        nonzero(&self.0, "scale")?;
        let qr = first(ins)?.map(|v| native_poly(v, &self.0));
        Ok(LayerOutput {
            out: qr.map(|p| p.0.clone()),
            remainder: Some(qr.map(|p| p.1.clone())),
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        each(ins, |v, b| Ok(poly(v, b, &self.0)?.quotient))
    }
}

impl FloatOp for Poly {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let n = num_traits::ToPrimitive::to_f64(&self.0).unwrap_or(f64::INFINITY);
        Ok(first(ins)?.map(|v| (v * v + n * v) / n))
    }
    /// `Poly(n)` at scale `S` is `Poly(n S)`: `floor((X^2 + n S X) / (n S))` is the float
    /// `(x^2 + n x) / n` at scale `S`.
    fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok(Poly(&self.0 * q.scale()).into())
    }
}

impl<N: Num> FileForm<N> for Poly {
    const TAGS: &'static [&'static str] = &["poly"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Poly(f.positive::<N>("n")?)))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        form::put_scale::<N>(f, "n", &self.0);
        "poly"
    }
}
