//! Wire ops of any rank: Transpose, Reshape, Flatten, Squeeze, Unsqueeze, Concat, Slice,
//! Split, Expand, Tile, Gather and GatherND by constant indices, DepthToSpace and
//! SpaceToDepth. Each is written once, as ONNX defines it, on tensors of any element type
//! ([`Builder::rearrange`]): on constants it evaluates them; on activations it moves
//! *positions* (per ONNX element, where it sits in arkml's order) and the result is one
//! free [`ops::Select`] (or a relabelling, or nothing, where the order is kept), its
//! output a [`Lay::Nd`] in ONNX's element order. The layout-only special cases of
//! `shape.rs` (NHWC ↔ NCHW, a flatten before a Gemm, channel concatenation) come first.

use super::*;
use ndarray::{Axis, Dimension};

impl Builder<'_> {
    /// A wire op: evaluated on constants, a free [`ops::Select`] on activations. Concat
    /// reads every input; the others read input 0 and constant parameters.
    pub(super) fn wires(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let data = if n.op_type == "Concat" {
            n.input.len()
        } else {
            1
        };
        let vals: Vec<Val> = (0..data)
            .map(|k| self.need(n, k))
            .collect::<Result<_, _>>()?;
        if vals.iter().all(|v| matches!(v, Val::Const(_))) {
            let cs: Vec<ArrayD<f64>> = vals
                .into_iter()
                .filter_map(|v| match v {
                    Val::Const(c) => Some(c),
                    Val::Dyn { .. } => None,
                })
                .collect();
            let outs = self.rearrange(n, cs)?;
            for (k, c) in outs.into_iter().enumerate() {
                if let Some(o) = n.output.get(k) {
                    self.vals.insert(o.clone(), Val::Const(c));
                }
            }
            return Ok(());
        }
        // constants among activations (ViT's class token) become activations: a free
        // selection of one input element, times zero, plus the constant
        let mut vals = vals;
        if let Some(src) = vals.iter().find_map(|v| match v {
            Val::Dyn { value, .. } => Some(*value),
            Val::Const(_) => None,
        }) {
            for v in vals.iter_mut() {
                if let Val::Const(c) = v {
                    *v = self.constant_activation(n, src, c)?;
                }
            }
        }
        let mut ins = vec![];
        let mut xs = vec![];
        let mut offset = 0;
        let mut first = None;
        for v in vals {
            let Val::Dyn {
                value,
                lay,
                pad: None,
            } = v
            else {
                return Err(self.unsupported(n, "a Pad must feed a Conv"));
            };
            let p = positions(&lay).mapv(|q| q + offset);
            offset += p.len();
            first.get_or_insert((value, lay));
            ins.push(value);
            xs.push(p);
        }
        let outs = self.rearrange(n, xs)?;
        for (k, p) in outs.into_iter().enumerate() {
            self.select_output(n, k, &ins, first, p)?;
        }
        Ok(())
    }

    /// The constant `c` as an activation ([`Lay::Nd`] of its shape, in ONNX's order): a
    /// [`ops::Select`] of element 0 of `src`, once per element, then a per-element affine
    /// layer of factor 0 and offset `c`. Exact, and it costs what that affine layer costs.
    fn constant_activation(
        &mut self,
        n: &NodeProto,
        src: usize,
        c: &ArrayD<f64>,
    ) -> Result<Val, OnnxError> {
        let shape = c.shape();
        let lay = Lay::of_full_shape(shape)
            .ok_or_else(|| self.unsupported(n, format!("a constant of shape {shape:?}")))?;
        let count = c.len();
        let name = node_name(n);
        let pick = Layer::Select(ops::Select {
            shape: vec![count],
            index: vec![0; count],
        });
        let x = self.emit(pick, vec![src], &format!("{name}.const"));
        let layer = Layer::BatchNorm(ops::BatchNorm {
            a: Array1::from(vec![0.0; count]),
            b: Array1::from(c.iter().copied().collect::<Vec<f64>>()),
        });
        let mut y = self.emit(layer, vec![x], &format!("{name}.const"));
        if arkml_shape(&lay).len() != 1 {
            let l = Layer::Reshape(ops::Reshape(arkml_shape(&lay)));
            y = self.emit(l, vec![y], &format!("{name}.const"));
        }
        Ok(Val::Dyn {
            value: y,
            lay,
            pad: None,
        })
    }

    /// ONNX's Pad of any rank and mode as wires: `pads` is `[begin per axis, end per axis]`
    /// over the value's full ONNX shape (negative: a crop); `constant` mode selects
    /// `value` (one constant activation) outside the input, `edge`, `reflect` and `wrap`
    /// select input elements. A free [`ops::Select`].
    pub(in crate::onnx) fn pad_wires(
        &mut self,
        n: &NodeProto,
        (v, lay): (usize, Lay),
        pads: &[i64],
        mode: &str,
        value: f64,
    ) -> Result<(usize, Lay), OnnxError> {
        let shape = lay.full_shape();
        let r = shape.len();
        if pads.len() != 2 * r {
            return Err(self.graph_err(n, format!("{} pads for rank {r}", pads.len())));
        }
        let out: Vec<usize> = (0..r)
            .map(|a| {
                let d = (shape[a] as i64)
                    .checked_add(pads[a])?
                    .checked_add(pads[a + r])?;
                usize::try_from(d).ok()
            })
            .collect::<Option<_>>()
            .ok_or_else(|| self.graph_err(n, format!("pads {pads:?} for {shape:?}")))?;
        if !within_limit(&out) {
            return Err(self.graph_err(n, format!("a padded shape {out:?}")));
        }
        if !matches!(mode, "constant" | "edge" | "reflect" | "wrap") {
            return Err(self.unsupported(n, format!("{mode} padding")));
        }
        if mode != "constant" && shape.contains(&0) {
            return Err(self.graph_err(n, "padding an empty axis"));
        }
        let p = positions(&lay);
        let sentinel = p.len();
        // the source coordinate on one axis, or None (outside, constant mode)
        let src = |u: i64, d: i64| -> Option<usize> {
            let s = match mode {
                "constant" => (0..d).contains(&u).then_some(u)?,
                "edge" => u.clamp(0, d - 1),
                "wrap" => u.rem_euclid(d),
                _ if d == 1 => 0,
                _ => {
                    let period = 2 * (d - 1);
                    let m = u.rem_euclid(period);
                    if m < d {
                        m
                    } else {
                        period - m
                    }
                }
            };
            Some(s as usize)
        };
        let mut used_value = false;
        let index = ArrayD::from_shape_fn(IxDyn(&out), |ix| {
            let at: Option<Vec<usize>> = (0..r)
                .map(|a| src(ix[a] as i64 - pads[a], shape[a] as i64))
                .collect();
            match at {
                Some(at) => p[IxDyn(&at)],
                None => {
                    used_value = true;
                    sentinel
                }
            }
        });
        let mut ins = vec![v];
        if used_value {
            let c = ArrayD::from_elem(IxDyn(&[1]), value);
            match self.constant_activation(n, v, &c)? {
                Val::Dyn { value, .. } => ins.push(value),
                Val::Const(_) => return Err(self.graph_err(n, "the pad value")),
            }
        }
        let name = format!("{}.pad", node_name(n));
        self.rewire(&ins, Some((v, lay)), index, &name)
            .ok_or_else(|| self.unsupported(n, format!("a padded shape {out:?}")))
    }

    /// One zero as an activation (what a zero-filled map selects), from `src`.
    pub(super) fn zero_activation(
        &mut self,
        n: &NodeProto,
        src: usize,
    ) -> Result<usize, OnnxError> {
        match self.constant_activation(n, src, &ArrayD::zeros(IxDyn(&[1])))? {
            Val::Dyn { value, .. } => Ok(value),
            Val::Const(_) => Err(self.graph_err(n, "a zero")),
        }
    }

    /// `value` in ONNX's element order ([`Lay::Nd`]): itself where it is one, else a free
    /// [`ops::Select`] (or relabelling) made once per value.
    pub(super) fn onnx_order(&mut self, n: &NodeProto, value: usize, lay: Lay) -> (usize, Lay) {
        if let Lay::Nd { .. } = lay {
            return (value, lay);
        }
        if let Some(&hit) = self.in_onnx_order.get(&value) {
            return hit;
        }
        let p = positions(&lay);
        let name = format!("{}.onnx_order", node_name(n));
        let hit = self
            .rewire(&[value], Some((value, lay)), p, &name)
            .expect("a layout of rank at most 4");
        self.in_onnx_order.insert(value, hit);
        hit
    }

    /// Binds output `k` of `n` to the activation whose ONNX elements sit at `p` (positions
    /// in the concatenated inputs `ins`).
    fn select_output(
        &mut self,
        n: &NodeProto,
        k: usize,
        ins: &[usize],
        first: Option<(usize, Lay)>,
        p: ArrayD<usize>,
    ) -> Result<(), OnnxError> {
        let name = if k == 0 {
            node_name(n)
        } else {
            format!("{}.{k}", node_name(n))
        };
        let shape = p.shape().to_vec();
        let (y, lay) = self.rewire(ins, first, p, &name).ok_or_else(|| {
            self.unsupported(
                n,
                format!("a result of shape {shape:?} (at most {} axes)", MAX_ND + 1),
            )
        })?;
        self.set_output(n, k, y, lay);
        Ok(())
    }

    /// The activation whose ONNX elements sit at `p` (positions in the concatenated inputs
    /// `ins`) and its [`Lay::Nd`]: nothing where it is `first`'s order and shape, a
    /// [`ops::Reshape`] where only the shape differs, else a [`ops::Select`]. `None` beyond
    /// [`MAX_ND`] axes.
    fn rewire(
        &mut self,
        ins: &[usize],
        first: Option<(usize, Lay)>,
        p: ArrayD<usize>,
        name: &str,
    ) -> Option<(usize, Lay)> {
        let shape = p.shape().to_vec();
        let lay = Lay::of_full_shape(&shape)?;
        let index: Vec<usize> = p.iter().copied().collect();
        let in_order = index.iter().enumerate().all(|(i, &q)| i == q);
        let y = match first {
            Some((v, from))
                if ins.len() == 1
                    && in_order
                    && index.len() == arkml_shape(&from).iter().product::<usize>() =>
            {
                if arkml_shape(&from) == arkml_shape(&lay) {
                    v
                } else {
                    let l = Layer::Reshape(ops::Reshape(arkml_shape(&lay)));
                    self.emit(l, vec![v], name)
                }
            }
            _ => {
                let l = Layer::Select(ops::Select {
                    shape: arkml_shape(&lay),
                    index,
                });
                self.emit(l, ins.to_vec(), name)
            }
        };
        Some((y, lay))
    }

    /// Integer parameters: from input `k` (opset `from` on) or attribute `name` before.
    fn ints_param(
        &self,
        n: &NodeProto,
        k: usize,
        name: &str,
        from: i64,
    ) -> Result<Option<Vec<i64>>, OnnxError> {
        if self.opset >= from {
            Ok(self
                .konst(n, k, name)?
                .map(|c| c.iter().map(|&v| v as i64).collect()))
        } else {
            Ok(attr_ints(n, name))
        }
    }

    /// ONNX's definition of the wire op `n` on `xs` (its data inputs, any element type):
    /// its outputs. Parameters are read as constants; every result's size is checked
    /// against the element limit before it is made.
    pub(super) fn rearrange<T: Clone>(
        &self,
        n: &NodeProto,
        xs: Vec<ArrayD<T>>,
    ) -> Result<Vec<ArrayD<T>>, OnnxError> {
        let mut xs = xs.into_iter();
        let x = xs.next().ok_or_else(|| self.graph_err(n, "no input"))?;
        let rank = x.ndim() as i64;
        let axis_of = |a: i64, r: i64| -> Result<usize, OnnxError> {
            let b = if a < 0 { a + r } else { a };
            if (0..r).contains(&b) {
                Ok(b as usize)
            } else {
                Err(self.graph_err(n, format!("axis {a} for rank {r}")))
            }
        };
        let limit = |shape: &[usize]| -> Result<(), OnnxError> {
            match within_limit(shape) {
                true => Ok(()),
                false => Err(self.graph_err(
                    n,
                    format!(
                        "a result of shape {shape:?}, beyond {} elements",
                        crate::model::Limits::default().max_elements
                    ),
                )),
            }
        };
        let reshaped = |x: ArrayD<T>, shape: &[usize]| -> Result<ArrayD<T>, OnnxError> {
            let from = x.shape().to_vec();
            x.as_standard_layout()
                .into_owned()
                .into_shape_with_order(IxDyn(shape))
                .map_err(|_| self.graph_err(n, format!("reshape {from:?} to {shape:?}")))
        };
        let permuted = |x: ArrayD<T>, perm: &[usize]| -> ArrayD<T> {
            x.permuted_axes(IxDyn(perm))
                .as_standard_layout()
                .into_owned()
        };
        let shape = x.shape().to_vec();
        let one = |y: ArrayD<T>| Ok(vec![y]);
        match n.op_type.as_str() {
            "Identity" => one(x),
            "Transpose" => {
                let perm: Vec<i64> =
                    attr_ints(n, "perm").unwrap_or_else(|| (0..rank).rev().collect());
                let mut seen: Vec<i64> = perm.clone();
                seen.sort_unstable();
                if seen != (0..rank).collect::<Vec<_>>() {
                    return Err(self.graph_err(n, format!("perm {perm:?} for rank {rank}")));
                }
                let perm: Vec<usize> = perm.iter().map(|&a| a as usize).collect();
                one(permuted(x, &perm))
            }
            "Reshape" => {
                let t = self
                    .ints_param(n, 1, "shape", 5)?
                    .ok_or_else(|| self.graph_err(n, "shape is missing"))?;
                let allowzero = attr_int(n, "allowzero", 0) != 0;
                let mut out = Vec::with_capacity(t.len());
                let mut fill = None;
                for (k, &d) in t.iter().enumerate() {
                    match d {
                        -1 if fill.is_none() => {
                            fill = Some(k);
                            out.push(1);
                        }
                        0 if !allowzero => out.push(
                            *shape
                                .get(k)
                                .ok_or_else(|| self.graph_err(n, format!("shape {t:?}")))?,
                        ),
                        d if d >= 0 => out.push(d as usize),
                        _ => return Err(self.graph_err(n, format!("shape {t:?}"))),
                    }
                }
                let total = x.len();
                if let Some(k) = fill {
                    let known: usize = out.iter().product();
                    if known == 0 || total % known != 0 {
                        return Err(self.graph_err(n, format!("reshape {shape:?} to {t:?}")));
                    }
                    out[k] = total / known;
                }
                one(reshaped(x, &out)?)
            }
            "Flatten" => {
                let a = attr_int(n, "axis", 1);
                let a = if a < 0 { a + rank } else { a };
                if !(0..=rank).contains(&a) {
                    return Err(self.graph_err(n, format!("axis {a} for rank {rank}")));
                }
                let (h, t) = shape.split_at(a as usize);
                one(reshaped(x, &[h.iter().product(), t.iter().product()])?)
            }
            "Squeeze" | "Unsqueeze" => {
                let axes = self.ints_param(n, 1, "axes", 13)?.unwrap_or_default();
                let mut out = shape.clone();
                if n.op_type == "Unsqueeze" {
                    let r = rank + axes.len() as i64;
                    let mut axes: Vec<usize> = axes
                        .iter()
                        .map(|&a| axis_of(a, r))
                        .collect::<Result<_, _>>()?;
                    axes.sort_unstable();
                    axes.dedup();
                    for a in axes {
                        out.insert(a.min(out.len()), 1);
                    }
                } else {
                    let axes: Vec<usize> = axes
                        .iter()
                        .map(|&a| axis_of(a, rank))
                        .collect::<Result<_, _>>()?;
                    if let Some(&a) = axes.iter().find(|&&a| shape[a] != 1) {
                        return Err(
                            self.graph_err(n, format!("squeeze axis {a} of length {}", shape[a]))
                        );
                    }
                    out = shape
                        .iter()
                        .enumerate()
                        .filter(|&(i, &d)| !(d == 1 && (axes.is_empty() || axes.contains(&i))))
                        .map(|(_, &d)| d)
                        .collect();
                }
                one(reshaped(x, &out)?)
            }
            "Concat" => {
                let a = axis_of(attr_int(n, "axis", 0), rank)?;
                let rest: Vec<ArrayD<T>> = xs.collect();
                let views: Vec<_> = std::iter::once(&x).chain(&rest).map(|c| c.view()).collect();
                // ndarray's concatenate panics on inputs of other ranks: checked first
                let like = |v: &ndarray::ArrayViewD<T>| {
                    v.ndim() == shape.len()
                        && (0..shape.len()).all(|k| k == a || v.shape()[k] == shape[k])
                };
                if !views.iter().all(like) {
                    let shapes: Vec<_> = views.iter().map(|v| v.shape().to_vec()).collect();
                    return Err(
                        self.graph_err(n, format!("concatenation of {shapes:?} on axis {a}"))
                    );
                }
                let mut total = shape.clone();
                total[a] = views
                    .iter()
                    .try_fold(0usize, |t, v| t.checked_add(v.shape()[a]))
                    .ok_or_else(|| self.graph_err(n, "a concatenation beyond any size"))?;
                limit(&total)?;
                let y = ndarray::concatenate(Axis(a), &views)
                    .map_err(|e| self.graph_err(n, format!("concatenation: {e}")))?;
                one(y)
            }
            "Slice" => {
                let (starts, ends, axes, steps) = if self.opset >= 10 {
                    let get = |k, w| self.ints_param(n, k, w, 10);
                    (
                        get(1, "starts")?,
                        get(2, "ends")?,
                        get(3, "axes")?,
                        get(4, "steps")?,
                    )
                } else {
                    (
                        attr_ints(n, "starts"),
                        attr_ints(n, "ends"),
                        attr_ints(n, "axes"),
                        None,
                    )
                };
                let starts = starts.ok_or_else(|| self.graph_err(n, "starts are missing"))?;
                let ends = ends.ok_or_else(|| self.graph_err(n, "ends are missing"))?;
                let axes = axes.unwrap_or_else(|| (0..starts.len() as i64).collect());
                let steps = steps.unwrap_or_else(|| vec![1; starts.len()]);
                if ends.len() != starts.len()
                    || axes.len() != starts.len()
                    || steps.len() != starts.len()
                {
                    return Err(self.graph_err(n, "starts, ends, axes and steps differ in length"));
                }
                let mut y = x;
                for (((&s, &e), &a), &st) in starts.iter().zip(&ends).zip(&axes).zip(&steps) {
                    let a = axis_of(a, rank)?;
                    let d = shape[a] as i64;
                    if st == 0 {
                        return Err(self.graph_err(n, "a step of 0"));
                    }
                    let at = |v: i64| if v < 0 { v.saturating_add(d) } else { v };
                    let idx: Vec<usize> = if st > 0 {
                        let (s, e) = (at(s).clamp(0, d), at(e).clamp(0, d));
                        (s..e).step_by(st as usize).map(|i| i as usize).collect()
                    } else {
                        let (s, e) = (at(s).clamp(-1, d - 1), at(e).clamp(-1, d - 1));
                        let mut v = vec![];
                        let mut i = s;
                        while i > e {
                            v.push(i as usize);
                            i += st;
                        }
                        v
                    };
                    y = y.select(Axis(a), &idx);
                }
                one(y)
            }
            "Split" => {
                let a = axis_of(attr_int(n, "axis", 0), rank)?;
                let d = shape[a];
                let outs = n.output.len().max(1);
                let sizes: Vec<usize> = match self.ints_param(n, 1, "split", 13)? {
                    Some(s) => s.iter().map(|&v| v.max(0) as usize).collect(),
                    None => {
                        // opset 18's num_outputs names as many parts as outputs
                        let parts = attr_int(n, "num_outputs", outs as i64);
                        if parts != outs as i64 {
                            return Err(self
                                .graph_err(n, format!("num_outputs {parts} for {outs} outputs")));
                        }
                        let parts = outs;
                        let chunk = d.div_ceil(parts);
                        (0..parts)
                            .map(|i| chunk.min(d.saturating_sub(i * chunk)))
                            .collect()
                    }
                };
                if sizes.iter().try_fold(0usize, |a, &s| a.checked_add(s)) != Some(d) {
                    return Err(
                        self.graph_err(n, format!("split {sizes:?} of an axis of length {d}"))
                    );
                }
                let mut at = 0;
                Ok(sizes
                    .iter()
                    .map(|&s| {
                        let idx: Vec<usize> = (at..at + s).collect();
                        at += s;
                        x.select(Axis(a), &idx)
                    })
                    .collect())
            }
            "Expand" => {
                let t = self
                    .ints_param(n, 1, "shape", 8)?
                    .ok_or_else(|| self.graph_err(n, "shape is missing"))?;
                let r = t.len().max(shape.len());
                let pad = |s: Vec<i64>| -> Vec<i64> {
                    std::iter::repeat_n(1, r - s.len()).chain(s).collect()
                };
                let a = pad(shape.iter().map(|&d| d as i64).collect());
                let b = pad(t.clone());
                let out: Vec<usize> = a
                    .iter()
                    .zip(&b)
                    .map(|(&p, &q)| match (p, q) {
                        (p, q) if p == q || q == 1 => Some(p as usize),
                        (1, q) if q >= 0 => Some(q as usize),
                        _ => None,
                    })
                    .collect::<Option<_>>()
                    .ok_or_else(|| {
                        self.graph_err(n, format!("expand {shape:?} to {t:?}: no broadcast"))
                    })?;
                limit(&out)?;
                let lifted: Vec<usize> = a.iter().map(|&d| d as usize).collect();
                let x = reshaped(x, &lifted)?;
                let y = x
                    .broadcast(IxDyn(&out))
                    .ok_or_else(|| self.graph_err(n, "no broadcast"))?
                    .to_owned();
                one(y)
            }
            "Tile" => {
                let reps = self
                    .ints_param(n, 1, "repeats", 0)?
                    .ok_or_else(|| self.graph_err(n, "repeats are missing"))?;
                if reps.len() != shape.len() || reps.iter().any(|&r| r < 0) {
                    return Err(self.graph_err(n, format!("repeats {reps:?} for {shape:?}")));
                }
                let out: Vec<usize> = shape
                    .iter()
                    .zip(&reps)
                    .map(|(&d, &r)| d.saturating_mul(r as usize))
                    .collect();
                limit(&out)?;
                let y = ArrayD::from_shape_fn(IxDyn(&out), |ix| {
                    let src: Vec<usize> = ix
                        .slice()
                        .iter()
                        .zip(&shape)
                        .map(|(&i, &d)| i % d)
                        .collect();
                    x[IxDyn(&src)].clone()
                });
                one(y)
            }
            "Gather" => {
                let a = axis_of(attr_int(n, "axis", 0), rank)?;
                let idx = self
                    .konst(n, 1, "indices")?
                    .ok_or_else(|| self.graph_err(n, "indices are missing"))?;
                let d = shape[a] as i64;
                let picked: Vec<usize> = idx
                    .iter()
                    .map(|&i| {
                        let i = i as i64;
                        let j = if i < 0 { i + d } else { i };
                        (0..d).contains(&j).then_some(j as usize)
                    })
                    .collect::<Option<_>>()
                    .ok_or_else(|| self.graph_err(n, format!("an index beyond {d}")))?;
                let mut out: Vec<usize> = shape[..a].to_vec();
                out.extend(idx.shape());
                out.extend(&shape[a + 1..]);
                limit(&out)?;
                one(reshaped(x.select(Axis(a), &picked), &out)?)
            }
            "GatherND" => {
                if attr_int(n, "batch_dims", 0) != 0 {
                    return Err(self.unsupported(n, "batch_dims other than 0"));
                }
                let idx = self
                    .konst(n, 1, "indices")?
                    .ok_or_else(|| self.graph_err(n, "indices are missing"))?;
                let (&k, lead) = idx
                    .shape()
                    .split_last()
                    .ok_or_else(|| self.graph_err(n, "indices of rank 0"))?;
                if k == 0 || k > shape.len() {
                    return Err(self.graph_err(n, format!("index tuples of {k} for {shape:?}")));
                }
                let mut out: Vec<usize> = lead.to_vec();
                out.extend(&shape[k..]);
                limit(&out)?;
                let tuples: Vec<i64> = idx.iter().map(|&v| v as i64).collect();
                let mut parts = vec![];
                for t in tuples.chunks(k) {
                    let mut sub = x.view();
                    for (axis, &i) in t.iter().enumerate() {
                        let d = shape[axis] as i64;
                        let j = if i < 0 { i + d } else { i };
                        if !(0..d).contains(&j) {
                            return Err(self.graph_err(n, format!("index {i} beyond {d}")));
                        }
                        sub = sub.index_axis_move(Axis(0), j as usize);
                    }
                    parts.extend(sub.iter().cloned());
                }
                let y = ArrayD::from_shape_vec(IxDyn(&out), parts)
                    .map_err(|e| self.graph_err(n, e.to_string()))?;
                one(y)
            }
            "DepthToSpace" | "SpaceToDepth" => {
                let bs = attr_int(n, "blocksize", 0);
                let &[b0, c, h, w] = shape.as_slice() else {
                    return Err(self.graph_err(n, format!("a {shape:?} tensor (rank 4)")));
                };
                if !(1..=1 << 16).contains(&bs) {
                    return Err(self.graph_err(n, format!("blocksize {bs}")));
                }
                let s = bs as usize;
                if n.op_type == "DepthToSpace" {
                    if c % (s * s) != 0 {
                        return Err(self.graph_err(n, format!("{c} channels, blocksize {s}")));
                    }
                    let crd = attr_str(n, "mode").is_some_and(|m| m == "CRD");
                    let c2 = c / (s * s);
                    let (split, perm): (Vec<usize>, [usize; 6]) = if crd {
                        (vec![b0, c2, s, s, h, w], [0, 1, 4, 2, 5, 3])
                    } else {
                        (vec![b0, s, s, c2, h, w], [0, 3, 4, 1, 5, 2])
                    };
                    let y = permuted(reshaped(x, &split)?, &perm);
                    one(reshaped(y, &[b0, c2, h * s, w * s])?)
                } else {
                    if h % s != 0 || w % s != 0 {
                        return Err(self.graph_err(n, format!("{h} x {w}, blocksize {s}")));
                    }
                    let y = reshaped(x, &[b0, c, h / s, s, w / s, s])?;
                    let y = permuted(y, &[0, 3, 5, 1, 2, 4]);
                    one(reshaped(y, &[b0, c * s * s, h / s, w / s])?)
                }
            }
            other => Err(self.unsupported(n, format!("{other} is not a wire op"))),
        }
    }
}
