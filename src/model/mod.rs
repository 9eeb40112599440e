//! A sequential model over the gadgets: native inference (every layer's output and
//! remainder), layer-by-layer bound analysis, and one `ConstraintSynthesizer`.
//!
//! Integer weights that are constants (baked in), public or private; the input private or
//! public. Layers are applied exactly as listed; a [`Layer::Rescale`] goes where the model
//! divides back to the activation scale (as circomlib-ml and keras2circom v2 do after every
//! linear layer). [`Model::shapes`] checks every shape and declared width with checked
//! arithmetic before anything is allocated; the statement around a model (public inputs,
//! commitment, proving) is [`crate::circuit`].

mod facts;
mod graph;
mod shapes;
pub use facts::Facts;
pub use graph::Graph;
pub use shapes::Limits;

use ark_bn254::Fr;
use ark_r1cs_std::{boolean::Boolean, fields::fp::FpVar};
use ark_relations::gr1cs::ConstraintSystemRef;
use arkml_gadgets::{
    activation::{
        cubic, leaky_relu, native_cubic, native_leaky_relu, native_poly, native_relu, poly, relu,
        Cubic,
    },
    argmax::{argmax, native_argmax},
    compare::{diff_bound, diff_bound_of, max},
    fixed::{bits_for, pow2, to_field},
    layers::{
        avg_pool2d, batch_norm, conv1d, conv2d, dense, depthwise_conv2d, flatten,
        global_avg_pool2d, global_max_pool2d, max_pool2d, native_avg_pool2d,
        native_global_avg_pool2d, native_global_max_pool2d, native_max_pool2d, pointwise_conv2d,
        reshape, separable_conv2d, sum_pool2d, upsample2d, Conv2dConfig, Padding, Pool2dConfig,
    },
    range::enforce_bound,
    rescale::{native_rescale_tensor, rescale, rescale_within},
    tensor::{alloc_tensor, try_map, Scalar, Visibility},
    Error,
};
use ndarray::{Array1, Array2, Array3, Array4, ArrayD, Dimension, Ix1, Ix2, Ix3, Ix4, IxDyn};
use num_bigint::{BigInt, BigUint};
use num_traits::{One, Zero};
use thiserror::Error as ThisError;

/// A layer of a sequential model.
///
/// Linear layers (those with parameters) return the unscaled accumulator: the input's scale
/// times the weights' scale, with biases at that scale. A [`Layer::Rescale`] brings the result
/// back to the activation scale; [`crate::quant`] inserts one after every linear layer.
#[derive(Clone, Debug)]
pub enum Layer {
    /// Dense, weights `[in][out]`, bias at the accumulator's scale.
    Dense {
        /// Weights.
        w: Array2<BigInt>,
        /// Bias.
        b: Array1<BigInt>,
    },
    /// Conv2D over HWC, weights `[kh][kw][cin][cout]`.
    Conv2d {
        /// Weights.
        w: Array4<BigInt>,
        /// Bias.
        b: Array1<BigInt>,
        /// Stride, padding, dilation.
        cfg: Conv2dConfig,
    },
    /// Conv1D over `[len][cin]`, weights `[k][cin][cout]`.
    Conv1d {
        /// Weights.
        w: Array3<BigInt>,
        /// Bias.
        b: Array1<BigInt>,
        /// Stride.
        stride: usize,
        /// Padding.
        padding: Padding,
        /// Dilation.
        dilation: usize,
    },
    /// DepthwiseConv2D, weights `[kh][kw][cin][multiplier]`, bias `[cin * multiplier]`.
    DepthwiseConv2d {
        /// Weights.
        w: Array4<BigInt>,
        /// Bias.
        b: Array1<BigInt>,
        /// Stride, padding, dilation.
        cfg: Conv2dConfig,
    },
    /// SeparableConv2D: depthwise then pointwise with no rescale between, so the output
    /// is at the input's scale times both weight scales.
    SeparableConv2d {
        /// Depthwise weights `[kh][kw][cin][multiplier]`.
        depthwise: Array4<BigInt>,
        /// Pointwise weights `[cin * multiplier][cout]`.
        pointwise: Array2<BigInt>,
        /// Bias `[cout]`, at the output's scale.
        b: Array1<BigInt>,
        /// Stride, padding, dilation of the depthwise step.
        cfg: Conv2dConfig,
    },
    /// Pointwise (1x1) convolution, weights `[cin][cout]`.
    PointwiseConv2d {
        /// Weights.
        w: Array2<BigInt>,
        /// Bias.
        b: Array1<BigInt>,
    },
    /// Folded batch normalisation `a * x + b` per channel.
    BatchNorm {
        /// Scale.
        a: Array1<BigInt>,
        /// Shift.
        b: Array1<BigInt>,
    },
    /// Floor division by `n` (back to the activation scale).
    Rescale(BigUint),
    /// Floor division by `divisor` with the quotient range-checked to `bits` (a width
    /// calibrated from data, below what the bound analysis gives): every later layer sees
    /// the small bound. Sound for any input; an input whose quotient does not fit cannot be
    /// proven and is a typed error naming the layer
    /// ([`arkml_gadgets::rescale::rescale_within`]).
    RescaleWithin {
        /// The divisor.
        divisor: BigUint,
        /// The quotient's proven width: `-2^bits <= q < 2^bits`.
        bits: u32,
    },
    /// ReLU.
    Relu,
    /// LeakyReLU with slope `a / d` on negative inputs (floored).
    LeakyRelu {
        /// Slope numerator.
        a: BigInt,
        /// Slope denominator (the activation scale).
        d: BigUint,
    },
    /// circomlib-ml's Poly activation `floor((x^2 + n x) / n)` at activation scale `n`.
    Poly(BigUint),
    /// A cubic activation (circomlib-ml's sigmoid or tanh approximation) at scale `scale`.
    Cubic {
        /// Coefficients in units of `10^-9` ([`ZIGMOID`](arkml_gadgets::activation::ZIGMOID),
        /// [`ZANH`](arkml_gadgets::activation::ZANH)).
        coeffs: Cubic,
        /// The activation scale.
        scale: BigUint,
    },
    /// Average pooling.
    AvgPool2d(Pool2dConfig),
    /// Max pooling.
    MaxPool2d(Pool2dConfig),
    /// GlobalAveragePooling2D: HWC to C.
    GlobalAvgPool2d,
    /// GlobalMaxPooling2D: HWC to C.
    GlobalMaxPool2d,
    /// Flatten (row, column, channel).
    Flatten,
    /// Reshape, row-major.
    Reshape(Vec<usize>),
    /// UpSampling2D, nearest neighbour, by `(rows, columns)`.
    UpSample2d((usize, usize)),
    /// ArgMax: the output becomes the index of the first maximum.
    ArgMax,
    /// The elementwise sum of two inputs of equal shape and scale (a residual connection).
    /// Zero constraints; bound: the larger input bound plus one.
    Add,
    /// The elementwise difference `a - b` of two inputs of equal shape and scale. Zero
    /// constraints; bound: the larger input bound plus one.
    Sub,
    /// Concatenation along the last (channel) axis of inputs at equal scale whose other
    /// dimensions agree. Zero constraints.
    Concat,
    /// The elementwise product with a tensor `c` of the input's shape (a weight: constant,
    /// public or private as the model's weights), at the input's scale times `c`'s.
    Mul {
        /// The factors.
        c: ArrayD<BigInt>,
    },
    /// Clip to `[lo, hi]` (ReLU6 at scale `S` is `lo = 0`, `hi = 6 S`). Two comparisons
    /// per element.
    Clip {
        /// The lower end.
        lo: BigInt,
        /// The upper end (at least `lo`).
        hi: BigInt,
    },
    /// SumPooling2D: window sums, undivided. Zero constraints.
    SumPool2d(Pool2dConfig),
    /// circomlib-ml v1's undivided Poly `x^2 + n x` (at scale `n^2` for an input at scale
    /// `n`). One constraint per element.
    PolyRaw(BigUint),
}

