//! MatMul of two activations (attention's `q k^T` and `att v`, numpy's `matmul` with its
//! batch axes broadcast): both operands move (free [`ops::Select`]s) to `[batch, m, k]` and
//! `[batch, k, n]`, then one [`ops::MatMul`] (a constraint per multiply-accumulate, one
//! rescale per output); the result keeps ONNX's order ([`Lay::Nd`]).

use super::*;

impl Builder<'_> {
    /// MatMul: by a constant (a linear layer), or of two activations.
    pub(super) fn matmul(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        match (self.need(n, 0)?, self.need(n, 1)?) {
            (Val::Dyn { .. }, Val::Dyn { .. }) => self.matmul_of_activations(n),
            _ => self.gemm(n),
        }
    }

    /// MatMul of two activations.
    pub(super) fn matmul_of_activations(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let (a, la) = self.dynamic(n, 0)?;
        let (b, lb) = self.dynamic(n, 1)?;
        let (sa, sb) = (la.full_shape(), lb.full_shape());
        // numpy's promotion of a vector operand
        let (sa, a_vec) = if sa.len() == 1 {
            (vec![1, sa[0]], true)
        } else {
            (sa, false)
        };
        let (sb, b_vec) = if sb.len() == 1 {
            (vec![sb[0], 1], true)
        } else {
            (sb, false)
        };
        let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
        let (k2, nn) = (sb[sb.len() - 2], sb[sb.len() - 1]);
        if k != k2 {
            return Err(self.graph_err(
                n,
                format!("a product of shapes {sa:?} and {sb:?} (inner sizes differ)"),
            ));
        }
        let (ba, bb) = (&sa[..sa.len() - 2], &sb[..sb.len() - 2]);
        let rank = ba.len().max(bb.len());
        let at = |s: &[usize], i: usize| (i + s.len()).checked_sub(rank).map_or(1, |j| s[j]);
        let mut batch = Vec::with_capacity(rank);
        for i in 0..rank {
            batch.push(match (at(ba, i), at(bb, i)) {
                (x, y) if x == y || y == 1 => x,
                (1, y) => y,
                (x, y) => {
                    return Err(self.graph_err(
                        n,
                        format!("batch axes {x} and {y} of {sa:?} and {sb:?} do not broadcast"),
                    ))
                }
            });
        }
        let count: usize = batch.iter().product();
        let macs = [count, m, nn, k];
        if !within_limit(&macs) {
            return Err(self.graph_err(n, format!("{macs:?} products are beyond the limit")));
        }
        // per operand, its storage positions broadcast to [batch..., rows, cols]
        let gather = |pos: ArrayD<usize>, s: &[usize], rows: usize, cols: usize| {
            let mut shape: Vec<usize> = vec![1; rank + 2 - s.len()];
            shape.extend_from_slice(s);
            let mut target = batch.clone();
            target.extend([rows, cols]);
            pos.into_shape_with_order(IxDyn(&shape)).ok().and_then(|p| {
                p.broadcast(IxDyn(&target))
                    .map(|v| v.iter().copied().collect())
            })
        };
        let bad = || self.graph_err(n, "operands that do not broadcast".to_string());
        let ia: Vec<usize> = gather(positions(&la), &sa, m, k).ok_or_else(bad)?;
        let ib: Vec<usize> = gather(positions(&lb), &sb, k, nn).ok_or_else(bad)?;
        let name = node_name(n);
        let select =
            |shape: Vec<usize>, index: Vec<usize>| Layer::Select(ops::Select { shape, index });
        let xa = self.emit(select(vec![count, m, k], ia), vec![a], &format!("{name}.a"));
        let xb = self.emit(
            select(vec![count, k, nn], ib),
            vec![b],
            &format!("{name}.b"),
        );
        let mm = Layer::MatMul(ops::MatMul {
            batch: count,
            m,
            k,
            n: nn,
        });
        let y = self.emit(mm, vec![xa, xb], &name);
        // the output's ONNX shape: batch axes, then m and n unless promoted away
        let mut full: Vec<usize> = batch;
        if !a_vec {
            full.push(m);
        }
        if !b_vec {
            full.push(nn);
        }
        let lay = Lay::of_full_shape(&full)
            .filter(|l| matches!(l, Lay::Nd { .. }))
            .ok_or_else(|| self.graph_err(n, format!("an output of shape {full:?}")))?;
        self.set(n, y, lay);
        Ok(())
    }
}
