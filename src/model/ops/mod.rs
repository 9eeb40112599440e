//! The ops: one file per layer kind, each implementing [`Op`] (parameters and shapes, at any
//! number type), [`IntOp`] (bound and sign facts, scale, exact constraint count, native
//! integer inference, synthesis) and [`FloatOp`] (the float reference). The registry at the
//! end of this file generates [`Layer`] and every dispatch over it: adding an op is its file
//! plus one line in the registry, and a missing method is a compile error (no method has a
//! default).

use std::fmt::Debug;

use ark_bn254::Fr;
use ark_r1cs_std::{boolean::Boolean, fields::fp::FpVar};
use arkml_gadgets::{
    fixed::check_bound,
    layers::{conv::window2d, Conv2dConfig, Padding, Pool2dConfig},
    tensor::{abs, linear_bound, worst_case, Scalar, Visibility},
    Error,
};
use ndarray::{ArrayD, ArrayViewD, Dimension};
use num_bigint::{BigInt, BigUint};
use num_traits::Zero;

use super::{Facts, LayerOutput, Limits, WeightSpec};
pub use form::{Fields, FileForm, Num, TensorFile};

/// The [`IntOp`] and [`FloatOp`] of a [`Linear`] op: the same code at every number type.
macro_rules! linear_op {
    ($t:ident) => {
        impl IntOp for $t<BigInt> {
            fn facts(&self, ins: &[&Facts], cx: &Cx) -> Result<Bound, Error> {
                linear_facts(self, ins, cx)
            }
            fn scale(&self, s: &BigUint, cx: &Cx) -> Option<BigUint> {
                linear_scale(self, s, cx)
            }
            fn cost(&self, ins: &[&Facts], _out: &Facts, cx: &Cx) -> usize {
                linear_cost(self, ins, cx)
            }
            fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
                linear_infer(self, ins)
            }
            fn synthesize(&self, ins: &[In], params: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
                linear_synth(self, ins, params)
            }
        }
        impl FloatOp for $t<f64> {
            fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
                linear_forward(self, ins)
            }
            fn affine_channels(&self) -> Option<usize> {
                Linear::<f64>::affine_channels(self)
            }
            fn rescale_power(&self) -> u32 {
                Linear::<f64>::weight_factors(self)
            }
            fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
                let f = Linear::<f64>::weight_factors(self);
                Ok(Layer::$t(self.map(|a, p| {
                    let power = match p {
                        Param::Weight => 1,
                        Param::Bias => f + 1,
                    };
                    Ok(q.tensor(&a, power))
                })?))
            }
        }
    };
}

/// `params` and `with_params` of an op without parameters.
macro_rules! no_params {
    () => {
        fn params(&self) -> Vec<(ArrayViewD<'_, N>, Param)> {
            Vec::new()
        }
        fn with_params(&self, p: Vec<ArrayD<N>>) -> Result<Self, Error> {
            count(&p, 0)?;
            Ok(self.clone())
        }
    };
}

mod add;
mod argmax;
mod avg_pool;
mod batch_norm;
mod clip;
mod concat;
mod conv1d;
mod conv2d;
mod cubic;
mod dense;
mod depthwise;
mod flatten;
pub mod form;
mod global_avg_pool;
mod global_max_pool;
mod leaky_relu;
mod logistic;
mod matmul;
mod max_pool;
mod mul;
mod pointwise;
mod poly;
mod poly_raw;
mod product;
mod relu;
mod rescale;
mod rescale_within;
mod reshape;
mod root;
mod select;
mod separable;
mod sub;
mod sum_pool;
mod tree;
mod upsample;
mod within;

