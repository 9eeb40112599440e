//! Pooling: MaxPool, AveragePool, their global forms, ReduceMean over H and W.

use super::*;

impl Builder<'_> {
    /// ReduceMean, ReduceSum and ReduceMax over H and W of an `[N, C, H, W]` tensor (global
    /// pooling; the sum undivided), and ReduceMean / ReduceSum over the features of
    /// `[N, F]` (a Dense layer of constant weights `1 / F` or 1: free but its rescale).
    pub(super) fn reduce(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let op = n.op_type.as_str();
        let (v, lay) = self.dynamic(n, 0)?;
        let axes = self.reduce_axes(n)?;
        let rank = lay.onnx_shape().len() as i64 + 1;
        let mut axes: Vec<i64> = axes
            .iter()
            .map(|&a| if a < 0 { a + rank } else { a })
            .collect();
        axes.sort_unstable();
        let keep = attr_int(n, "keepdims", 1) != 0;
        let name = node_name(n);
        match (lay, axes.as_slice()) {
            (Lay::Chw { c, h, w }, [2, 3])
                if matches!(op, "ReduceMean" | "ReduceMax" | "ReduceSum") =>
            {
                let y = match op {
                    "ReduceMean" => {
                        self.emit(Layer::GlobalAvgPool2d(ops::GlobalAvgPool2d), vec![v], &name)
                    }
                    "ReduceMax" => {
                        self.emit(Layer::GlobalMaxPool2d(ops::GlobalMaxPool2d), vec![v], &name)
                    }
                    _ => {
                        let cfg = Pool2dConfig::new((h, w));
                        let s = self.emit(
                            Layer::SumPool2d(ops::SumPool2d(cfg)),
                            vec![v],
                            &format!("{name}.sum"),
                        );
                        self.emit(Layer::Reshape(ops::Reshape(vec![c])), vec![s], &name)
                    }
                };
                self.set(n, y, if keep { Lay::Pooled(c) } else { Lay::Vec(c) });
                Ok(())
            }
            (Lay::Vec(f), [1]) if matches!(op, "ReduceMean" | "ReduceSum") => {
                let k = if op == "ReduceMean" {
                    1.0 / f as f64
                } else {
                    1.0
                };
                let layer = Layer::Dense(ops::Dense {
                    w: Array2::from_elem((f, 1), k),
                    b: Array1::from(vec![0.0]),
                });
                let y = self.emit(layer, vec![v], &name);
                self.set(n, y, Lay::Vec(1));
                Ok(())
            }
            _ => {
                let axes = self.reduce_axes(n)?;
                self.reduce_any(n, op, (v, lay), axes, keep)
            }
        }
    }

    /// A reduction's axes: an input from opset 18 (ReduceSum: 13), an attribute before.
    fn reduce_axes(&self, n: &NodeProto) -> Result<Vec<i64>, OnnxError> {
        Ok(
            if self.opset >= 18 || (n.op_type == "ReduceSum" && self.opset >= 13) {
                self.konst(n, 1, "axes")?
                    .map(|c| c.iter().map(|&x| x as i64).collect())
                    .unwrap_or_default()
            } else {
                attr_ints(n, "axes").unwrap_or_default()
            },
        )
    }

    /// A reduction over any axes of any tensor: its elements moved (a free
    /// [`ops::Select`]) to `[kept, reduced]` in ONNX's order, then per kept position a
    /// kernel-1 Conv1d of ones (Sum, Mean: of `1 / K`; L1 of the absolute values,
    /// SumSquare of the squares) or a `1 x K` max pooling (Max; Min of the negation).
    fn reduce_any(
        &mut self,
        n: &NodeProto,
        op: &str,
        (v, lay): (usize, Lay),
        axes: Vec<i64>,
        keep: bool,
    ) -> Result<(), OnnxError> {
        let shape = lay.full_shape();
        let rank = shape.len() as i64;
        let mut reduced = vec![false; shape.len()];
        for &a in &axes {
            let b = if a < 0 { a + rank } else { a };
            let slot = usize::try_from(b)
                .ok()
                .and_then(|b| reduced.get_mut(b))
                .ok_or_else(|| self.graph_err(n, format!("axis {a} for rank {rank}")))?;
            *slot = true;
        }
        if axes.is_empty() {
            if attr_int(n, "noop_with_empty_axes", 0) != 0 {
                return self.alias(n);
            }
            reduced = vec![true; shape.len()];
        }
        let perm: Vec<usize> = (0..shape.len())
            .filter(|&a| !reduced[a])
            .chain((0..shape.len()).filter(|&a| reduced[a]))
            .collect();
        let k: usize = (0..shape.len())
            .filter(|&a| reduced[a])
            .map(|a| shape[a])
            .product();
        let p: usize = (0..shape.len())
            .filter(|&a| !reduced[a])
            .map(|a| shape[a])
            .product();
        let name = node_name(n);
        let moved = positions(&lay)
            .permuted_axes(IxDyn(&perm))
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order(IxDyn(&[p, k]))
            .map_err(|e| self.graph_err(n, e.to_string()))?;
        let index: Vec<usize> = moved.iter().copied().collect();
        let x = self.emit(
            Layer::Select(ops::Select {
                shape: vec![p, k],
                index,
            }),
            vec![v],
            &format!("{name}.rows"),
        );
        let ones = |w: f64| {
            Layer::Conv1d(ops::Conv1d {
                w: Array3::from_elem((1, k, 1), w),
                b: Array1::from(vec![0.0]),
                stride: 1,
                padding: Padding::Valid,
                dilation: 1,
            })
        };
        let negate = |count: usize| {
            Layer::BatchNorm(ops::BatchNorm {
                a: Array1::from(vec![-1.0; count]),
                b: Array1::from(vec![0.0; count]),
            })
        };
        let y = match op {
            "ReduceSum" | "ReduceMean" => {
                let w = if op == "ReduceMean" {
                    1.0 / k as f64
                } else {
                    1.0
                };
                self.emit(ones(w), vec![x], &name)
            }
            "ReduceL1" => {
                let a = self.abs_of(x, &format!("{name}.abs"));
                self.emit(ones(1.0), vec![a], &name)
            }
            "ReduceSumSquare" => {
                let sq = self.emit(
                    Layer::Product(ops::Product),
                    vec![x, x],
                    &format!("{name}.square"),
                );
                self.emit(ones(1.0), vec![sq], &name)
            }
            "ReduceMax" | "ReduceMin" => {
                let min = op == "ReduceMin";
                let mut x = x;
                if min {
                    // negation is per element: over the flat rows
                    let f = self.emit(
                        Layer::Reshape(ops::Reshape(vec![p * k])),
                        vec![x],
                        &format!("{name}.flat"),
                    );
                    x = self.emit(negate(p * k), vec![f], &format!("{name}.neg"));
                }
                let m = self.emit(
                    Layer::Reshape(ops::Reshape(vec![p, k, 1])),
                    vec![x],
                    &format!("{name}.map"),
                );
                let cfg = Pool2dConfig::new((1, k));
                let mut y = self.emit(Layer::MaxPool2d(ops::MaxPool2d(cfg)), vec![m], &name);
                if min {
                    let f = self.emit(
                        Layer::Reshape(ops::Reshape(vec![p])),
                        vec![y],
                        &format!("{name}.max"),
                    );
                    y = self.emit(negate(p), vec![f], &format!("{name}.min"));
                }
                y
            }
            other => {
                return Err(
                    self.unsupported(n, format!("{other} (no square root or logarithm kernel)"))
                )
            }
        };
        let out: Vec<usize> = (0..shape.len())
            .filter_map(|a| match (reduced[a], keep) {
                (false, _) => Some(shape[a]),
                (true, true) => Some(1),
                (true, false) => None,
            })
            .collect();
        let new = Lay::of_full_shape(&out).ok_or_else(|| self.graph_err(n, "rank"))?;
        let y = self.emit(
            Layer::Reshape(ops::Reshape(arkml_shape(&new))),
            vec![y],
            &format!("{name}.shape"),
        );
        self.set(n, y, new);
        Ok(())
    }

    /// GlobalAveragePool and GlobalMaxPool.
    pub(super) fn global_pool(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let op = n.op_type.as_str();
        let (v, lay) = self.dynamic(n, 0)?;
        let Lay::Chw { c, .. } = lay else {
            // any other rank ([N, C, L] of a 1-D network): a reduction over the axes after
            // the channels, keeping them
            let rank = lay.full_shape().len();
            if rank < 3 {
                return Err(self.unsupported(n, "global pooling of a tensor without spatial axes"));
            }
            let op = if op == "GlobalAveragePool" {
                "ReduceMean"
            } else {
                "ReduceMax"
            };
            return self.reduce_any(n, op, (v, lay), (2..rank as i64).collect(), true);
        };
        let l = if op == "GlobalAveragePool" {
            Layer::GlobalAvgPool2d(ops::GlobalAvgPool2d)
        } else {
            Layer::GlobalMaxPool2d(ops::GlobalMaxPool2d)
        };
        let y = self.emit(l, vec![v], &node_name(n));
        self.set(n, y, Lay::Pooled(c));
        Ok(())
    }

    pub(super) fn pool(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        // a 1-D pooling of [N, C, L] is the 2-D one of its [1, L, C] view (a free reshape
        // on each side), with the attributes widened by a unit axis
        let one_d = matches!(lay, Lay::Cl { .. });
        let (v, c, h, w) = match lay {
            Lay::Chw { c, h, w } => (v, c, h, w),
            Lay::Cl { c, l } => {
                let view = Layer::Reshape(ops::Reshape(vec![1, l, c]));
                (
                    self.emit(view, vec![v], &format!("{}.2d", node_name(n))),
                    c,
                    1,
                    l,
                )
            }
            _ => {
                return Err(self.unsupported(
                    n,
                    "pooling of a tensor that is not [N, C, H, W] or [N, C, L]",
                ))
            }
        };
        let dims = if one_d { 1 } else { 2 };
        let widen = |v: Vec<i64>, unit: i64| {
            if one_d && v.len() == 1 {
                vec![unit, v[0]]
            } else if one_d && v.len() == 2 {
                // pads [begin, end] -> [0, begin, 0, end]
                vec![unit, v[0], unit, v[1]]
            } else {
                v
            }
        };
        let k = widen(attr_ints(n, "kernel_shape").unwrap_or_default(), 1);
        let s = widen(attr_ints(n, "strides").unwrap_or_else(|| vec![1; dims]), 1);
        let pads = widen(attr_ints(n, "pads").unwrap_or_else(|| vec![0; 2 * dims]), 0);
        let dil = widen(
            attr_ints(n, "dilations").unwrap_or_else(|| vec![1; dims]),
            1,
        );
        if k.len() != 2
            || s.len() != 2
            || pads.len() != 4
            || k.iter().chain(&s).chain(&pads).any(|&x| x < 0)
        {
            return Err(self.graph_err(n, "kernel_shape, strides or pads of the wrong length"));
        }
        if dil.iter().any(|&d| d != 1) {
            return Err(self.unsupported(n, "dilations"));
        }
        let ceil = attr_int(n, "ceil_mode", 0) != 0;
        let avg = n.op_type == "AveragePool";
        if avg && pads.iter().any(|&p| p != 0) && attr_int(n, "count_include_pad", 0) != 0 {
            return Err(self.unsupported(n, "count_include_pad = 1 with padding"));
        }
        let (before, mut after) = (
            (pads[0] as usize, pads[1] as usize),
            (pads[2] as usize, pads[3] as usize),
        );
        let auto_pad = attr_str(n, "auto_pad").unwrap_or_else(|| "NOTSET".into());
        if ceil {
            if !matches!(auto_pad.as_str(), "NOTSET" | "VALID") {
                return Err(self.unsupported(n, format!("ceil_mode with auto_pad {auto_pad}")));
            }
            // ceil_mode: a last, partial window where the floor drops it (as onnxruntime and
            // PyTorch: a window starting beyond the input and the padding before is dropped),
            // as padding after the input that the pooling ignores
            let extra = |len: usize, k: usize, s: usize, pb: usize, pa: usize| {
                let total = len.checked_add(pb)?.checked_add(pa)?;
                let span = total.checked_sub(k)?;
                let mut out = span.div_ceil(s.max(1)) + 1;
                if (out - 1) * s >= len + pb {
                    out -= 1;
                }
                Some(((out - 1) * s + k).saturating_sub(total))
            };
            let (k0, k1, s0, s1) = (k[0] as usize, k[1] as usize, s[0] as usize, s[1] as usize);
            let (e0, e1) = extra(h, k0, s0, before.0, after.0)
                .zip(extra(w, k1, s1, before.1, after.1))
                .ok_or_else(|| self.graph_err(n, "the kernel is larger than the padded input"))?;
            after = (after.0 + e0, after.1 + e1);
        }
        let padding = match auto_pad.as_str() {
            "NOTSET" | "VALID" if before == (0, 0) && after == (0, 0) => Padding::Valid,
            "NOTSET" | "VALID" => Padding::Explicit { before, after },
            "SAME_UPPER" => Padding::Same,
            other => return Err(self.unsupported(n, format!("auto_pad {other}"))),
        };
        let cfg = Pool2dConfig {
            size: (k[0] as usize, k[1] as usize),
            stride: (s[0] as usize, s[1] as usize),
            padding,
        };
        let g =
            window2d(h, w, cfg.size, &cfg.conv()).map_err(|e| self.graph_err(n, e.to_string()))?;
        let l = if avg {
            Layer::AvgPool2d(ops::AvgPool2d(cfg))
        } else {
            Layer::MaxPool2d(ops::MaxPool2d(cfg))
        };
        let y = self.emit(l, vec![v], &node_name(n));
        if one_d {
            let back = Layer::Reshape(ops::Reshape(vec![g.out.1, c]));
            let y = self.emit(back, vec![y], &format!("{}.1d", node_name(n)));
            self.set(n, y, Lay::Cl { c, l: g.out.1 });
            return Ok(());
        }
        self.set(
            n,
            y,
            Lay::Chw {
                c,
                h: g.out.0,
                w: g.out.1,
            },
        );
        Ok(())
    }
}
