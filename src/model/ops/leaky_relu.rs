//! LeakyReLU with slope `a / d` on negative inputs (floored): `x` for `x >= 0`, else
//! `floor(a x / d)`. In a float model `a` is the slope and `d = 1`; quantisation makes
//! `a = round(alpha S)`, `d = S`. Cost per element: `(B + 2) + rescale_cost(B + bits(|a|), d) + 1` (the rescale is free when `a = 0`).

use arkml_gadgets::{
    activation::{leaky_relu, leaky_relu_cost, native_leaky_relu},
    fixed::{bits_for, pow2},
    Error,
};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// LeakyReLU with slope `a / d` on negative inputs (floored).
///
/// ```
/// use arkml::model::{ints, ops::LeakyRelu, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::num_bigint::{BigInt, BigUint};
/// // slope 1/4 on negative inputs, floored
/// let op = LeakyRelu { a: BigInt::from(1), d: BigUint::from(4u32) };
/// let model = Model::chain(&[3], 4, vec![Layer::LeakyRelu(op)]);
/// let y = model.predict(&ints(array![-8, 5, -3]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![-2, 5, -1]).into_dyn());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LeakyRelu<N = BigInt> {
    /// Slope numerator (the slope itself in a float model).
    pub a: N,
    /// Slope denominator (the activation scale; 1 in a float model).
    pub d: BigUint,
}

impl<N: Clone + Debug> Op<N> for LeakyRelu<N> {
    fn kind(&self) -> &'static str {
        "LeakyReLU"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], _: &Limits) -> Result<Vec<usize>, Error> {
        same(ins)
    }
}

impl IntOp for LeakyRelu {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        nonzero(&self.d, "slope denominator")?;
        let b = first(ins)?.bound;
        // the gadget multiplies by the slope's numerator before dividing: that product's
        // bound must fit the field (else synthesis refuses it, found only at setup)
        arkml_gadgets::fixed::check_bound::<ark_bn254::Fr>(
            "leaky relu a*x (the slope's numerator times the input)",
            b.saturating_add(self.a.magnitude().bits().min(u32::MAX as u64) as u32),
        )?;
        let ends = [pow2(b) * -1, BigInt::from(-1), pow2(b) - 1];
        let bound = ends
            .iter()
            .map(|x| bits_for(&native_leaky_relu(x, &self.a, &self.d)))
            .max()
            .unwrap_or(0);
        Ok(Bound::of(bound))
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], out: &Facts, _: &Cx) -> usize {
        ins.first().map_or(0, |x| {
            numel(&out.shape) * leaky_relu_cost(x.bound, &self.a, &self.d)
        })
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        nonzero(&self.d, "slope denominator")?;
        Ok(LayerOutput {
            out: first(ins)?.map(|v| native_leaky_relu(v, &self.a, &self.d)),
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        each(ins, |v, b| leaky_relu(v, b, &self.a, &self.d))
    }
}

impl FloatOp for LeakyRelu<f64> {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let d = num_traits::ToPrimitive::to_f64(&self.d).unwrap_or(f64::INFINITY);
        let slope = self.a / d;
        Ok(first(ins)?.map(|v| if *v >= 0.0 { *v } else { slope * v }))
    }
    /// The slope `a / d` becomes `round(slope S) / S`.
    fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        let d = num_traits::ToPrimitive::to_f64(&self.d).unwrap_or(f64::INFINITY);
        Ok(LeakyRelu {
            a: q.value(self.a / d, 1),
            d: q.scale().clone(),
        }
        .into())
    }
}

impl<N: Num> FileForm<N> for LeakyRelu<N> {
    const TAGS: &'static [&'static str] = &["leaky_relu"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        // a float model gives the slope, an integer one the fraction a / d
        Ok(Some(if N::FLOAT {
            LeakyRelu {
                a: f.num("alpha")?,
                d: BigUint::from(1u32),
            }
        } else {
            LeakyRelu {
                a: f.num("a")?,
                d: f.positive::<N>("d")?,
            }
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        if N::FLOAT {
            let d = num_traits::ToPrimitive::to_f64(&self.d).unwrap_or(f64::NAN);
            f.put("alpha", format!("{:?}", self.a.to_f64() / d));
        } else {
            f.put("a", self.a.text());
            f.put("d", self.d.to_string());
        }
        "leaky_relu"
    }
}