pub use add::Add;
pub use argmax::ArgMax;
pub use avg_pool::AvgPool2d;
pub use batch_norm::BatchNorm;
pub use clip::Clip;
pub use concat::Concat;
pub use conv1d::Conv1d;
pub use conv2d::Conv2d;
pub use cubic::Cubic;
pub use dense::Dense;
pub use depthwise::DepthwiseConv2d;
pub use flatten::Flatten;
pub use global_avg_pool::GlobalAvgPool2d;
pub use global_max_pool::GlobalMaxPool2d;
pub use leaky_relu::LeakyRelu;
pub use logistic::{Logistic, Smooth};
pub use matmul::MatMul;
pub use max_pool::MaxPool2d;
pub use mul::Mul;
pub use pointwise::PointwiseConv2d;
pub use poly::Poly;
pub use poly_raw::PolyRaw;
pub use product::Product;
pub use relu::Relu;
pub use rescale::Rescale;
pub use rescale_within::RescaleWithin;
pub use reshape::Reshape;
pub use root::Root;
pub use select::Select;
pub use separable::SeparableConv2d;
pub use sub::Sub;
pub use sum_pool::SumPool2d;
pub use tree::TreeEnsemble;
pub use upsample::UpSample2d;
pub use within::Within;

/// Which parameter of a linear layer a tensor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// Weights (and BatchNorm's `a`).
    Weight,
    /// Biases (and BatchNorm's `b`), at the accumulator's scale.
    Bias,
}

/// What every op is, at any number type `N` (`BigInt` for an integer model, `f64` for a
/// float one): its name, inputs, parameters and output shape.
pub trait Op<N>: Clone + Debug {
    /// A short name for tables and errors.
    fn kind(&self) -> &'static str;
    /// How many inputs the op takes: `(least, most)`.
    fn arity(&self) -> (usize, usize);
    /// The parameters in the verifier's order (weights before bias); empty for ops without.
    fn params(&self) -> Vec<(ArrayViewD<'_, N>, Param)>;
    /// The same op with its parameters replaced, in [`Op::params`]' order; errors when the
    /// count or a rank differs.
    fn with_params(&self, p: Vec<ArrayD<N>>) -> Result<Self, Error>;
    /// The output shape from the input shapes, in checked arithmetic within `limits`.
    fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error>;
}

/// What the builder needs from a model's whole setting to reason about one op.
#[derive(Clone, Copy, Debug)]
pub struct Cx<'a> {
    /// How the weights enter the circuit.
    pub weights: WeightSpec,
    /// The model's activation scale, where it declares one.
    pub scale: Option<&'a BigUint>,
}

impl Cx<'static> {
    /// Constant weights and no declared scale.
    pub fn none() -> Self {
        Cx {
            weights: WeightSpec::default(),
            scale: None,
        }
    }
}

/// What the facts pass learns of an op's output beyond its shape and scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// Proven bound: every value satisfies `-2^B <= v < 2^B`.
    pub bound: u32,
    /// Whether every value is known non-negative.
    pub nonneg: bool,
    /// Whether synthesis keeps each value's sign bit (a rescale's quotient decomposition), so
    /// a ReLU reading it costs one constraint per element (the fused rescale + ReLU).
    pub signs: bool,
}

impl Bound {
    /// A bound with no sign facts.
    pub fn of(bound: u32) -> Self {
        Bound {
            bound,
            nonneg: false,
            signs: false,
        }
    }
    /// A bound that keeps the input's sign.
    pub fn keeps(bound: u32, x: &Facts) -> Self {
        Bound {
            bound,
            nonneg: x.nonneg,
            signs: false,
        }
    }
}

/// One input of an op in synthesis: its variables, the sign bits a rescale kept, its facts.
pub struct In<'a> {
    /// The variables.
    pub vars: &'a ArrayD<FpVar<Fr>>,
    /// Each value's sign bit (`1` iff `v >= 0`), where the op that made it kept them.
    pub signs: Option<&'a ArrayD<Boolean<Fr>>>,
    /// What the facts pass proved of it.
    pub facts: &'a Facts,
}

/// An op's output in synthesis.
pub struct Out {
    /// The variables.
    pub vars: ArrayD<FpVar<Fr>>,
    /// Each value's sign bit, where the op kept them ([`Bound::signs`]).
    pub signs: Option<ArrayD<Boolean<Fr>>>,
    /// The bound the gadget reports it proved, where it reports one (checked against the
    /// facts pass).
    pub proved: Option<u32>,
}

impl Out {
    /// Variables with no sign bits and no reported bound.
    pub fn vars(vars: ArrayD<FpVar<Fr>>) -> Self {
        Out {
            vars,
            signs: None,
            proved: None,
        }
    }
}

