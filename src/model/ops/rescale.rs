//! Floor division by `n` (back to the activation scale): `v = q n + r`, `0 <= r < n`.
//! Cost per element: `rescale_cost(B, n)`. It keeps each quotient's sign bit, so a ReLU
//! reading it costs one constraint per element.

use arkml_gadgets::{
    rescale::{native_rescale_tensor, quotient_bound, rescale, rescale_cost},
    tensor::try_map,
    Error,
};
use ndarray::{ArrayD, ArrayViewD};
use num_traits::One;

use super::*;

/// Floor division by the divisor.
///
/// ```
/// use arkml::model::{ints, ops::Rescale, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::gadgets::rescale::rescale_cost;
/// use arkml::num_bigint::BigUint;
/// // floor division by 4: -7 -> -2, 9 -> 2
/// let model = Model::chain(&[2], 4, vec![Layer::Rescale(Rescale(BigUint::from(4u32)))]);
/// let y = model.predict(&ints(array![-7, 9]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![-2, 2]).into_dyn());
/// // each element: rescale_cost(B, n) for the input bound B = 4
/// let per = rescale_cost(4, &BigUint::from(4u32));
/// assert_eq!(model.analyse().unwrap()[0].constraints, 2 * per);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rescale(pub BigUint);

impl<N: Clone + Debug> Op<N> for Rescale {
    fn kind(&self) -> &'static str {
        "Rescale"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        same(ins)
    }
}

/// A rescale's quotients, their proven bound and (where every one has them) sign bits.
pub(crate) fn rescaled(parts: ArrayD<arkml_gadgets::rescale::Rescaled<Fr>>) -> Out {
    let proved = parts.iter().next().map(|p| p.quotient_bound);
    let signs = if parts.iter().all(|p| !p.quotient_bits.is_empty()) {
        Some(parts.map(|p| p.quotient_bits.last().expect("non-empty").clone()))
    } else {
        None
    };
    Out {
        vars: parts.map(|p| p.quotient.clone()),
        signs,
        proved,
    }
}

/// The scale after dividing by `n`, where `n` divides it.
pub(crate) fn divided(s: &BigUint, n: &BigUint) -> Option<BigUint> {
    if !n.is_zero() && (s % n).is_zero() {
        Some(s / n)
    } else {
        None
    }
}

impl IntOp for Rescale {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        nonzero(&self.0, "divisor")?;
        Ok(Bound {
            bound: quotient_bound(first(ins)?.bound, &self.0),
            nonneg: false,
            signs: !self.0.is_one(),
        })
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        divided(s, &self.0)
    }
    fn cost(&self, ins: &[&Facts], out: &Facts, _: &Cx) -> usize {
        ins.first()
            .map_or(0, |x| numel(&out.shape) * rescale_cost(x.bound, &self.0))
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        nonzero(&self.0, "divisor")?;
        let (q, r) = native_rescale_tensor(first(ins)?, &self.0);
        Ok(LayerOutput {
            out: q,
            remainder: Some(r),
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        let b = x.facts.bound;
        Ok(rescaled(try_map(x.vars, |v| rescale(v, b, &self.0))?))
    }
}

impl FloatOp for Rescale {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let n = num_traits::ToPrimitive::to_f64(&self.0).unwrap_or(f64::INFINITY);
        Ok(first(ins)?.map(|v| v / n))
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Err(Error::param(
            "rescale",
            "a float model holds no rescales (quantisation inserts them)",
        ))
    }
}

impl<N: Num> FileForm<N> for Rescale {
    const TAGS: &'static [&'static str] = &["rescale"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        if f.has("bits") {
            return Ok(None);
        }
        form::integer_only::<N>()?;
        Ok(Some(Rescale(f.positive::<N>("divisor")?)))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put("divisor", self.0.to_string());
        "rescale"
    }
}
