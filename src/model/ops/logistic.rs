//! Sigmoid, tanh, erf, softplus and ELU (`alpha = 1`) through the piecewise-cubic kernel
//! ([`arkml_gadgets::activation::sigmoid`]): accurate over the whole real line (at most
//! `0.55 + 2.7e-6 S` units of the output scale for the sigmoid, twice that for the tanh,
//! `tanh(x) = 2 sigmoid(2x) - 1`, and `0.55 + 6e-6 S` for erf, GELU's part), in place of
//! circomlib-ml's cubics ([`super::Cubic`]), whose error grows as `x^3`. The table of
//! integer coefficients is part of the op (and of the model file), made for the scale the op
//! runs at; a float model's op holds none.

use arkml_gadgets::{
    activation::{
        erf_f64, kernel_parts, kernel_parts_cost, native_kernel_parts, native_sigmoid, sigmoid,
        sigmoid_bound, sigmoid_cost, sigmoid_f64, Kernel, SigmoidTable,
    },
    Error,
};
use ndarray::{ArrayD, ArrayViewD};

use super::*;

/// Which smooth function a [`Logistic`] op computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Smooth {
    /// The logistic sigmoid.
    Sigmoid,
    /// `tanh(x) = 2 sigmoid(2x) - 1`.
    Tanh,
    /// The error function.
    Erf,
    /// `softplus(x) = ln(1 + e^x) = relu(x) + ln(1 + e^-|x|)`.
    Softplus,
    /// ELU with `alpha = 1`: `x` for `x >= 0`, `e^x - 1` below.
    Elu,
}

impl Smooth {
    /// The kernel its table holds.
    pub fn kernel(self) -> Kernel {
        match self {
            Smooth::Sigmoid | Smooth::Tanh => Kernel::Sigmoid,
            Smooth::Erf => Kernel::Erf,
            Smooth::Softplus => Kernel::SoftplusTail,
            Smooth::Elu => Kernel::ExpMinusOne,
        }
    }
}

/// Sigmoid, tanh or erf through the piecewise-cubic kernel.
///
/// ```
/// use arkml::model::{ints, ops::{Logistic, Smooth}, Layer, Model};
/// use arkml::gadgets::activation::SigmoidTable;
/// use arkml::ndarray::array;
/// use arkml::num_bigint::BigUint;
/// // at scale 1000: sigmoid(0) = 0.5, sigmoid(2) = 0.881, sigmoid(-7) = 0.001
/// let table = SigmoidTable::new(&BigUint::from(1000u32)).unwrap();
/// let op = Logistic { func: Smooth::Sigmoid, table: Some(table) };
/// let model = Model::chain(&[3], 14, vec![Layer::Logistic(op)]);
/// let y = model.predict(&ints(array![0, 2000, -7000]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![500, 881, 1]).into_dyn());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logistic {
    /// The function.
    pub func: Smooth,
    /// The kernel's integers (at the scale the op runs at); `None` in a float model.
    pub table: Option<SigmoidTable>,
}

impl Logistic {
    fn table(&self) -> Result<&SigmoidTable, Error> {
        self.table
            .as_ref()
            .ok_or_else(|| Error::param("table", "an integer model's sigmoid needs its table"))
    }
    fn tanh(&self) -> bool {
        self.func == Smooth::Tanh
    }
    /// The bound the kernel sees: the input's, one more for tanh's `2x`.
    fn kernel_bound(&self, b: u32) -> u32 {
        b + u32::from(self.tanh())
    }
}

