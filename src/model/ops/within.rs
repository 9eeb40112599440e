//! A range check that narrows a bound the interval analysis cannot see: the values are
//! proven within `-2^bits <= v < 2^bits` ([`arkml_gadgets::range::enforce_bound`], `bits +
//! 2` constraints per element) and pass unchanged, and every later layer sees the narrow
//! bound. The importer puts one where the mathematics bounds a value that the worst case
//! does not (a normalised value `|z| <= sqrt(n)`, whose worst case is the product of a
//! centred value's and an inverse square root's); the width has headroom, so every honest
//! input fits. Sound for any input; a value beyond the width cannot be proven and native
//! inference is an error naming the layer.

use arkml_gadgets::{
    fixed::{bits_for, fits_signed},
    range::{bound_cost, enforce_bound},
    tensor::try_map,
    Error,
};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// Values proven within a width.
///
/// ```
/// use arkml::model::{ints, ops::Within, Layer, Model};
/// use arkml::ndarray::array;
/// let op = Within { max_abs: 0.0, bits: Some(3) };
/// let model = Model::chain(&[2], 9, vec![Layer::Within(op)]);
/// assert_eq!(model.predict(&ints(array![-8, 7]).into_dyn()).unwrap(), ints(array![-8, 7]).into_dyn());
/// // 3 + 2 constraints per element, and the bound is 3 bits from here on
/// assert_eq!(model.analyse().unwrap()[0].constraints, 10);
/// assert!(model.predict(&ints(array![8, 0]).into_dyn()).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Within {
    /// The largest absolute value, in real units (what the float model states).
    pub max_abs: f64,
    /// The proven width at the integer model's scale: `-2^bits <= v < 2^bits`; `None` in a
    /// float model.
    pub bits: Option<u32>,
}

impl Within {
    fn bits(&self) -> Result<u32, Error> {
        self.bits
            .ok_or_else(|| Error::param("bits", "an integer model's range check needs its width"))
    }
}

impl<N: Clone + Debug> Op<N> for Within {
    fn kind(&self) -> &'static str {
        "Within"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        same(ins)
    }
}

impl IntOp for Within {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        let x = first(ins)?;
        let bits = check_bound::<Fr>("range check", self.bits()?)?;
        Ok(Bound {
            bound: bits.min(x.bound),
            nonneg: x.nonneg,
            signs: false,
        })
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], out: &Facts, _: &Cx) -> usize {
        match (ins.first(), self.bits) {
            // already as narrow: nothing to prove
            (Some(x), Some(b)) if x.bound <= b => 0,
            (Some(_), Some(b)) => numel(&out.shape) * bound_cost(b),
            _ => 0,
        }
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        let bits = self.bits()?;
        let x = first(ins)?;
        if let Some(v) = x.iter().find(|v| !fits_signed(v, bits)) {
            return Err(Error::OutOfRange {
                what: "range-checked value".into(),
                value: v.to_string(),
                range: format!("[-2^{bits}, 2^{bits})"),
            });
        }
        Ok(LayerOutput {
            out: x.clone(),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let bits = self.bits()?;
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        if x.facts.bound <= bits {
            return Ok(Out::vars(x.vars.clone()));
        }
        Ok(Out::vars(try_map(x.vars, |v| {
            enforce_bound(v, bits)?;
            Ok(v.clone())
        })?))
    }
}

impl FloatOp for Within {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        Ok(first(ins)?.clone())
    }
    fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        if !(self.max_abs.is_finite() && self.max_abs >= 0.0) {
            return Err(Error::param("max_abs", format!("{}", self.max_abs)));
        }
        let m = round(self.max_abs, q.scale(), 1).unwrap_or_default();
        Ok(Within {
            max_abs: self.max_abs,
            bits: Some(bits_for(&m) + 1),
        }
        .into())
    }
}

impl<N: Num> FileForm<N> for Within {
    const TAGS: &'static [&'static str] = &["within"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        let max_abs = f.num_opt::<f64>("max_abs")?.unwrap_or(0.0);
        let bits = if N::FLOAT { None } else { Some(f.req("bits")?) };
        Ok(Some(Within { max_abs, bits }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put("max_abs", self.max_abs.text());
        if let Some(b) = self.bits {
            f.put("bits", b);
        }
        "within"
    }
}
