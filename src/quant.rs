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
//! use arkml::model::{ops, Layer};
//! use arkml_gadgets::fixed::Scale;
//! use ndarray::{array, ArrayD, IxDyn};
//!
//! let fm = FloatModel {
//!     input_shape: vec![2],
//!     input_max: 1.0,
//!     layers: vec![
//!         FloatLayer::dense(array![[0.5, -0.25], [0.125, 1.0]], array![0.1, 0.0]),
//!         Layer::Relu(ops::Relu),
//!         Layer::ArgMax(ops::ArgMax),
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
use arkml_gadgets::layers::Conv2dConfig;
use arkml_gadgets::tensor::Visibility;
use ndarray::{Array1, Array2, Array4, ArrayD};
use num_bigint::{BigInt, BigUint};
use num_traits::ToPrimitive;
use thiserror::Error as ThisError;

use crate::model::ops::{self, round, Quantizer};
use crate::model::{Graph, Layer, Model, ModelError, WeightSpec};

/// A layer with float parameters: the same op types as an integer [`Layer`], at `f64`.
/// Scale-dependent constants are in real units: LeakyReLU's slope is `a` (with `d = 1`),
/// Poly and PolyRaw take `n = 1`, a cubic's scale is 1 and its float reference is the true
/// sigmoid or tanh.
pub type FloatLayer = Layer<f64>;

impl Layer<f64> {
    /// Dense with float weights `[in][out]` and bias `[out]`.
    pub fn dense(w: Array2<f64>, b: Array1<f64>) -> Self {
        Layer::Dense(ops::Dense { w, b })
    }
    /// Conv2D with float weights `[kh][kw][cin][cout]` and bias `[cout]`.
    pub fn conv2d(w: Array4<f64>, b: Array1<f64>, cfg: Conv2dConfig) -> Self {
        Layer::Conv2d(ops::Conv2d { w, b, cfg })
    }
    /// LeakyReLU with slope `alpha` on negative inputs.
    pub fn leaky_relu(alpha: f64) -> Self {
        Layer::LeakyRelu(ops::LeakyRelu {
            a: alpha,
            d: BigUint::from(1u32),
        })
    }
    /// circomlib-ml's Poly, `x^2 + x`.
    pub fn poly() -> Self {
        Layer::Poly(ops::Poly(BigUint::from(1u32)))
    }
    /// Sigmoid (circomlib-ml's cubic approximation once quantised).
    pub fn sigmoid() -> Self {
        Layer::Cubic(ops::Cubic {
            coeffs: ZIGMOID,
            scale: BigUint::from(1u32),
        })
    }
    /// Tanh (circomlib-ml's cubic approximation once quantised).
    pub fn tanh() -> Self {
        Layer::Cubic(ops::Cubic {
            coeffs: ZANH,
            scale: BigUint::from(1u32),
        })
    }
    /// Clip to `[lo, hi]` in real units (ReLU6: `0, 6`).
    pub fn clip(lo: f64, hi: f64) -> Self {
        Layer::Clip(ops::Clip { lo, hi })
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
            if l.is_linear() {
                s.push_str(&format!(
                    "{i:<4} {:<10} max |rounding error| {e:.3e}\n",
                    l.kind()
                ));
            }
        }
        s
    }
}

/// Quantises with a chosen scale; see the module docs for the convention.
pub fn quantize(fm: &FloatModel, scale: Scale) -> Result<Quantized, QuantError> {
    fm.check()?;
    let s = scale.value();
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
        let mut q = Quantizer::new(s.clone());
        let il = l.quantize(&mut q).map_err(|source| ModelError::Layer {
            index,
            kind,
            source,
        })?;
        if q.not_finite {
            return Err(QuantError::NotFinite { index, kind });
        }
        let err = q.err;
        let factors = l.rescale_power();
        let out = if factors > 0 {
            let lin = push(il, ins, if named { name.clone() } else { String::new() });
            push(
                Layer::Rescale(ops::Rescale(s.pow(factors))),
                vec![lin],
                if named {
                    format!("{name}.rescale")
                } else {
                    String::new()
                },
            )
        } else {
            push(il, ins, name)
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
            Err(QuantError::Model(
                ModelError::Layer { .. } | ModelError::Node(_) | ModelError::Input(_),
            )) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(match q.model.facts() {
            Ok(f)
                if f.iter().map(|l| l.bound).max().unwrap_or(0) <= budget
                    && q.model.input_bound <= budget =>
            {
                Some(q)
            }
            Ok(_) | Err(ModelError::Layer { .. } | ModelError::Node(_)) => None,
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
    /// Checks the wiring (every input computed before it, each layer with as many inputs as
    /// it takes, outputs that exist, names unique) and every layer's shapes.
    pub fn check(&self) -> Result<(), ModelError> {
        crate::model::value_shapes(
            &self.input_shape,
            &self.layers,
            &self.graph,
            &crate::model::Limits::default(),
        )
        .map(|_| ())
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
        self.check()?;
        let mut outs: Vec<ArrayD<f64>> = Vec::with_capacity(self.layers.len());
        for (index, l) in self.layers.iter().enumerate() {
            let ins: Vec<&ArrayD<f64>> = self
                .graph
                .inputs_of(index)
                .iter()
                .map(|&v| if v == 0 { x } else { &outs[v - 1] })
                .collect();
            let y = l.forward(&ins).map_err(|source| {
                QuantError::Model(ModelError::Layer {
                    index,
                    kind: l.kind(),
                    source,
                })
            })?;
            outs.push(y);
        }
        Ok(outs)
    }
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
            let unit = if matches!(l, Layer::ArgMax(_)) {
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
        if let (Layer::BatchNorm(bn), Some(prev)) = (l, layers.last_mut()) {
            // the rule is the op's (Layer::affine_channels): no list of kinds here
            if let Some(folded) = fold_affine(prev, &bn.a.to_vec(), &bn.b.to_vec()) {
                *prev = folded;
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

/// `y = a x + b` per output channel folded into the linear layer before it:
/// `w' = a w` on its last weight (whose elements cycle through the channels,
/// [`Layer::affine_channels`](crate::model::Layer::affine_channels)), `b' = a b + b_affine`.
/// `None` when the layer absorbs no affine op or the channel counts differ (then the caller
/// keeps the affine op as a BatchNorm layer).
pub(crate) fn fold_affine(layer: &FloatLayer, a: &[f64], b: &[f64]) -> Option<FloatLayer> {
    let n = layer.affine_channels()?;
    if a.len() != n || b.len() != n {
        return None;
    }
    let kinds: Vec<ops::Param> = layer.params().iter().map(|(_, k)| *k).collect();
    let mut params: Vec<ArrayD<f64>> = layer.params().iter().map(|(t, _)| t.to_owned()).collect();
    let w = kinds.iter().rposition(|k| *k == ops::Param::Weight)?;
    let bias = kinds.iter().rposition(|k| *k == ops::Param::Bias)?;
    if params[w].len() % n != 0 || params[bias].len() != n {
        return None;
    }
    for (i, v) in params[w].iter_mut().enumerate() {
        *v *= a[i % n];
    }
    for (i, v) in params[bias].iter_mut().enumerate() {
        *v = *v * a[i] + b[i];
    }
    layer.with_params(params).ok()
}