impl<N: Clone + Debug> Op<N> for Logistic {
    fn kind(&self) -> &'static str {
        match self.func {
            Smooth::Sigmoid => "Sigmoid",
            Smooth::Tanh => "Tanh",
            Smooth::Erf => "Erf",
            Smooth::Softplus => "Softplus",
            Smooth::Elu => "Elu",
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

impl IntOp for Logistic {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        let x = first(ins)?;
        let t = self.table()?;
        if t.kernel != self.func.kernel() {
            return Err(Error::param(
                "table",
                format!("a table of {:?} for {:?}", t.kernel, self.func),
            ));
        }
        if let Some(s) = &x.scale {
            if s != &t.scale {
                return Err(Error::param(
                    "table",
                    format!("made for scale {}, the input is at scale {s}", t.scale),
                ));
            }
        }
        arkml_gadgets::fixed::check_bound::<Fr>("sigmoid input", self.kernel_bound(x.bound))?;
        let b = match self.func {
            Smooth::Sigmoid | Smooth::Erf => sigmoid_bound(t),
            Smooth::Tanh => sigmoid_bound(t) + 1,
            // relu(x) < 2^b plus a tail below S: one bit more than the larger
            Smooth::Softplus => x.bound.max(sigmoid_bound(t)) + 1,
            // x < 2^b, or a value in [-S - 1, 0]
            Smooth::Elu => x.bound.max(sigmoid_bound(t)),
        };
        Ok(Bound {
            bound: b,
            nonneg: matches!(self.func, Smooth::Sigmoid | Smooth::Softplus),
            signs: false,
        })
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], out: &Facts, _: &Cx) -> usize {
        match (ins.first(), self.table()) {
            (Some(x), Ok(t)) => {
                let per = match self.func {
                    // the parts, then relu(x) = s x (one product) or the select
                    Smooth::Softplus | Smooth::Elu => kernel_parts_cost(x.bound, t) + 1,
                    _ => sigmoid_cost(self.kernel_bound(x.bound), t),
                };
                numel(&out.shape) * per
            }
            _ => 0,
        }
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        let t = self.table()?;
        let s = BigInt::from(t.scale.clone());
        let out = first(ins)?.map(|v| match self.func {
            Smooth::Tanh => native_sigmoid(&(v * 2), t) * 2 - &s,
            Smooth::Softplus => {
                let (nonneg, p) = native_kernel_parts(v, t);
                if nonneg {
                    v + p
                } else {
                    p
                }
            }
            Smooth::Elu => {
                let (nonneg, p) = native_kernel_parts(v, t);
                if nonneg {
                    v.clone()
                } else {
                    p
                }
            }
            Smooth::Sigmoid | Smooth::Erf => native_sigmoid(v, t),
        });
        Ok(LayerOutput {
            out,
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let t = self.table()?;
        let s = Fr::from(t.scale.clone());
        each(ins, |v, b| match self.func {
            Smooth::Tanh => {
                let y = sigmoid(&(v * Fr::from(2u64)), b + 1, t)?;
                Ok(y * Fr::from(2u64) - FpVar::Constant(s))
            }
            Smooth::Softplus => {
                let (nonneg, p) = kernel_parts(v, b, t)?;
                Ok(FpVar::from(nonneg) * v + p)
            }
            Smooth::Elu => {
                use ark_r1cs_std::select::CondSelectGadget;
                let (nonneg, p) = kernel_parts(v, b, t)?;
                Ok(FpVar::conditionally_select(&nonneg, v, &p)?)
            }
            Smooth::Sigmoid | Smooth::Erf => sigmoid(v, b, t),
        })
    }
}

impl FloatOp for Logistic {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let x = first(ins)?;
        Ok(match self.func {
            Smooth::Sigmoid => x.map(|v| sigmoid_f64(*v)),
            Smooth::Tanh => x.map(|v| v.tanh()),
            Smooth::Erf => x.map(|v| erf_f64(*v)),
            Smooth::Softplus => x.map(|v| v.max(0.0) + (-v.abs()).exp().ln_1p()),
            Smooth::Elu => x.map(|v| if *v >= 0.0 { *v } else { v.exp_m1() }),
        })
    }
    /// The kernel's table for the quantiser's scale.
    fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok(Logistic {
            func: self.func,
            table: Some(SigmoidTable::of(self.func.kernel(), q.scale())?),
        }
        .into())
    }
}

impl<N: Num> FileForm<N> for Logistic {
    const TAGS: &'static [&'static str] = &["logistic", "logistic_tanh", "erf", "softplus", "elu"];
    fn read(tag: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        let func = match tag {
            "logistic_tanh" => Smooth::Tanh,
            "erf" => Smooth::Erf,
            "softplus" => Smooth::Softplus,
            "elu" => Smooth::Elu,
            _ => Smooth::Sigmoid,
        };
        let table = if N::FLOAT {
            None
        } else {
            let scale = f.positive::<N>("scale")?;
            let coeffs: Vec<[String; 4]> = f.req("coeffs")?;
            let parse = |s: &String| {
                s.parse::<BigInt>()
                    .map_err(|_| Error::param("coeffs", format!("{s:?} is not an integer")))
            };
            let coeffs = coeffs
                .iter()
                .map(|c| Ok([parse(&c[0])?, parse(&c[1])?, parse(&c[2])?, parse(&c[3])?]))
                .collect::<Result<Vec<_>, Error>>()?;
            if coeffs.len() != arkml_gadgets::activation::sigmoid::SEGMENTS {
                return Err(Error::param(
                    "coeffs",
                    format!(
                        "{} segments, expected {}",
                        coeffs.len(),
                        arkml_gadgets::activation::sigmoid::SEGMENTS
                    ),
                ));
            }
            Some(SigmoidTable {
                kernel: func.kernel(),
                scale,
                coeffs,
            })
        };
        Ok(Some(Logistic { func, table }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        if let Some(t) = &self.table {
            f.put("scale", t.scale.to_string());
            let c: Vec<[String; 4]> = t
                .coeffs
                .iter()
                .map(|c| {
                    [
                        c[0].to_string(),
                        c[1].to_string(),
                        c[2].to_string(),
                        c[3].to_string(),
                    ]
                })
                .collect();
            f.put("coeffs", c);
        }
        match self.func {
            Smooth::Sigmoid => "logistic",
            Smooth::Tanh => "logistic_tanh",
            Smooth::Erf => "erf",
            Smooth::Softplus => "softplus",
            Smooth::Elu => "elu",
        }
    }
}
