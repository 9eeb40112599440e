//! Square root, reciprocal and inverse square root of an activation at scale `S`, each the
//! checked kernel of [`arkml_gadgets::activation::root`]: `floor(sqrt(S v))`,
//! `sign(v) floor(S^2 / |v|)`, `floor(sqrt(S^3 / v))` — the floor of the true value at
//! scale `S`, so the largest error is below one unit of the output scale for every input in
//! the domain (`v >= 0`, `v != 0`, `v > 0`; outside it the input cannot be proven and
//! native inference is an error naming the layer). Cost per element: [`GRoot::cost`].

use arkml_gadgets::{
    activation::{root, Root as GRoot},
    Error,
};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// An elementwise checked root or reciprocal.
///
/// ```
/// use arkml::gadgets::activation::Root as Kind;
/// use arkml::model::{ints, ops::Root, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::num_bigint::BigUint;
/// // at scale 16: sqrt(4) = 2 (32), 1 / 0.5 = 2 (32), 1 / sqrt(0.25) = 2 (32)
/// let op = |kind| {
///     let scale = Some(BigUint::from(16u32));
///     Layer::Root(Root { kind, scale, eps: 0.0, gain: 0 })
/// };
/// let y = |kind, x: i64| {
///     let m = Model::chain(&[1], 8, vec![op(kind)]);
///     m.predict(&ints(array![x]).into_dyn()).unwrap()[0].clone()
/// };
/// assert_eq!(y(Kind::Sqrt, 64), 32.into());
/// assert_eq!(y(Kind::Recip, 8), 32.into());
/// assert_eq!(y(Kind::Rsqrt, 4), 32.into());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Root {
    /// Which function.
    pub kind: GRoot,
    /// The activation scale `S` it runs at; `None` in a float model.
    pub scale: Option<BigUint>,
    /// Added to the input first (a normalisation's epsilon, at least 0); in an integer
    /// model `max(1, round(eps S))` units when positive, so a zero variance stays in the
    /// inverse square root's domain.
    pub eps: f64,
    /// The input holds its value times `2^gain` (a variance computed with more precision
    /// than the scale holds): the reciprocal and inverse square root multiply their
    /// constant by `2^gain`, so the output is the function of the value. 0 for Sqrt.
    pub gain: u32,
}

impl Root {
    /// The kernel's constant: `S`, `S^2` or `S^3`.
    fn constant(&self) -> Result<BigUint, Error> {
        let s = self
            .scale
            .as_ref()
            .ok_or_else(|| Error::param("scale", "an integer model's root needs its scale"))?;
        if self.kind == GRoot::Sqrt && self.gain != 0 {
            return Err(Error::param("gain", "a square root takes none"));
        }
        if self.gain > 64 {
            return Err(Error::param("gain", format!("{} (at most 64)", self.gain)));
        }
        let p = match self.kind {
            GRoot::Sqrt => 1,
            GRoot::Recip => 2,
            GRoot::Rsqrt => 3,
        };
        Ok(s.pow(p) << self.gain)
    }
    /// The integer added to the input: `max(1, round(eps S))` for a positive `eps`.
    fn offset(&self) -> Result<BigInt, Error> {
        if !(self.eps.is_finite() && self.eps >= 0.0) {
            return Err(Error::param(
                "eps",
                format!("{} (a finite number >= 0)", self.eps),
            ));
        }
        if self.eps == 0.0 {
            return Ok(BigInt::from(0));
        }
        let s = self
            .scale
            .as_ref()
            .ok_or_else(|| Error::param("scale", "missing"))?;
        let e = round(self.eps, s, 1).unwrap_or_default();
        Ok(e.max(BigInt::from(1)))
    }
    /// The bound of the shifted input.
    fn shifted_bound(&self, b: u32) -> Result<u32, Error> {
        let e = self.offset()?;
        Ok(if e == BigInt::from(0) {
            b
        } else {
            b.max(arkml_gadgets::fixed::bits_for(&e)) + 1
        })
    }
    fn tag(&self) -> &'static str {
        match self.kind {
            GRoot::Sqrt => "sqrt",
            GRoot::Recip => "reciprocal",
            GRoot::Rsqrt => "rsqrt",
        }
    }
}

