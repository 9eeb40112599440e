//! Quantisation: from a model with float weights to the integer [`Model`] the circuit proves.
//!
//! The convention is keras2circom v2's, with one activation scale `S` (`2^k` or `10^k`):
//! the input and every weight are rounded to the nearest multiple of `1/S`; a bias is at the
//! accumulator's scale (`S^2`, or `S^3` after a separable convolution's two weight factors);
//! every linear layer is followed by a [`Layer::Rescale`] back to `S` (the builder fuses it
//! with a following ReLU). LeakyReLU's slope becomes `round(alpha * S) / S`; Poly and the
//! cubic sigmoid / tanh run at scale `S`.
//!
//! [`quantize`] takes a chosen scale; [`quantize_within`] finds the largest `k` whose proven
//! bounds all stay within a bit budget. Both report each layer's largest absolute rounding
//! error of its parameters (in real units), and [`FloatModel::forward`] is the float
//! reference to measure the activations against ([`activation_errors`]).
//! [`fold_batch_norm`] folds a BatchNorm into the Dense / Conv layer before it first: the
//! same function, one rescale fewer (on MNIST at 2^16 it takes the circuit from 340,259 to
//! 194,915 constraints and halves the prover's QAP domain).
//!
//! ```
//! use arkml::quant::{quantize, FloatLayer, FloatModel};
//! use arkml::model::Layer;
//! use arkml_gadgets::fixed::Scale;
//! use ndarray::{array, ArrayD, IxDyn};
//!
//! let fm = FloatModel {
//!     input_shape: vec![2],
//!     input_max: 1.0,
//!     layers: vec![
//!         FloatLayer::dense(array![[0.5, -0.25], [0.125, 1.0]], array![0.1, 0.0]),
//!         FloatLayer::Plain(Layer::Relu),
//!         FloatLayer::Plain(Layer::ArgMax),
//!     ],
//!     graph: Default::default(),
//! };
//! let q = quantize(&fm, Scale::Pow2(8)).unwrap();
//! assert!(q.errors[0] <= 0.5 / 256.0 / 256.0 + 0.5 / 256.0);
//! let x = ArrayD::from_shape_vec(IxDyn(&[2]), vec![0.5, 0.75]).unwrap();
//! let xi = q.quantize_input(&x).unwrap();
//! let out = q.model.infer(&xi).unwrap();
//! let float = fm.forward(&x).unwrap();
//! assert_eq!(out.last().unwrap().out, float.last().unwrap().map(|v| (*v as i64).into()));
//! ```

use arkml_gadgets::activation::{ZANH, ZIGMOID};
use arkml_gadgets::fixed::{bits_for, Scale};
use arkml_gadgets::layers::{Conv2dConfig, Pool2dConfig};
use arkml_gadgets::tensor::Visibility;
use ndarray::{Array1, Array2, Array3, Array4, ArrayD, Ix3, IxDyn};
use num_bigint::{BigInt, BigUint};
use num_traits::{ToPrimitive, Zero};
use thiserror::Error as ThisError;

use crate::model::{apply_linear, Graph, Layer, Model, ModelError, WeightSpec};

/// A layer with float parameters. Linear layers are an integer layer used as a template
/// (its own parameters are ignored; only kind, shapes and configuration count) with float
/// parameters in [`Layer`]'s order: weights before bias (`depthwise, pointwise, bias` for a
/// separable convolution; `a, b` for batch normalisation). Layers without parameters or
/// scale are [`FloatLayer::Plain`].
#[derive(Clone, Debug)]
pub enum FloatLayer {
    /// A linear layer: template and float parameters (see [`FloatLayer::linear`]).
    Linear {
        /// The integer layer whose kind and configuration this is.
        layer: Layer,
        /// The float parameters.
        params: Vec<ArrayD<f64>>,
    },
    /// LeakyReLU with slope `alpha`.
    LeakyRelu {
        /// Slope on negative inputs.
        alpha: f64,
    },
    /// Poly: `x^2 + x`.
    Poly,
    /// Sigmoid (circomlib-ml's cubic approximation once quantised).
    Sigmoid,
    /// Tanh (circomlib-ml's cubic approximation once quantised).
    Tanh,
    /// Clip to `[lo, hi]` (ReLU6: `lo = 0`, `hi = 6`), in real units.
    Clip {
        /// The lower end.
        lo: f64,
        /// The upper end.
        hi: f64,
    },
    /// A layer without parameters or scale (ReLU, pooling, reshaping, ArgMax).
    Plain(Layer),
}