impl Layer {
    /// A short name for tables and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Dense { .. } => "Dense",
            Layer::Conv2d { .. } => "Conv2D",
            Layer::Conv1d { .. } => "Conv1D",
            Layer::DepthwiseConv2d { .. } => "Depthwise",
            Layer::SeparableConv2d { .. } => "Separable",
            Layer::PointwiseConv2d { .. } => "Pointwise",
            Layer::BatchNorm { .. } => "BatchNorm",
            Layer::Rescale(_) | Layer::RescaleWithin { .. } => "Rescale",
            Layer::Relu => "ReLU",
            Layer::LeakyRelu { .. } => "LeakyReLU",
            Layer::Poly(_) => "Poly",
            Layer::Cubic { .. } => "Cubic",
            Layer::AvgPool2d(_) => "AvgPool2D",
            Layer::MaxPool2d(_) => "MaxPool2D",
            Layer::GlobalAvgPool2d => "GlobalAvg",
            Layer::GlobalMaxPool2d => "GlobalMax",
            Layer::Flatten => "Flatten",
            Layer::Reshape(_) => "Reshape",
            Layer::UpSample2d(_) => "UpSample2D",
            Layer::ArgMax => "ArgMax",
            Layer::Add => "Add",
            Layer::Sub => "Sub",
            Layer::Concat => "Concat",
            Layer::Mul { .. } => "Mul",
            Layer::Clip { .. } => "Clip",
            Layer::SumPool2d(_) => "SumPool2D",
            Layer::PolyRaw(_) => "PolyRaw",
        }
    }

    /// How many inputs the layer takes: `(least, most)`.
    pub fn arity(&self) -> (usize, usize) {
        match self {
            Layer::Add | Layer::Sub => (2, 2),
            Layer::Concat => (1, usize::MAX),
            _ => (1, 1),
        }
    }

    /// The layer's parameters in the verifier's order (weights before bias), each with
    /// what it is. Empty for layers without parameters.
    pub(crate) fn params(&self) -> Vec<(ArrayD<BigInt>, Param)> {
        use Param::{Bias, Weight};
        let d = |a: &dyn AsDyn| a.as_dyn();
        match self {
            Layer::Dense { w, b } | Layer::PointwiseConv2d { w, b } => {
                vec![(d(w), Weight), (d(b), Bias)]
            }
            Layer::Conv2d { w, b, .. } | Layer::DepthwiseConv2d { w, b, .. } => {
                vec![(d(w), Weight), (d(b), Bias)]
            }
            Layer::Conv1d { w, b, .. } => vec![(d(w), Weight), (d(b), Bias)],
            Layer::SeparableConv2d {
                depthwise,
                pointwise,
                b,
                ..
            } => vec![(d(depthwise), Weight), (d(pointwise), Weight), (d(b), Bias)],
            Layer::BatchNorm { a, b } => vec![(d(a), Weight), (d(b), Bias)],
            Layer::Mul { c } => vec![(c.clone(), Weight)],
            _ => vec![],
        }
    }

    /// The same layer with its parameters replaced, in [`Layer::params`]' order; errors when
    /// the count or a rank differs.
    pub(crate) fn with_params(&self, p: Vec<ArrayD<BigInt>>) -> Result<Layer, Error> {
        if p.len() != self.params().len() {
            return Err(Error::shape(
                "layer parameters",
                self.params().len(),
                p.len(),
            ));
        }
        fn r<D: Dimension>(a: &ArrayD<BigInt>) -> Result<ndarray::Array<BigInt, D>, Error> {
            a.clone()
                .into_dimensionality()
                .map_err(|_| Error::ShapeMismatch {
                    what: "parameter rank".into(),
                    expected: format!("{} dimensions", D::NDIM.unwrap_or(0)),
                    got: format!("{:?}", a.shape()),
                })
        }
        Ok(match self {
            Layer::Dense { .. } => Layer::Dense {
                w: r(&p[0])?,
                b: r(&p[1])?,
            },
            Layer::PointwiseConv2d { .. } => Layer::PointwiseConv2d {
                w: r(&p[0])?,
                b: r(&p[1])?,
            },
            Layer::Conv2d { cfg, .. } => Layer::Conv2d {
                w: r(&p[0])?,
                b: r(&p[1])?,
                cfg: *cfg,
            },
            Layer::DepthwiseConv2d { cfg, .. } => Layer::DepthwiseConv2d {
                w: r(&p[0])?,
                b: r(&p[1])?,
                cfg: *cfg,
            },
            Layer::Conv1d {
                stride,
                padding,
                dilation,
                ..
            } => Layer::Conv1d {
                w: r(&p[0])?,
                b: r(&p[1])?,
                stride: *stride,
                padding: *padding,
                dilation: *dilation,
            },
            Layer::SeparableConv2d { cfg, .. } => Layer::SeparableConv2d {
                depthwise: r(&p[0])?,
                pointwise: r(&p[1])?,
                b: r(&p[2])?,
                cfg: *cfg,
            },
            Layer::BatchNorm { .. } => Layer::BatchNorm {
                a: r(&p[0])?,
                b: r(&p[1])?,
            },
            Layer::Mul { .. } => Layer::Mul { c: p[0].clone() },
            other => other.clone(),
        })
    }

    /// Whether each parameter is a weight (`true`) or a bias, in [`Layer::params`]' order.
    pub(crate) fn param_is_weight(&self) -> Vec<bool> {
        self.params()
            .iter()
            .map(|(_, p)| *p == Param::Weight)
            .collect()
    }

    /// Whether the layer has parameters (and so multiplies by weights).
    pub fn is_linear(&self) -> bool {
        !self.params().is_empty()
    }

    /// How many weight factors multiply the input (two for separable convolutions).
    pub(crate) fn weight_factors(&self) -> u32 {
        self.params()
            .iter()
            .filter(|(_, p)| *p == Param::Weight)
            .count() as u32
    }
}

