//! The importer's state: the layers emitted so far, each ONNX value's float value and
//! layout, the consumers left for each value, and the helpers every op mapping uses.

use super::*;

/// A value in the ONNX graph: a constant, or a float-model value with its layout. `pad`
/// is a zero padding (`before`, `after` as rows, columns) waiting for the Conv that reads it.
#[derive(Clone, Debug)]
pub(super) enum Val {
    Const(ArrayD<f64>),
    Dyn {
        value: usize,
        lay: Lay,
        pad: Option<((usize, usize), (usize, usize))>,
    },
}

pub(super) struct Builder<'a> {
    pub(super) layers: Vec<FloatLayer>,
    pub(super) inputs: Vec<Vec<usize>>,
    pub(super) names: Vec<String>,
    /// `names`, for the uniqueness check (a linear scan made import quadratic).
    pub(super) taken: std::collections::HashSet<String>,
    pub(super) vals: HashMap<String, Val>,
    pub(super) uses: HashMap<String, usize>,
    /// Per float value, the consumer slots (node inputs, model outputs) not yet processed
    /// that read it under any ONNX name.
    pub(super) value_uses: HashMap<usize, usize>,
    pub(super) outputs: &'a [String],
    pub(super) notes: Vec<String>,
    pub(super) opts: &'a ImportOptions,
    pub(super) opset: i64,
    /// Per ONNX value, the needed nodes that read it.
    pub(super) consumers: HashMap<String, Vec<&'a NodeProto>>,
    /// Per [`Lay::Nd`] value, its value in a known layout ([`Builder::canonical`]).
    pub(super) canonical: HashMap<usize, (usize, Lay)>,
    /// Per value, its value in ONNX's element order ([`Builder::onnx_order`]).
    pub(super) in_onnx_order: HashMap<usize, (usize, Lay)>,
}