/// What an op is in an integer model.
pub trait IntOp: Op<BigInt> {
    /// The output's bound and sign from the inputs' facts (no constraint system): exactly
    /// what synthesis proves.
    fn facts(&self, ins: &[&Facts], cx: &Cx) -> Result<Bound, Error>;
    /// The output's scale from the first input's scale `s`, where it has one.
    fn scale(&self, s: &BigUint, cx: &Cx) -> Option<BigUint>;
    /// The exact number of constraints synthesis writes, from the facts of the inputs and
    /// the output.
    fn cost(&self, ins: &[&Facts], out: &Facts, cx: &Cx) -> usize;
    /// Native integer inference: the output and, for ops that divide, the remainder.
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error>;
    /// The op in circuit, calling its gadget; `params` are [`Op::params`] as variables.
    fn synthesize(&self, ins: &[In], params: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error>;
}

/// What an op is in a float model: the reference the quantised model is measured against.
pub trait FloatOp: Op<f64> {
    /// Float inference.
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error>;
    /// The integer op at the quantiser's scale `S` (keras2circom v2's convention: weights
    /// at `S`, biases at the accumulator's scale, activations' constants at `S`). A linear
    /// op is then followed by a rescale, which the caller inserts.
    fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error>;
    /// [`Linear::affine_channels`] for linear ops; `None` (nothing absorbed) for the rest.
    fn affine_channels(&self) -> Option<usize> {
        None
    }
    /// The power of the scale `S` the quantised op's output carries beyond `S` (its weight
    /// factors for a linear op, 1 for a product of two activations, 0 for the rest): the
    /// quantiser follows it by a rescale by `S` to that power.
    fn rescale_power(&self) -> u32 {
        0
    }
}

/// Rounds float numbers to the integers of a scale `S`, keeping the largest rounding error
/// (in real units) and whether any number was not finite.
#[derive(Clone, Debug)]
pub struct Quantizer {
    s: BigUint,
    sf: f64,
    /// The largest absolute rounding error so far, in real units.
    pub err: f64,
    /// Whether a number was NaN or infinite (rounded to 0).
    pub not_finite: bool,
}

impl Quantizer {
    /// A quantiser at scale `s`.
    pub fn new(s: BigUint) -> Self {
        let sf = num_traits::ToPrimitive::to_f64(&s).unwrap_or(f64::INFINITY);
        Quantizer {
            s,
            sf,
            err: 0.0,
            not_finite: false,
        }
    }
    /// The scale.
    pub fn scale(&self) -> &BigUint {
        &self.s
    }
    /// `round(x * S^power)`, recording the error.
    pub fn value(&mut self, x: f64, power: u32) -> BigInt {
        match round(x, &self.s, power) {
            Some(q) => {
                let back = num_traits::ToPrimitive::to_f64(&q).unwrap_or(f64::INFINITY)
                    / self.sf.powi(power as i32);
                self.err = self.err.max((back - x).abs());
                q
            }
            None => {
                self.not_finite = true;
                BigInt::from(0)
            }
        }
    }
    /// Every element rounded at `S^power`.
    pub fn tensor<D: Dimension>(
        &mut self,
        a: &ndarray::ArrayView<'_, f64, D>,
        power: u32,
    ) -> ndarray::Array<BigInt, D> {
        a.map(|v| self.value(*v, power))
    }
}

/// `round(x * s^power)` (half away from zero, exact for any scale), or `None` when `x` is
/// not finite.
pub fn round(x: f64, s: &BigUint, power: u32) -> Option<BigInt> {
    if !x.is_finite() {
        return None;
    }
    let sp = s.pow(power);
    // x = m * 2^e exactly, so x * S^p = m * S^p * 2^e
    let (m, e) = decompose(x);
    let num = BigInt::from(m) * BigInt::from(sp);
    Some(if e >= 0 {
        num << e as u32
    } else {
        let d = BigInt::from(1) << (-e) as u32;
        let half = &d >> 1u32;
        let mag = (num.magnitude() + half.magnitude()) / d.magnitude();
        if num < BigInt::from(0) {
            -BigInt::from(mag)
        } else {
            BigInt::from(mag)
        }
    })
}

/// `x = m * 2^e` exactly.
fn decompose(x: f64) -> (i64, i32) {
    if x == 0.0 {
        return (0, 0);
    }
    let bits = x.to_bits();
    let sign = if bits >> 63 == 0 { 1 } else { -1 };
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & 0xf_ffff_ffff_ffff;
    let (m, e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), exp - 1075)
    };
    (sign * m as i64, e)
}

