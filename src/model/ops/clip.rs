//! Clip to `[lo, hi]` (ReLU6 at scale `S` is `lo = 0`, `hi = 6 S`): `min(max(x, lo), hi)`,
//! two bounded comparisons per element. Cost per element:
//! `(max(B, bits(lo)) + 4) + (max(B, bits(lo), bits(hi)) + 4)`.

use arkml_gadgets::{
    compare::{diff_bound_of, max, max_cost},
    fixed::{bits_for, to_field},
    Error,
};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// Clip to `[lo, hi]`.
///
/// ```
/// use arkml::model::{ints, ops::Clip, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::num_bigint::BigInt;
/// // ReLU6 at scale 1
/// let op = Clip { lo: BigInt::from(0), hi: BigInt::from(6) };
/// let model = Model::chain(&[3], 4, vec![Layer::Clip(op)]);
/// let y = model.predict(&ints(array![-3, 4, 9]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![0, 4, 6]).into_dyn());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Clip<N = BigInt> {
    /// The lower end.
    pub lo: N,
    /// The upper end (at least `lo`).
    pub hi: N,
}

impl<N: Clone + Debug> Op<N> for Clip<N> {
    fn kind(&self) -> &'static str {
        "Clip"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        same(ins)
    }
}

impl Clip {
    fn order(&self) -> Result<(), Error> {
        if self.lo > self.hi {
            return Err(Error::param(
                "clip",
                format!("lo {} above hi {}", self.lo, self.hi),
            ));
        }
        Ok(())
    }
    /// The two comparisons' difference bounds for an input with bound `b`.
    fn diffs(&self, b: u32) -> (u32, u32) {
        let (blo, bhi) = (bits_for(&self.lo), bits_for(&self.hi));
        (diff_bound_of(b, blo), diff_bound_of(b.max(blo), bhi))
    }
}

impl IntOp for Clip {
    fn facts(&self, _: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        self.order()?;
        Ok(Bound {
            bound: bits_for(&self.lo).max(bits_for(&self.hi)),
            nonneg: self.lo.sign() != num_bigint::Sign::Minus,
            signs: false,
        })
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], out: &Facts, _: &Cx) -> usize {
        ins.first().map_or(0, |x| {
            let (d1, d2) = self.diffs(x.bound);
            numel(&out.shape) * (max_cost(d1) + max_cost(d2))
        })
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        self.order()?;
        Ok(LayerOutput {
            out: first(ins)?.map(|v| v.clamp(&self.lo, &self.hi).clone()),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let lo = FpVar::Constant(to_field::<Fr>(&self.lo));
        let hi = FpVar::Constant(to_field::<Fr>(&self.hi));
        each(ins, |v, b| {
            let (d1, d2) = self.diffs(b);
            let m = max(v, &lo, d1)?;
            // min(m, hi) = -max(-m, -hi)
            let zero = FpVar::<Fr>::Constant(Fr::from(0u64));
            let neg = max(&(&zero - &m), &(&zero - &hi), d2)?;
            Ok(zero - neg)
        })
    }
}

impl FloatOp for Clip<f64> {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        Ok(first(ins)?.map(|v| v.max(self.lo).min(self.hi)))
    }
    fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok(Clip {
            lo: q.value(self.lo, 1),
            hi: q.value(self.hi, 1),
        }
        .into())
    }
}

impl<N: Num> FileForm<N> for Clip<N> {
    const TAGS: &'static [&'static str] = &["clip"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        let (lo, hi): (N, N) = (f.num("lo")?, f.num("hi")?);
        if lo > hi {
            return Err(Error::param(
                "hi",
                format!("{} is below lo {}", hi.text(), lo.text()),
            ));
        }
        Ok(Some(Clip { lo, hi }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put("lo", self.lo.text());
        f.put("hi", self.hi.text());
        "clip"
    }
}