/// A rescale's quotients, checking the proven bound against the facts pass and keeping the
/// quotients' sign bits for a following ReLU.
fn rescaled(
    parts: ArrayD<arkml_gadgets::rescale::Rescaled<Fr>>,
    fresh_signs: &mut Option<ArrayD<Boolean<Fr>>>,
    agrees: impl Fn(u32) -> Result<(), ModelError>,
) -> Result<ArrayD<FpVar<Fr>>, ModelError> {
    if let Some(p) = parts.iter().next() {
        agrees(p.quotient_bound)?;
    }
    if parts.iter().all(|p| !p.quotient_bits.is_empty()) {
        *fresh_signs = Some(parts.map(|p| p.quotient_bits.last().expect("non-empty").clone()));
    }
    Ok(parts.map(|p| p.quotient.clone()))
}

/// Any ndarray as a dynamic-rank copy (lets [`Layer::params`] treat every rank alike).
trait AsDyn {
    fn as_dyn(&self) -> ArrayD<BigInt>;
}

impl<D: Dimension> AsDyn for ndarray::Array<BigInt, D> {
    fn as_dyn(&self) -> ArrayD<BigInt> {
        self.clone().into_dyn()
    }
}

/// What went wrong, naming the layer.
#[derive(Debug, ThisError)]
pub enum ModelError {
    /// A layer rejected its input or parameters.
    #[error("layer {index} ({kind}): {source}")]
    Layer {
        /// Position in the model, from 0.
        index: usize,
        /// Layer kind.
        kind: &'static str,
        /// The gadget's error.
        source: Error,
    },
    /// The input does not match the model.
    #[error("input: {0}")]
    Input(Error),
    /// The graph is not well formed (an output that does not exist, a duplicate name).
    #[error("graph: {0}")]
    Graph(String),
}

/// One layer's native result.
#[derive(Clone, Debug)]
pub struct LayerOutput {
    /// The layer's output.
    pub out: ArrayD<BigInt>,
    /// The remainder, for layers that divide.
    pub remainder: Option<ArrayD<BigInt>>,
}

/// Every layer's parameters as circuit variables (or constants), per layer in order.
pub type WeightVars = Vec<Vec<ArrayD<FpVar<Fr>>>>;

/// What synthesis produced.
#[derive(Clone, Debug)]
pub struct Synthesized {
    /// The output variables.
    pub output: ArrayD<FpVar<Fr>>,
    /// Per-layer figures.
    pub summary: Vec<LayerSummary>,
    /// Every public or private weight variable, in the verifier's order (empty for constant
    /// weights): what a commitment to the weights must bind.
    pub weights: Vec<FpVar<Fr>>,
}

/// Per-layer figures from synthesis.
#[derive(Clone, Debug)]
pub struct LayerSummary {
    /// Layer kind.
    pub kind: &'static str,
    /// Output shape.
    pub shape: Vec<usize>,
    /// Proven bound of the output (`-2^B <= v < 2^B`).
    pub bound: u32,
    /// The output's fixed-point scale, where the model declares one ([`Model::scale`]).
    pub scale: Option<BigUint>,
    /// Constraints the layer wrote.
    pub constraints: usize,
}

/// Which parameter of a linear layer a tensor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    /// Weights (and BatchNorm's `a`).
    Weight,
    /// Biases (and BatchNorm's `b`), at the accumulator's scale.
    Bias,
}

/// How the model's parameters enter the circuit.
///
/// The default is [`Visibility::Constant`]: weights baked into the circuit, so every
/// multiplication by them is free, and the verifying key is bound to these weights. With
/// `Private` (or `Public`) weights, each multiply-accumulate costs one constraint and every
/// weight is range-checked to its declared width (`-2^bits <= w < 2^bits`), which the bound
/// analysis then uses as the worst case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightSpec {
    /// Constant, public or private.
    pub visibility: Visibility,
    /// Declared bound of weights (and BatchNorm `a`); ignored for constants.
    pub weight_bits: u32,
    /// Declared bound of biases (and BatchNorm `b`); ignored for constants.
    pub bias_bits: u32,
}