/// A linear op (one with parameters): the same code at any [`Scalar`] gives the native
/// twin, the circuit, the worst-case bound and the float reference.
pub trait Linear<N>: Op<N> {
    /// The op on an input with already-converted parameters (in [`Op::params`]' order).
    fn apply<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>, Error>;
    /// How many weight factors multiply the input (two for a separable convolution).
    fn weight_factors(&self) -> u32;
    /// How many products of an input value and a weight the op computes, where both are
    /// variables (one constraint each with public or private weights); padded cells are
    /// constants and cost nothing.
    fn products(&self, x: &[usize]) -> Result<usize, Error>;
    /// The output channels a per-channel affine op after this one (`a y + b`: a
    /// BatchNormalization, a Mul and Add by per-channel constants) acts on, when the op
    /// absorbs it into its parameters ([`Layer::absorb_affine`]): the elements of its last
    /// weight cycle through the channels along its trailing axes, and its bias has one entry
    /// per channel. By default the last weight's last axis, for ops with a bias; `None` for
    /// ops without one.
    fn affine_channels(&self) -> Option<usize> {
        let p = self.params();
        if !p.iter().any(|(_, k)| *k == Param::Bias) {
            return None;
        }
        let (w, _) = p.iter().rev().find(|(_, k)| *k == Param::Weight)?;
        w.shape().last().copied()
    }
}

/// A view of `a` with `D` dimensions, or a shape error.
pub(crate) fn dims<T, D: Dimension>(a: &ArrayD<T>) -> Result<ndarray::ArrayView<'_, T, D>, Error> {
    a.view()
        .into_dimensionality::<D>()
        .map_err(|_| Error::ShapeMismatch {
            what: "layer input rank".into(),
            expected: format!("{} dimensions", D::NDIM.unwrap_or(0)),
            got: format!("{:?}", a.shape()),
        })
}

/// A parameter with rank `D`, or a rank error (for [`Op::with_params`]).
pub(crate) fn ranked<M, D: Dimension>(a: ArrayD<M>) -> Result<ndarray::Array<M, D>, Error> {
    let got = format!("{:?}", a.shape());
    a.into_dimensionality().map_err(|_| Error::ShapeMismatch {
        what: "parameter rank".into(),
        expected: format!("{} dimensions", D::NDIM.unwrap_or(0)),
        got,
    })
}

/// The next of the given parameters.
pub(crate) fn next<N>(p: &mut std::vec::IntoIter<ArrayD<N>>) -> Result<ArrayD<N>, Error> {
    p.next()
        .ok_or_else(|| Error::param("layer parameters", "too few"))
}

/// Errors unless `p` holds `n` parameters.
pub(crate) fn count<N>(p: &[ArrayD<N>], n: usize) -> Result<(), Error> {
    if p.len() != n {
        return Err(Error::shape("layer parameters", n, p.len()));
    }
    Ok(())
}

/// The facts of a wire op's output (a concatenation, a selection): the widest input's
/// bound, non-negative when every input is, no sign bits.
pub(crate) fn widest(ins: &[&Facts]) -> Result<Bound, Error> {
    let x = first(ins)?;
    Ok(Bound {
        bound: ins.iter().map(|f| f.bound).max().unwrap_or(x.bound),
        nonneg: ins.iter().all(|f| f.nonneg),
        signs: false,
    })
}

/// The first input (every op has one; the graph check enforces the arity).
pub(crate) fn first<'a, T: ?Sized>(ins: &[&'a T]) -> Result<&'a T, Error> {
    ins.first()
        .copied()
        .ok_or_else(|| Error::param("inputs", "none"))
}

/// The number of elements of a shape (the shape pass has bounded it).
pub(crate) fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// A linear op's worst-case output bound: its own code run on interval ends.
pub(crate) fn linear_facts<L: Linear<BigInt>>(
    op: &L,
    ins: &[&Facts],
    cx: &Cx,
) -> Result<Bound, Error> {
    let x = first(ins)?;
    let spec = cx.weights;
    let p = op
        .params()
        .iter()
        .map(|(a, k)| match spec.visibility {
            Visibility::Constant => abs(&a.to_owned()),
            _ => worst_case(a.shape(), spec.bits(*k)),
        })
        .collect::<Vec<_>>();
    let worst = op.apply(&worst_case(&x.shape, x.bound), &p)?;
    Ok(Bound::of(check_bound::<Fr>(
        "linear layer output",
        linear_bound(&worst),
    )?))
}

