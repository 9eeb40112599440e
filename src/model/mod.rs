//! The model builder: a graph of ops ([`ops`], one file per op behind [`ops::Op`] /
//! [`ops::IntOp`] / [`ops::FloatOp`], and a registry that generates [`Layer`]), and the
//! passes over it: shapes ([`Model::shapes`]), facts — bound, scale, sign and exact
//! constraint count, with no constraint system ([`Model::facts`]) —, native inference
//! ([`Model::infer`]) and synthesis ([`Model::synthesize_on`]).
//!
//! Integer weights that are constants (baked in), public or private; the input private or
//! public. A [`Layer::Rescale`] goes where the model divides back to the activation scale
//! (as circomlib-ml and keras2circom v2 do after every linear layer). The statement around
//! a model (public inputs, commitment, proving) is [`crate::circuit`].

mod facts;
mod graph;
pub mod ops;
mod shapes;
pub use facts::Facts;
pub use graph::Graph;
pub use ops::{Layer, Param};
pub(crate) use shapes::value_shapes;
pub use shapes::Limits;

use ark_bn254::Fr;
use ark_r1cs_std::{boolean::Boolean, fields::fp::FpVar};
use ark_relations::gr1cs::ConstraintSystemRef;
use arkml_gadgets::{
    range::enforce_bound,
    tensor::{alloc_tensor, Visibility},
    Error,
};
use ndarray::{ArrayD, IxDyn};
use num_bigint::{BigInt, BigUint};
use num_traits::One;
use thiserror::Error as ThisError;

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
    /// A named node (of a graph model) rejected its input or parameters: as
    /// [`ModelError::Layer`], named as the model file names it.
    #[error(transparent)]
    Node(Box<NodeError>),
    /// The input does not match the model.
    #[error("input: {0}")]
    Input(Error),
    /// The graph is not well formed (an output that does not exist, a duplicate name).
    #[error("graph: {0}")]
    Graph(String),
}

/// [`ModelError::Node`]'s content (boxed: a name keeps every `Result` small).
#[derive(Debug, ThisError)]
#[error("node {name:?} (layer {index}, {kind}): {source}")]
pub struct NodeError {
    /// The node's name.
    pub name: String,
    /// Position in the model (after sorting), from 0.
    pub index: usize,
    /// Layer kind.
    pub kind: &'static str,
    /// The gadget's error.
    pub source: Error,
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
    pub(crate) fn bits(&self, p: Param) -> u32 {
        match p {
            Param::Weight => self.weight_bits,
            Param::Bias => self.bias_bits,
        }
    }
}

/// A model with integer (already quantised) weights: layers in topological order, wired as
/// a chain or a graph ([`Graph`]).
///
/// A residual block by hand: `y = relu(rescale(dense(x)) + x)`, its facts (bound and exact
/// constraint count per layer, no synthesis), native inference and the circuit.
///
/// ```
/// use arkml::model::{ops, Graph, Layer, Model};
/// use arkml::gadgets::tensor::Visibility;
/// use arkml::ndarray::{array, ArrayD, IxDyn};
/// use arkml::num_bigint::{BigInt, BigUint};
///
/// let b = |v: i64| BigInt::from(v);
/// let model = Model {
///     input_shape: vec![2],
///     input_bound: 8,
///     input_visibility: Visibility::Private,
///     layers: vec![
///         Layer::Dense(ops::Dense { w: array![[b(2), b(0)], [b(1), b(3)]], b: array![b(0), b(4)] }),
///         Layer::Rescale(ops::Rescale(BigUint::from(4u32))),
///         Layer::Add(ops::Add), // reads the rescale (value 2) and the input (value 0)
///         Layer::Relu(ops::Relu),
///     ],
///     graph: Graph { inputs: vec![vec![], vec![], vec![2, 0], vec![]], ..Default::default() },
///     weights: Default::default(),
///     scale: None,
/// };
/// let summary = model.analyse().unwrap(); // shapes, bounds, constraints: no synthesis
/// assert_eq!(summary.len(), 4);
/// let x = ArrayD::from_shape_vec(IxDyn(&[2]), vec![b(-6), b(5)]).unwrap();
/// // dense: [-12 + 5, 0 + 15 + 4] = [-7, 19]; rescale by 4: [-2, 4]; + x: [-8, 9]; relu
/// assert_eq!(model.predict(&x).unwrap().into_raw_vec_and_offset().0, vec![b(0), b(9)]);
/// let circuit = arkml::circuit::ModelCircuit::new(std::sync::Arc::new(model), x).unwrap();
/// assert_eq!(circuit.info().unwrap().constraints, summary.iter().map(|l| l.constraints).sum::<usize>() + 2 * 10 + 2);
/// ```
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

