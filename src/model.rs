//! A sequential model over the gadgets: native inference (every layer's output and
//! remainder), layer-by-layer bound analysis, and one `ConstraintSynthesizer`.
//!
//! This is the first cut of the builder: integer weights, constant (baked-in) weights,
//! private or public input, public output. Layers are applied exactly as listed; a
//! [`Layer::Rescale`] goes where the model divides back to the activation scale (as
//! circomlib-ml and keras2circom v2 do after every linear layer).

use ark_bn254::Fr;
use ark_r1cs_std::{boolean::Boolean, eq::EqGadget, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use arkml_gadgets::{
    activation::{native_relu, relu},
    argmax::{argmax, native_argmax},
    compare::diff_bound,
    fixed::check_bound,
    layers::{
        avg_pool2d, batch_norm, conv2d, dense, flatten, max_pool2d, native_avg_pool2d,
        native_max_pool2d, Conv2dConfig, Pool2dConfig,
    },
    range::enforce_bound,
    rescale::{native_rescale_tensor, quotient_bound, rescale},
    tensor::{abs, alloc_tensor, linear_bound, try_map, worst_case, Scalar, Visibility},
    Error,
};
use ndarray::{Array1, Array2, Array4, ArrayD, Dimension, Ix1, Ix2, Ix3, Ix4, IxDyn};
use num_bigint::{BigInt, BigUint};
use thiserror::Error as ThisError;

/// A layer of a sequential model.
#[derive(Clone, Debug)]
pub enum Layer {
    /// Dense, weights `[in][out]`, bias at the accumulator's scale.
    Dense {
        /// Weights.
        w: Array2<BigInt>,
        /// Bias.
        b: Array1<BigInt>,
    },
    /// Conv2D, weights `[kh][kw][cin][cout]`.
    Conv2d {
        /// Weights.
        w: Array4<BigInt>,
        /// Bias.
        b: Array1<BigInt>,
        /// Stride, padding, dilation.
        cfg: Conv2dConfig,
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
    /// ReLU.
    Relu,
    /// Average pooling.
    AvgPool2d(Pool2dConfig),
    /// Max pooling.
    MaxPool2d(Pool2dConfig),
    /// Flatten (row, column, channel).
    Flatten,
    /// ArgMax: the output becomes the index of the first maximum.
    ArgMax,
}

impl Layer {
    /// A short name for tables and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Dense { .. } => "Dense",
            Layer::Conv2d { .. } => "Conv2D",
            Layer::BatchNorm { .. } => "BatchNorm",
            Layer::Rescale(_) => "Rescale",
            Layer::Relu => "ReLU",
            Layer::AvgPool2d(_) => "AvgPool2D",
            Layer::MaxPool2d(_) => "MaxPool2D",
            Layer::Flatten => "Flatten",
            Layer::ArgMax => "ArgMax",
        }
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
}

/// One layer's native result.
#[derive(Clone, Debug)]
pub struct LayerOutput {
    /// The layer's output.
    pub out: ArrayD<BigInt>,
    /// The remainder, for layers that divide.
    pub remainder: Option<ArrayD<BigInt>>,
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
    /// Constraints the layer wrote.
    pub constraints: usize,
}

/// Which parameter of a linear layer a tensor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Param {
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
    /// The layers, in order.
    pub layers: Vec<Layer>,
    /// How the weights enter the circuit (default: constants).
    pub weights: WeightSpec,
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

/// A linear layer at any scalar: the same code gives the native twin, the circuit and the
/// worst-case bound.
fn linear<T: Scalar>(
    layer: &Layer,
    x: &ArrayD<T>,
    conv: impl Fn(&ArrayD<BigInt>, Param) -> Result<ArrayD<T>, Error>,
) -> Result<ArrayD<T>, Error> {
    Ok(match layer {
        Layer::Dense { w, b } => {
            let (w, b) = (
                conv(&w.clone().into_dyn(), Param::Weight)?,
                conv(&b.clone().into_dyn(), Param::Bias)?,
            );
            dense(dims::<_, Ix1>(x)?, dims::<_, Ix2>(&w)?, dims::<_, Ix1>(&b)?)?.into_dyn()
        }
        Layer::Conv2d { w, b, cfg } => {
            let (w, b) = (
                conv(&w.clone().into_dyn(), Param::Weight)?,
                conv(&b.clone().into_dyn(), Param::Bias)?,
            );
            conv2d(
                dims::<_, Ix3>(x)?,
                dims::<_, Ix4>(&w)?,
                dims::<_, Ix1>(&b)?,
                cfg,
            )?
            .into_dyn()
        }
        Layer::BatchNorm { a, b } => {
            let (a, b) = (
                conv(&a.clone().into_dyn(), Param::Weight)?,
                conv(&b.clone().into_dyn(), Param::Bias)?,
            );
            batch_norm(x.view(), dims::<_, Ix1>(&a)?, dims::<_, Ix1>(&b)?)?
        }
        _ => unreachable!("only linear layers"),
    })
}

fn is_linear(l: &Layer) -> bool {
    matches!(
        l,
        Layer::Dense { .. } | Layer::Conv2d { .. } | Layer::BatchNorm { .. }
    )
}

impl Model {
    /// Native integer inference: every layer's output (and remainder where it divides).
    pub fn infer(&self, input: &ArrayD<BigInt>) -> Result<Vec<LayerOutput>, ModelError> {
        self.check_input(input)?;
        let mut outs = Vec::with_capacity(self.layers.len());
        for (index, layer) in self.layers.iter().enumerate() {
            let e = |source| ModelError::Layer {
                index,
                kind: layer.kind(),
                source,
            };
            // the previous layer's output, read in place
            let x = outs.last().map_or(input, |o: &LayerOutput| &o.out);
            let (out, remainder) = match layer {
                l if is_linear(l) => (linear(l, x, |a, _| Ok(a.clone())).map_err(e)?, None),
                Layer::Rescale(n) => {
                    if n == &BigUint::from(0u32) {
                        return Err(e(Error::InvalidParameter {
                            what: "divisor".into(),
                            why: "must be at least 1".into(),
                        }));
                    }
                    let (q, r) = native_rescale_tensor(x, n);
                    (q, Some(r))
                }
                Layer::Relu => (x.map(native_relu), None),
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
                Layer::Flatten => (flatten(x.view()).into_dyn(), None),
                Layer::ArgMax => {
                    let i = native_argmax(dims::<_, Ix1>(x).map_err(e)?).map_err(e)?;
                    (ArrayD::from_elem(IxDyn(&[]), BigInt::from(i)), None)
                }
                _ => unreachable!(),
            };
            outs.push(LayerOutput { out, remainder });
        }
        Ok(outs)
    }

    fn check_input(&self, input: &ArrayD<BigInt>) -> Result<(), ModelError> {
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
        self.check_input(input)?;
        let mut x =
            alloc_tensor(cs.clone(), input, self.input_visibility).map_err(ModelError::Input)?;
        for v in x.iter() {
            enforce_bound(v, self.input_bound).map_err(ModelError::Input)?;
        }
        let mut bound = self.input_bound;
        // sign bits of the last rescale's quotients: a ReLU right after reuses them (1
        // constraint per element instead of a fresh decomposition)
        let mut signs: Option<ArrayD<Boolean<Fr>>> = None;
        // whether every value is known non-negative (after a ReLU): comparisons get a bit
        let mut nonneg = false;
        let mut summary = Vec::with_capacity(self.layers.len());
        for (index, layer) in self.layers.iter().enumerate() {
            let e = |source| ModelError::Layer {
                index,
                kind: layer.kind(),
                source,
            };
            let before = cs.num_constraints();
            let (out, new_bound) = match layer {
                l if is_linear(l) => {
                    let spec = self.weights;
                    let worst_param = |a: &ArrayD<BigInt>, p: Param| {
                        Ok(match spec.visibility {
                            Visibility::Constant => abs(a),
                            _ => worst_case(a.shape(), spec.bits(p)),
                        })
                    };
                    let worst = linear(l, &worst_case(x.shape(), bound), worst_param).map_err(e)?;
                    let b = check_bound::<Fr>("linear layer output", linear_bound(&worst))
                        .map_err(e)?;
                    let param =
                        |a: &ArrayD<BigInt>, p: Param| -> Result<ArrayD<FpVar<Fr>>, Error> {
                            let t = alloc_tensor(cs.clone(), a, spec.visibility)?;
                            if spec.visibility == Visibility::Constant {
                                return Ok(t);
                            }
                            for w in t.iter() {
                                enforce_bound(w, spec.bits(p)).map_err(|err| match err {
                                    Error::OutOfRange { value, range, .. } => Error::OutOfRange {
                                        what: format!("{p:?} (declared width)").to_lowercase(),
                                        value,
                                        range,
                                    },
                                    other => other,
                                })?;
                            }
                            Ok(t)
                        };
                    (linear(l, &x, param).map_err(e)?, b)
                }
                Layer::Rescale(n) => {
                    let parts = try_map(&x, |v| rescale(v, bound, n)).map_err(e)?;
                    let qb = quotient_bound(bound, n);
                    if parts.iter().all(|p| !p.quotient_bits.is_empty()) {
                        signs =
                            Some(parts.map(|p| p.quotient_bits.last().expect("non-empty").clone()));
                    }
                    (parts.map(|p| p.quotient.clone()), qb)
                }
                Layer::Relu => match signs.take() {
                    Some(sg) => {
                        let out: Vec<FpVar<Fr>> = x
                            .iter()
                            .zip(sg.iter())
                            .map(|(v, s)| FpVar::from(s.clone()) * v)
                            .collect();
                        (
                            ArrayD::from_shape_vec(x.raw_dim(), out).expect("same shape"),
                            bound,
                        )
                    }
                    None => (try_map(&x, |v| relu(v, bound)).map_err(e)?, bound),
                },
                Layer::AvgPool2d(cfg) => {
                    let r = avg_pool2d(dims::<_, Ix3>(&x).map_err(e)?, bound, cfg).map_err(e)?;
                    (r.quotient.into_dyn(), r.bound)
                }
                Layer::MaxPool2d(cfg) => {
                    let d = diff_bound(bound, nonneg);
                    (
                        max_pool2d(dims::<_, Ix3>(&x).map_err(e)?, d, cfg)
                            .map_err(e)?
                            .into_dyn(),
                        bound,
                    )
                }
                Layer::Flatten => (flatten(x.view()).into_dyn(), bound),
                Layer::ArgMax => {
                    let xs = dims::<_, Ix1>(&x).map_err(e)?;
                    let (i, _) = argmax(xs, diff_bound(bound, nonneg)).map_err(e)?;
                    let n = xs.len() as u64;
                    (ArrayD::from_elem(IxDyn(&[]), i), 64 - n.leading_zeros())
                }
                _ => unreachable!(),
            };
            if !matches!(layer, Layer::Rescale(_)) {
                signs = None;
            }
            nonneg = match layer {
                Layer::Relu => true,
                Layer::MaxPool2d(_) | Layer::Flatten => nonneg,
                Layer::AvgPool2d(_) => nonneg,
                _ => false,
            };
            summary.push(LayerSummary {
                kind: layer.kind(),
                shape: out.shape().to_vec(),
                bound: new_bound,
                constraints: cs.num_constraints() - before,
            });
            x = out;
            bound = new_bound;
        }
        Ok((x, summary))
    }

    /// The per-layer table: output shape, proven bound, constraints.
    pub fn summary_table(summary: &[LayerSummary]) -> String {
        let mut s = format!(
            "{:<4} {:<10} {:<16} {:>6} {:>12}\n",
            "#", "layer", "output shape", "bound", "constraints"
        );
        for (i, l) in summary.iter().enumerate() {
            s.push_str(&format!(
                "{:<4} {:<10} {:<16} {:>6} {:>12}\n",
                i,
                l.kind,
                format!("{:?}", l.shape),
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

/// The model applied to one input, as a circuit: the output is a public input, first in
/// the verifier's input order (then the model input, if public, then every layer's weights
/// and biases in order, if public).
#[derive(Clone, Debug)]
pub struct ModelCircuit {
    /// The model.
    pub model: std::sync::Arc<Model>,
    /// The input.
    pub input: ArrayD<BigInt>,
    /// The claimed output (from [`Model::infer`]).
    pub output: ArrayD<BigInt>,
}

impl ModelCircuit {
    /// Runs the model natively and wraps it with its output.
    pub fn new(model: std::sync::Arc<Model>, input: ArrayD<BigInt>) -> Result<Self, ModelError> {
        let outs = model.infer(&input)?;
        let output = outs
            .last()
            .map(|o| o.out.clone())
            .unwrap_or_else(|| input.clone());
        Ok(ModelCircuit {
            model,
            input,
            output,
        })
    }

    /// The public inputs in the verifier's order.
    pub fn public_inputs(&self) -> Vec<Fr> {
        let mut v: Vec<Fr> = self
            .output
            .iter()
            .map(arkml_gadgets::fixed::to_field)
            .collect();
        if self.model.input_visibility == Visibility::Public {
            v.extend(self.input.iter().map(arkml_gadgets::fixed::to_field::<Fr>));
        }
        if self.model.weights.visibility == Visibility::Public {
            for l in &self.model.layers {
                let params: Vec<ArrayD<BigInt>> = match l {
                    Layer::Dense { w, b } => vec![w.clone().into_dyn(), b.clone().into_dyn()],
                    Layer::Conv2d { w, b, .. } => vec![w.clone().into_dyn(), b.clone().into_dyn()],
                    Layer::BatchNorm { a, b } => vec![a.clone().into_dyn(), b.clone().into_dyn()],
                    _ => vec![],
                };
                for t in params {
                    v.extend(t.iter().map(arkml_gadgets::fixed::to_field::<Fr>));
                }
            }
        }
        v
    }
}

impl ConstraintSynthesizer<Fr> for ModelCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let claimed = alloc_tensor(cs.clone(), &self.output, Visibility::Public)?;
        let (out, _) = self
            .model
            .synthesize(cs, &self.input)
            .map_err(|_| SynthesisError::Unsatisfiable)?;
        if out.shape() != claimed.shape() {
            return Err(SynthesisError::Unsatisfiable);
        }
        for (a, b) in out.iter().zip(claimed.iter()) {
            a.enforce_equal(b)?;
        }
        Ok(())
    }
}
