//! Pooling: MaxPool, AveragePool, their global forms, ReduceMean over H and W.

use super::*;

impl Builder<'_> {
    /// ReduceMean over H and W: global average pooling.
    pub(super) fn reduce_mean(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        // the mean over H and W: global average pooling
        let (v, lay) = self.dynamic(n, 0)?;
        let axes: Vec<i64> = if self.opset >= 18 {
            self.konst(n, 1, "axes")?
                .map(|c| c.iter().map(|&x| x as i64).collect())
                .unwrap_or_default()
        } else {
            attr_ints(n, "axes").unwrap_or_default()
        };
        let mut axes: Vec<i64> = axes
            .iter()
            .map(|&a| if a < 0 { a + 4 } else { a })
            .collect();
        axes.sort_unstable();
        let Lay::Chw { c, .. } = lay else {
            return Err(self.unsupported(n, "a mean of a tensor that is not [N, C, H, W]"));
        };
        if axes != [2, 3] {
            return Err(self.unsupported(n, format!("a mean over axes {axes:?} (only H and W)")));
        }
        let y = self.emit(
            Layer::GlobalAvgPool2d(ops::GlobalAvgPool2d),
            vec![v],
            &node_name(n),
        );
        let keep = attr_int(n, "keepdims", 1) != 0;
        self.set(n, y, if keep { Lay::Pooled(c) } else { Lay::Vec(c) });
        Ok(())
    }

    /// GlobalAveragePool and GlobalMaxPool.
    pub(super) fn global_pool(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let op = n.op_type.as_str();
        let (v, lay) = self.dynamic(n, 0)?;
        let Lay::Chw { c, .. } = lay else {
            return Err(self.unsupported(n, "global pooling of a tensor that is not [N, C, H, W]"));
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
        let Lay::Chw { c, h, w } = lay else {
            return Err(self.unsupported(n, "pooling of a tensor that is not [N, C, H, W]"));
        };
        let k = attr_ints(n, "kernel_shape").unwrap_or_default();
        let s = attr_ints(n, "strides").unwrap_or_else(|| vec![1, 1]);
        let pads = attr_ints(n, "pads").unwrap_or_else(|| vec![0; 4]);
        let dil = attr_ints(n, "dilations").unwrap_or_else(|| vec![1, 1]);
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