/// A linear op's output scale: the input's times the weights' per factor.
pub(crate) fn linear_scale<L: Linear<BigInt>>(op: &L, s: &BigUint, cx: &Cx) -> Option<BigUint> {
    Some(
        s * cx
            .scale
            .cloned()
            .unwrap_or_default()
            .pow(op.weight_factors()),
    )
}

/// A linear op's constraints: none with constant weights, one per product otherwise.
pub(crate) fn linear_cost<L: Linear<BigInt>>(op: &L, ins: &[&Facts], cx: &Cx) -> usize {
    match (cx.weights.visibility, ins.first()) {
        (Visibility::Constant, _) | (_, None) => 0,
        (_, Some(x)) => op.products(&x.shape).unwrap_or(0),
    }
}

/// A linear op natively.
pub(crate) fn linear_infer<L: Linear<BigInt>>(
    op: &L,
    ins: &[&ArrayD<BigInt>],
) -> Result<LayerOutput, Error> {
    let p: Vec<ArrayD<BigInt>> = op.params().iter().map(|(a, _)| a.to_owned()).collect();
    Ok(LayerOutput {
        out: op.apply(first(ins)?, &p)?,
        remainder: None,
    })
}

/// A linear op in circuit.
pub(crate) fn linear_synth<L: Linear<BigInt>>(
    op: &L,
    ins: &[In],
    params: &[ArrayD<FpVar<Fr>>],
) -> Result<Out, Error> {
    let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
    Ok(Out::vars(op.apply(x.vars, params)?))
}

/// A linear op in floats.
pub(crate) fn linear_forward<L: Linear<f64>>(
    op: &L,
    ins: &[&ArrayD<f64>],
) -> Result<ArrayD<f64>, Error> {
    let p: Vec<ArrayD<f64>> = op.params().iter().map(|(a, _)| a.to_owned()).collect();
    op.apply(first(ins)?, &p)
}

/// Errors unless `n >= 1`.
pub(crate) fn nonzero(n: &BigUint, what: &str) -> Result<(), Error> {
    if n.is_zero() {
        return Err(Error::InvalidParameter {
            what: what.into(),
            why: "must be at least 1".into(),
        });
    }
    Ok(())
}

/// `ceil(log2 k)`: the bits a sum of `k` values adds to their bound.
pub(crate) fn grow(k: usize) -> u32 {
    usize::BITS - k.saturating_sub(1).leading_zeros()
}

/// The number of (output cell, kernel tap) pairs on real cells of a 2D window op over an
/// `h x w` input (the gadget crate's [`conv_taps`](arkml_gadgets::layers::conv_taps)).
pub(crate) fn conv_taps(
    h: usize,
    w: usize,
    kernel: (usize, usize),
    cfg: &Conv2dConfig,
) -> Result<usize, Error> {
    arkml_gadgets::layers::conv_taps(h, w, kernel, cfg)
}

/// Per window of a pooling over an `h x w` input, the number of real cells it covers (same
/// padding skips the padded ones).
pub(crate) fn window_cells(h: usize, w: usize, cfg: &Pool2dConfig) -> Result<Vec<usize>, Error> {
    arkml_gadgets::layers::window_taps(h, w, cfg.size, &cfg.conv())
}

/// A 2D window op's output rows and columns over an HWC input, with the padded input
/// within the limits (the gadget allocates it).
pub(crate) fn conv_out(
    x: &[usize],
    kernel: (usize, usize),
    cfg: &Conv2dConfig,
    limits: &Limits,
) -> Result<(usize, usize), Error> {
    if x.len() != 3 {
        return Err(rank_err("layer input", 3, x));
    }
    let g = window2d(x[0], x[1], kernel, cfg)?;
    within("padded input", &[g.padded.0, g.padded.1, x[2]], limits)?;
    Ok(g.out)
}

