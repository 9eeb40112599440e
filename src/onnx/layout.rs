//! The layout model: how an ONNX tensor (NCHW, batch axis) maps onto an arkml tensor
//! (HWC, none), and the per-channel and broadcast helpers that read constants in it.

use super::*;

/// How an ONNX tensor maps onto an arkml tensor (ONNX shapes without the batch axis).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lay {
    /// ONNX `[C, H, W]`, arkml `[H, W, C]`.
    Chw { c: usize, h: usize, w: usize },
    /// ONNX `[H, W, C]`, arkml `[H, W, C]` (tf2onnx's NHWC before its transpose).
    Hwc { h: usize, w: usize, c: usize },
    /// ONNX `[C, L]`, arkml `[L, C]`.
    Cl { c: usize, l: usize },
    /// ONNX `[N]`, arkml `[N]`.
    Vec(usize),
    /// ONNX `[C, 1, 1]` (after global pooling), arkml `[C]`.
    Pooled(usize),
    /// ONNX `[C * H * W]` in CHW order, arkml `[H * W * C]` in HWC order.
    FlatChw { c: usize, h: usize, w: usize },
    /// ONNX `[]` or `[1]` after ArgMax, arkml `[]`.
    Scalar,
    /// Any other rank: ONNX `[1, dims...]` (or, with `batch` false, `[dims...]`: a tensor
    /// whose leading axis is not a batch of one, such as a sequence-first `[T, N, F]`),
    /// arkml `[dims...]` in ONNX's own element order. What the wire ops ([`super::mapping`]'s
    /// Transpose, Reshape, Slice, Split, Concat, Gather, Expand...) make; an op that reads a
    /// known layout gets it through [`Builder::canonical`].
    Nd {
        rank: u8,
        dims: [usize; MAX_ND],
        batch: bool,
    },
}

/// The largest rank of a [`Lay::Nd`] (without its batch axis).
pub(super) const MAX_ND: usize = 7;

impl Lay {
    /// A [`Lay::Nd`] of ONNX shape `[1, dims...]` (`batch`) or `[dims...]`; `None` beyond
    /// [`MAX_ND`] axes.
    pub(super) fn nd(d: &[usize], batch: bool) -> Option<Lay> {
        let mut dims = [0; MAX_ND];
        dims.get_mut(..d.len())?.copy_from_slice(d);
        Some(Lay::Nd {
            rank: d.len() as u8,
            dims,
            batch,
        })
    }

    /// The [`Lay::Nd`] of a full ONNX shape: a leading 1 is the batch axis; `None` beyond
    /// [`MAX_ND`] axes besides it.
    pub(super) fn of_full_shape(shape: &[usize]) -> Option<Lay> {
        match shape.split_first() {
            Some((1, rest)) => Lay::nd(rest, true),
            _ => Lay::nd(shape, false),
        }
    }

    /// The ONNX shape, with its batch axis where it has one.
    pub(super) fn full_shape(&self) -> Vec<usize> {
        match self {
            Lay::Nd { batch: false, .. } => self.onnx_shape(),
            _ => std::iter::once(1).chain(self.onnx_shape()).collect(),
        }
    }

    /// The ONNX shape without the batch axis.
    pub(super) fn onnx_shape(&self) -> Vec<usize> {
        match *self {
            Lay::Chw { c, h, w } => vec![c, h, w],
            Lay::Hwc { h, w, c } => vec![h, w, c],
            Lay::Cl { c, l } => vec![c, l],
            Lay::Vec(n) => vec![n],
            Lay::Pooled(c) => vec![c, 1, 1],
            Lay::FlatChw { c, h, w } => vec![c * h * w],
            Lay::Scalar => vec![],
            Lay::Nd { rank, dims, .. } => dims[..rank as usize].to_vec(),
        }
    }

    /// The number of channels (arkml's last axis).
    pub(super) fn channels(&self) -> usize {
        match *self {
            Lay::Chw { c, .. } | Lay::Hwc { c, .. } | Lay::Cl { c, .. } | Lay::Pooled(c) => c,
            Lay::Vec(n) => n,
            Lay::FlatChw { c, h, w } => c * h * w,
            Lay::Scalar => 1,
            Lay::Nd { rank: 0, .. } => 1,
            Lay::Nd { rank, dims, .. } => dims[rank as usize - 1],
        }
    }

    /// The ONNX axis (without batch) that arkml's last axis is.
    pub(super) fn channel_axis(&self) -> usize {
        match self {
            Lay::Hwc { .. } => 2,
            Lay::Nd { rank, .. } => (*rank as usize).saturating_sub(1),
            _ => 0,
        }
    }

    /// For arkml's flat index `p` (row-major over arkml's shape), the ONNX flat index.
    pub(super) fn onnx_index(&self, p: usize) -> usize {
        match *self {
            Lay::Chw { c, h, w } | Lay::FlatChw { c, h, w } => {
                let (pix, ch) = (p / c, p % c);
                let _ = h;
                ch * h * w + (pix / w) * w + pix % w
            }
            Lay::Cl { c, l } => {
                let (pos, ch) = (p / c, p % c);
                ch * l + pos
            }
            _ => p,
        }
    }
}