/// Integers as the builder's `BigInt`s, keeping the array's shape:
/// `ints(array![[1, -2], [3, 4]])` is an `Array2<BigInt>`; `.into_dyn()` makes an input.
pub fn ints<D: ndarray::Dimension>(a: ndarray::Array<i64, D>) -> ndarray::Array<BigInt, D> {
    a.mapv(BigInt::from)
}

impl Model {
    /// A chain of `layers` over a private input of shape `input_shape` whose values lie in
    /// `-2^input_bound <= v < 2^input_bound`, with constant weights and no declared scale:
    /// the shortest way to a model (each op's example uses it). Set the fields for a graph,
    /// public or private weights, or a public input.
    ///
    /// ```
    /// use arkml::model::{ints, ops::Relu, Layer, Model};
    /// use arkml::ndarray::array;
    /// let model = Model::chain(&[2], 4, vec![Layer::Relu(Relu)]);
    /// assert_eq!(model.predict(&ints(array![-3, 3]).into_dyn()).unwrap(), ints(array![0, 3]).into_dyn());
    /// ```
    pub fn chain(input_shape: &[usize], input_bound: u32, layers: Vec<Layer>) -> Model {
        Model {
            input_shape: input_shape.to_vec(),
            input_bound,
            input_visibility: Visibility::Private,
            layers,
            graph: Graph::default(),
            weights: WeightSpec::default(),
            scale: None,
        }
    }
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
    /// The setting every op's facts see: the weights' visibility and widths, the scale.
    pub fn cx(&self) -> ops::Cx<'_> {
        ops::Cx {
            weights: self.weights,
            scale: self.scale.as_ref(),
        }
    }

    /// Native integer inference: every layer's output (and remainder where it divides).
    pub fn infer(&self, input: &ArrayD<BigInt>) -> Result<Vec<LayerOutput>, ModelError> {
        self.check_input(input)?;
        let mut outs: Vec<LayerOutput> = Vec::with_capacity(self.layers.len());
        for (index, layer) in self.layers.iter().enumerate() {
            let ins: Vec<&ArrayD<BigInt>> = self
                .graph
                .inputs_of(index)
                .iter()
                .map(|&v| if v == 0 { input } else { &outs[v - 1].out })
                .collect();
            let out = layer.infer(&ins).map_err(|source| {
                self.graph.named(ModelError::Layer {
                    index,
                    kind: layer.kind(),
                    source,
                })
            })?;
            outs.push(out);
        }
        Ok(outs)
    }

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
        if self.weights.visibility == Visibility::Constant {
            // constants are allocated layer by layer as synthesis reaches them (and freed
            // after), not all at once: on a 2M-weight model that is 140 MB less at the peak
            let (output, summary) = self.synthesize_layers(cs, x, None)?;
            return Ok(Synthesized {
                output,
                summary,
                weights: Vec::new(),
            });
        }
        let weights = self.alloc_weights(cs.clone())?;
        let (output, summary) = self.synthesize_on(cs, x, &weights)?;
        Ok(Synthesized {
            output,
            summary,
            weights: weights
                .iter()
                .flatten()
                .flat_map(|t| t.iter().cloned())
                .collect(),
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
        (0..self.layers.len())
            .map(|index| self.alloc_layer_weights(cs.clone(), index))
            .collect()
    }

    /// Layer `index`'s parameters as circuit variables (or constants), range-checked to
    /// their declared widths unless constant.
    fn alloc_layer_weights(
        &self,
        cs: ConstraintSystemRef<Fr>,
        index: usize,
    ) -> Result<Vec<ArrayD<FpVar<Fr>>>, ModelError> {
        let spec = self.weights;
        let l = self.layers.get(index).ok_or_else(|| {
            ModelError::Graph(format!(
                "no layer {index} (the model has {})",
                self.layers.len()
            ))
        })?;
        l.params()
            .iter()
            .map(|(a, p)| {
                let t = alloc_tensor(cs.clone(), &a.to_owned(), spec.visibility)?;
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
        self.synthesize_layers(cs, x, Some(weights))
    }

    /// [`Model::synthesize_on`]; with no `weights`, each layer's parameters are allocated
    /// (as the model's visibility says) when synthesis reaches it and freed after it.
    fn synthesize_layers(
        &self,
        cs: ConstraintSystemRef<Fr>,
        x: ArrayD<FpVar<Fr>>,
        weights: Option<&WeightVars>,
    ) -> Result<(ArrayD<FpVar<Fr>>, Vec<LayerSummary>), ModelError> {
        if x.shape() != self.input_shape.as_slice() {
            return Err(ModelError::Input(Error::shape(
                "model input",
                format!("{:?}", self.input_shape),
                format!("{:?}", x.shape()),
            )));
        }
        if let Some(w) = weights.filter(|w| w.len() != self.layers.len()) {
            return Err(ModelError::Input(Error::shape(
                "model weights",
                self.layers.len(),
                w.len(),
            )));
        }
        // bounds, scales and signs come from the facts pass (which also checks the wiring
        // and that a multi-input layer's inputs share a scale): one source of truth
        let facts = self.facts()?;
        let input_facts = self.input_facts();
        let n = self.layers.len();
        let outputs = self.graph.outputs_of(n);
        let last_use = self.graph.last_use(n);
        // per value (0: the input, i + 1: layer i's output): the variables (dropped after
        // their last reader) and the sign bits an op kept (a ReLU reading a rescale's
        // quotients reuses them: the fused rescale + ReLU)
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
            let f = &facts[index];
            let fact_of = |v: usize| if v == 0 { &input_facts } else { &facts[v - 1] };
            let inputs = ins
                .iter()
                .map(|&v| {
                    Ok(ops::In {
                        vars: vals[v].as_ref().ok_or_else(|| {
                            e(Error::param("inputs", format!("value {v} already freed")))
                        })?,
                        signs: signs[v].as_ref(),
                        facts: fact_of(v),
                    })
                })
                .collect::<Result<Vec<_>, ModelError>>()?;
            // an unsatisfied constraint names its node (under ark-relations' ConstraintLayer)
            let _node = tracing::info_span!(
                target: "gr1cs",
                "node",
                index,
                kind = layer.kind()
            )
            .entered();
            let before = cs.num_constraints();
            let owned;
            let w = match weights {
                Some(w) => &w[index],
                None => {
                    owned = self.alloc_layer_weights(cs.clone(), index)?;
                    &owned
                }
            };
            let out = layer.synthesize(&inputs, w).map_err(e)?;
            // where a gadget reports the bound it proves, it must be the facts pass's
            if let Some(proved) = out.proved.filter(|&p| p != f.bound) {
                return Err(e(Error::param(
                    "bound",
                    format!(
                        "the gadget proves {proved} bits, the facts pass {}",
                        f.bound
                    ),
                )));
            }
            summary.push(LayerSummary {
                kind: layer.kind(),
                shape: out.vars.shape().to_vec(),
                bound: f.bound,
                scale: f.scale.clone(),
                constraints: cs.num_constraints() - before,
            });
            vals.push(Some(out.vars));
            signs.push(out.signs);
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

    /// Per-layer figures (output shape, scale, proven bound, constraints) from the facts
    /// pass alone: no constraint system (each op's exact cost, tested equal to what
    /// synthesis writes). Errors as synthesis does, e.g. a bound too big for the field,
    /// naming the layer.
    pub fn analyse(&self) -> Result<Vec<LayerSummary>, ModelError> {
        Ok(self
            .facts()?
            .into_iter()
            .zip(&self.layers)
            .map(|(f, l)| LayerSummary {
                kind: l.kind(),
                shape: f.shape,
                bound: f.bound,
                scale: f.scale,
                constraints: f.cost,
            })
            .collect())
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
