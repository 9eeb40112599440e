//! How a model's layers connect: a DAG in topological order.
//!
//! Values are numbered: value 0 is the model's input, value `i + 1` is layer `i`'s output.
//! Each layer reads the values in [`Graph::inputs`]`[i]`, all of them earlier (so the
//! layers are already in topological order and no cycle can be written); a layer with no
//! entry reads the previous value, so a plain list of layers is a chain and every version-1
//! model file is a graph. [`Graph::outputs`] lists the model's outputs (default: the last
//! layer's). The file form names nodes and lists inputs by name ([`crate::io`]); names are
//! resolved and sorted topologically there, with cycles, dangling and duplicate names
//! reported as typed errors.

use super::{Layer, ModelError};
use arkml_gadgets::Error;

/// The wiring of a model's layers (empty: a chain).
///
/// ```
/// use arkml::model::{ops, Graph, Layer};
///
/// // layer 0 reads the input, layer 1 reads layer 0, layer 2 adds layer 1's output to the
/// // input (a residual connection), layer 3 reads the previous value by default
/// let g = Graph { inputs: vec![vec![], vec![], vec![2, 0], vec![]], ..Default::default() };
/// assert_eq!(g.inputs_of(2), vec![2, 0]);
/// assert_eq!(g.inputs_of(3), vec![3]);
/// assert_eq!(g.outputs_of(4), vec![4]); // the last layer's output
/// assert!(!g.is_chain() && Graph::default().is_chain());
/// // a layer reading a value not computed before it is a typed error
/// let bad = Graph { inputs: vec![vec![2]], ..Default::default() };
/// assert!(bad.check::<arkml::num_bigint::BigInt>(&[Layer::Relu(ops::Relu)]).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// Per layer, the values it reads (value 0 is the model input, `i + 1` layer `i`'s
    /// output). Missing or empty: the previous value (`[i]`).
    pub inputs: Vec<Vec<usize>>,
    /// Per layer, a name (missing or empty: `n{i}`); only used in files and tables.
    pub names: Vec<String>,
    /// The model's outputs, as values; empty: the last layer's output. With several, the
    /// model's output is their concatenation, each flattened, in this order.
    pub outputs: Vec<usize>,
}

impl Graph {
    /// Whether this is the plain chain (no explicit wiring, names or outputs).
    pub fn is_chain(&self) -> bool {
        self.inputs.iter().all(|i| i.is_empty())
            && self.names.iter().all(|n| n.is_empty())
            && self.outputs.is_empty()
    }

    /// The values layer `i` reads.
    pub fn inputs_of(&self, i: usize) -> Vec<usize> {
        match self.inputs.get(i) {
            Some(v) if !v.is_empty() => v.clone(),
            _ => vec![i],
        }
    }

    /// Layer `i`'s name.
    pub fn name_of(&self, i: usize) -> String {
        match self.names.get(i) {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("n{i}"),
        }
    }

    /// `e` naming its layer by the node's name, where the graph names it (a chain's layers
    /// keep their position).
    pub fn named(&self, e: ModelError) -> ModelError {
        match e {
            ModelError::Layer {
                index,
                kind,
                source,
            } if self.names.get(index).is_some_and(|n| !n.is_empty()) => {
                ModelError::Node(Box::new(super::NodeError {
                    name: self.names[index].clone(),
                    index,
                    kind,
                    source,
                }))
            }
            e => e,
        }
    }

    /// The model's output values for `layers` layers.
    pub fn outputs_of(&self, layers: usize) -> Vec<usize> {
        if self.outputs.is_empty() {
            vec![layers]
        } else {
            self.outputs.clone()
        }
    }

    /// For each value, the last layer that reads it (`None`: no layer reads it).
    pub(crate) fn last_use(&self, layers: usize) -> Vec<Option<usize>> {
        let mut last = vec![None; layers + 1];
        for i in 0..layers {
            for v in self.inputs_of(i) {
                if let Some(l) = last.get_mut(v) {
                    *l = Some(i);
                }
            }
        }
        last
    }

    /// Checks the wiring against `layers`: every input an earlier value, each layer with as
    /// many inputs as its op takes, outputs that exist, names unique.
    pub fn check<N: Clone + std::fmt::Debug>(&self, layers: &[Layer<N>]) -> Result<(), ModelError> {
        let ops: Vec<_> = layers.iter().map(|l| (l.kind(), l.arity())).collect();
        self.check_ops(&ops)
    }

    /// [`Graph::check`] over each layer's kind and arity `(least, most)` inputs.
    pub fn check_ops(&self, ops: &[(&'static str, (usize, usize))]) -> Result<(), ModelError> {
        let n = ops.len();
        let err = |index: usize, why: String| ModelError::Layer {
            index,
            kind: ops[index].0,
            source: Error::param("inputs", why),
        };
        if self.inputs.len() > n || self.names.len() > n {
            return Err(ModelError::Graph(format!(
                "wiring for {} layers, the model has {n}",
                self.inputs.len().max(self.names.len())
            )));
        }
        for (i, &(_, (lo, hi))) in ops.iter().enumerate() {
            let ins = self.inputs_of(i);
            if let Some(v) = ins.iter().find(|&&v| v > i) {
                return Err(err(
                    i,
                    format!("reads value {v}, which is not computed before it (a cycle or a later node)"),
                ));
            }
            if ins.len() < lo || ins.len() > hi {
                let want = if lo == hi {
                    format!("{lo}")
                } else if hi == usize::MAX {
                    format!("at least {lo}")
                } else {
                    format!("{lo} to {hi}")
                };
                return Err(err(i, format!("takes {want} inputs, has {}", ins.len())));
            }
        }
        for &v in &self.outputs {
            if v > n {
                return Err(ModelError::Graph(format!(
                    "output value {v} does not exist ({n} layers)"
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for i in 0..n {
            let name = self.name_of(i);
            if name == "input" || !seen.insert(name.clone()) {
                return Err(ModelError::Graph(format!("duplicate node name {name:?}")));
            }
        }
        Ok(())
    }
}