/// Whether arkml's row-major element order is ONNX's for this layout.
pub(super) fn order_preserving(lay: &Lay) -> bool {
    match *lay {
        Lay::Vec(_) | Lay::Pooled(_) | Lay::Scalar | Lay::Hwc { .. } | Lay::Nd { .. } => true,
        Lay::Chw { c, h, w } => c == 1 || h * w == 1,
        Lay::Cl { c, l } => c == 1 || l == 1,
        Lay::FlatChw { c, h, w } => c == 1 || h * w == 1,
    }
}

pub(super) fn arkml_shape(lay: &Lay) -> Vec<usize> {
    match *lay {
        Lay::Chw { c, h, w } | Lay::Hwc { h, w, c } => vec![h, w, c],
        Lay::Cl { c, l } => vec![l, c],
        Lay::Vec(n) | Lay::Pooled(n) => vec![n],
        Lay::FlatChw { c, h, w } => vec![h * w * c],
        Lay::Scalar => vec![],
        Lay::Nd { .. } => lay.onnx_shape(),
    }
}

/// Per ONNX element of `lay` (row-major over its [`Lay::full_shape`]), its position in
/// arkml's row-major order: what a wire op rearranges.
pub(super) fn positions(lay: &Lay) -> ArrayD<usize> {
    let shape = lay.full_shape();
    let n: usize = shape.iter().product();
    let mut at = vec![0; n];
    for p in 0..n {
        if let Some(slot) = at.get_mut(lay.onnx_index(p)) {
            *slot = p;
        }
    }
    ArrayD::from_shape_vec(IxDyn(&shape), at).expect("the shape's element count")
}

/// A per-channel or scalar constant, as per-channel values in arkml's channel order; `None`
/// when it broadcasts another way.
pub(super) fn per_channel(c: &ArrayD<f64>, lay: &Lay) -> Option<Vec<f64>> {
    let ch = lay.channels();
    if c.len() == 1 {
        return Some(vec![c.iter().next().copied().unwrap_or(0.0); ch]);
    }
    // drop leading batch-like ones
    let mut shape: Vec<usize> = c.shape().to_vec();
    let onnx = lay.onnx_shape();
    while shape.len() > onnx.len() && shape[0] == 1 {
        shape.remove(0);
    }
    let axis = lay.channel_axis();
    let per_channel_shape: Vec<usize> = (0..onnx.len())
        .map(|a| if a == axis { ch } else { 1 })
        .collect();
    let trailing_ones = shape.len() <= onnx.len()
        && shape.len() > axis
        && shape == per_channel_shape[onnx.len() - shape.len()..];
    let flat_vec = matches!(lay, Lay::Vec(_) | Lay::Pooled(_)) && c.len() == ch;
    if (trailing_ones && c.len() == ch) || flat_vec {
        return Some(c.iter().copied().collect());
    }
    if let Lay::FlatChw { .. } = lay {
        if c.len() == ch {
            return Some(
                (0..ch)
                    .map(|p| c.iter().nth(lay.onnx_index(p)).copied().unwrap_or(0.0))
                    .collect(),
            );
        }
    }
    None
}

/// A constant of the value's full shape, in arkml's layout; `None` when shapes differ.
/// A constant that broadcasts to it (numpy's rule) is broadcast first.
pub(super) fn full(c: &ArrayD<f64>, lay: &Lay) -> Option<ArrayD<f64>> {
    let mut shape: Vec<usize> = c.shape().to_vec();
    let target = lay.onnx_shape();
    while !shape.is_empty() && shape[0] == 1 && shape.len() > target.len() {
        shape.remove(0);
    }
    if shape.len() > target.len() {
        return None;
    }
    let c = c.to_shape(IxDyn(&shape)).ok()?;
    let c = c.broadcast(IxDyn(&target))?;
    let flat: Vec<f64> = c.iter().copied().collect();
    let data: Vec<f64> = (0..flat.len()).map(|p| flat[lay.onnx_index(p)]).collect();
    ArrayD::from_shape_vec(IxDyn(&arkml_shape(lay)), data).ok()
}

/// Whether a tensor of `shape` stays within the element limit (its count computed with
/// checked arithmetic).
pub(super) fn within_limit(shape: &[usize]) -> bool {
    shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .is_some_and(|n| n <= crate::model::Limits::default().max_elements)
}

/// Numpy-style broadcasting of two constants.
pub(super) fn ndarray_broadcast(
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    f: impl Fn(f64, f64) -> f64,
) -> Option<ArrayD<f64>> {
    let rank = a.ndim().max(b.ndim());
    let pad = |s: &[usize]| -> Vec<usize> {
        std::iter::repeat_n(1, rank - s.len())
            .chain(s.iter().copied())
            .collect()
    };
    let (sa, sb) = (pad(a.shape()), pad(b.shape()));
    let shape: Vec<usize> = sa
        .iter()
        .zip(&sb)
        .map(|(&x, &y)| {
            if x == y || y == 1 {
                Some(x)
            } else if x == 1 {
                Some(y)
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    if !within_limit(&shape) {
        return None;
    }
    let a = a.broadcast(IxDyn(&shape))?;
    let b = b.broadcast(IxDyn(&shape))?;
    let mut out = a.to_owned();
    out.zip_mut_with(&b, |x, y| *x = f(*x, *y));
    Some(out)
}
