//! Constant evaluation: shape computations (Gather, Slice, Unsqueeze, Squeeze on
//! constants) evaluated at import.

use super::*;

impl Builder<'_> {
    /// Gather, Slice, Unsqueeze and Squeeze on constants (shape computations such as
    /// tf2onnx's `Shape -> Gather -> Concat -> Reshape`).
    pub(super) fn fold_constant(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let c =
            match self.get(n, 0)? {
                Some(Val::Const(c)) => c,
                _ => return Err(self.unsupported(
                    n,
                    "only on constants (shape computations); on activations it is not supported",
                )),
            };
        let ints = |v: Option<ArrayD<f64>>| -> Vec<i64> {
            v.map(|a| a.iter().map(|&x| x as i64).collect())
                .unwrap_or_default()
        };
        let rank = c.ndim() as i64;
        let norm = |a: i64, r: i64| if a < 0 { a + r } else { a };
        let out = match n.op_type.as_str() {
            "Gather" => {
                let axis = norm(attr_int(n, "axis", 0), rank);
                let idx = self
                    .konst(n, 1, "indices")?
                    .ok_or_else(|| self.graph_err(n, "indices are missing"))?;
                if axis != 0 || c.ndim() != 1 {
                    return Err(self.unsupported(n, "gather other than from a 1-D constant"));
                }
                let len = c.len() as i64;
                let picked: Vec<f64> = idx
                    .iter()
                    .map(|&i| {
                        let i = norm(i as i64, len);
                        c.get(i.max(0) as usize).copied()
                    })
                    .collect::<Option<_>>()
                    .ok_or_else(|| self.graph_err(n, "index out of range"))?;
                ArrayD::from_shape_vec(idx.raw_dim(), picked).expect("same length")
            }
            "Slice" => {
                if c.ndim() != 1 {
                    return Err(self.unsupported(n, "slice other than of a 1-D constant"));
                }
                let (starts, ends) = if self.opset >= 10 {
                    (
                        ints(self.konst(n, 1, "starts")?),
                        ints(self.konst(n, 2, "ends")?),
                    )
                } else {
                    (
                        attr_ints(n, "starts").unwrap_or_default(),
                        attr_ints(n, "ends").unwrap_or_default(),
                    )
                };
                let steps = ints(self.konst(n, 4, "steps")?);
                if starts.len() != 1 || ends.len() != 1 || steps.iter().any(|&s| s != 1) {
                    return Err(self.unsupported(n, "slice of more than one axis or with steps"));
                }
                let len = c.len() as i64;
                let clamp = |v: i64| norm(v, len).clamp(0, len) as usize;
                let (a, b) = (clamp(starts[0]), clamp(ends[0]));
                let v: Vec<f64> = c
                    .iter()
                    .skip(a)
                    .take(b.saturating_sub(a))
                    .copied()
                    .collect();
                Array1::from(v).into_dyn()
            }
            _ => {
                let axes = if self.opset >= 13 {
                    ints(self.konst(n, 1, "axes")?)
                } else {
                    attr_ints(n, "axes").unwrap_or_default()
                };
                let mut shape: Vec<usize> = c.shape().to_vec();
                if n.op_type == "Unsqueeze" {
                    let r = (shape.len() + axes.len()) as i64;
                    let mut axes: Vec<usize> =
                        axes.iter().map(|&a| norm(a, r).max(0) as usize).collect();
                    axes.sort_unstable();
                    for a in axes {
                        if a > shape.len() {
                            return Err(self.graph_err(n, "axis out of range"));
                        }
                        shape.insert(a, 1);
                    }
                } else {
                    let axes: Vec<usize> = axes
                        .iter()
                        .map(|&a| norm(a, rank).max(0) as usize)
                        .collect();
                    shape = shape
                        .iter()
                        .enumerate()
                        .filter(|(i, &d)| !(d == 1 && (axes.is_empty() || axes.contains(i))))
                        .map(|(_, &d)| d)
                        .collect();
                }
                c.into_shape_with_order(IxDyn(&shape))
                    .map_err(|e| self.graph_err(n, e.to_string()))?
            }
        };
        self.constant(n, out)
    }
}