impl Default for WeightSpec {
    fn default() -> Self {
        WeightSpec {
            visibility: Visibility::Constant,
            weight_bits: 0,
            bias_bits: 0,
        }
    }
}

impl WeightSpec {
    fn bits(&self, p: Param) -> u32 {
        match p {
            Param::Weight => self.weight_bits,
            Param::Bias => self.bias_bits,
        }
    }
}

/// A sequential model with integer (already quantised) weights.
#[derive(Clone, Debug)]
pub struct Model {
    /// Input shape (HWC for images).
    pub input_shape: Vec<usize>,
    /// Input bound: every input value satisfies `-2^B <= v < 2^B` (range-checked in circuit).
    pub input_bound: u32,
    /// Whether the input is a public input (default private).
    pub input_visibility: Visibility,
    /// The layers, in topological order (a chain unless [`Model::graph`] wires them).
    pub layers: Vec<Layer>,
    /// How the layers connect (default: a chain, each layer reading the previous one).
    pub graph: Graph,
    /// How the weights enter the circuit (default: constants).
    pub weights: WeightSpec,
    /// The activation scale `S`, if the model follows the one-scale convention (input and
    /// weights at `S`, biases at the accumulator's scale): only used to label each layer's
    /// output scale in the summary. [`crate::quant`] sets it.
    pub scale: Option<BigUint>,
}

/// A view of `a` with `D` dimensions, or a shape error.
fn dims<T, D: Dimension>(a: &ArrayD<T>) -> Result<ndarray::ArrayView<'_, T, D>, Error> {
    a.view()
        .into_dimensionality::<D>()
        .map_err(|_| Error::ShapeMismatch {
            what: "layer input rank".into(),
            expected: format!("{} dimensions", D::NDIM.unwrap_or(0)),
            got: format!("{:?}", a.shape()),
        })
}

/// A linear layer at any scalar: the same code gives the native twin, the circuit, the
/// worst-case bound and the float reference. `conv` turns each parameter into `T`.
pub(crate) fn linear<T: Scalar>(
    layer: &Layer,
    x: &ArrayD<T>,
    conv: impl Fn(&ArrayD<BigInt>, Param) -> Result<ArrayD<T>, Error>,
) -> Result<ArrayD<T>, Error> {
    let p = layer
        .params()
        .iter()
        .map(|(a, k)| conv(a, *k))
        .collect::<Result<Vec<_>, Error>>()?;
    apply_linear(layer, x, &p)
}

/// Applies a linear layer's shape logic to already-converted parameters.
pub(crate) fn apply_linear<T: Scalar>(
    layer: &Layer,
    x: &ArrayD<T>,
    p: &[ArrayD<T>],
) -> Result<ArrayD<T>, Error> {
    Ok(match layer {
        Layer::Dense { .. } => dense(
            dims::<_, Ix1>(x)?,
            dims::<_, Ix2>(&p[0])?,
            dims::<_, Ix1>(&p[1])?,
        )?
        .into_dyn(),
        Layer::Conv2d { cfg, .. } => conv2d(
            dims::<_, Ix3>(x)?,
            dims::<_, Ix4>(&p[0])?,
            dims::<_, Ix1>(&p[1])?,
            cfg,
        )?
        .into_dyn(),
        Layer::Conv1d {
            stride,
            padding,
            dilation,
            ..
        } => conv1d(
            dims::<_, Ix2>(x)?,
            dims::<_, Ix3>(&p[0])?,
            dims::<_, Ix1>(&p[1])?,
            *stride,
            *padding,
            *dilation,
        )?
        .into_dyn(),
        Layer::DepthwiseConv2d { cfg, .. } => depthwise_conv2d(
            dims::<_, Ix3>(x)?,
            dims::<_, Ix4>(&p[0])?,
            dims::<_, Ix1>(&p[1])?,
            cfg,
        )?
        .into_dyn(),
        Layer::SeparableConv2d { cfg, .. } => separable_conv2d(
            dims::<_, Ix3>(x)?,
            dims::<_, Ix4>(&p[0])?,
            dims::<_, Ix2>(&p[1])?,
            dims::<_, Ix1>(&p[2])?,
            cfg,
        )?
        .into_dyn(),
        Layer::PointwiseConv2d { .. } => pointwise_conv2d(
            dims::<_, Ix3>(x)?,
            dims::<_, Ix2>(&p[0])?,
            dims::<_, Ix1>(&p[1])?,
        )?
        .into_dyn(),
        Layer::BatchNorm { .. } => {
            batch_norm(x.view(), dims::<_, Ix1>(&p[0])?, dims::<_, Ix1>(&p[1])?)?
        }
        Layer::Mul { .. } => {
            if p[0].shape() != x.shape() {
                return Err(Error::shape(
                    "mul factors",
                    format!("{:?}", x.shape()),
                    format!("{:?}", p[0].shape()),
                ));
            }
            ndarray::Zip::from(x)
                .and(&p[0])
                .map_collect(|a, c| a.mul(c))
        }
        other => {
            return Err(Error::param(
                other.kind(),
                "has no parameters (not a linear layer)",
            ))
        }
    })
}

/// `f` elementwise over two tensors of equal shape.
fn zip2<T>(a: &ArrayD<T>, b: &ArrayD<T>, f: impl Fn(&T, &T) -> T) -> Result<ArrayD<T>, Error> {
    if a.shape() != b.shape() {
        return Err(Error::shape(
            "second input",
            format!("{:?}", a.shape()),
            format!("{:?}", b.shape()),
        ));
    }
    Ok(ndarray::Zip::from(a).and(b).map_collect(f))
}