/// A rank error.
pub(crate) fn rank_err(what: &str, rank: usize, got: &[usize]) -> Error {
    Error::shape(what, format!("{rank} dimensions"), format!("{got:?}"))
}

/// Errors unless `expected == got`.
pub(crate) fn want(what: &str, expected: usize, got: usize) -> Result<(), Error> {
    if expected != got {
        return Err(Error::shape(what, expected, got));
    }
    Ok(())
}

/// The element count of a shape, if it does not overflow.
pub(crate) fn checked_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

/// A size overflow.
pub(crate) fn too_big() -> Error {
    Error::param("shape", "its size overflows")
}

/// Errors unless the shape holds at most the limit's elements.
pub(crate) fn within(what: &str, shape: &[usize], limits: &Limits) -> Result<(), Error> {
    match checked_count(shape) {
        Some(n) if n <= limits.max_elements => Ok(()),
        Some(n) => Err(Error::param(
            what,
            format!(
                "{shape:?} holds {n} elements, above the limit of {}",
                limits.max_elements
            ),
        )),
        None => Err(Error::param(
            what,
            format!("{shape:?}: the element count overflows"),
        )),
    }
}

/// Every parameter within the limits.
pub(crate) fn params_within<N, O: Op<N>>(op: &O, limits: &Limits) -> Result<(), Error> {
    for (p, _) in op.params() {
        within("parameter", p.shape(), limits)?;
    }
    Ok(())
}

/// The input shape, which must have rank `rank`.
pub(crate) fn rank<'a>(ins: &[&'a [usize]], what: &str, r: usize) -> Result<&'a [usize], Error> {
    let x = first(ins)?;
    if x.len() != r {
        return Err(rank_err(what, r, x));
    }
    Ok(x)
}

/// The same shape as the first input.
pub(crate) fn same(ins: &[&[usize]]) -> Result<Vec<usize>, Error> {
    Ok(first(ins)?.to_vec())
}

/// `f` elementwise over two tensors of equal shape.
pub(crate) fn zip2<T>(
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    f: impl Fn(&T, &T) -> T,
) -> Result<ArrayD<T>, Error> {
    if a.shape() != b.shape() {
        return Err(Error::shape(
            "second input",
            format!("{:?}", a.shape()),
            format!("{:?}", b.shape()),
        ));
    }
    Ok(ndarray::Zip::from(a).and(b).map_collect(f))
}

/// The two inputs of a binary op.
pub(crate) fn two<'a, T: ?Sized>(ins: &[&'a T]) -> Result<(&'a T, &'a T), Error> {
    match ins {
        [a, b] => Ok((a, b)),
        _ => Err(Error::shape("inputs", 2, ins.len())),
    }
}

/// Elementwise in circuit: `f` on each value with the input's bound.
pub(crate) fn each(
    ins: &[In],
    f: impl FnMut(&FpVar<Fr>, u32) -> Result<FpVar<Fr>, Error>,
) -> Result<Out, Error> {
    let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
    let b = x.facts.bound;
    let mut f = f;
    Ok(Out::vars(arkml_gadgets::tensor::try_map(x.vars, |v| {
        f(v, b)
    })?))
}

/// An op that keeps the input's values (only moves them): output shape from `f`.
pub(crate) fn keep_facts(ins: &[&Facts]) -> Result<Bound, Error> {
    let x = first(ins)?;
    Ok(Bound::keeps(x.bound, x))
}

/// Padding as (rows, columns) before the geometry: used by pooling ops.
pub(crate) fn pool_conv(cfg: &Pool2dConfig) -> Conv2dConfig {
    Conv2dConfig::new(cfg.stride, cfg.padding)
}