impl FloatLayer {
    /// A linear layer from a template (any integer layer with parameters, e.g. built with
    /// zero weights of the right shapes) and float parameters; errors when a count or a
    /// shape differs from the template's.
    pub fn linear(layer: Layer, params: Vec<ArrayD<f64>>) -> Result<Self, arkml_gadgets::Error> {
        let ints: Vec<ArrayD<BigInt>> = params.iter().map(|a| a.map(|_| BigInt::zero())).collect();
        let checked = layer.with_params(ints)?;
        for (t, p) in layer.params().iter().zip(&params) {
            if t.0.shape() != p.shape() {
                return Err(arkml_gadgets::Error::shape(
                    "float parameter",
                    format!("{:?}", t.0.shape()),
                    format!("{:?}", p.shape()),
                ));
            }
        }
        Ok(FloatLayer::Linear {
            layer: checked,
            params,
        })
    }

    /// Dense with float weights `[in][out]` and bias `[out]`.
    pub fn dense(w: Array2<f64>, b: Array1<f64>) -> Self {
        let template = Layer::Dense {
            w: w.map(|_| BigInt::zero()),
            b: b.map(|_| BigInt::zero()),
        };
        FloatLayer::Linear {
            layer: template,
            params: vec![w.into_dyn(), b.into_dyn()],
        }
    }

    /// Conv2D with float weights `[kh][kw][cin][cout]` and bias `[cout]`.
    pub fn conv2d(w: Array4<f64>, b: Array1<f64>, cfg: Conv2dConfig) -> Self {
        let template = Layer::Conv2d {
            w: w.map(|_| BigInt::zero()),
            b: b.map(|_| BigInt::zero()),
            cfg,
        };
        FloatLayer::Linear {
            layer: template,
            params: vec![w.into_dyn(), b.into_dyn()],
        }
    }

    /// A short name for reports and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            FloatLayer::Linear { layer, .. } | FloatLayer::Plain(layer) => layer.kind(),
            FloatLayer::LeakyRelu { .. } => "LeakyReLU",
            FloatLayer::Poly => "Poly",
            FloatLayer::Sigmoid => "Sigmoid",
            FloatLayer::Tanh => "Tanh",
            FloatLayer::Clip { .. } => "Clip",
        }
    }
}

/// A model with float weights: layers wired as a [`Graph`] (empty: a chain), as an integer
/// [`Model`] is.
#[derive(Clone, Debug)]
pub struct FloatModel {
    /// Input shape.
    pub input_shape: Vec<usize>,
    /// The largest absolute input value the model must accept (e.g. 16 for 4-bit pixels).
    pub input_max: f64,
    /// The layers, in topological order.
    pub layers: Vec<FloatLayer>,
    /// How the layers connect (value 0 the input, value `i + 1` layer `i`'s output).
    pub graph: Graph,
}

/// Why quantisation failed.
#[derive(Debug, ThisError)]
pub enum QuantError {
    /// A parameter or input is NaN or infinite.
    #[error("layer {index} ({kind}): parameter is not a finite number")]
    NotFinite {
        /// Layer index.
        index: usize,
        /// Layer kind.
        kind: &'static str,
    },
    /// A layer that the float model must not hold directly (a rescale: quantisation inserts
    /// them).
    #[error("layer {index} ({kind}): {why}")]
    Unsupported {
        /// Layer index.
        index: usize,
        /// Layer kind.
        kind: &'static str,
        /// Why.
        why: String,
    },
    /// The quantised model does not build (bad shapes, a bound too big for the field).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// No scale keeps every bound within the budget.
    #[error("no scale 2^k / 10^k with k >= 0 keeps every bound within {budget} bits")]
    NoScale {
        /// The budget.
        budget: u32,
    },
    /// An input of the wrong shape or not finite.
    #[error("input: {0}")]
    Input(String),
}

