//! LayerNormalization (any `axis`) and InstanceNormalization:
//! `(x - mean) / sqrt(var + eps) * scale + bias` over the normalised axes, from the layers the rest of the importer uses.
//! The elements move (a free [`ops::Select`]) to rows `[kept, normalised]`; per row the mean
//! (a kernel-1 Conv1d of `1 / K`), the differences, their squares (products), the variance
//! (the same mean; the centred values first multiplied by `2^8`, exactly, so the variance
//! keeps 16 more bits, which the inverse square root's gain takes back), the checked
//! inverse square root of the variance plus epsilon
//! ([`ops::Root`], the floor of the true value), the products of the differences with it,
//! then scale and bias as one per-element affine layer, and the elements back (free).

use arkml_gadgets::activation::Root as Kind;

use super::*;

/// The reciprocal of a softmax's sum keeps this many more bits than the scale.
const SOFTMAX_GAIN_BITS: u32 = 8;

/// The centred values are multiplied by `2^PRESCALE_BITS` (exactly) before squaring.
const PRESCALE_BITS: u32 = 8;
const PRESCALE: f64 = (1u32 << PRESCALE_BITS) as f64;

impl Builder<'_> {
    /// LayerNormalization and InstanceNormalization.
    pub(super) fn normalization(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let full = lay.full_shape();
        let rank = full.len();
        let instance = n.op_type == "InstanceNormalization";
        let first = if instance {
            if rank < 3 {
                return Err(self.graph_err(n, format!("an input of shape {full:?} (N, C, ...)")));
            }
            2
        } else {
            let axis = attr_int(n, "axis", -1);
            let a = if axis < 0 { axis + rank as i64 } else { axis };
            if a < 0 || a >= rank as i64 {
                return Err(self.graph_err(n, format!("axis {axis} for rank {rank}")));
            }
            if attr_int(n, "stash_type", 1) != 1 {
                return Err(self.unsupported(n, "stash_type other than float"));
            }
            a as usize
        };
        let eps = attr_float(n, "epsilon", 1e-5) as f64;
        if !(eps.is_finite() && eps >= 0.0) {
            return Err(self.graph_err(n, format!("epsilon {eps}")));
        }
        // scale and bias, broadcast to the full shape (InstanceNorm's are per channel)
        let spread = |b: &Self, k: usize, what: &str| -> Result<Option<ArrayD<f64>>, OnnxError> {
            let Some(c) = b.konst(n, k, what)? else {
                return Ok(None);
            };
            let c = if instance {
                let mut shape = vec![1; rank];
                shape[1] = c.len();
                c.into_shape_with_order(IxDyn(&shape))
                    .map_err(|e| b.graph_err(n, e.to_string()))?
            } else {
                c
            };
            c.broadcast(IxDyn(&full))
                .map(|c| Some(c.to_owned()))
                .ok_or_else(|| b.graph_err(n, format!("{what} does not broadcast to {full:?}")))
        };
        let scale = spread(self, 1, "scale")?;
        let bias = spread(self, 2, "bias")?;
        let (p, k): (usize, usize) = (
            full[..first].iter().product(),
            full[first..].iter().product(),
        );
        if k == 0 || p == 0 {
            return Err(self.graph_err(n, format!("an empty normalisation of {full:?}")));
        }
        let name = node_name(n);
        let reduced: Vec<bool> = (0..rank).map(|i| i >= first).collect();
        let (rows, _, _, moved) = self.rows(n, v, &lay, &reduced, &name)?;
        let select =
            |shape: Vec<usize>, index: Vec<usize>| Layer::Select(ops::Select { shape, index });
        let mean_of = |b: &mut Self, x: usize, what: &str| {
            let l = Layer::Conv1d(ops::Conv1d {
                w: Array3::from_elem((1, k, 1), 1.0 / k as f64),
                b: Array1::from(vec![0.0]),
                stride: 1,
                padding: Padding::Valid,
                dilation: 1,
            });
            b.emit(l, vec![x], &format!("{name}.{what}"))
        };
        // per row its value, repeated over the row
        let spread_rows: Vec<usize> = (0..p * k).map(|i| i / k).collect();
        let mean = mean_of(self, rows, "mean");
        let mb = self.emit(
            select(vec![p, k], spread_rows.clone()),
            vec![mean],
            &format!("{name}.mean_rows"),
        );
        let d = self.emit(
            Layer::Sub(ops::Sub),
            vec![rows, mb],
            &format!("{name}.centred"),
        );
        // the centred values times 2^8 (exact) for the variance, which then keeps 16 more
        // bits than the activation scale holds (a row of small spread would otherwise round
        // its squares to a few units); the inverse square root takes the 2^16 back
        // (its gain) and multiplies the centred values themselves
        let up = Layer::BatchNorm(ops::BatchNorm {
            a: Array1::from(vec![PRESCALE; k]),
            b: Array1::from(vec![0.0; k]),
        });
        let du = self.emit(up, vec![d], &format!("{name}.centred_up"));
        let sq = self.emit(
            Layer::Product(ops::Product),
            vec![du, du],
            &format!("{name}.square"),
        );
        let var = mean_of(self, sq, "variance");
        let root = Layer::Root(ops::Root {
            kind: Kind::Rsqrt,
            scale: None,
            eps: eps * PRESCALE * PRESCALE,
            gain: 2 * PRESCALE_BITS,
        });
        let r = self.emit(root, vec![var], &format!("{name}.rsqrt"));
        let rb = self.emit(
            select(vec![p, k], spread_rows),
            vec![r],
            &format!("{name}.rsqrt_rows"),
        );
        let z = self.emit(
            Layer::Product(ops::Product),
            vec![d, rb],
            &format!("{name}.normalised"),
        );
        // |z| <= sqrt(k - 1) for every row: proven (a range check with room for the
        // rounding), so the layers after see that bound, not the product of worst cases
        let z = self.emit(
            Layer::Within(ops::Within {
                max_abs: (k as f64).sqrt() + 1.0,
                bits: None,
            }),
            vec![z],
            &format!("{name}.bounded"),
        );
        let flat = self.emit(
            Layer::Reshape(ops::Reshape(vec![p * k])),
            vec![z],
            &format!("{name}.flat"),
        );
        let ones = ArrayD::from_elem(IxDyn(&full), 1.0);
        let zeros = ArrayD::from_elem(IxDyn(&full), 0.0);
        let (a, b) = (scale.unwrap_or(ones), bias.unwrap_or(zeros));
        let y = if a.iter().all(|&v| v == 1.0) && b.iter().all(|&v| v == 0.0) {
            flat
        } else {
            let l = Layer::BatchNorm(ops::BatchNorm {
                a: Array1::from_iter(a.iter().copied()),
                b: Array1::from_iter(b.iter().copied()),
            });
            self.emit(l, vec![flat], &format!("{name}.affine"))
        };
        self.back(n, y, lay, &moved, &name);
        Ok(())
    }

    /// A Softmax inside the model, over its axis (opset 13: one axis; before: the axes from
    /// `axis` on): per row `e = exp(x - max)` (the row maximum by a max pooling; `e^d - 1`
    /// for `d <= 0` is the Elu kernel's, plus one exactly), the sum (at least one: the
    /// maximum's own term), its checked reciprocal at `2^8` more precision, the products,
    /// and the `2^-8` back (exact). A Softmax on the way to an output is dropped instead.
    pub(super) fn softmax_inside(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (v, lay) = self.dynamic(n, 0)?;
        let full = lay.full_shape();
        let rank = full.len() as i64;
        let axis = attr_int(n, "axis", if self.opset >= 13 { -1 } else { 1 });
        let a = if axis < 0 { axis + rank } else { axis };
        if a < 0 || a >= rank {
            return Err(self.graph_err(n, format!("axis {axis} for rank {rank}")));
        }
        let a = a as usize;
        let reduced: Vec<bool> = (0..full.len())
            .map(|i| if self.opset >= 13 { i == a } else { i >= a })
            .collect();
        let name = node_name(n);
        let (rows, p, k, moved) = self.rows(n, v, &lay, &reduced, &name)?;
        let select =
            |shape: Vec<usize>, index: Vec<usize>| Layer::Select(ops::Select { shape, index });
        let map = self.emit(
            Layer::Reshape(ops::Reshape(vec![p, k, 1])),
            vec![rows],
            &format!("{name}.map"),
        );
        let cfg = Pool2dConfig::new((1, k));
        let mx = self.emit(
            Layer::MaxPool2d(ops::MaxPool2d(cfg)),
            vec![map],
            &format!("{name}.max"),
        );
        let mx = self.emit(
            Layer::Reshape(ops::Reshape(vec![p])),
            vec![mx],
            &format!("{name}.max_flat"),
        );
        let spread_rows: Vec<usize> = (0..p * k).map(|i| i / k).collect();
        let mb = self.emit(
            select(vec![p, k], spread_rows.clone()),
            vec![mx],
            &format!("{name}.max_rows"),
        );
        let d = self.emit(
            Layer::Sub(ops::Sub),
            vec![rows, mb],
            &format!("{name}.shifted"),
        );
        let em1 = self.emit(
            Layer::Logistic(ops::Logistic {
                func: ops::Smooth::Elu,
                table: None,
            }),
            vec![d],
            &format!("{name}.exp_minus_one"),
        );
        let affine = |a: f64, b: f64, count: usize| {
            Layer::BatchNorm(ops::BatchNorm {
                a: Array1::from(vec![a; count]),
                b: Array1::from(vec![b; count]),
            })
        };
        let e = self.emit(affine(1.0, 1.0, k), vec![em1], &format!("{name}.exp"));
        let sum = self.emit(
            Layer::Conv1d(ops::Conv1d {
                w: Array3::from_elem((1, k, 1), 1.0),
                b: Array1::from(vec![0.0]),
                stride: 1,
                padding: Padding::Valid,
                dilation: 1,
            }),
            vec![e],
            &format!("{name}.sum"),
        );
        let r = self.emit(
            Layer::Root(ops::Root {
                kind: Kind::Recip,
                scale: None,
                eps: 0.0,
                gain: SOFTMAX_GAIN_BITS,
            }),
            vec![sum],
            &format!("{name}.reciprocal"),
        );
        let rb = self.emit(
            select(vec![p, k], spread_rows),
            vec![r],
            &format!("{name}.reciprocal_rows"),
        );
        let y = self.emit(
            Layer::Product(ops::Product),
            vec![e, rb],
            &format!("{name}.scaled"),
        );
        let down = (-(SOFTMAX_GAIN_BITS as f64)).exp2();
        let y = self.emit(
            affine(down, 0.0, k),
            vec![y],
            &format!("{name}.probabilities"),
        );
        let y = self.emit(
            Layer::Reshape(ops::Reshape(vec![p * k])),
            vec![y],
            &format!("{name}.flat"),
        );
        self.back(n, y, lay, &moved, &name);
        Ok(())
    }

    /// The elements of `v` moved (free) to rows `[kept, reduced]` in ONNX's order: the rows'
    /// value, their count and length, and per row slot its storage position.
    fn rows(
        &mut self,
        n: &NodeProto,
        v: usize,
        lay: &Lay,
        reduced: &[bool],
        name: &str,
    ) -> Result<(usize, usize, usize, Vec<usize>), OnnxError> {
        let full = lay.full_shape();
        let perm: Vec<usize> = (0..full.len())
            .filter(|&a| !reduced[a])
            .chain((0..full.len()).filter(|&a| reduced[a]))
            .collect();
        let k: usize = (0..full.len())
            .filter(|&a| reduced[a])
            .map(|a| full[a])
            .product();
        let p: usize = (0..full.len())
            .filter(|&a| !reduced[a])
            .map(|a| full[a])
            .product();
        if k == 0 || p == 0 {
            return Err(self.graph_err(n, format!("empty rows of {full:?}")));
        }
        let moved: Vec<usize> = positions(lay)
            .permuted_axes(IxDyn(&perm))
            .iter()
            .copied()
            .collect();
        let rows = self.emit(
            Layer::Select(ops::Select {
                shape: vec![p, k],
                index: moved.clone(),
            }),
            vec![v],
            &format!("{name}.rows"),
        );
        Ok((rows, p, k, moved))
    }

    /// The flat rows `y` back to `lay`'s storage order (free), bound to `n`'s output.
    fn back(&mut self, n: &NodeProto, y: usize, lay: Lay, moved: &[usize], name: &str) {
        // storage position s holds row slot j where moved[j] = s
        let mut back = vec![0; moved.len()];
        for (j, &s) in moved.iter().enumerate() {
            back[s] = j;
        }
        let out = self.emit(
            Layer::Select(ops::Select {
                shape: arkml_shape(&lay),
                index: back,
            }),
            vec![y],
            name,
        );
        self.set(n, out, lay);
    }
}