/// Generates [`Layer`] from the ops and every dispatch over it.
macro_rules! registry {
    ($( $(#[$doc:meta])* $v:ident($ty:ty) ),* $(,)?) => {
        /// A layer: one of the registered ops, with parameters of number type `N` (`BigInt`
        /// in an integer model, `f64` in a float one).
        #[derive(Clone, Debug)]
        pub enum Layer<N = BigInt> {
            $( $(#[$doc])* $v($ty), )*
        }

        impl<N: Clone + Debug> Layer<N> {
            /// A short name for tables and errors.
            pub fn kind(&self) -> &'static str {
                match self { $( Layer::$v(op) => Op::<N>::kind(op), )* }
            }
            /// How many inputs the layer takes: `(least, most)`.
            pub fn arity(&self) -> (usize, usize) {
                match self { $( Layer::$v(op) => Op::<N>::arity(op), )* }
            }
            /// The parameters in the verifier's order (weights before bias).
            pub fn params(&self) -> Vec<(ArrayViewD<'_, N>, Param)> {
                match self { $( Layer::$v(op) => Op::<N>::params(op), )* }
            }
            /// The same layer with its parameters replaced, in [`Layer::params`]' order.
            pub fn with_params(&self, p: Vec<ArrayD<N>>) -> Result<Self, Error> {
                Ok(match self { $( Layer::$v(op) => Layer::$v(Op::<N>::with_params(op, p)?), )* })
            }
            /// Whether the layer has parameters (and so multiplies by weights).
            pub fn is_linear(&self) -> bool {
                !self.params().is_empty()
            }
            /// How many weight factors multiply the input (two for a separable convolution).
            pub fn weight_factors(&self) -> u32 {
                self.params().iter().filter(|(_, p)| *p == Param::Weight).count() as u32
            }
            /// The output shape from the input shapes.
            pub fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error> {
                match self { $( Layer::$v(op) => Op::<N>::shape(op, ins, limits), )* }
            }
        }

        impl<N: Num> Layer<N> {
            /// Every `"type"` a model file may give, in registry order.
            pub fn tags() -> Vec<&'static str> {
                let mut v: Vec<&'static str> = Vec::new();
                $( for t in <$ty as FileForm<N>>::TAGS {
                    if !v.contains(t) {
                        v.push(t);
                    }
                } )*
                v
            }
            /// The layer of type `tag` from its fields in a model file (each op reads its own).
            pub fn read(tag: &str, f: &mut Fields) -> Result<Self, Error> {
                $(
                    if <$ty as FileForm<N>>::TAGS.contains(&tag) {
                        if let Some(op) = <$ty as FileForm<N>>::read(tag, f)? {
                            return Ok(Layer::$v(op));
                        }
                    }
                )*
                Err(Error::param(
                    "type",
                    format!("unknown layer type {tag:?} (known: {})", Self::tags().join(", ")),
                ))
            }
            /// Writes the layer's fields; returns its `"type"`.
            pub fn write(&self, f: &mut Fields) -> &'static str {
                match self { $( Layer::$v(op) => FileForm::<N>::write(op, f), )* }
            }
        }

        impl Layer<BigInt> {
            /// The output's bound and sign ([`IntOp::facts`]).
            pub fn facts(&self, ins: &[&Facts], cx: &Cx) -> Result<Bound, Error> {
                match self { $( Layer::$v(op) => IntOp::facts(op, ins, cx), )* }
            }
            /// The output's scale ([`IntOp::scale`]).
            pub fn scale(&self, s: &BigUint, cx: &Cx) -> Option<BigUint> {
                match self { $( Layer::$v(op) => IntOp::scale(op, s, cx), )* }
            }
            /// The constraints synthesis writes ([`IntOp::cost`]).
            pub fn cost(&self, ins: &[&Facts], out: &Facts, cx: &Cx) -> usize {
                match self { $( Layer::$v(op) => IntOp::cost(op, ins, out, cx), )* }
            }
            /// Native inference ([`IntOp::infer`]).
            pub fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
                match self { $( Layer::$v(op) => IntOp::infer(op, ins), )* }
            }
            /// Synthesis ([`IntOp::synthesize`]).
            pub fn synthesize(&self, ins: &[In], params: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
                match self { $( Layer::$v(op) => IntOp::synthesize(op, ins, params), )* }
            }
        }

        impl Layer<f64> {
            /// Float inference ([`FloatOp::forward`]).
            pub fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
                match self { $( Layer::$v(op) => FloatOp::forward(op, ins), )* }
            }
            /// The integer layer at the quantiser's scale ([`FloatOp::quantize`]).
            pub fn quantize(&self, q: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
                match self { $( Layer::$v(op) => FloatOp::quantize(op, q), )* }
            }
            /// The channels a following per-channel affine op acts on, when this layer can
            /// absorb it ([`Linear::affine_channels`]).
            pub fn affine_channels(&self) -> Option<usize> {
                match self { $( Layer::$v(op) => FloatOp::affine_channels(op), )* }
            }
            /// The power of the scale a rescale after the quantised layer divides by
            /// ([`FloatOp::rescale_power`]; 0: no rescale).
            pub fn rescale_power(&self) -> u32 {
                match self { $( Layer::$v(op) => FloatOp::rescale_power(op), )* }
            }
        }

        $( impl<N> From<$ty> for Layer<N> {
            fn from(op: $ty) -> Self {
                Layer::$v(op)
            }
        } )*
    };
}

