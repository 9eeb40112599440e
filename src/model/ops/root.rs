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
/// let op = |kind| Layer::Root(Root { kind, scale: Some(BigUint::from(16u32)) });
/// let y = |kind, x: i64| {
///     let m = Model::chain(&[1], 8, vec![op(kind)]);
///     m.predict(&ints(array![x]).into_dyn()).unwrap()[0].clone()
/// };
/// assert_eq!(y(Kind::Sqrt, 64), 32.into());
/// assert_eq!(y(Kind::Recip, 8), 32.into());
/// assert_eq!(y(Kind::Rsqrt, 4), 32.into());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    /// Which function.
    pub kind: GRoot,
    /// The activation scale `S` it runs at; `None` in a float model.
    pub scale: Option<BigUint>,
}

impl Root {
    /// The kernel's constant: `S`, `S^2` or `S^3`.
    fn constant(&self) -> Result<BigUint, Error> {
        let s = self
            .scale
            .as_ref()
            .ok_or_else(|| Error::param("scale", "an integer model's root needs its scale"))?;
        Ok(s.pow(match self.kind {
            GRoot::Sqrt => 1,
            GRoot::Recip => 2,
            GRoot::Rsqrt => 3,
        }))
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
            bound: check_bound::<Fr>("root output", self.kind.bound(x.bound, &self.constant()?))?,
            nonneg: self.kind.nonnegative(),
            signs: false,
        })
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], out: &Facts, _: &Cx) -> usize {
        match (ins.first(), self.constant()) {
            (Some(x), Ok(c)) => numel(&out.shape) * self.kind.cost(x.bound, &c),
            _ => 0,
        }
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        let c = self.constant()?;
        let x = first(ins)?;
        let mut out = Vec::with_capacity(x.len());
        for v in x.iter() {
            out.push(self.kind.native(v, &c)?);
        }
        Ok(LayerOutput {
            out: ArrayD::from_shape_vec(x.raw_dim(), out)
                .map_err(|e| Error::param("root output", e.to_string()))?,
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let c = self.constant()?;
        each(ins, |v, b| root(self.kind, v, b, &c))
    }
}

impl FloatOp for Root {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        Ok(first(ins)?.map(|&v| match self.kind {
            GRoot::Sqrt => v.sqrt(),
            GRoot::Recip => 1.0 / v,
            GRoot::Rsqrt => 1.0 / v.sqrt(),
        }))
    }
    fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok(Root {
            kind: self.kind,
            scale: Some(q.scale().clone()),
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
        Ok(Some(Root { kind, scale }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        if let Some(s) = &self.scale {
            f.put("scale", s.to_string());
        }
        self.tag()
    }
}