/// A quantised model and what rounding cost.
#[derive(Clone, Debug)]
pub struct Quantized {
    /// The integer model (constant weights; change [`Model::weights`] for private ones).
    pub model: Model,
    /// The scale.
    pub scale: Scale,
    /// Per float layer: the largest absolute rounding error of its parameters, in real
    /// units (0 for layers without parameters).
    pub errors: Vec<f64>,
    /// Per float layer: the index of the integer layer that ends it (a linear layer becomes
    /// two, the layer and its rescale).
    pub ends: Vec<usize>,
}

impl Quantized {
    /// Rounds a float input to the model's scale; errors for a wrong shape, a value that is
    /// not finite, or one beyond the model's input bound.
    pub fn quantize_input(&self, x: &ArrayD<f64>) -> Result<ArrayD<BigInt>, QuantError> {
        if x.shape() != self.model.input_shape.as_slice() {
            return Err(QuantError::Input(format!(
                "shape {:?}, expected {:?}",
                x.shape(),
                self.model.input_shape
            )));
        }
        let s = self.scale.value();
        let b = self.model.input_bound;
        let q = x
            .iter()
            .map(|v| {
                let q = round(*v, &s, 1)
                    .ok_or_else(|| QuantError::Input(format!("{v} is not finite")))?;
                if !arkml_gadgets::fixed::fits_signed(&q, b) {
                    return Err(QuantError::Input(format!(
                        "{v} quantises to {q}, beyond the model's input bound [-2^{b}, 2^{b})"
                    )));
                }
                Ok(q)
            })
            .collect::<Result<Vec<_>, _>>()?;
        ArrayD::from_shape_vec(x.raw_dim(), q).map_err(|e| QuantError::Input(e.to_string()))
    }

    /// A per-layer report: kind and largest parameter rounding error.
    pub fn report(&self, fm: &FloatModel) -> String {
        let mut s = format!(
            "scale {}\n",
            crate::model::format_scale(&self.scale.value())
        );
        for (i, (l, e)) in fm.layers.iter().zip(&self.errors).enumerate() {
            if matches!(l, FloatLayer::Linear { .. }) {
                s.push_str(&format!(
                    "{i:<4} {:<10} max |rounding error| {e:.3e}\n",
                    l.kind()
                ));
            }
        }
        s
    }
}

