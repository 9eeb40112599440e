//! Floor division by `divisor` with the quotient range-checked to `bits` (a width
//! calibrated from data, below what the bound analysis gives): every later layer sees the
//! small bound. Sound for any input; an input whose quotient does not fit cannot be proven
//! and is a typed error naming the layer ([`arkml_gadgets::rescale::rescale_within`]).
//! Cost per element: `rescale_within_cost(B, divisor, bits)`.

use arkml_gadgets::{
    rescale::{native_rescale_tensor, rescale_within, rescale_within_cost, within_bound},
    tensor::try_map,
    Error,
};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// Floor division with the quotient range-checked to a calibrated width.
///
/// ```
/// use arkml::model::{ints, ops::RescaleWithin, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::gadgets::rescale::rescale_within_cost;
/// use arkml::num_bigint::BigUint;
/// // floor division by 4 with each quotient proven within -2^1 <= q < 2^1
/// let op = RescaleWithin { divisor: BigUint::from(4u32), bits: 1 };
/// let model = Model::chain(&[2], 4, vec![Layer::RescaleWithin(op)]);
/// let y = model.predict(&ints(array![-7, 5]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![-2, 1]).into_dyn());
/// let per = rescale_within_cost(4, &BigUint::from(4u32), 1);
/// assert_eq!(model.analyse().unwrap()[0].constraints, 2 * per);
/// // a quotient beyond the width is refused, naming the layer
/// assert!(model.predict(&ints(array![-7, 9]).into_dyn()).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RescaleWithin {
    /// The divisor.
    pub divisor: BigUint,
    /// The quotient's proven width: `-2^bits <= q < 2^bits`.
    pub bits: u32,
}

impl<N: Clone + Debug> Op<N> for RescaleWithin {
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

impl IntOp for RescaleWithin {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        nonzero(&self.divisor, "divisor")?;
        let b = within_bound(first(ins)?.bound, &self.divisor, self.bits);
        // the gadget keeps sign bits exactly when a plain rescale would
        let signs = IntOp::facts(&super::Rescale(self.divisor.clone()), ins, &Cx::none())?.signs;
        Ok(Bound {
            bound: b,
            nonneg: false,
            signs,
        })
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        super::rescale::divided(s, &self.divisor)
    }
    fn cost(&self, ins: &[&Facts], out: &Facts, _: &Cx) -> usize {
        ins.first().map_or(0, |x| {
            numel(&out.shape) * rescale_within_cost(x.bound, &self.divisor, self.bits)
        })
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        nonzero(&self.divisor, "divisor")?;
        let (q, r) = native_rescale_tensor(first(ins)?, &self.divisor);
        if let Some((at, v)) = q
            .indexed_iter()
            .find(|(_, v)| !arkml_gadgets::fixed::fits_signed(v, self.bits))
        {
            return Err(Error::OutOfRange {
                what: format!(
                    "activation {:?} (beyond the width calibrated from data; recalibrate with more headroom)",
                    at.slice()
                ),
                value: v.to_string(),
                range: format!("[-2^{}, 2^{})", self.bits, self.bits),
            });
        }
        Ok(LayerOutput {
            out: q,
            remainder: Some(r),
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        let b = x.facts.bound;
        Ok(super::rescale::rescaled(try_map(x.vars, |v| {
            rescale_within(v, b, &self.divisor, self.bits)
        })?))
    }
}

impl FloatOp for RescaleWithin {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let n = num_traits::ToPrimitive::to_f64(&self.divisor).unwrap_or(f64::INFINITY);
        Ok(first(ins)?.map(|v| v / n))
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Err(Error::param(
            "rescale",
            "a float model holds no rescales (quantisation inserts them)",
        ))
    }
}

impl<N: Num> FileForm<N> for RescaleWithin {
    const TAGS: &'static [&'static str] = &["rescale"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        if !f.has("bits") {
            return Ok(None);
        }
        form::integer_only::<N>()?;
        Ok(Some(RescaleWithin {
            divisor: f.positive::<N>("divisor")?,
            bits: f.req("bits")?,
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put("divisor", self.divisor.to_string());
        f.put("bits", self.bits);
        "rescale"
    }
}
