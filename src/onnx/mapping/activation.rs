//! Activations: Relu, LeakyRelu, PRelu, Clip, HardSigmoid, HardSwish, Sigmoid, Tanh.

use super::*;

impl Builder<'_> {
    /// Relu.
    pub(super) fn relu(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let y = self.emit(Layer::Relu(ops::Relu), vec![v], &node_name(n));
        self.set(n, y, lay);
        Ok(())
    }

    /// LeakyRelu.
    pub(super) fn leaky_relu(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let alpha = attr_float(n, "alpha", 0.01) as f64;
        let y = self.emit(FloatLayer::leaky_relu(alpha), vec![v], &node_name(n));
        self.set(n, y, lay);
        Ok(())
    }

    /// PRelu with one slope: a LeakyRelu.
    pub(super) fn prelu(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let slope = self
            .konst(n, 1, "slope")?
            .ok_or_else(|| self.graph_err(n, "slope is missing"))?;
        let first = slope.iter().next().copied().unwrap_or(0.0);
        if slope.iter().any(|&a| a != first) {
            return Err(self.unsupported(n, "a per-channel slope (only one slope for all)"));
        }
        let y = self.emit(FloatLayer::leaky_relu(first), vec![v], &node_name(n));
        self.set(n, y, lay);
        Ok(())
    }

    /// Clip: ReLU6 and other clips to constants.
    pub(super) fn clip(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let scalar = |c: Option<ArrayD<f64>>| -> Option<f64> {
            c.and_then(|c| (c.len() == 1).then(|| c.iter().next().copied()).flatten())
        };
        let (lo, hi) = if self.opset >= 11 {
            (
                scalar(self.konst(n, 1, "min")?),
                scalar(self.konst(n, 2, "max")?),
            )
        } else {
            (
                attr(n, "min").map(|a| a.f as f64),
                attr(n, "max").map(|a| a.f as f64),
            )
        };
        let l = match (lo, hi) {
            (Some(0.0), None) => Layer::Relu(ops::Relu),
            (Some(lo), Some(hi)) if lo <= hi => FloatLayer::clip(lo, hi),
            (None, None) => return self.alias(n),
            (lo, hi) => {
                return Err(self.unsupported(
                    n,
                    format!("clip to [{lo:?}, {hi:?}] (both ends, or min 0 alone)"),
                ))
            }
        };
        let y = self.emit(l, vec![v], &node_name(n));
        self.set(n, y, lay);
        Ok(())
    }

    /// HardSigmoid and HardSwish: an affine layer, a clip and (HardSwish) a product.
    pub(super) fn hard_sigmoid(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let op = n.op_type.as_str();
        // max(0, min(1, alpha x + beta)) (HardSwish: x times that, alpha 1/6, beta
        // 1/2): an affine layer, a clip, and for HardSwish a product; all exact
        // integer ops (no approximation beyond the rounding of alpha and beta)
        let (v, lay) = self.dynamic(n, 0)?;
        let (alpha, beta) = if op == "HardSwish" {
            (1.0 / 6.0, 0.5)
        } else {
            (
                attr(n, "alpha").map_or(0.2, |a| a.f as f64),
                attr(n, "beta").map_or(0.5, |a| a.f as f64),
            )
        };
        let ch = lay.channels();
        let name = node_name(n);
        let affine = Layer::BatchNorm(ops::BatchNorm {
            a: Array1::from(vec![alpha; ch]),
            b: Array1::from(vec![beta; ch]),
        });
        let a = self.emit(affine, vec![v], &format!("{name}.affine"));
        let g = self.emit(FloatLayer::clip(0.0, 1.0), vec![a], &format!("{name}.clip"));
        let y = if op == "HardSwish" {
            self.emit(Layer::Product(ops::Product), vec![v, g], &name)
        } else {
            g
        };
        self.set(n, y, lay);
        Ok(())
    }

    /// Sigmoid and Tanh: the piecewise-cubic kernel, or circomlib-ml's cubics with `cubic`.
    pub(super) fn sigmoid(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let op = n.op_type.as_str();
        if !self.opts.cubic {
            // the piecewise-cubic kernel, accurate over the whole real line
            let (v, lay) = self.dynamic(n, 0)?;
            let func = if op == "Tanh" {
                ops::Smooth::Tanh
            } else {
                ops::Smooth::Sigmoid
            };
            let l = Layer::Logistic(ops::Logistic { func, table: None });
            let y = self.emit(l, vec![v], &node_name(n));
            self.set(n, y, lay);
            Ok(())
        } else {
            let (v, lay) = self.dynamic(n, 0)?;
            let l = if op == "Sigmoid" {
                FloatLayer::sigmoid()
            } else {
                FloatLayer::tanh()
            };
            self.notes.push(format!(
                "{} ({op}) proven as circomlib-ml's cubic approximation",
                node_name(n)
            ));
            let y = self.emit(l, vec![v], &node_name(n));
            self.set(n, y, lay);
            Ok(())
        }
    }

    /// Erf through the piecewise-cubic kernel (GELU as torch exports it: `x (1 + erf(x /
    /// sqrt 2)) / 2`, the rest affine ops and a product).
    pub(super) fn erf(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let l = Layer::Logistic(ops::Logistic {
            func: ops::Smooth::Erf,
            table: None,
        });
        let y = self.emit(l, vec![v], &node_name(n));
        self.set(n, y, lay);
        Ok(())
    }

    /// Softplus, and Elu with `alpha = 1`, through the piecewise-cubic kernel of their
    /// bounded parts.
    pub(super) fn softplus_elu(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let func = if n.op_type == "Softplus" {
            ops::Smooth::Softplus
        } else {
            if attr_float(n, "alpha", 1.0) != 1.0 {
                return self.elu_family(n);
            }
            ops::Smooth::Elu
        };
        let l = Layer::Logistic(ops::Logistic { func, table: None });
        let y = self.emit(l, vec![v], &node_name(n));
        self.set(n, y, lay);
        Ok(())
    }

    /// Elu with any `alpha`, Celu and Selu: `c1 relu(x) + c2 g(x / d)`, with `g(u) = elu(u) -
    /// relu(u) = min(e^u - 1, 0)` (bounded: the Elu kernel's output less a ReLU, exact) —
    /// Elu `alpha`: `d = 1, c1 = 1, c2 = alpha`; Celu: `d = alpha, c1 = 1, c2 = alpha`; Selu:
    /// `d = 1, c1 = gamma, c2 = gamma alpha`. The factors are affine layers, so only the
    /// bounded part is scaled (the error stays bounded over the line; Selu's `gamma` on
    /// `relu(x)` adds its rounding at `S`, as any affine factor does).
    pub(super) fn elu_family(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (x, lay) = self.dynamic(n, 0)?;
        let f = |name: &str, default: f64| attr(n, name).map_or(default, |a| a.f as f64);
        let (d, c1, c2) = match n.op_type.as_str() {
            "Celu" => {
                let a = f("alpha", 1.0);
                (a, 1.0, a)
            }
            "Selu" => {
                let (a, g) = (
                    f("alpha", 1.673_263_192_176_818_8),
                    f("gamma", 1.050_701_022_148_132_3),
                );
                (1.0, g, g * a)
            }
            _ => (1.0, 1.0, f("alpha", 1.0)),
        };
        if !(d.is_finite() && d != 0.0 && c1.is_finite() && c2.is_finite()) {
            return Err(self.unsupported(n, format!("alpha or gamma of {d}, {c1}, {c2}")));
        }
        let ch = lay.channels();
        let name = node_name(n);
        let scaled = |b: &mut Self, v: usize, k: f64, part: &str| {
            if k == 1.0 {
                return v;
            }
            let l = Layer::BatchNorm(ops::BatchNorm {
                a: Array1::from(vec![k; ch]),
                b: Array1::from(vec![0.0; ch]),
            });
            b.emit(l, vec![v], &format!("{name}.{part}"))
        };
        let u = scaled(self, x, 1.0 / d, "input");
        let elu = Layer::Logistic(ops::Logistic {
            func: ops::Smooth::Elu,
            table: None,
        });
        let e = self.emit(elu, vec![u], &format!("{name}.elu"));
        let ru = self.emit(Layer::Relu(ops::Relu), vec![u], &format!("{name}.relu"));
        let g = self.emit(Layer::Sub(ops::Sub), vec![e, ru], &format!("{name}.tail"));
        let cg = scaled(self, g, c2, "tail_factor");
        let rx = if u == x {
            ru
        } else {
            self.emit(Layer::Relu(ops::Relu), vec![x], &format!("{name}.relu_x"))
        };
        let crx = scaled(self, rx, c1, "relu_factor");
        let y = self.emit(Layer::Add(ops::Add), vec![crx, cg], &name);
        self.set(n, y, lay);
        Ok(())
    }

    /// Abs: `|x| = 2 relu(x) - x`, a ReLU, an Add of it to itself and a Sub (exact; the
    /// ReLU's constraints only).
    pub(super) fn abs(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let y = self.abs_of(v, &node_name(n));
        self.set(n, y, lay);
        Ok(())
    }

    /// `|v|` as `2 relu(v) - v`, the last layer named `name`.
    pub(super) fn abs_of(&mut self, v: usize, name: &str) -> usize {
        let r = self.emit(Layer::Relu(ops::Relu), vec![v], &format!("{name}.relu"));
        let twice = self.emit(Layer::Add(ops::Add), vec![r, r], &format!("{name}.twice"));
        self.emit(Layer::Sub(ops::Sub), vec![twice, v], name)
    }
}
