//! The shape pass: every layer's output shape from the input shape and the parameters'
//! shapes alone, with checked arithmetic and a size limit, before any tensor is allocated
//! or any constraint written. A hostile model file (a stride, dilation, pool or upsampling
//! size near `usize::MAX`, an input shape whose product overflows) is a typed error naming
//! the layer, never a panic, an abort or a wrapped integer.

use arkml_gadgets::fixed::check_bound;

use super::{Model, ModelError};
use ark_bn254::Fr;
use arkml_gadgets::tensor::Visibility;

/// Size limits checked before any allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most elements any tensor (input, output, padded input, parameter) may hold.
    pub max_elements: usize,
    /// The most nodes (layers) a model file or an ONNX graph may hold.
    pub max_nodes: usize,
    /// The largest model or ONNX file read, in bytes (checked before reading it).
    pub max_file_bytes: u64,
}

impl Default for Limits {
    /// 2^26 elements per tensor, 2^20 nodes, 1 GiB files (a 64-million-value activation is far beyond what a
    /// Groth16 prover on one machine handles: each element costs at least one constraint
    /// in any layer that is not free). A million nodes is 10x the largest graph exported
    /// models reach (ResNet-50: a few hundred); a 1 GiB file is a 250M-weight model in
    /// ONNX, and its JSON parse would need several times that in memory.
    fn default() -> Self {
        Limits {
            max_elements: 1 << 26,
            max_nodes: 1 << 20,
            max_file_bytes: 1 << 30,
        }
    }
}

impl Model {
    /// Every layer's output shape, from shapes alone (no tensor allocated), with the default
    /// [`Limits`]; also checks the declared bit widths (input bound, weight and bias widths)
    /// fit the field. [`Model::infer`] and synthesis run it first.
    pub fn shapes(&self) -> Result<Vec<Vec<usize>>, ModelError> {
        self.shapes_within(&Limits::default())
    }

    /// As [`Model::shapes`], with the given limits.
    pub fn shapes_within(&self, limits: &Limits) -> Result<Vec<Vec<usize>>, ModelError> {
        let width = |what: &str, bits: u32| {
            check_bound::<Fr>(what, bits)
                .map(|_| ())
                .map_err(ModelError::Input)
        };
        width("input bound", self.input_bound)?;
        if self.weights.visibility != Visibility::Constant {
            width("declared weight width", self.weights.weight_bits)?;
            width("declared bias width", self.weights.bias_bits)?;
        }
        value_shapes(&self.input_shape, &self.layers, &self.graph, limits)
            .map_err(|e| self.graph.named(e))
    }
}

/// Every layer's output shape in a graph of layers at any number type: the model's input
/// within the limits, the wiring and arities checked, each op's shape rule.
pub(crate) fn value_shapes<N: Clone + std::fmt::Debug>(
    input_shape: &[usize],
    layers: &[super::Layer<N>],
    graph: &super::Graph,
    limits: &Limits,
) -> Result<Vec<Vec<usize>>, ModelError> {
    super::ops::within("model input", input_shape, limits).map_err(ModelError::Input)?;
    graph.check(layers)?;
    // per value: 0 the input, i + 1 layer i's output
    let mut values = vec![input_shape.to_vec()];
    for (index, layer) in layers.iter().enumerate() {
        let ins = graph.inputs_of(index);
        let shapes: Vec<&[usize]> = ins.iter().map(|&v| values[v].as_slice()).collect();
        let y = layer
            .shape(&shapes, limits)
            .and_then(|y| super::ops::within("layer output", &y, limits).map(|_| y))
            .map_err(|source| ModelError::Layer {
                index,
                kind: layer.kind(),
                source,
            })?;
        values.push(y);
    }
    values.remove(0);
    Ok(values)
}