impl<N: Clone + Debug> Op<N> for Root {
    fn kind(&self) -> &'static str {
        match self.kind {
            GRoot::Sqrt => "Sqrt",
            GRoot::Recip => "Reciprocal",
            GRoot::Rsqrt => "Rsqrt",
        }
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        same(ins)
    }
}

impl IntOp for Root {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        let x = first(ins)?;
        if let (Some(s), Some(mine)) = (&x.scale, &self.scale) {
            if s != mine {
                return Err(Error::param(
                    "scale",
                    format!("made for scale {mine}, the input is at scale {s}"),
                ));
            }
        }
        Ok(Bound {
            bound: check_bound::<Fr>(
                "root output",
                self.kind
                    .bound(self.shifted_bound(x.bound)?, &self.constant()?),
            )?,
            nonneg: self.kind.nonnegative(),
            signs: false,
        })
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], out: &Facts, _: &Cx) -> usize {
        match (
            ins.first(),
            self.constant(),
            ins.first().map(|x| self.shifted_bound(x.bound)),
        ) {
            (Some(_), Ok(c), Some(Ok(b))) => numel(&out.shape) * self.kind.cost(b, &c),
            _ => 0,
        }
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        let (c, e) = (self.constant()?, self.offset()?);
        let x = first(ins)?;
        let mut out = Vec::with_capacity(x.len());
        for v in x.iter() {
            out.push(self.kind.native(&(v + &e), &c)?);
        }
        Ok(LayerOutput {
            out: ArrayD::from_shape_vec(x.raw_dim(), out)
                .map_err(|e| Error::param("root output", e.to_string()))?,
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let (c, e) = (self.constant()?, self.offset()?);
        let ef = FpVar::Constant(arkml_gadgets::fixed::to_field::<Fr>(&e));
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        let b = self.shifted_bound(x.facts.bound)?;
        each(ins, |v, _| root(self.kind, &(v + &ef), b, &c))
    }
}

impl FloatOp for Root {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let (e, g) = (self.eps, 2f64.powi(self.gain as i32));
        Ok(first(ins)?.map(|&v| match self.kind {
            GRoot::Sqrt => (v + e).sqrt(),
            GRoot::Recip => g / (v + e),
            GRoot::Rsqrt => (g / (v + e)).sqrt(),
        }))
    }
    fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok(Root {
            kind: self.kind,
            scale: Some(q.scale().clone()),
            eps: self.eps,
            gain: self.gain,
        }
        .into())
    }
}

impl<N: Num> FileForm<N> for Root {
    const TAGS: &'static [&'static str] = &["sqrt", "reciprocal", "rsqrt"];
    fn read(tag: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        let kind = match tag {
            "sqrt" => GRoot::Sqrt,
            "reciprocal" => GRoot::Recip,
            _ => GRoot::Rsqrt,
        };
        let scale = if N::FLOAT {
            None
        } else {
            Some(f.positive::<N>("scale")?)
        };
        let eps = f.num_opt::<f64>("eps")?.unwrap_or(0.0);
        if eps < 0.0 {
            return Err(Error::param("eps", format!("{eps} is negative")));
        }
        let gain = f.opt::<u32>("gain")?.unwrap_or(0);
        Ok(Some(Root {
            kind,
            scale,
            eps,
            gain,
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        if let Some(s) = &self.scale {
            f.put("scale", s.to_string());
        }
        if self.eps != 0.0 {
            f.put("eps", self.eps.text());
        }
        if self.gain != 0 {
            f.put("gain", self.gain);
        }
        self.tag()
    }
}