/// Concatenation along the last axis; every other dimension must agree.
fn concat_last<T: Clone>(xs: &[&ArrayD<T>]) -> Result<ArrayD<T>, Error> {
    let first = xs
        .first()
        .ok_or_else(|| Error::param("concat", "no inputs"))?;
    let rank = first.ndim();
    if rank == 0 {
        return Err(Error::param("concat input", "a scalar has no channel axis"));
    }
    for x in xs {
        if x.ndim() != rank || x.shape()[..rank - 1] != first.shape()[..rank - 1] {
            return Err(Error::shape(
                "concat input",
                format!("{:?} but the last axis", first.shape()),
                format!("{:?}", x.shape()),
            ));
        }
    }
    let views: Vec<_> = xs.iter().map(|x| x.view()).collect();
    ndarray::concatenate(ndarray::Axis(rank - 1), &views)
        .map_err(|err| Error::param("concat", err.to_string()))
}

/// Errors unless `lo <= hi`.
fn clip_order(lo: &BigInt, hi: &BigInt) -> Result<(), Error> {
    if lo > hi {
        return Err(Error::param("clip", format!("lo {lo} above hi {hi}")));
    }
    Ok(())
}

/// Splits `(quotient, remainder)` pairs into two tensors.
fn split(a: ArrayD<(BigInt, BigInt)>) -> (ArrayD<BigInt>, Option<ArrayD<BigInt>>) {
    (a.map(|p| p.0.clone()), Some(a.map(|p| p.1.clone())))
}

/// Errors unless `n >= 1`.
fn nonzero(n: &BigUint, what: &str) -> Result<(), Error> {
    if n.is_zero() {
        return Err(Error::InvalidParameter {
            what: what.into(),
            why: "must be at least 1".into(),
        });
    }
    Ok(())
}

/// The bound of LeakyReLU's output for inputs with bound `b`.
fn leaky_bound(b: u32, a: &BigInt, d: &BigUint) -> u32 {
    let ends = [pow2(b) * -1, BigInt::from(-1), pow2(b) - 1];
    ends.iter()
        .map(|x| bits_for(&native_leaky_relu(x, a, d)))
        .max()
        .unwrap_or(0)
}

/// `n` as `2^k` or `10^k` where it is one, else the number.
pub fn format_scale(n: &BigUint) -> String {
    if n.is_one() {
        return "1".into();
    }
    if arkml_gadgets::fixed::is_pow2(n) {
        return format!("2^{}", n.bits() - 1);
    }
    let s = n.to_string();
    if s.starts_with('1') && s[1..].bytes().all(|c| c == b'0') {
        return format!("10^{}", s.len() - 1);
    }
    s
}

impl Model {
    /// Native integer inference: every layer's output (and remainder where it divides).
    pub fn infer(&self, input: &ArrayD<BigInt>) -> Result<Vec<LayerOutput>, ModelError> {
        self.check_input(input)?;
        let mut outs: Vec<LayerOutput> = Vec::with_capacity(self.layers.len());
        for (index, layer) in self.layers.iter().enumerate() {
            let e = |source| ModelError::Layer {
                index,
                kind: layer.kind(),
                source,
            };
            // the values this layer reads, in place
            let ins = self.graph.inputs_of(index);
            let val = |v: usize| if v == 0 { input } else { &outs[v - 1].out };
            let x = val(ins[0]);
            let (out, remainder) = match layer {
                l @ (Layer::Dense { .. }
                | Layer::Conv2d { .. }
                | Layer::Conv1d { .. }
                | Layer::DepthwiseConv2d { .. }
                | Layer::SeparableConv2d { .. }
                | Layer::PointwiseConv2d { .. }
                | Layer::BatchNorm { .. }
                | Layer::Mul { .. }) => (linear(l, x, |a, _| Ok(a.clone())).map_err(e)?, None),
                Layer::Rescale(n) => {
                    nonzero(n, "divisor").map_err(e)?;
                    let (q, r) = native_rescale_tensor(x, n);
                    (q, Some(r))
                }
                Layer::RescaleWithin { divisor: n, bits } => {
                    nonzero(n, "divisor").map_err(e)?;
                    let (q, r) = native_rescale_tensor(x, n);
                    if let Some((at, v)) = q
                        .indexed_iter()
                        .find(|(_, v)| !arkml_gadgets::fixed::fits_signed(v, *bits))
                    {
                        return Err(e(Error::OutOfRange {
                            what: format!(
                                "activation {:?} (beyond the width calibrated from data; recalibrate with more headroom)",
                                at.slice()
                            ),
                            value: v.to_string(),
                            range: format!("[-2^{bits}, 2^{bits})"),
                        }));
                    }
                    (q, Some(r))
                }
                Layer::Relu => (x.map(native_relu), None),
                Layer::LeakyRelu { a, d } => {
                    nonzero(d, "slope denominator").map_err(e)?;
                    (x.map(|v| native_leaky_relu(v, a, d)), None)
                }
                Layer::Poly(n) => {
                    nonzero(n, "scale").map_err(e)?;
                    split(x.map(|v| native_poly(v, n)))
                }
                Layer::Cubic { coeffs, scale } => {
                    nonzero(scale, "scale").map_err(e)?;
                    split(x.map(|v| native_cubic(coeffs, v, scale)))
                }
                Layer::AvgPool2d(cfg) => {
                    let (q, r) =
                        native_avg_pool2d(dims::<_, Ix3>(x).map_err(e)?, cfg).map_err(e)?;
                    (q.into_dyn(), Some(r.into_dyn()))
                }
                Layer::MaxPool2d(cfg) => (
                    native_max_pool2d(dims::<_, Ix3>(x).map_err(e)?, cfg)
                        .map_err(e)?
                        .into_dyn(),
                    None,
                ),
                Layer::GlobalAvgPool2d => {
                    let x3 = dims::<_, Ix3>(x).map_err(e)?;
                    if x3.is_empty() {
                        return Err(e(Error::InvalidParameter {
                            what: "global pooling input".into(),
                            why: "must not be empty".into(),
                        }));
                    }
                    let (q, r) = native_global_avg_pool2d(x3);
                    (q.into_dyn(), Some(r.into_dyn()))
                }
                Layer::GlobalMaxPool2d => (
                    native_global_max_pool2d(dims::<_, Ix3>(x).map_err(e)?)
                        .map_err(e)?
                        .into_dyn(),
                    None,
                ),
                Layer::Flatten => (flatten(x.view()).into_dyn(), None),
                Layer::Reshape(shape) => (reshape(x.view(), shape).map_err(e)?, None),
                Layer::UpSample2d(size) => (
                    upsample2d(dims::<_, Ix3>(x).map_err(e)?, *size)
                        .map_err(e)?
                        .into_dyn(),
                    None,
                ),
                Layer::ArgMax => {
                    let i = native_argmax(dims::<_, Ix1>(x).map_err(e)?).map_err(e)?;
                    (ArrayD::from_elem(IxDyn(&[]), BigInt::from(i)), None)
                }
                Layer::Add => (zip2(x, val(ins[1]), |a, b| a + b).map_err(e)?, None),
                Layer::Sub => (zip2(x, val(ins[1]), |a, b| a - b).map_err(e)?, None),
                Layer::Concat => {
                    let xs: Vec<&ArrayD<BigInt>> = ins.iter().map(|&v| val(v)).collect();
                    (concat_last(&xs).map_err(e)?, None)
                }
                Layer::Clip { lo, hi } => {
                    clip_order(lo, hi).map_err(e)?;
                    (x.map(|v| v.clamp(lo, hi).clone()), None)
                }
                Layer::SumPool2d(cfg) => (
                    sum_pool2d(dims::<_, Ix3>(x).map_err(e)?, cfg)
                        .map_err(e)?
                        .into_dyn(),
                    None,
                ),
                Layer::PolyRaw(n) => {
                    nonzero(n, "scale").map_err(e)?;
                    let n = BigInt::from(n.clone());
                    (x.map(|v| v * v + &n * v), None)
                }
            };
            outs.push(LayerOutput { out, remainder });
        }
        Ok(outs)
    }