impl Builder<'_> {
    pub(super) fn emit(&mut self, l: FloatLayer, ins: Vec<usize>, name: &str) -> usize {
        let mut name = name.replace(|c: char| c.is_whitespace(), "_");
        if name.is_empty() || name == "input" || self.taken.contains(&name) {
            name = format!("{name}#{}", self.layers.len());
        }
        self.layers.push(l);
        self.inputs.push(ins);
        self.taken.insert(name.clone());
        self.names.push(name);
        self.layers.len()
    }

    pub(super) fn unsupported(&self, n: &NodeProto, why: impl Into<String>) -> OnnxError {
        OnnxError::Unsupported {
            op: n.op_type.clone(),
            node: node_name(n),
            why: why.into(),
            supported: supported_ops(),
        }
    }

    pub(super) fn graph_err(&self, n: &NodeProto, why: impl Into<String>) -> OnnxError {
        OnnxError::Graph {
            node: node_name(n),
            why: why.into(),
        }
    }

    pub(super) fn get(&self, n: &NodeProto, k: usize) -> Result<Option<Val>, OnnxError> {
        match n.input.get(k) {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => {
                self.vals.get(s).cloned().map(Some).ok_or_else(|| {
                    self.graph_err(n, format!("input {s:?} is not computed before it"))
                })
            }
        }
    }

    pub(super) fn need(&self, n: &NodeProto, k: usize) -> Result<Val, OnnxError> {
        self.get(n, k)?
            .ok_or_else(|| self.graph_err(n, format!("input {k} is missing")))
    }

    pub(super) fn konst(
        &self,
        n: &NodeProto,
        k: usize,
        what: &str,
    ) -> Result<Option<ArrayD<f64>>, OnnxError> {
        match self.get(n, k)? {
            None => Ok(None),
            Some(Val::Const(c)) => {
                if c.iter().any(|v| !v.is_finite()) {
                    return Err(self.graph_err(n, format!("{what} holds NaN or infinite values")));
                }
                Ok(Some(c))
            }
            Some(Val::Dyn { .. }) => Err(self.unsupported(
                n,
                format!("{what} must be a constant (an initializer), not computed from the input"),
            )),
        }
    }

    /// The dynamic input `k` in a known layout ([`Builder::canonical`]), refusing a pending
    /// Pad.
    pub(super) fn dynamic(&mut self, n: &NodeProto, k: usize) -> Result<(usize, Lay), OnnxError> {
        let (v, lay) = self.dynamic_raw(n, k)?;
        Ok(self.canonical(v, lay, n))
    }

    /// A [`Lay::Nd`] of ONNX rank 1 to 4 with a batch axis as the known layout of its
    /// shape (`Scalar`, `Vec`, `Cl`, `Chw`): a free [`ops::Select`] (or a relabelling where
    /// the element order agrees), made once per value. Other layouts are kept.
    pub(super) fn canonical(&mut self, v: usize, lay: Lay, n: &NodeProto) -> (usize, Lay) {
        let Lay::Nd { batch: true, .. } = lay else {
            return (v, lay);
        };
        let new = match lay.onnx_shape().as_slice() {
            [] => Lay::Scalar,
            [k] => Lay::Vec(*k),
            [c, l] => Lay::Cl { c: *c, l: *l },
            [c, h, w] => Lay::Chw {
                c: *c,
                h: *h,
                w: *w,
            },
            _ => return (v, lay),
        };
        if let Some(&hit) = self.canonical.get(&v) {
            return hit;
        }
        // arkml element p of the new layout is ONNX element onnx_index(p), which is arkml
        // element onnx_index(p) of the Nd value (ONNX's order)
        let count: usize = lay.onnx_shape().iter().product();
        let index: Vec<usize> = (0..count).map(|p| new.onnx_index(p)).collect();
        let shape = arkml_shape(&new);
        let name = format!("{}.layout", node_name(n));
        let y = if index.iter().enumerate().all(|(p, &q)| p == q) {
            self.emit(Layer::Reshape(ops::Reshape(shape)), vec![v], &name)
        } else {
            self.emit(Layer::Select(ops::Select { shape, index }), vec![v], &name)
        };
        self.canonical.insert(v, (y, new));
        (y, new)
    }

    /// The dynamic input `k` in the layout it has; a pending zero Pad that a Conv did not
    /// absorb is made here ([`Builder::pad_wires`]: a free selection of the input and a
    /// zero).
    pub(super) fn dynamic_raw(
        &mut self,
        n: &NodeProto,
        k: usize,
    ) -> Result<(usize, Lay), OnnxError> {
        match self.need(n, k)? {
            Val::Dyn {
                value,
                lay,
                pad: None,
            } => Ok((value, lay)),
            Val::Dyn {
                value,
                lay: Lay::Chw { c, h, w },
                pad: Some((before, after)),
            } => {
                let inner = Lay::Chw {
                    c,
                    h: h - before.0 - after.0,
                    w: w - before.1 - after.1,
                };
                let pads = [0, 0, before.0, before.1, 0, 0, after.0, after.1].map(|v| v as i64);
                let (y, lay) = self.pad_wires(n, (value, inner), &pads, "constant", 0.0)?;
                // later readers of the same value get the made map
                if let Some(name) = n.input.get(k) {
                    self.vals.insert(
                        name.clone(),
                        Val::Dyn {
                            value: y,
                            lay,
                            pad: None,
                        },
                    );
                }
                Ok((y, lay))
            }
            Val::Dyn { .. } => Err(self.graph_err(n, "a pending Pad of a tensor not [N, C, H, W]")),
            Val::Const(_) => Err(self.unsupported(n, "a constant-only computation")),
        }
    }

    /// Counts the consumers of ONNX value `name`, now bound to float value `value`.
    pub(super) fn bind(&mut self, name: &str, value: usize) {
        let u = self.uses.get(name).copied().unwrap_or(0);
        *self.value_uses.entry(value).or_default() += u;
    }

    pub(super) fn set(&mut self, n: &NodeProto, value: usize, lay: Lay) {
        self.set_output(n, 0, value, lay)
    }

    /// Binds output `k` of `n` (a classifier's scores are its second output) to `value`.
    pub(super) fn set_output(&mut self, n: &NodeProto, k: usize, value: usize, lay: Lay) {
        if let Some(o) = n.output.get(k) {
            self.bind(o, value);
            self.vals.insert(
                o.clone(),
                Val::Dyn {
                    value,
                    lay,
                    pad: None,
                },
            );
        }
    }

    pub(super) fn alias(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let v = self.need(n, 0)?;
        if let (Some(o), Val::Dyn { value, .. }) = (n.output.first(), &v) {
            self.bind(o, *value);
        }
        if let Some(o) = n.output.first() {
            self.vals.insert(o.clone(), v);
        }
        Ok(())
    }

    /// The linear layer that produced `value`, when `name` (the ONNX value) has no other
    /// consumer and is not an output: it can absorb a following affine op.
    pub(super) fn foldable(&self, value: usize) -> Option<usize> {
        // this node is the only consumer left (model outputs count as consumers)
        let single = self.value_uses.get(&value).copied() == Some(1);
        let i = value.checked_sub(1)?;
        // which layers absorb a per-channel affine op is the op's rule
        (single && self.layers.get(i)?.affine_channels().is_some()).then_some(i)
    }

    /// `y = a x + b` per channel: folded into the linear layer before it when that is its
    /// only consumer, else a BatchNorm layer.
    pub(super) fn affine(
        &mut self,
        n: &NodeProto,
        a: Vec<f64>,
        b: Vec<f64>,
    ) -> Result<(), OnnxError> {
        let (value, lay) = self.dynamic(n, 0)?;
        // folded where the layer before absorbs it; otherwise (another consumer, or factors
        // of another length than its channels) kept as a BatchNorm layer
        let folded = self
            .foldable(value)
            .and_then(|i| Some((i, crate::quant::fold_affine(&self.layers[i], &a, &b)?)));
        if let Some((i, folded)) = folded {
            self.layers[i] = folded;
            self.notes.push(format!(
                "{} ({}) folded into {}",
                node_name(n),
                n.op_type,
                self.names[i]
            ));
            self.set(n, value, lay);
            return Ok(());
        }
        let layer = Layer::BatchNorm(ops::BatchNorm {
            a: Array1::from(a),
            b: Array1::from(b),
        });
        let v = self.emit(layer, vec![value], &node_name(n));
        self.set(n, v, lay);
        Ok(())
    }

    /// Whether ONNX value `name` only reaches model outputs, through Identity, Dropout and
    /// float Casts.
    pub(super) fn only_to_output(&self, name: &str, depth: usize) -> bool {
        if depth > 64 {
            return false;
        }
        let is_output = self.outputs.iter().any(|o| o == name);
        let cs = self
            .consumers
            .get(name)
            .map(|c| c.as_slice())
            .unwrap_or(&[]);
        // an ArgMax reading it sees the same maximum in the logits
        let passes = cs.iter().all(|c| {
            c.op_type == "ArgMax"
                || (matches!(
                    c.op_type.as_str(),
                    "Identity" | "Dropout" | "Cast" | "Normalizer" | "ZipMap"
                ) && c
                    .output
                    .first()
                    .is_some_and(|o| self.only_to_output(o, depth + 1)))
        });
        (is_output || !cs.is_empty()) && passes
    }

    pub(super) fn constant(&mut self, n: &NodeProto, c: ArrayD<f64>) -> Result<(), OnnxError> {
        if let Some(o) = n.output.first() {
            self.vals.insert(o.clone(), Val::Const(c));
        }
        Ok(())
    }
}