/// `round(x * s^power)`, or `None` when `x` is not finite.
fn round(x: f64, s: &BigUint, power: u32) -> Option<BigInt> {
    if !x.is_finite() {
        return None;
    }
    let sp = s.pow(power);
    // exact for any scale: x = m * 2^e, so x * S^p = m * S^p * 2^e, rounded half away from 0
    let (m, e) = decompose(x);
    let num = BigInt::from(m) * BigInt::from(sp);
    Some(if e >= 0 {
        num << e as u32
    } else {
        let d = BigInt::from(1) << (-e) as u32;
        let half = &d >> 1u32;
        let mag = (num.magnitude() + half.magnitude()) / d.magnitude();
        if num < BigInt::zero() {
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

/// Quantises with a chosen scale; see the module docs for the convention.
pub fn quantize(fm: &FloatModel, scale: Scale) -> Result<Quantized, QuantError> {
    let s = scale.value();
    let sf = s.to_f64().unwrap_or(f64::INFINITY);
    let mut layers = Vec::new();
    let mut errors = Vec::new();
    let mut ends = Vec::with_capacity(fm.layers.len());
    // float value -> integer value (0 is the input in both)
    let mut value = vec![0usize];
    let mut inputs: Vec<Vec<usize>> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let named = !fm.graph.is_chain();
    for (index, l) in fm.layers.iter().enumerate() {
        let kind = l.kind();
        let mut err = 0f64;
        let ins: Vec<usize> = fm
            .graph
            .inputs_of(index)
            .iter()
            .map(|&v| value.get(v).copied())
            .collect::<Option<_>>()
            .ok_or_else(|| {
                QuantError::Model(ModelError::Graph(format!(
                    "layer {index} reads a value not computed before it"
                )))
            })?;
        let name = fm.graph.name_of(index);
        let mut push = |layer: Layer, ins: Vec<usize>, name: String| {
            layers.push(layer);
            inputs.push(ins);
            names.push(name);
            layers.len()
        };
        let out = match l {
            FloatLayer::Plain(p)
                if p.is_linear()
                    || matches!(p, Layer::Rescale(_) | Layer::RescaleWithin { .. }) =>
            {
                return Err(QuantError::Unsupported {
                    index,
                    kind,
                    why: "integer parameters or a rescale in a float model; give float layers"
                        .into(),
                })
            }
            FloatLayer::Plain(
                p @ (Layer::LeakyRelu { .. }
                | Layer::Poly(_)
                | Layer::Cubic { .. }
                | Layer::Clip { .. }
                | Layer::PolyRaw(_)),
            ) => {
                return Err(QuantError::Unsupported {
                    index,
                    kind: p.kind(),
                    why: "use the float activation (its scale comes from quantisation)".into(),
                })
            }
            FloatLayer::Plain(p) => push(p.clone(), ins, name),
            FloatLayer::LeakyRelu { alpha } => {
                let a = round(*alpha, &s, 1).ok_or(QuantError::NotFinite { index, kind })?;
                err = (a.to_f64().unwrap_or(0.0) / sf - alpha).abs();
                push(Layer::LeakyRelu { a, d: s.clone() }, ins, name)
            }
            FloatLayer::Clip { lo, hi } => {
                let q = |v: f64| round(v, &s, 1).ok_or(QuantError::NotFinite { index, kind });
                let (qlo, qhi) = (q(*lo)?, q(*hi)?);
                err = (qlo.to_f64().unwrap_or(0.0) / sf - lo)
                    .abs()
                    .max((qhi.to_f64().unwrap_or(0.0) / sf - hi).abs());
                push(Layer::Clip { lo: qlo, hi: qhi }, ins, name)
            }
            FloatLayer::Poly => push(Layer::Poly(s.clone()), ins, name),
            FloatLayer::Sigmoid => push(
                Layer::Cubic {
                    coeffs: ZIGMOID,
                    scale: s.clone(),
                },
                ins,
                name,
            ),
            FloatLayer::Tanh => push(
                Layer::Cubic {
                    coeffs: ZANH,
                    scale: s.clone(),
                },
                ins,
                name,
            ),
            FloatLayer::Linear { layer, params } => {
                let factors = layer.weight_factors();
                let mut ints = Vec::new();
                for (a, is_weight) in params.iter().zip(layer.param_is_weight()) {
                    let power = if is_weight { 1 } else { factors + 1 };
                    let spf = sf.powi(power as i32);
                    let q = a
                        .iter()
                        .map(|v| round(*v, &s, power))
                        .collect::<Option<Vec<_>>>()
                        .ok_or(QuantError::NotFinite { index, kind })?;
                    for (v, qi) in a.iter().zip(&q) {
                        err = err.max((qi.to_f64().unwrap_or(f64::INFINITY) / spf - v).abs());
                    }
                    ints.push(ArrayD::from_shape_vec(a.raw_dim(), q).expect("same shape"));
                }
                let model_err = |source| ModelError::Layer {
                    index,
                    kind,
                    source,
                };
                let lin = push(
                    layer.with_params(ints).map_err(model_err)?,
                    ins,
                    if named { name.clone() } else { String::new() },
                );
                push(
                    Layer::Rescale(s.pow(factors)),
                    vec![lin],
                    if named {
                        format!("{name}.rescale")
                    } else {
                        String::new()
                    },
                )
            }
        };
        value.push(out);
        ends.push(out - 1);
        errors.push(err);
    }
    let graph = if named {
        Graph {
            inputs,
            names,
            outputs: fm
                .graph
                .outputs
                .iter()
                .map(|&v| value.get(v).copied())
                .collect::<Option<_>>()
                .ok_or_else(|| ModelError::Graph("an output value does not exist".into()))?,
        }
    } else {
        Graph::default()
    };
    let input_max = round(fm.input_max.abs(), &s, 1).ok_or(QuantError::NotFinite {
        index: 0,
        kind: "input",
    })?;
    let input_bound = bits_for(&input_max).max(bits_for(&-input_max));
    let model = Model {
        graph,
        input_shape: fm.input_shape.clone(),
        input_bound,
        input_visibility: Visibility::Private,
        layers,
        weights: WeightSpec::default(),
        scale: Some(s),
    };
    // a scale whose bounds cannot fit the field is refused here, naming the layer and bits
    model.facts()?;
    Ok(Quantized {
        model,
        scale,
        errors,
        ends,
    })
}

/// The largest scale `base^k` (`base` is `Scale::Pow2(_)` or `Scale::Pow10(_)`; its exponent
/// is ignored) whose model builds with every proven bound at most `budget` bits. Each try
/// runs the facts pass ([`Model::facts`], no synthesis), searching `k` by bisection up to 64
/// for `2^k` and 19 for `10^k`.
pub fn quantize_within(fm: &FloatModel, base: Scale, budget: u32) -> Result<Quantized, QuantError> {
    let make = |k| match base {
        Scale::Pow2(_) => Scale::Pow2(k),
        Scale::Pow10(_) => Scale::Pow10(k),
    };
    let fits = |k| -> Result<Option<Quantized>, QuantError> {
        let q = match quantize(fm, make(k)) {
            Ok(q) => q,
            // a bound too wide for the field at this scale: too big
            Err(QuantError::Model(ModelError::Layer { .. } | ModelError::Input(_))) => {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        Ok(match q.model.facts() {
            Ok(f)
                if f.iter().map(|l| l.bound).max().unwrap_or(0) <= budget
                    && q.model.input_bound <= budget =>
            {
                Some(q)
            }
            Ok(_) | Err(ModelError::Layer { .. }) => None,
            Err(e) => return Err(e.into()),
        })
    };
    let (mut lo, mut hi) = (
        0u32,
        if matches!(base, Scale::Pow2(_)) {
            64
        } else {
            19
        },
    );
    let mut best = fits(lo)?.ok_or(QuantError::NoScale { budget })?;
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        match fits(mid)? {
            Some(q) => {
                best = q;
                lo = mid;
            }
            None => hi = mid - 1,
        }
    }
    Ok(best)
}

impl FloatModel {
    /// Checks the wiring: every input computed before it, each layer with as many inputs as
    /// it takes, outputs that exist, names unique.
    pub fn check(&self) -> Result<(), ModelError> {
        let ops: Vec<_> = self
            .layers
            .iter()
            .map(|l| {
                let arity = match l {
                    FloatLayer::Plain(p) => p.arity(),
                    _ => (1, 1),
                };
                (l.kind(), arity)
            })
            .collect();
        self.graph.check_ops(&ops)
    }

    /// Float inference: every layer's output. Sigmoid and tanh are the true functions, so
    /// comparing with the quantised model shows the cubic approximation's error too.
    pub fn forward(&self, x: &ArrayD<f64>) -> Result<Vec<ArrayD<f64>>, QuantError> {
        if x.shape() != self.input_shape.as_slice() {
            return Err(QuantError::Input(format!(
                "shape {:?}, expected {:?}",
                x.shape(),
                self.input_shape
            )));
        }
        let mut outs: Vec<ArrayD<f64>> = Vec::with_capacity(self.layers.len());
        for (index, l) in self.layers.iter().enumerate() {
            let kind = l.kind();
            let e = |source| {
                QuantError::Model(ModelError::Layer {
                    index,
                    kind,
                    source,
                })
            };
            let unsupported = |why: &str| QuantError::Unsupported {
                index,
                kind,
                why: why.into(),
            };
            let ins: Vec<&ArrayD<f64>> = self
                .graph
                .inputs_of(index)
                .iter()
                .map(|&v| if v == 0 { Some(x) } else { outs.get(v - 1) })
                .collect::<Option<_>>()
                .ok_or_else(|| unsupported("reads a value not computed before it"))?;
            let x = *ins.first().ok_or_else(|| unsupported("has no input"))?;
            let y = match l {
                FloatLayer::Plain(Layer::Add | Layer::Sub) => {
                    let b = ins.get(1).ok_or_else(|| unsupported("takes two inputs"))?;
                    if b.shape() != x.shape() {
                        return Err(e(arkml_gadgets::Error::shape(
                            "second input",
                            format!("{:?}", x.shape()),
                            format!("{:?}", b.shape()),
                        )));
                    }
                    if matches!(l, FloatLayer::Plain(Layer::Add)) {
                        x + *b
                    } else {
                        x - *b
                    }
                }
                FloatLayer::Plain(Layer::Concat) => {
                    let axis = ndarray::Axis(x.ndim().saturating_sub(1));
                    let views: Vec<_> = ins.iter().map(|a| a.view()).collect();
                    ndarray::concatenate(axis, &views).map_err(|err| {
                        e(arkml_gadgets::Error::param(
                            "concat inputs",
                            err.to_string(),
                        ))
                    })?
                }
                FloatLayer::Clip { lo, hi } => x.map(|v| v.max(*lo).min(*hi)),
                FloatLayer::LeakyRelu { alpha } => {
                    x.map(|v| if *v >= 0.0 { *v } else { alpha * v })
                }
                FloatLayer::Poly => x.map(|v| v * v + v),
                FloatLayer::Sigmoid => x.map(|v| 1.0 / (1.0 + (-v).exp())),
                FloatLayer::Tanh => x.map(|v| v.tanh()),
                FloatLayer::Plain(p) => match p {
                    Layer::Relu => x.map(|v| v.max(0.0)),
                    Layer::Flatten => x.iter().cloned().collect::<Array1<_>>().into_dyn(),
                    Layer::Reshape(s) => arkml_gadgets::layers::reshape(x.view(), s).map_err(e)?,
                    Layer::UpSample2d(size) => arkml_gadgets::layers::upsample2d(
                        x.view()
                            .into_dimensionality::<Ix3>()
                            .map_err(|_| unsupported("needs HWC input"))?,
                        *size,
                    )
                    .map_err(e)?
                    .into_dyn(),
                    Layer::AvgPool2d(cfg) | Layer::MaxPool2d(cfg) => {
                        let x3 = x
                            .view()
                            .into_dimensionality::<Ix3>()
                            .map_err(|_| unsupported("needs HWC input"))?;
                        pool(x3, cfg, matches!(p, Layer::MaxPool2d(_)))
                            .map_err(e)?
                            .into_dyn()
                    }
                    Layer::GlobalAvgPool2d | Layer::GlobalMaxPool2d => {
                        let x3 = x
                            .view()
                            .into_dimensionality::<Ix3>()
                            .map_err(|_| unsupported("needs HWC input"))?;
                        let (h, w, _) = x3.dim();
                        let cfg = Pool2dConfig::new((h, w));
                        let y = pool(x3, &cfg, matches!(p, Layer::GlobalMaxPool2d)).map_err(e)?;
                        y.into_iter().collect::<Array1<_>>().into_dyn()
                    }
                    Layer::ArgMax => {
                        let mut best = 0;
                        for (i, v) in x.iter().enumerate() {
                            if *v > x.iter().nth(best).copied().unwrap_or(f64::NEG_INFINITY) {
                                best = i;
                            }
                        }
                        ArrayD::from_elem(IxDyn(&[]), best as f64)
                    }
                    other => {
                        return Err(unsupported(&format!("{} in a float model", other.kind())))
                    }
                },
                FloatLayer::Linear { layer, params } => {
                    apply_linear(layer, x, params).map_err(e)?
                }
            };
            outs.push(y);
        }
        Ok(outs)
    }
}

/// Float average or max pooling over each window's valid cells (padded cells are skipped,
/// as the integer gadgets and ONNX's `count_include_pad = 0` do).
fn pool(
    x: ndarray::ArrayView3<f64>,
    cfg: &Pool2dConfig,
    max: bool,
) -> Result<Array3<f64>, arkml_gadgets::Error> {
    let (h, w, c) = x.dim();
    let g = arkml_gadgets::layers::conv::window2d(h, w, cfg.size, &cfg.conv())?;
    let (ph, pw) = g.pad_before;
    Ok(Array3::from_shape_fn((g.out.0, g.out.1, c), |(i, j, k)| {
        let (mut acc, mut n) = (if max { f64::NEG_INFINITY } else { 0.0 }, 0usize);
        for a in 0..cfg.size.0 {
            for b in 0..cfg.size.1 {
                let (r, q) = (i * cfg.stride.0 + a, j * cfg.stride.1 + b);
                if r < ph || q < pw || r - ph >= h || q - pw >= w {
                    continue;
                }
                let v = x[[r - ph, q - pw, k]];
                acc = if max { acc.max(v) } else { acc + v };
                n += 1;
            }
        }
        if max || n == 0 {
            acc
        } else {
            acc / n as f64
        }
    }))
}

/// Per float layer, the largest absolute difference between the float reference and the
/// quantised model's output (dequantised by its scale) over the given inputs. The integer
/// model has more layers (rescales); each float layer is compared with the integer layer
/// that ends it.
pub fn activation_errors(
    fm: &FloatModel,
    q: &Quantized,
    inputs: &[ArrayD<f64>],
) -> Result<Vec<f64>, QuantError> {
    let mut worst = vec![0f64; fm.layers.len()];
    let s = q.scale.value().to_f64().unwrap_or(f64::INFINITY);
    for x in inputs {
        let f = fm.forward(x)?;
        let i = q.model.infer(&q.quantize_input(x)?)?;
        for (k, l) in fm.layers.iter().enumerate() {
            let qi = &i[q.ends[k]].out;
            let unit = if matches!(l, FloatLayer::Plain(Layer::ArgMax)) {
                1.0
            } else {
                s
            };
            for (a, b) in f[k].iter().zip(qi.iter()) {
                worst[k] = worst[k].max((a - b.to_f64().unwrap_or(f64::INFINITY) / unit).abs());
            }
        }
    }
    Ok(worst)
}

/// Folds every BatchNorm that directly follows a Dense, Conv1D, Conv2D or pointwise layer
/// into that layer (`w' = a w` per output channel, `b' = a b + b_bn`): the same function in
/// floats, one fewer linear layer and so one fewer rescale after quantisation. Other
/// BatchNorms are kept. Apply before [`quantize`]. A model wired as a graph is returned as
/// it is (the ONNX importer folds BatchNormalization itself, where it reads the layer's
/// only consumer).
pub fn fold_batch_norm(fm: &FloatModel) -> FloatModel {
    if !fm.graph.is_chain() {
        return fm.clone();
    }
    let mut layers: Vec<FloatLayer> = Vec::with_capacity(fm.layers.len());
    for l in &fm.layers {
        if let (
            FloatLayer::Linear {
                layer: Layer::BatchNorm { .. },
                params: bn,
            },
            Some(FloatLayer::Linear { layer, params }),
        ) = (l, layers.last_mut())
        {
            let foldable = matches!(
                layer,
                Layer::Dense { .. }
                    | Layer::Conv1d { .. }
                    | Layer::Conv2d { .. }
                    | Layer::PointwiseConv2d { .. }
            );
            let (a, b) = (&bn[0], &bn[1]);
            if foldable && params.len() == 2 && params[1].len() == a.len() {
                let n = a.len();
                let w = &mut params[0];
                for (i, v) in w.iter_mut().enumerate() {
                    *v *= a[[i % n]];
                }
                let bias = &mut params[1];
                for (i, v) in bias.iter_mut().enumerate() {
                    *v = *v * a[[i]] + b[[i]];
                }
                continue;
            }
        }
        layers.push(l.clone());
    }
    FloatModel {
        input_shape: fm.input_shape.clone(),
        input_max: fm.input_max,
        layers,
        graph: Graph::default(),
    }
}