    /// The model's output from [`Model::infer`]'s per-layer results: the output value (the
    /// last layer's unless [`Graph::outputs`] says otherwise), or with several outputs their
    /// concatenation, each flattened.
    pub fn output_of(&self, input: &ArrayD<BigInt>, outs: &[LayerOutput]) -> ArrayD<BigInt> {
        let val = |v: usize| if v == 0 { input } else { &outs[v - 1].out };
        let vs = self.graph.outputs_of(self.layers.len());
        if vs.len() == 1 {
            return val(vs[0]).clone();
        }
        let flat: Vec<BigInt> = vs.iter().flat_map(|&v| val(v).iter().cloned()).collect();
        let n = flat.len();
        ArrayD::from_shape_vec(IxDyn(&[n]), flat).expect("a flat vector")
    }

    /// Native inference returning only the model's output ([`Model::output_of`]).
    pub fn predict(&self, input: &ArrayD<BigInt>) -> Result<ArrayD<BigInt>, ModelError> {
        let outs = self.infer(input)?;
        Ok(self.output_of(input, &outs))
    }

    fn check_input(&self, input: &ArrayD<BigInt>) -> Result<(), ModelError> {
        self.shapes()?;
        if input.shape() != self.input_shape.as_slice() {
            return Err(ModelError::Input(Error::ShapeMismatch {
                what: "model input".into(),
                expected: format!("{:?}", self.input_shape),
                got: format!("{:?}", input.shape()),
            }));
        }
        if let Some(v) = input
            .iter()
            .find(|v| !arkml_gadgets::fixed::fits_signed(v, self.input_bound))
        {
            return Err(ModelError::Input(Error::OutOfRange {
                what: "model input".into(),
                value: v.to_string(),
                range: format!("[-2^{b}, 2^{b})", b = self.input_bound),
            }));
        }
        Ok(())
    }

    /// Synthesises the model on `input`, returning the output variables and per-layer figures.
    pub fn synthesize(
        &self,
        cs: ConstraintSystemRef<Fr>,
        input: &ArrayD<BigInt>,
    ) -> Result<(ArrayD<FpVar<Fr>>, Vec<LayerSummary>), ModelError> {
        self.synthesize_with_weights(cs, input)
            .map(|s| (s.output, s.summary))
    }

    /// As [`Model::synthesize`], also returning the weight variables (for a commitment).
    pub fn synthesize_with_weights(
        &self,
        cs: ConstraintSystemRef<Fr>,
        input: &ArrayD<BigInt>,
    ) -> Result<Synthesized, ModelError> {
        self.check_input(input)?;
        let x =
            alloc_tensor(cs.clone(), input, self.input_visibility).map_err(ModelError::Input)?;
        for v in x.iter() {
            enforce_bound(v, self.input_bound).map_err(ModelError::Input)?;
        }
        let weights = self.alloc_weights(cs.clone())?;
        let (output, summary) = self.synthesize_on(cs, x, &weights)?;
        Ok(Synthesized {
            output,
            summary,
            weights: if self.weights.visibility == Visibility::Constant {
                Vec::new()
            } else {
                weights
                    .iter()
                    .flatten()
                    .flat_map(|t| t.iter().cloned())
                    .collect()
            },
        })
    }

    /// How many weights and biases the model has ([`Model::weight_values`]' length).
    pub fn weight_count(&self) -> usize {
        self.layers
            .iter()
            .flat_map(|l| l.params())
            .map(|(t, _)| t.len())
            .sum()
    }

