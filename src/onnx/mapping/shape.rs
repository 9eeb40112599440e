//! Ops that move values and cost no constraints: Shape, Squeeze, Unsqueeze, Transpose,
//! Flatten, Reshape, Concat, Pad, Resize; their layout-only cases (relabellings, a channel
//! concatenation), the rest through [`Builder::wires`].

use super::*;

impl Builder<'_> {
    /// Shape of an activation: a constant.
    pub(super) fn shape(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (_, lay) = self.dynamic(n, 0)?;
        let all: Vec<f64> = lay.full_shape().iter().map(|&d| d as f64).collect();
        // opset 15's start and end: a slice of the dimensions, clamped
        let r = all.len() as i64;
        let at = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
        let (a, b) = (at(attr_int(n, "start", 0)), at(attr_int(n, "end", r)));
        let dims: Vec<f64> = all[a..b.max(a)].to_vec();
        self.constant(n, Array1::from(dims).into_dyn())
    }

    /// Squeeze and Unsqueeze: `[N, C]` <-> `[N, C, 1, 1]` relabelled; any other through
    /// [`Builder::wires`].
    pub(super) fn squeeze(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let op = n.op_type.as_str();
        if let Some(Val::Dyn {
            value,
            lay: lay @ (Lay::Pooled(_) | Lay::Vec(_)),
            pad: None,
        }) = self.get(n, 0)?
        {
            let axes = if self.opset >= 13 {
                self.konst(n, 1, "axes")?
                    .map(|c| c.iter().map(|&x| x as i64).collect())
            } else {
                attr_ints(n, "axes")
            };
            let mut axes: Vec<i64> = axes
                .unwrap_or_default()
                .iter()
                .map(|&a| if a < 0 { a + 4 } else { a })
                .collect();
            axes.sort_unstable();
            let new = match (op, lay, axes.as_slice()) {
                ("Squeeze", Lay::Pooled(c), [2, 3] | []) => Some(Lay::Vec(c)),
                ("Unsqueeze", Lay::Vec(c), [2, 3]) => Some(Lay::Pooled(c)),
                _ => None,
            };
            if let Some(new) = new {
                self.set(n, value, new);
                return Ok(());
            }
        }
        self.wires(n)
    }

    /// Transpose: a layout change (NHWC <-> NCHW) relabelled, free; any other through
    /// [`Builder::wires`].
    pub(super) fn transpose(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        if let Some(Val::Dyn {
            value,
            lay,
            pad: None,
        }) = self.get(n, 0)?
        {
            let perm = attr_ints(n, "perm").unwrap_or_default();
            let new = match (lay, perm.as_slice()) {
                (Lay::Hwc { h, w, c }, [0, 3, 1, 2]) => Some(Lay::Chw { c, h, w }),
                (Lay::Chw { c, h, w }, [0, 2, 3, 1]) => Some(Lay::Hwc { h, w, c }),
                (_, p) if !p.is_empty() && p.iter().enumerate().all(|(i, &v)| i as i64 == v) => {
                    Some(lay)
                }
                _ => None,
            };
            if let Some(new) = new {
                self.set(n, value, new);
                return Ok(());
            }
        }
        self.wires(n)
    }

    /// Flatten: from axis 1 keeping the layout (a Gemm after it permutes its rows); from
    /// another axis through [`Builder::wires`].
    pub(super) fn flatten_node(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let axis = attr_int(n, "axis", 1);
        if axis != 1 || matches!(self.get(n, 0)?, Some(Val::Const(_))) {
            return self.wires(n);
        }
        self.flatten(n)
    }

    /// Reshape: the same shape (an alias), a flatten (kept in arkml's layout, a Gemm after
    /// it permutes its rows), or a relabelling that keeps the element order; any other
    /// through [`Builder::wires`].
    pub(super) fn reshape(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let lay = match self.get(n, 0)? {
            Some(Val::Dyn {
                lay,
                pad: None,
                value: _,
            }) if !matches!(lay, Lay::Nd { .. }) && attr_int(n, "allowzero", 0) == 0 => lay,
            _ => return self.wires(n),
        };
        let target = self
            .konst(n, 1, "shape")?
            .ok_or_else(|| self.graph_err(n, "shape is missing"))?;
        let current = lay.full_shape();
        let mut t: Vec<i64> = target.iter().map(|&v| v as i64).collect();
        for (k, v) in t.iter_mut().enumerate() {
            if *v == 0 {
                *v = current.get(k).copied().unwrap_or(0) as i64;
            }
        }
        let total: usize = current.iter().product();
        let known = t
            .iter()
            .filter(|&&v| v != -1)
            .try_fold(1i64, |a, &v| a.checked_mul(v));
        if let Some(known) = known.filter(|&k| k > 0) {
            if t.iter().filter(|&&v| v == -1).count() == 1 {
                let fill = total as i64 / known;
                t.iter_mut().filter(|v| **v == -1).for_each(|v| *v = fill);
            }
        }
        let t: Vec<usize> = t.iter().map(|&v| v.max(0) as usize).collect();
        if t == current {
            return self.alias(n);
        }
        if t == [1, total] {
            return self.flatten(n);
        }
        // a reshape that keeps arkml's element order is a relabelling: zero constraints
        let new = match t.as_slice() {
            [1, c, h, w] if *c == 1 || h * w == 1 => Some(Lay::Chw {
                c: *c,
                h: *h,
                w: *w,
            }),
            [1, c, l] if *c == 1 || *l == 1 => Some(Lay::Cl { c: *c, l: *l }),
            _ => None,
        };
        match new {
            Some(new) if order_preserving(&lay) => {
                let (v, _) = self.dynamic(n, 0)?;
                let shape = arkml_shape(&new);
                let y = if shape == arkml_shape(&lay) {
                    v
                } else {
                    self.emit(Layer::Reshape(ops::Reshape(shape)), vec![v], &node_name(n))
                };
                self.set(n, y, new);
                Ok(())
            }
            _ => self.wires(n),
        }
    }

    /// Concat: of activations along the channels, a channel concatenation; any other
    /// (constants, other axes) through [`Builder::wires`].
    pub(super) fn concat(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let plain = (0..n.input.len()).all(|k| {
            matches!(
                self.vals.get(&n.input[k]),
                Some(Val::Dyn { lay, pad: None, .. }) if !matches!(lay, Lay::Nd { .. })
            )
        });
        if !plain {
            self.wires(n)
        } else {
            let mut ins = vec![];
            let mut lays = vec![];
            for k in 0..n.input.len() {
                let (v, lay) = self.dynamic(n, k)?;
                ins.push(v);
                lays.push(lay);
            }
            let first = *lays.first().ok_or_else(|| self.graph_err(n, "no inputs"))?;
            let rank = first.onnx_shape().len() as i64 + 1;
            let axis = attr_int(n, "axis", 1);
            let axis = if axis < 0 { axis + rank } else { axis };
            let total: usize = lays.iter().map(|l| l.channels()).sum();
            let same_but_channels = |a: &Lay| match (first, *a) {
                (Lay::Chw { h, w, .. }, Lay::Chw { h: h2, w: w2, .. }) => h == h2 && w == w2,
                (Lay::Cl { l, .. }, Lay::Cl { l: l2, .. }) => l == l2,
                (Lay::Vec(_), Lay::Vec(_)) | (Lay::Pooled(_), Lay::Pooled(_)) => true,
                _ => false,
            };
            if axis != 1 || !lays.iter().all(same_but_channels) {
                return self.wires(n);
            }
            let new = match first {
                Lay::Chw { h, w, .. } => Lay::Chw { c: total, h, w },
                Lay::Cl { l, .. } => Lay::Cl { c: total, l },
                Lay::Pooled(_) => Lay::Pooled(total),
                _ => Lay::Vec(total),
            };
            let y = self.emit(Layer::Concat(ops::Concat), ins, &node_name(n));
            self.set(n, y, new);
            Ok(())
        }
    }

    /// Pad: zeros on H and W of an `[N, C, H, W]` map wait for the Conv after it (its
    /// padding); any other (modes, values, axes, ranks, crops), and a zero Pad that no Conv
    /// absorbs, is a free selection ([`Builder::pad_wires`]).
    pub(super) fn pad(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic_raw(n, 0)?;
        let mode = attr_str(n, "mode").unwrap_or_else(|| "constant".into());
        let pads: Vec<i64> = if self.opset >= 11 {
            self.konst(n, 1, "pads")?
                .map(|c| c.iter().map(|&v| v as i64).collect())
                .unwrap_or_default()
        } else {
            attr_ints(n, "pads")
                .or_else(|| attr_ints(n, "paddings"))
                .unwrap_or_default()
        };
        let value = if self.opset >= 11 {
            self.konst(n, 2, "constant_value")?
                .and_then(|c| c.iter().next().copied())
                .unwrap_or(0.0)
        } else {
            attr_float(n, "value", 0.0) as f64
        };
        let rank = lay.full_shape().len();
        // opset 18's axes: the pads name those axes only
        let pads = match self.konst(n, 3, "axes")? {
            Some(axes) => {
                let mut full = vec![0; 2 * rank];
                let k = axes.len();
                if pads.len() != 2 * k {
                    return Err(self.graph_err(n, format!("{} pads for {k} axes", pads.len())));
                }
                for (i, &a) in axes.iter().enumerate() {
                    let a = a as i64;
                    let a = if a < 0 { a + rank as i64 } else { a };
                    let a = usize::try_from(a)
                        .ok()
                        .filter(|&a| a < rank)
                        .ok_or_else(|| self.graph_err(n, format!("axis {a} for rank {rank}")))?;
                    full[a] = pads[i];
                    full[a + rank] = pads[i + k];
                }
                full
            }
            None => pads,
        };
        let p = |k: usize| pads.get(k).copied().unwrap_or(0);
        let absorbable = mode == "constant"
            && value == 0.0
            && pads.len() == 8
            && pads.iter().all(|&v| v >= 0)
            && p(0) + p(1) + p(4) + p(5) == 0;
        let (Lay::Chw { c, h, w }, true) = (lay, absorbable) else {
            let (y, lay) = self.pad_wires(n, (v, lay), &pads, &mode, value)?;
            self.set(n, y, lay);
            return Ok(());
        };
        let (before, after) = (
            (p(2) as usize, p(3) as usize),
            (p(6) as usize, p(7) as usize),
        );
        let (ph, pw) = h
            .checked_add(before.0)
            .and_then(|v| v.checked_add(after.0))
            .zip(w.checked_add(before.1).and_then(|v| v.checked_add(after.1)))
            .ok_or_else(|| self.graph_err(n, "pads overflow"))?;
        if let Some(o) = n.output.first() {
            self.bind(o, v);
            self.vals.insert(
                o.clone(),
                Val::Dyn {
                    value: v,
                    lay: Lay::Chw { c, h: ph, w: pw },
                    pad: Some((before, after)),
                },
            );
        }
        Ok(())
    }

    /// Resize and Upsample: nearest, integer factors.
    pub(super) fn resize(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let op = n.op_type.as_str();
        // nearest-neighbour by integer factors on H and W: UpSampling2D
        let (v, lay) = self.dynamic(n, 0)?;
        let Lay::Chw { c, h, w } = lay else {
            return Err(self.unsupported(n, "resizing a tensor that is not [N, C, H, W]"));
        };
        let mode = attr_str(n, "mode").unwrap_or_else(|| "nearest".into());
        let k = if op == "Upsample" { 1 } else { 2 };
        let scales: Vec<f64> = match self.konst(n, k, "scales")? {
            Some(c) if c.len() == 4 => c.iter().copied().collect(),
            _ => match self.konst(n, 3, "sizes")? {
                Some(sz) if sz.len() == 4 => vec![
                    1.0,
                    1.0,
                    sz.iter().nth(2).copied().unwrap_or(0.0) / h as f64,
                    sz.iter().nth(3).copied().unwrap_or(0.0) / w as f64,
                ],
                _ => return Err(self.unsupported(n, "resize without constant scales or sizes")),
            },
        };
        let int = |x: f64| (x >= 1.0 && x.fract() == 0.0 && x <= 64.0).then_some(x as usize);
        match (
            mode.as_str(),
            scales[0],
            scales[1],
            int(scales[2]),
            int(scales[3]),
        ) {
            ("nearest", 1.0, 1.0, Some(sh), Some(sw)) => {
                let y = self.emit(
                    Layer::UpSample2d(ops::UpSample2d((sh, sw))),
                    vec![v],
                    &node_name(n),
                );
                self.set(
                    n,
                    y,
                    Lay::Chw {
                        c,
                        h: h * sh,
                        w: w * sw,
                    },
                );
                Ok(())
            }
            _ => Err(self.unsupported(
                n,
                format!("{mode} resize by {scales:?} (only nearest, integer factors on H and W)"),
            )),
        }
    }

    pub(super) fn flatten(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let new = match lay {
            Lay::Vec(_) | Lay::Pooled(_) => {
                let len = lay.channels();
                self.set(n, v, Lay::Vec(len));
                return Ok(());
            }
            Lay::Scalar => Lay::Vec(1),
            Lay::FlatChw { .. } => lay,
            Lay::Hwc { h, w, c } => Lay::Vec(h * w * c),
            Lay::Chw { c, h, w } if c == 1 || h * w == 1 => Lay::Vec(c * h * w),
            Lay::Chw { c, h, w } => Lay::FlatChw { c, h, w },
            Lay::Cl { c, l } if c == 1 || l == 1 => Lay::Vec(c * l),
            Lay::Cl { c, l } => Lay::FlatChw { c, h: 1, w: l },
            // ONNX's order: the row-major flatten is ONNX's
            Lay::Nd { .. } => Lay::Vec(arkml_shape(&lay).iter().product()),
        };
        let y = self.emit(Layer::Flatten(ops::Flatten), vec![v], &node_name(n));
        self.set(n, y, new);
        Ok(())
    }
}
