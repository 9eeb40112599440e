//! Elementwise Add, Sub, Mul and Div: by constants (folded or affine), or of two activations.

use super::*;

impl Builder<'_> {
    pub(super) fn binary(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let op = n.op_type.as_str();
        let (x, y) = (self.need(n, 0)?, self.need(n, 1)?);
        match (x, y) {
            (Val::Const(a), Val::Const(b)) => {
                let r = match op {
                    "Add" => ndarray_broadcast(&a, &b, |p, q| p + q),
                    "Sub" => ndarray_broadcast(&a, &b, |p, q| p - q),
                    "Mul" => ndarray_broadcast(&a, &b, |p, q| p * q),
                    _ => ndarray_broadcast(&a, &b, |p, q| p / q),
                }
                .ok_or_else(|| self.unsupported(n, "constants that do not broadcast"))?;
                if let Some(o) = n.output.first() {
                    self.vals.insert(o.clone(), Val::Const(r));
                }
                Ok(())
            }
            (Val::Dyn { .. }, Val::Dyn { .. }) if op == "Mul" || op == "Div" => {
                let (a, la) = self.dynamic(n, 0)?;
                let (b, lb) = self.dynamic(n, 1)?;
                // a / b = a * (1 / b): the checked reciprocal (the floor of S^2 / |b| with
                // b's sign), then the product
                let b = if op == "Div" {
                    let r = Layer::Root(ops::Root {
                        kind: arkml_gadgets::activation::Root::Recip,
                        scale: None,
                        eps: 0.0,
                        gain: 0,
                    });
                    self.emit(r, vec![b], &format!("{}.reciprocal", node_name(n)))
                } else {
                    b
                };
                // equal layouts, or a per-channel gate ([N, C] or [N, C, 1, 1]) over a map
                let gate = |full: Lay, g: Lay| match (full, g) {
                    (Lay::Chw { c, .. }, Lay::Pooled(k) | Lay::Vec(k)) => c == k,
                    (Lay::Chw { c, .. }, Lay::Chw { c: k, h: 1, w: 1 }) => c == k,
                    _ => false,
                };
                let lay = if la == lb || gate(la, lb) {
                    la
                } else if gate(lb, la) {
                    lb
                } else {
                    return Err(self.graph_err(
                        n,
                        format!(
                            "a product of activations of shapes {:?} and {:?} (equal shapes, \
                             or a per-channel gate)",
                            la.onnx_shape(),
                            lb.onnx_shape()
                        ),
                    ));
                };
                let v = self.emit(Layer::Product(ops::Product), vec![a, b], &node_name(n));
                self.set(n, v, lay);
                Ok(())
            }
            (Val::Dyn { .. }, Val::Dyn { .. }) => {
                if !matches!(op, "Add" | "Sub") {
                    return Err(self.unsupported(n, format!("{op} of two activations")));
                }
                let (a, la) = self.dynamic(n, 0)?;
                let (b, lb) = self.dynamic(n, 1)?;
                if la != lb {
                    return Err(self.graph_err(
                        n,
                        format!(
                            "inputs of shapes {:?} and {:?}",
                            la.onnx_shape(),
                            lb.onnx_shape()
                        ),
                    ));
                }
                let l = if op == "Add" {
                    Layer::Add(ops::Add)
                } else {
                    Layer::Sub(ops::Sub)
                };
                let v = self.emit(l, vec![a, b], &node_name(n));
                self.set(n, v, la);
                Ok(())
            }
            (x, y) => {
                let const_first = matches!(x, Val::Const(_));
                let k = if const_first { 0 } else { 1 };
                let c = self.konst(n, k, "the constant operand")?.expect("present");
                if const_first {
                    // the dynamic operand is input 1; affine() reads input 0
                    let mut swapped = n.clone();
                    swapped.input.swap(0, 1);
                    return self.binary_const(&swapped, c, op, true);
                }
                let _ = y;
                self.binary_const(n, c, op, false)
            }
        }
    }

    /// `x op c` (or `c op x` when `reversed`), `x` being input 0 of `n`.
    pub(super) fn binary_const(
        &mut self,
        n: &NodeProto,
        c: ArrayD<f64>,
        op: &str,
        reversed: bool,
    ) -> Result<(), OnnxError> {
        let (value, lay) = self.dynamic(n, 0)?;
        let ch = lay.channels();
        if let Some(pc) = per_channel(&c, &lay) {
            let (a, b): (Vec<f64>, Vec<f64>) = match (op, reversed) {
                ("Add", _) => (vec![1.0; ch], pc),
                ("Sub", false) => (vec![1.0; ch], pc.iter().map(|v| -v).collect()),
                ("Sub", true) => (vec![-1.0; ch], pc),
                ("Mul", _) => (pc, vec![0.0; ch]),
                ("Div", false) => {
                    if pc.contains(&0.0) {
                        return Err(self.graph_err(n, "division by zero"));
                    }
                    (pc.iter().map(|v| 1.0 / v).collect(), vec![0.0; ch])
                }
                _ => return Err(self.unsupported(n, "a constant divided by an activation")),
            };
            return self.affine(n, a, b);
        }
        let name = node_name(n);
        match (op, reversed, full(&c, &lay)) {
            ("Mul", _, Some(f)) => {
                let y = self.emit(Layer::Mul(ops::Mul { c: f }), vec![value], &name);
                self.set(n, y, lay);
                Ok(())
            }
            ("Div", false, Some(f)) => {
                if f.iter().any(|&v| v == 0.0) {
                    return Err(self.graph_err(n, "division by zero"));
                }
                let layer = Layer::Mul(ops::Mul {
                    c: f.mapv(|v| 1.0 / v),
                });
                let y = self.emit(layer, vec![value], &name);
                self.set(n, y, lay);
                Ok(())
            }
            // a constant of the value's whole shape (a position embedding, a broadcast
            // bias): a per-element affine layer over the flattened value
            ("Add" | "Sub", _, Some(f)) => {
                let sign = if op == "Sub" && !reversed { -1.0 } else { 1.0 };
                let a = if op == "Sub" && reversed { -1.0 } else { 1.0 };
                let b: Vec<f64> = f.iter().map(|v| sign * v).collect();
                let shape = arkml_shape(&lay);
                let count = b.len();
                let x = if shape.len() == 1 {
                    value
                } else {
                    let l = Layer::Reshape(ops::Reshape(vec![count]));
                    self.emit(l, vec![value], &format!("{name}.flat"))
                };
                let layer = Layer::BatchNorm(ops::BatchNorm {
                    a: Array1::from(vec![a; count]),
                    b: Array1::from(b),
                });
                let mut y = self.emit(layer, vec![x], &name);
                if shape.len() != 1 {
                    y = self.emit(
                        Layer::Reshape(ops::Reshape(shape)),
                        vec![y],
                        &format!("{name}.shape"),
                    );
                }
                self.set(n, y, lay);
                Ok(())
            }
            _ => Err(self.unsupported(
                n,
                format!(
                    "{op} by a constant of shape {:?} on a {:?} tensor (one that broadcasts to it)",
                    c.shape(),
                    lay.onnx_shape()
                ),
            )),
        }
    }

    /// Pow by a constant integer exponent from 1 to 4 (GELU's tanh form cubes its input):
    /// a chain of products of the activation with itself, each then rescaled.
    pub(super) fn pow(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let e = self
            .konst(n, 1, "the exponent")?
            .ok_or_else(|| self.graph_err(n, "the exponent is missing"))?;
        let k = match e.iter().copied().collect::<Vec<f64>>().as_slice() {
            [k] if k.fract() == 0.0 && (1.0..=4.0).contains(k) => *k as usize,
            other => {
                return Err(self.unsupported(
                    n,
                    format!("the exponent {other:?} (a constant integer from 1 to 4)"),
                ))
            }
        };
        let name = node_name(n);
        let mut y = v;
        for i in 1..k {
            let last = i + 1 == k;
            let label = if last {
                name.clone()
            } else {
                format!("{name}.{i}")
            };
            y = self.emit(Layer::Product(ops::Product), vec![y, v], &label);
        }
        self.set(n, y, lay);
        Ok(())
    }
}