    /// Every weight and bias, layer by layer in the verifier's order (weights before bias),
    /// as field elements: what a weight commitment covers.
    pub fn weight_values(&self) -> Vec<Fr> {
        self.layers
            .iter()
            .flat_map(|l| l.params())
            .flat_map(|(t, _)| {
                t.iter()
                    .map(arkml_gadgets::fixed::to_field::<Fr>)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Allocates every layer's parameters with the model's [`WeightSpec`] (constants, or
    /// public / private variables range-checked to their declared widths), per layer in
    /// order. Several syntheses that share them ([`Model::synthesize_on`]) use one model.
    pub fn alloc_weights(&self, cs: ConstraintSystemRef<Fr>) -> Result<WeightVars, ModelError> {
        let spec = self.weights;
        self.layers
            .iter()
            .enumerate()
            .map(|(index, l)| {
                l.params()
                    .iter()
                    .map(|(a, p)| {
                        let t = alloc_tensor(cs.clone(), a, spec.visibility)?;
                        if spec.visibility != Visibility::Constant {
                            for w in t.iter() {
                                enforce_bound(w, spec.bits(*p)).map_err(|err| match err {
                                    Error::OutOfRange { value, range, .. } => Error::OutOfRange {
                                        what: format!("{p:?} (declared width)").to_lowercase(),
                                        value,
                                        range,
                                    },
                                    other => other,
                                })?;
                            }
                        }
                        Ok(t)
                    })
                    .collect::<Result<Vec<_>, Error>>()
                    .map_err(|source| ModelError::Layer {
                        index,
                        kind: l.kind(),
                        source,
                    })
            })
            .collect()
    }

    /// The layers on an input that is already allocated and proven within
    /// [`Model::input_bound`] (e.g. bytes decoded in circuit), with parameters from
    /// [`Model::alloc_weights`]. Returns the model's output ([`Model::output_of`]'s shape)
    /// and per-layer figures.
    pub fn synthesize_on(
        &self,
        cs: ConstraintSystemRef<Fr>,
        x: ArrayD<FpVar<Fr>>,
        weights: &WeightVars,
    ) -> Result<(ArrayD<FpVar<Fr>>, Vec<LayerSummary>), ModelError> {
        if x.shape() != self.input_shape.as_slice() {
            return Err(ModelError::Input(Error::shape(
                "model input",
                format!("{:?}", self.input_shape),
                format!("{:?}", x.shape()),
            )));
        }
        // bounds, scales and signs come from the facts pass (which also checks the wiring
        // and that a multi-input layer's inputs share a scale): one source of truth
        let facts = self.facts()?;
        let fact_of = |v: usize| -> (u32, bool) {
            match v {
                0 => (self.input_bound, false),
                v => (facts[v - 1].bound, facts[v - 1].nonneg),
            }
        };
        let n = self.layers.len();
        let outputs = self.graph.outputs_of(n);
        let last_use = self.graph.last_use(n);
        // per value (0: the input, i + 1: layer i's output): the variables (dropped after
        // their last reader) and the sign bits of a rescale's quotients (a ReLU reading them
        // reuses them: 1 constraint per element, not a decomposition)
        let mut vals: Vec<Option<ArrayD<FpVar<Fr>>>> = vec![Some(x)];
        let mut signs: Vec<Option<ArrayD<Boolean<Fr>>>> = vec![None];
        let mut summary = Vec::with_capacity(n);
        for (index, layer) in self.layers.iter().enumerate() {
            let e = |source| ModelError::Layer {
                index,
                kind: layer.kind(),
                source,
            };
            let ins = self.graph.inputs_of(index);
            let get = |v: usize| {
                vals[v]
                    .as_ref()
                    .ok_or_else(|| e(Error::param("inputs", format!("value {v} already freed"))))
            };
            let x = get(ins[0])?.clone();
            // the input's proven bound, and whether it is known non-negative (after a ReLU:
            // comparisons get a bit)
            let (bound, nonneg) = fact_of(ins[0]);
            // an unsatisfied constraint names its node (under ark-relations' ConstraintLayer)
            let _node = tracing::info_span!(
                target: "gr1cs",
                "node",
                index,
                kind = layer.kind()
            )
            .entered();
            let before = cs.num_constraints();
            let mut fresh_signs: Option<ArrayD<Boolean<Fr>>> = None;
            let f = &facts[index];
            // where a gadget reports the bound it proves, it must be the facts pass's
            let agrees = |proved: u32| {
                if proved == f.bound {
                    Ok(())
                } else {
                    Err(e(Error::param(
                        "bound",
                        format!(
                            "the gadget proves {proved} bits, the facts pass {}",
                            f.bound
                        ),
                    )))
                }
            };
            let out = match layer {
                l @ (Layer::Dense { .. }
                | Layer::Conv2d { .. }
                | Layer::Conv1d { .. }
                | Layer::DepthwiseConv2d { .. }
                | Layer::SeparableConv2d { .. }
                | Layer::PointwiseConv2d { .. }
                | Layer::BatchNorm { .. }
                | Layer::Mul { .. }) => {
                    let p = weights.get(index).ok_or_else(|| {
                        e(Error::shape(
                            "model weights",
                            self.layers.len(),
                            weights.len(),
                        ))
                    })?;
                    apply_linear(l, &x, p).map_err(e)?
                }
                Layer::Rescale(n) => {
                    let parts = try_map(&x, |v| rescale(v, bound, n)).map_err(e)?;
                    rescaled(parts, &mut fresh_signs, agrees)?
                }
                Layer::RescaleWithin { divisor, bits } => {
                    let parts =
                        try_map(&x, |v| rescale_within(v, bound, divisor, *bits)).map_err(e)?;
                    rescaled(parts, &mut fresh_signs, agrees)?
                }
                Layer::Relu => match signs[ins[0]].clone() {
                    Some(sg) => {
                        let out: Vec<FpVar<Fr>> = x
                            .iter()
                            .zip(sg.iter())
                            .map(|(v, s)| FpVar::from(s.clone()) * v)
                            .collect();
                        ArrayD::from_shape_vec(x.raw_dim(), out).expect("same shape")
                    }
                    None => try_map(&x, |v| relu(v, bound)).map_err(e)?,
                },
                Layer::LeakyRelu { a, d } => {
                    try_map(&x, |v| leaky_relu(v, bound, a, d)).map_err(e)?
                }
                Layer::Poly(n) => try_map(&x, |v| Ok(poly(v, bound, n)?.quotient)).map_err(e)?,
                Layer::Cubic { coeffs, scale } => {
                    try_map(&x, |v| Ok(cubic(coeffs, v, bound, scale)?.quotient)).map_err(e)?
                }
                Layer::AvgPool2d(cfg) => {
                    let r = avg_pool2d(dims::<_, Ix3>(&x).map_err(e)?, bound, cfg).map_err(e)?;
                    agrees(r.bound)?;
                    r.quotient.into_dyn()
                }
                Layer::MaxPool2d(cfg) => {
                    let d = diff_bound(bound, nonneg);
                    max_pool2d(dims::<_, Ix3>(&x).map_err(e)?, d, cfg)
                        .map_err(e)?
                        .into_dyn()
                }
                Layer::GlobalAvgPool2d => global_avg_pool2d(dims::<_, Ix3>(&x).map_err(e)?, bound)
                    .map_err(e)?
                    .quotient
                    .into_dyn(),
                Layer::GlobalMaxPool2d => {
                    global_max_pool2d(dims::<_, Ix3>(&x).map_err(e)?, diff_bound(bound, nonneg))
                        .map_err(e)?
                        .into_dyn()
                }
                Layer::Flatten => flatten(x.view()).into_dyn(),
                Layer::Reshape(shape) => reshape(x.view(), shape).map_err(e)?,
                Layer::UpSample2d(size) => upsample2d(dims::<_, Ix3>(&x).map_err(e)?, *size)
                    .map_err(e)?
                    .into_dyn(),
                Layer::ArgMax => {
                    let xs = dims::<_, Ix1>(&x).map_err(e)?;
                    let (i, _) = argmax(xs, diff_bound(bound, nonneg)).map_err(e)?;
                    ArrayD::from_elem(IxDyn(&[]), i)
                }
                Layer::Add | Layer::Sub => {
                    let y = get(ins[1])?;
                    if matches!(layer, Layer::Add) {
                        zip2(&x, y, |a, b| a + b)
                    } else {
                        zip2(&x, y, |a, b| a - b)
                    }
                    .map_err(e)?
                }
                Layer::Concat => {
                    let xs = ins.iter().map(|&v| get(v)).collect::<Result<Vec<_>, _>>()?;
                    concat_last(&xs).map_err(e)?
                }
                Layer::Clip { lo, hi } => {
                    let (blo, bhi) = (bits_for(lo), bits_for(hi));
                    let (lo_v, hi_v) = (
                        FpVar::Constant(to_field::<Fr>(lo)),
                        FpVar::Constant(to_field::<Fr>(hi)),
                    );
                    try_map(&x, |v| {
                        let m = max(v, &lo_v, diff_bound_of(bound, blo))?;
                        // min(m, hi) = -max(-m, -hi); m has bound max(bound, blo)
                        let zero = FpVar::<Fr>::Constant(Fr::from(0u64));
                        let neg = max(
                            &(&zero - &m),
                            &(&zero - &hi_v),
                            diff_bound_of(bound.max(blo), bhi),
                        )?;
                        Ok(zero - neg)
                    })
                    .map_err(e)?
                }
                Layer::SumPool2d(cfg) => sum_pool2d(dims::<_, Ix3>(&x).map_err(e)?, cfg)
                    .map_err(e)?
                    .into_dyn(),
                Layer::PolyRaw(n) => {
                    let nf = Fr::from(n.clone());
                    x.map(|v| v * v + v * nf)
                }
            };
            summary.push(LayerSummary {
                kind: layer.kind(),
                shape: out.shape().to_vec(),
                bound: f.bound,
                scale: f.scale.clone(),
                constraints: cs.num_constraints() - before,
            });
            vals.push(Some(out));
            signs.push(fresh_signs);
            // free the values no later layer reads
            for &v in &ins {
                if last_use[v] == Some(index) && !outputs.contains(&v) {
                    vals[v] = None;
                    signs[v] = None;
                }
            }
        }
        let mut outs = outputs
            .iter()
            .map(|&v| {
                vals[v]
                    .clone()
                    .ok_or_else(|| ModelError::Graph(format!("output value {v} was freed")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = if outs.len() == 1 {
            outs.pop().expect("one")
        } else {
            let flat: Vec<FpVar<Fr>> = outs.iter().flat_map(|o| o.iter().cloned()).collect();
            let n = flat.len();
            ArrayD::from_shape_vec(IxDyn(&[n]), flat).expect("a flat vector")
        };
        Ok((out, summary))
    }

    /// Per-layer figures (output shape, scale, proven bound, constraints) from synthesising
    /// the model once on an all-zero input. Errors as synthesis does, e.g. a bound too big
    /// for the field, naming the layer.
    pub fn analyse(&self) -> Result<Vec<LayerSummary>, ModelError> {
        let cs = ark_relations::gr1cs::ConstraintSystem::<Fr>::new_ref();
        let zero = ArrayD::from_elem(IxDyn(&self.input_shape), BigInt::from(0));
        Ok(self.synthesize(cs, &zero)?.1)
    }

    /// The per-layer table of [`Model::analyse`].
    pub fn summary(&self) -> Result<String, ModelError> {
        Ok(Self::summary_table(&self.analyse()?))
    }

    /// The per-layer table: output shape, proven bound, constraints.
    pub fn summary_table(summary: &[LayerSummary]) -> String {
        let mut s = format!(
            "{:<4} {:<10} {:<16} {:>7} {:>6} {:>12}\n",
            "#", "layer", "output shape", "scale", "bound", "constraints"
        );
        for (i, l) in summary.iter().enumerate() {
            s.push_str(&format!(
                "{:<4} {:<10} {:<16} {:>7} {:>6} {:>12}\n",
                i,
                l.kind,
                format!("{:?}", l.shape),
                l.scale.as_ref().map_or("-".into(), format_scale),
                l.bound,
                l.constraints
            ));
        }
        let total: usize = summary.iter().map(|l| l.constraints).sum();
        s.push_str(&format!(
            "total (layers, without input range checks): {total}\n"
        ));
        s
    }
}

pub use crate::circuit::ModelCircuit;
