//! A cubic activation (circomlib-ml's sigmoid or tanh approximation) at scale `scale`:
//! `floor((c0 S^3 + c1 S^2 x + c2 S x^2 + c3 x^3) / (10^9 S^2))`. In a float model the
//! scale is 1 and the reference is the true sigmoid or tanh for circomlib-ml's
//! coefficients (so comparing shows the approximation's error). Cost per element:
//! `2 + rescale_cost(cubic_bound(B, S), 10^9 S^2)`.

use arkml_gadgets::{
    activation::{
        cubic,
        cubic::{cubic_bound, cubic_divisor},
        cubic_cost, native_cubic, ZANH, ZIGMOID,
    },
    fixed::check_bound,
    rescale::quotient_bound,
    Error,
};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// A cubic activation (circomlib-ml's sigmoid or tanh approximation).
///
/// ```
/// use arkml::model::{ints, ops::Cubic, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::gadgets::activation::ZIGMOID;
/// use arkml::num_bigint::BigUint;
/// // circomlib-ml's sigmoid approximation at scale 1000: 0.502 at 0, 0.861 at 2 (the true
/// // sigmoid(2) is 0.881: the cubic's error)
/// let op = Cubic { coeffs: ZIGMOID, scale: BigUint::from(1000u32) };
/// let model = Model::chain(&[2], 12, vec![Layer::Cubic(op)]);
/// let y = model.predict(&ints(array![0, 2000]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![502, 861]).into_dyn());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cubic {
    /// Coefficients in units of `10^-9` ([`ZIGMOID`], [`ZANH`]).
    pub coeffs: arkml_gadgets::activation::Cubic,
    /// The activation scale.
    pub scale: BigUint,
}

impl<N: Clone + Debug> Op<N> for Cubic {
    fn kind(&self) -> &'static str {
        "Cubic"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        same(ins)
    }
}

impl Cubic {
    fn numerator(&self, b: u32) -> Result<u32, Error> {
        nonzero(&self.scale, "scale")?;
        check_bound::<Fr>("cubic numerator", cubic_bound(&self.coeffs, b, &self.scale))
    }
}

impl IntOp for Cubic {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        let nb = self.numerator(first(ins)?.bound)?;
        Ok(Bound::of(quotient_bound(nb, &cubic_divisor(&self.scale))))
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], out: &Facts, _: &Cx) -> usize {
        match ins.first().map(|x| self.numerator(x.bound)) {
            Some(Ok(_)) => numel(&out.shape) * cubic_cost(&self.coeffs, ins[0].bound, &self.scale),
            _ => 0,
        }
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        nonzero(&self.scale, "scale")?;
        let qr = first(ins)?.map(|v| native_cubic(&self.coeffs, v, &self.scale));
        Ok(LayerOutput {
            out: qr.map(|p| p.0.clone()),
            remainder: Some(qr.map(|p| p.1.clone())),
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        each(ins, |v, b| {
            Ok(cubic(&self.coeffs, v, b, &self.scale)?.quotient)
        })
    }
}

impl FloatOp for Cubic {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let x = first(ins)?;
        Ok(if self.coeffs == ZIGMOID {
            x.map(|v| 1.0 / (1.0 + (-v).exp()))
        } else if self.coeffs == ZANH {
            x.map(|v| v.tanh())
        } else {
            let c = self.coeffs.map(|c| c as f64 * 1e-9);
            x.map(|v| c[0] + c[1] * v + c[2] * v * v + c[3] * v * v * v)
        })
    }
    fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok(Cubic {
            coeffs: self.coeffs,
            scale: q.scale().clone(),
        }
        .into())
    }
}

impl<N: Num> FileForm<N> for Cubic {
    const TAGS: &'static [&'static str] = &["sigmoid", "tanh", "cubic"];
    fn read(tag: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(match tag {
            "sigmoid" | "tanh" => Cubic {
                coeffs: if tag == "sigmoid" { ZIGMOID } else { ZANH },
                scale: f.positive::<N>("scale")?,
            },
            _ => {
                form::integer_only::<N>()?;
                Cubic {
                    coeffs: f.req("coeffs")?,
                    scale: f.positive::<N>("scale")?,
                }
            }
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        form::put_scale::<N>(f, "scale", &self.scale);
        if self.coeffs == ZIGMOID {
            "sigmoid"
        } else if self.coeffs == ZANH {
            "tanh"
        } else {
            f.put("coeffs", self.coeffs);
            "cubic"
        }
    }
}