registry! {
    /// Dense, weights `[in][out]`, bias at the accumulator's scale.
    Dense(Dense<N>),
    /// Conv2D over HWC, weights `[kh][kw][cin][cout]`.
    Conv2d(Conv2d<N>),
    /// Conv1D over `[len][cin]`, weights `[k][cin][cout]`.
    Conv1d(Conv1d<N>),
    /// DepthwiseConv2D, weights `[kh][kw][cin][multiplier]`, bias `[cin * multiplier]`.
    DepthwiseConv2d(DepthwiseConv2d<N>),
    /// SeparableConv2D: depthwise then pointwise with no rescale between.
    SeparableConv2d(SeparableConv2d<N>),
    /// Pointwise (1x1) convolution, weights `[cin][cout]`.
    PointwiseConv2d(PointwiseConv2d<N>),
    /// Folded batch normalisation `a * x + b` per channel.
    BatchNorm(BatchNorm<N>),
    /// The elementwise product with a tensor of the input's shape.
    Mul(Mul<N>),
    /// The elementwise product of two activations (the second broadcast), at the square
    /// of their scale.
    Product(Product),
    /// Floor division (back to the activation scale).
    Rescale(Rescale),
    /// Floor division with the quotient range-checked to a width calibrated from data.
    RescaleWithin(RescaleWithin),
    /// ReLU.
    Relu(Relu),
    /// LeakyReLU with slope `a / d` on negative inputs (floored).
    LeakyRelu(LeakyRelu<N>),
    /// circomlib-ml's Poly activation `floor((x^2 + n x) / n)`.
    Poly(Poly),
    /// circomlib-ml v1's undivided Poly `x^2 + n x`.
    PolyRaw(PolyRaw),
    /// A cubic activation (circomlib-ml's sigmoid or tanh approximation).
    Cubic(Cubic),
    /// Sigmoid or tanh through the piecewise-cubic kernel (accurate over the real line).
    Logistic(Logistic),
    /// Clip to `[lo, hi]` (ReLU6).
    Clip(Clip<N>),
    /// Average pooling.
    AvgPool2d(AvgPool2d),
    /// Max pooling.
    MaxPool2d(MaxPool2d),
    /// SumPooling2D: window sums, undivided.
    SumPool2d(SumPool2d),
    /// GlobalAveragePooling2D: HWC to C.
    GlobalAvgPool2d(GlobalAvgPool2d),
    /// GlobalMaxPooling2D: HWC to C.
    GlobalMaxPool2d(GlobalMaxPool2d),
    /// Flatten (row, column, channel).
    Flatten(Flatten),
    /// Reshape, row-major.
    Reshape(Reshape),
    /// UpSampling2D, nearest neighbour.
    UpSample2d(UpSample2d),
    /// ArgMax: the index of the first maximum.
    ArgMax(ArgMax),
    /// The elementwise sum of two inputs (a residual connection).
    Add(Add),
    /// The elementwise difference of two inputs.
    Sub(Sub),
    /// Concatenation along the channel axis.
    Concat(Concat),
    /// A wire selection of any rank (transpose, slice, split, concatenation on any axis,
    /// broadcast, gather by constant indices): zero constraints.
    Select(Select),
    /// A decision-tree ensemble over a flat input: per target, the base plus the reached
    /// leaves' values.
    TreeEnsemble(TreeEnsemble<N>),
    /// Square root, reciprocal or inverse square root, each the floor of the true value.
    Root(Root),
    /// A batched matrix product of two activations, at the square of their scale.
    MatMul(MatMul),
    /// A range check narrowing a bound the interval analysis cannot see.
    Within(Within),
}
