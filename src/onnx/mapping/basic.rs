//! Identity-like and bookkeeping ops: Cast, Constant, Softmax on the way to an output, ArgMax.

use super::*;

impl Builder<'_> {
    /// Cast: to float is dropped; to an integer only where the value is an index.
    pub(super) fn cast(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let to = attr_int(n, "to", 0) as i32;
        if let Some(Val::Const(c)) = self.get(n, 0)? {
            let int = to == data_type::INT64 || to == data_type::INT32;
            let c = if int { c.mapv(f64::trunc) } else { c };
            return self.constant(n, c);
        }
        if to == data_type::FLOAT || to == data_type::DOUBLE {
            self.alias(n)
        } else {
            Err(self.unsupported(n, format!("a cast to element type {to}")))
        }
    }

    /// Constant: a constant value.
    pub(super) fn constant_node(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let t = if let Some(a) = attr(n, "value") {
            let t =
                a.t.as_ref()
                    .ok_or_else(|| self.graph_err(n, "value is not a tensor"))?;
            tensor(t, &node_name(n), self.opts.data_dir.as_deref())?
        } else if let Some(a) = attr(n, "value_float") {
            ArrayD::from_elem(IxDyn(&[]), a.f as f64)
        } else if let Some(a) = attr(n, "value_floats") {
            Array1::from(a.floats.iter().map(|&v| v as f64).collect::<Vec<_>>()).into_dyn()
        } else if let Some(a) = attr(n, "value_int") {
            ArrayD::from_elem(IxDyn(&[]), a.i as f64)
        } else if let Some(a) = attr(n, "value_ints") {
            Array1::from(a.ints.iter().map(|&v| v as f64).collect::<Vec<_>>()).into_dyn()
        } else {
            return Err(self.unsupported(n, "a Constant without a tensor, float or int value"));
        };
        if let Some(o) = n.output.first() {
            self.vals.insert(o.clone(), Val::Const(t));
        }
        Ok(())
    }

    /// Softmax and LogSoftmax on the way to an output (dropped: the argmax is the same).
    pub(super) fn softmax(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let op = n.op_type.as_str();
        let out = n.output.first().cloned().unwrap_or_default();
        if self.only_to_output(&out, 0) {
            self.notes.push(format!(
                        "{} ({op}) on the output dropped: the model outputs logits (the argmax is the same)",
                        node_name(n)
                    ));
            self.alias(n)
        } else if op == "Softmax" {
            self.softmax_inside(n)
        } else {
            Err(self.unsupported(
                n,
                "a log-softmax inside the model (only on an output, where it is dropped)",
            ))
        }
    }

    /// ArgMax over the features of `[N, features]`.
    pub(super) fn argmax(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let axis = attr_int(n, "axis", 0);
        if !matches!(lay, Lay::Vec(_) | Lay::Pooled(_))
            || !(axis == 1 || axis == -1)
            || attr_int(n, "select_last_index", 0) != 0
        {
            return Err(self.unsupported(
                n,
                "argmax other than over the features of [N, features], first index",
            ));
        }
        let y = self.emit(Layer::ArgMax(ops::ArgMax), vec![v], &node_name(n));
        self.set(n, y, Lay::Scalar);
        Ok(())
    }
}
