//! Linear ops: Conv, Gemm, MatMul, BatchNormalization.

use super::*;

/// A Conv node's operands, read once for every input rank.
struct ConvIn {
    value: usize,
    extra: Option<((usize, usize), (usize, usize))>,
    w: ArrayD<f64>,
    m: usize,
    b: Vec<f64>,
    group: i64,
    auto_pad: String,
}

impl Builder<'_> {
    /// A convolution's bias (input 2): `m` values, or zeros.
    fn conv_bias(&self, n: &NodeProto, m: usize) -> Result<Vec<f64>, OnnxError> {
        match self.konst(n, 2, "bias")? {
            Some(b) if b.len() == m => Ok(b.iter().copied().collect()),
            Some(b) => {
                Err(self.graph_err(n, format!("bias has {} values for {m} filters", b.len())))
            }
            None => Ok(vec![0.0; m]),
        }
    }

    /// BatchNormalization: a per-channel affine op, folded where the layer before absorbs it.
    pub(super) fn batch_norm(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (_, lay) = self.dynamic(n, 0)?;
        if let Lay::Nd { .. } = lay {
            // its channels are ONNX axis 1, not the last axis a per-channel layer scales
            return Err(self.unsupported(
                n,
                format!(
                    "a batch normalisation of a {:?} tensor (only [N, C], [N, C, L], [N, C, H, W])",
                    lay.full_shape()
                ),
            ));
        }
        let p = |k: usize, what: &str| -> Result<Vec<f64>, OnnxError> {
            let c = self
                .konst(n, k, what)?
                .ok_or_else(|| self.graph_err(n, format!("{what} is missing")))?;
            if c.len() != lay.channels() {
                return Err(self.graph_err(
                    n,
                    format!(
                        "{what} has {} values for {} channels",
                        c.len(),
                        lay.channels()
                    ),
                ));
            }
            Ok(c.iter().copied().collect())
        };
        let (scale, bias, mean, var) = (p(1, "scale")?, p(2, "B")?, p(3, "mean")?, p(4, "var")?);
        let eps = attr_float(n, "epsilon", 1e-5) as f64;
        let a: Vec<f64> = scale
            .iter()
            .zip(&var)
            .map(|(g, v)| g / (v + eps).sqrt())
            .collect();
        let b: Vec<f64> = bias
            .iter()
            .zip(&mean)
            .zip(&a)
            .map(|((b, m), a)| b - m * a)
            .collect();
        self.affine(n, a, b)
    }

    /// Conv: the operands read once, then by the input's rank (a 1x1 Conv of an
    /// `[N, C, 1, 1]` tensor is a Dense layer).
    pub(super) fn conv(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (value, lay, extra) = match self.need(n, 0)? {
            Val::Dyn {
                value,
                lay,
                pad: None,
            } => {
                let (value, lay) = self.canonical(value, lay, n);
                (value, lay, None)
            }
            Val::Dyn { value, lay, pad } => (value, lay, pad),
            Val::Const(_) => return Err(self.unsupported(n, "a convolution of a constant")),
        };
        let w = self
            .konst(n, 1, "weights")?
            .ok_or_else(|| self.graph_err(n, "weights are missing"))?;
        let m = w.shape().first().copied().unwrap_or(0);
        let b = self.conv_bias(n, m)?;
        let group = attr_int(n, "group", 1);
        let auto_pad = attr_str(n, "auto_pad").unwrap_or_else(|| "NOTSET".into());
        let cv = ConvIn {
            value,
            extra,
            w,
            m,
            b,
            group,
            auto_pad,
        };
        match (lay, cv.w.ndim()) {
            (Lay::Chw { c, h, w }, 4) => self.conv2d(n, cv, (c, h, w)),
            (Lay::Cl { c, l }, 3) => self.conv1d(n, cv, (c, l)),
            // a 1x1 convolution of a [N, C, 1, 1] tensor (squeeze-excite's fully connected
            // layers after a global pooling): a Dense layer
            (Lay::Pooled(c), 4)
                if cv.w.shape()[2] == 1
                    && cv.w.shape()[3] == 1
                    && cv.group == 1
                    && cv.extra.is_none()
                    && attr_ints(n, "pads").is_none_or(|p| p.iter().all(|&v| v == 0)) =>
            {
                if cv.w.shape()[1] != c {
                    return Err(self.graph_err(
                        n,
                        format!("weights for {} channels, input has {c}", cv.w.shape()[1]),
                    ));
                }
                let wt = Array2::from_shape_fn((c, cv.m), |(ci, o)| cv.w[[o, ci, 0, 0]]);
                let layer = Layer::Dense(ops::Dense {
                    w: wt,
                    b: Array1::from(cv.b.clone()),
                });
                let y = self.emit(layer, vec![cv.value], &node_name(n));
                self.set(n, y, Lay::Pooled(cv.m));
                Ok(())
            }
            (l, r) => Err(self.unsupported(
                n,
                format!(
                    "a convolution with rank-{r} weights of a {:?} tensor",
                    l.onnx_shape()
                ),
            )),
        }
    }

    /// A 2D convolution of an `[N, C, H, W]` tensor: plain, depthwise or grouped.
    fn conv2d(
        &mut self,
        n: &NodeProto,
        cv: ConvIn,
        (c, h, width): (usize, usize, usize),
    ) -> Result<(), OnnxError> {
        let ConvIn {
            value,
            extra,
            w,
            m,
            b,
            group,
            auto_pad,
        } = cv;
        let ints = |name: &str, d: usize| attr_counts(n, name, d);
        let (kh, kw) = (w.shape()[2], w.shape()[3]);
        let strides = ints("strides", 2);
        let dil = ints("dilations", 2);
        let pads = attr_ints(n, "pads").unwrap_or_else(|| vec![0; 4]);
        if strides.len() != 2 || dil.len() != 2 || pads.len() != 4 || pads.iter().any(|&p| p < 0) {
            return Err(self.graph_err(n, "strides, dilations or pads of the wrong length"));
        }
        let (mut before, mut after) = (
            (pads[0] as usize, pads[1] as usize),
            (pads[2] as usize, pads[3] as usize),
        );
        let (h0, w0) = if let Some((b0, a0)) = extra {
            before = (before.0 + b0.0, before.1 + b0.1);
            after = (after.0 + a0.0, after.1 + a0.1);
            (h - b0.0 - a0.0, width - b0.1 - a0.1)
        } else {
            (h, width)
        };
        let padding = match auto_pad.as_str() {
            "NOTSET" if before == (0, 0) && after == (0, 0) => Padding::Valid,
            "NOTSET" => Padding::Explicit { before, after },
            "VALID" if extra.is_none() => Padding::Valid,
            "SAME_UPPER" if extra.is_none() => Padding::Same,
            other => return Err(self.unsupported(n, format!("auto_pad {other}"))),
        };
        let cfg = Conv2dConfig {
            stride: (strides[0], strides[1]),
            padding,
            dilation: (dil[0], dil[1]),
        };
        let g = window2d(h0, w0, (kh, kw), &cfg).map_err(|e| self.graph_err(n, e.to_string()))?;
        let name = node_name(n);
        let layer = if group == 1 {
            if w.shape()[1] != c {
                return Err(self.graph_err(
                    n,
                    format!("weights for {} channels, input has {c}", w.shape()[1]),
                ));
            }
            let wt = Array4::from_shape_fn((kh, kw, c, m), |(a, bb, ci, o)| w[[o, ci, a, bb]]);
            Layer::Conv2d(ops::Conv2d {
                w: wt,
                b: Array1::from(b),
                cfg,
            })
        } else if group as usize == c && w.shape()[1] == 1 && m % c == 0 {
            let mult = m / c;
            let wt = Array4::from_shape_fn((kh, kw, c, mult), |(a, bb, ci, j)| {
                w[[ci * mult + j, 0, a, bb]]
            });
            Layer::DepthwiseConv2d(ops::DepthwiseConv2d {
                w: wt,
                b: Array1::from(b),
                cfg,
            })
        } else if group > 1
            && c % group as usize == 0
            && m % group as usize == 0
            && w.shape()[1] == c / group as usize
        {
            // a grouped convolution (ResNeXt, RegNet, ShuffleNet) as one convolution
            // whose weights are zero between groups: constant zeros cost nothing, and
            // public or private zeros are bound like every other weight
            let (cg, mg) = (c / group as usize, m / group as usize);
            let wt = Array4::from_shape_fn((kh, kw, c, m), |(a, bb, ci, o)| {
                if ci / cg == o / mg {
                    w[[o, ci % cg, a, bb]]
                } else {
                    0.0
                }
            });
            self.notes.push(format!(
                "{} (group {group}) as one convolution with zero weights between groups",
                node_name(n)
            ));
            Layer::Conv2d(ops::Conv2d {
                w: wt,
                b: Array1::from(b),
                cfg,
            })
        } else {
            return Err(self.unsupported(
                n,
                format!(
                    "group {group} with weights for {} channels per group on {c} \
                     input channels and {m} filters",
                    w.shape()[1]
                ),
            ));
        };
        let y = self.emit(layer, vec![value], &name);
        self.set(
            n,
            y,
            Lay::Chw {
                c: m,
                h: g.out.0,
                w: g.out.1,
            },
        );
        Ok(())
    }

    /// A 1D convolution of an `[N, C, L]` tensor.
    fn conv1d(
        &mut self,
        n: &NodeProto,
        cv: ConvIn,
        (c, l): (usize, usize),
    ) -> Result<(), OnnxError> {
        let ConvIn {
            value,
            extra,
            w,
            m,
            b,
            group,
            auto_pad,
        } = cv;
        let ints = |name: &str, d: usize| attr_counts(n, name, d);
        if group != 1 || extra.is_some() {
            return Err(self.unsupported(n, "a 1D convolution with groups or a Pad before it"));
        }
        let k = w.shape()[2];
        if w.shape()[1] != c {
            return Err(self.graph_err(
                n,
                format!("weights for {} channels, input has {c}", w.shape()[1]),
            ));
        }
        let s = ints("strides", 1);
        let d = ints("dilations", 1);
        let pads = attr_ints(n, "pads").unwrap_or_else(|| vec![0; 2]);
        if s.len() != 1 || d.len() != 1 || pads.len() != 2 || pads.iter().any(|&p| p < 0) {
            return Err(self.graph_err(n, "strides, dilations or pads of the wrong length"));
        }
        let padding = match auto_pad.as_str() {
            "NOTSET" if pads == [0, 0] => Padding::Valid,
            "NOTSET" => Padding::Explicit {
                before: (0, pads[0] as usize),
                after: (0, pads[1] as usize),
            },
            "VALID" => Padding::Valid,
            "SAME_UPPER" => Padding::Same,
            other => return Err(self.unsupported(n, format!("auto_pad {other}"))),
        };
        let cfg = arkml_gadgets::layers::conv::conv1d_config(s[0], padding, d[0]);
        let g = window2d(1, l, (1, k), &cfg).map_err(|e| self.graph_err(n, e.to_string()))?;
        let wt = Array3::from_shape_fn((k, c, m), |(a, ci, o)| w[[o, ci, a]]);
        let layer = Layer::Conv1d(ops::Conv1d {
            w: wt,
            b: Array1::from(b),
            stride: s[0],
            padding,
            dilation: d[0],
        });
        let y = self.emit(layer, vec![value], &node_name(n));
        self.set(n, y, Lay::Cl { c: m, l: g.out.1 });
        Ok(())
    }

    /// ConvTranspose (2D, group 1) as the convolution it is the transpose of: the input
    /// with `stride - 1` zeros between its elements and the kernel's reach minus the pads
    /// around it (a free [`ops::Select`] over the input and one zero; a negative padding
    /// crops), then a stride-1 Conv2d with the kernel turned 180 degrees and its channel
    /// axes swapped. Exact; the Conv's cost on the zero-filled map.
    pub(super) fn conv_transpose(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (value, lay) = self.dynamic(n, 0)?;
        let Lay::Chw { c, h, w } = lay else {
            return Err(self.unsupported(
                n,
                format!(
                    "a transposed convolution of a {:?} tensor (only [N, C, H, W])",
                    lay.full_shape()
                ),
            ));
        };
        let wt = self
            .konst(n, 1, "weights")?
            .ok_or_else(|| self.graph_err(n, "weights are missing"))?;
        let group = attr_int(n, "group", 1);
        let auto_pad = attr_str(n, "auto_pad").unwrap_or_else(|| "NOTSET".into());
        if wt.ndim() != 4 || group != 1 || auto_pad != "NOTSET" || attr(n, "output_shape").is_some()
        {
            return Err(self.unsupported(
                n,
                "a transposed convolution other than 2D, group 1, explicit pads (no output_shape)",
            ));
        }
        let (wc, m, kh, kw) = (wt.shape()[0], wt.shape()[1], wt.shape()[2], wt.shape()[3]);
        if wc != c {
            return Err(self.graph_err(n, format!("weights for {wc} channels, input has {c}")));
        }
        let b = self.conv_bias(n, m)?;
        let s = attr_counts(n, "strides", 2);
        let d = attr_counts(n, "dilations", 2);
        let op = attr_ints(n, "output_padding").unwrap_or_else(|| vec![0; 2]);
        let pads = attr_ints(n, "pads").unwrap_or_else(|| vec![0; 4]);
        if s.len() != 2
            || d.len() != 2
            || op.len() != 2
            || pads.len() != 4
            || op.iter().chain(&pads).any(|&v| v < 0)
        {
            return Err(self.graph_err(
                n,
                "strides, dilations, output_padding or pads of the wrong length",
            ));
        }
        // per axis: the output's size, and where the dilated input starts in the padded map
        // (checked: strides, dilations and pads come from the file)
        let axis = |len: usize, k: usize, a: usize| -> Option<(usize, usize, i64)> {
            let int = |v: usize| i64::try_from(v).ok();
            let reach = int(k)?.checked_sub(1)?.checked_mul(int(d[a])?)?;
            let out = int(s[a])?
                .checked_mul(int(len)?.checked_sub(1)?)?
                .checked_add(op[a])?
                .checked_add(reach)?
                .checked_add(1)?
                .checked_sub(pads[a])?
                .checked_sub(pads[a + 2])?;
            let padded = usize::try_from(out.checked_add(reach)?).ok()?;
            (1..=1 << 20).contains(&out).then_some((
                out as usize,
                padded,
                reach.checked_sub(pads[a])?,
            ))
        };
        let ((oh, ph, top), (ow, pw, left)) = axis(h, kh, 0)
            .zip(axis(w, kw, 1))
            .ok_or_else(|| self.graph_err(n, "the output would be empty or too large"))?;
        if !within_limit(&[ph, pw, c]) {
            return Err(self.graph_err(n, format!("a zero-filled map of {ph} x {pw} x {c}")));
        }
        // position (i, j, ch) of the padded map: an input element, or the zero after them
        let zero = c * h * w;
        let src = |i: usize, start: i64, st: usize, len: usize| -> Option<usize> {
            let u = i as i64 - start;
            (u >= 0 && u % st as i64 == 0 && ((u / st as i64) as usize) < len)
                .then(|| (u / st as i64) as usize)
        };
        let mut index = Vec::with_capacity(ph * pw * c);
        for i in 0..ph {
            for j in 0..pw {
                for ch in 0..c {
                    index.push(match (src(i, top, s[0], h), src(j, left, s[1], w)) {
                        (Some(a), Some(bb)) => (a * w + bb) * c + ch,
                        _ => zero,
                    });
                }
            }
        }
        let name = node_name(n);
        let z = self.zero_activation(n, value)?;
        let map = self.emit(
            Layer::Select(ops::Select {
                shape: vec![ph, pw, c],
                index,
            }),
            vec![value, z],
            &format!("{name}.zeros"),
        );
        let k = Array4::from_shape_fn((kh, kw, c, m), |(a, bb, ci, o)| {
            wt[[ci, o, kh - 1 - a, kw - 1 - bb]]
        });
        let layer = Layer::Conv2d(ops::Conv2d {
            w: k,
            b: Array1::from(b),
            cfg: Conv2dConfig {
                stride: (1, 1),
                padding: Padding::Valid,
                dilation: (d[0], d[1]),
            },
        });
        let y = self.emit(layer, vec![map], &name);
        self.set(n, y, Lay::Chw { c: m, h: oh, w: ow });
        Ok(())
    }

    /// Gemm and MatMul by a constant matrix: of a vector, a Dense layer (a flattened map's
    /// rows permuted to arkml's order); of a tensor of higher rank, the product on its last
    /// axis at every position (`[..., K] @ [K, O]`, a transformer's token-wise projection):
    /// a kernel-1 Conv1d over the positions.
    pub(super) fn gemm(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (value, lay) = self.dynamic_raw(n, 0)?;
        let bmat = self
            .konst(n, 1, "B")?
            .ok_or_else(|| self.graph_err(n, "B is missing"))?;
        if bmat.ndim() != 2 {
            return Err(
                self.unsupported(n, format!("B of shape {:?} (only a matrix)", bmat.shape()))
            );
        }
        let gemm = n.op_type == "Gemm";
        let (alpha, beta) = if gemm {
            (
                attr_float(n, "alpha", 1.0) as f64,
                attr_float(n, "beta", 1.0) as f64,
            )
        } else {
            (1.0, 1.0)
        };
        if gemm && attr_int(n, "transA", 0) != 0 {
            return Err(self.unsupported(n, "transA = 1"));
        }
        let trans_b = gemm && attr_int(n, "transB", 0) != 0;
        let bm = bmat.into_dimensionality::<ndarray::Ix2>().expect("rank 2");
        let bm = if trans_b { bm.t().to_owned() } else { bm };
        let (k, out) = bm.dim();
        let bias = match if gemm { self.konst(n, 2, "C")? } else { None } {
            None => vec![0.0; out],
            Some(c) if c.len() == out => c.iter().map(|v| beta * v).collect(),
            Some(c) if c.len() == 1 => vec![beta * c.iter().next().copied().unwrap_or(0.0); out],
            Some(c) => return Err(self.unsupported(n, format!("C of shape {:?}", c.shape()))),
        };
        let k_in = match lay {
            Lay::Vec(k) | Lay::Pooled(k) => Some(k),
            Lay::FlatChw { c, h, w } => Some(c * h * w),
            Lay::Nd { .. } if arkml_shape(&lay).len() == 1 => Some(lay.channels()),
            _ => None,
        };
        let Some(k_in) = k_in else {
            return self.matmul_rows(n, (value, lay), alpha * &bm, bias);
        };
        if k != k_in {
            return Err(self.graph_err(n, format!("B has {k} rows for {k_in} inputs")));
        }
        // arkml row p is ONNX row onnx_index(p)
        let wt = Array2::from_shape_fn((k, out), |(p, j)| alpha * bm[[lay.onnx_index(p), j]]);
        let layer = FloatLayer::dense(wt, Array1::from(bias));
        let y = self.emit(layer, vec![value], &node_name(n));
        self.set(n, y, Lay::Vec(out));
        Ok(())
    }

    /// `x @ w + bias` on the last axis of `x` (any rank from 2), at every position: the
    /// positions as the length of a kernel-1 Conv1d, in ONNX's element order.
    fn matmul_rows(
        &mut self,
        n: &NodeProto,
        (value, lay): (usize, Lay),
        w: Array2<f64>,
        bias: Vec<f64>,
    ) -> Result<(), OnnxError> {
        let (v, nd) = self.onnx_order(n, value, lay);
        let Lay::Nd { batch, .. } = nd else {
            return Err(self.graph_err(n, "no ONNX-order layout"));
        };
        let shape = arkml_shape(&nd);
        let (k, out) = w.dim();
        let Some((&k_in, lead)) = shape.split_last() else {
            return Err(self.unsupported(n, "a matrix product of a scalar"));
        };
        if k != k_in {
            return Err(self.graph_err(n, format!("B has {k} rows for {k_in} inputs")));
        }
        let name = node_name(n);
        let positions: usize = lead.iter().product();
        let x = if shape.len() == 2 {
            v
        } else {
            let l = Layer::Reshape(ops::Reshape(vec![positions, k]));
            self.emit(l, vec![v], &format!("{name}.rows"))
        };
        let layer = Layer::Conv1d(ops::Conv1d {
            w: w.insert_axis(ndarray::Axis(0)),
            b: Array1::from(bias),
            stride: 1,
            padding: Padding::Valid,
            dilation: 1,
        });
        let mut y = self.emit(layer, vec![x], &name);
        let mut dims = lead.to_vec();
        dims.push(out);
        if shape.len() != 2 {
            let l = Layer::Reshape(ops::Reshape(dims.clone()));
            y = self.emit(l, vec![y], &format!("{name}.shape"));
        }
        let new = Lay::nd(&dims, batch).ok_or_else(|| self.graph_err(n, "rank"))?;
        self.set(n, y, new);
        Ok(())
    }
}
