//! Elementwise ops evaluated on constants: the shape and scale computations exporters write
//! around the layers (`Mod` of head counts, `Sqrt` of a head size, `Where` / `Equal` masks,
//! `Range`, `ConstantOfShape`). On an activation they are refused naming the op.

use super::*;

impl Builder<'_> {
    /// Sqrt and Reciprocal: evaluated on a constant, the checked kernel
    /// ([`ops::Root`], the floor of the true value at the scale) on an activation.
    pub(super) fn root_or_fold(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        if !matches!(self.need(n, 0)?, Val::Dyn { .. }) {
            return self.fold_elementwise(n);
        }
        let (v, lay) = self.dynamic(n, 0)?;
        let kind = if n.op_type == "Sqrt" {
            arkml_gadgets::activation::Root::Sqrt
        } else {
            arkml_gadgets::activation::Root::Recip
        };
        let y = self.emit(
            Layer::Root(ops::Root {
                kind,
                scale: None,
                eps: 0.0,
                gain: 0,
            }),
            vec![v],
            &node_name(n),
        );
        self.set(n, y, lay);
        Ok(())
    }

    /// An elementwise op (numpy broadcasting) or a constant generator, on constants.
    pub(super) fn fold_elementwise(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let op = n.op_type.as_str();
        let mut cs = vec![];
        for k in 0..n.input.len() {
            match self.get(n, k)? {
                Some(Val::Const(c)) => cs.push(c),
                None => {}
                Some(Val::Dyn { .. }) => {
                    return Err(self.unsupported(
                        n,
                        "only on constants (shape and scale computations); of an activation it has no kernel",
                    ))
                }
            }
        }
        let bad = |why: &str| self.graph_err(n, why.to_string());
        if cs.iter().any(|c| c.iter().any(|v| v.is_nan())) {
            return Err(bad("an input holds NaN"));
        }
        let unary = |f: fn(f64) -> f64| -> Result<ArrayD<f64>, OnnxError> {
            Ok(cs.first().ok_or_else(|| bad("no input"))?.mapv(f))
        };
        let binary = |f: &dyn Fn(f64, f64) -> f64| -> Result<ArrayD<f64>, OnnxError> {
            let (a, b) = (cs.first(), cs.get(1));
            let (a, b) = a.zip(b).ok_or_else(|| bad("two inputs"))?;
            ndarray_broadcast(a, b, f).ok_or_else(|| bad("inputs that do not broadcast"))
        };
        let truth = |v: bool| if v { 1.0 } else { 0.0 };
        let fmod = attr_int(n, "fmod", 0) != 0;
        let out = match op {
            "Neg" => unary(|v| -v)?,
            "Sqrt" => unary(f64::sqrt)?,
            "Reciprocal" => unary(|v| 1.0 / v)?,
            "Exp" => unary(f64::exp)?,
            "Log" => unary(f64::ln)?,
            "Floor" => unary(f64::floor)?,
            "Ceil" => unary(f64::ceil)?,
            "Not" => unary(|v| if v == 0.0 { 1.0 } else { 0.0 })?,
            "Mod" if fmod => binary(&|a, b| a % b)?,
            // integer Mod takes the divisor's sign (Python's)
            "Mod" => binary(&|a, b| a - b * (a / b).floor())?,
            "Equal" => binary(&|a, b| truth(a == b))?,
            "Less" => binary(&|a, b| truth(a < b))?,
            "Greater" => binary(&|a, b| truth(a > b))?,
            "LessOrEqual" => binary(&|a, b| truth(a <= b))?,
            "GreaterOrEqual" => binary(&|a, b| truth(a >= b))?,
            "And" => binary(&|a, b| truth(a != 0.0 && b != 0.0))?,
            "Or" => binary(&|a, b| truth(a != 0.0 || b != 0.0))?,
            "Min" | "Max" => {
                let mut acc = cs.first().cloned().ok_or_else(|| bad("no input"))?;
                for c in &cs[1..] {
                    acc = ndarray_broadcast(
                        &acc,
                        c,
                        |a, b| {
                            if (op == "Min") == (a < b) {
                                a
                            } else {
                                b
                            }
                        },
                    )
                    .ok_or_else(|| bad("inputs that do not broadcast"))?;
                }
                acc
            }
            "Where" => {
                let [c, x, y] = cs.as_slice() else {
                    return Err(bad("three inputs"));
                };
                let picked = ndarray_broadcast(c, x, |c, x| if c != 0.0 { x } else { f64::NAN })
                    .ok_or_else(|| bad("inputs that do not broadcast"))?;
                ndarray_broadcast(&picked, y, |p, y| if p.is_nan() { y } else { p })
                    .ok_or_else(|| bad("inputs that do not broadcast"))?
            }
            "Range" => {
                let s: Vec<f64> = cs.iter().filter_map(|c| c.iter().next().copied()).collect();
                let &[start, limit, delta] = s.as_slice() else {
                    return Err(bad("start, limit and delta"));
                };
                let count = ((limit - start) / delta).ceil().max(0.0);
                if !count.is_finite() || count > crate::model::Limits::default().max_elements as f64
                {
                    return Err(bad("a range beyond the element limit"));
                }
                Array1::from_iter((0..count as usize).map(|i| start + i as f64 * delta)).into_dyn()
            }
            "ConstantOfShape" => {
                let shape: Vec<usize> = cs
                    .first()
                    .map(|c| c.iter().map(|&v| v.max(0.0) as usize).collect())
                    .unwrap_or_default();
                if !within_limit(&shape) {
                    return Err(bad("a shape beyond the element limit"));
                }
                let value = match attr(n, "value").and_then(|a| a.t.as_ref()) {
                    Some(t) => tensor(t, &node_name(n), None)?
                        .iter()
                        .next()
                        .copied()
                        .unwrap_or(0.0),
                    None => 0.0,
                };
                ArrayD::from_elem(IxDyn(&shape), value)
            }
            other => return Err(self.unsupported(n, format!("{other} on constants"))),
        };
        self.constant(n, out)
    }
}
