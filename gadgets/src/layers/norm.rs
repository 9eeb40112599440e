//! BatchNormalization with folded parameters: `out = a[c] * x + b[c]` per channel `c` (the
//! last axis); rescale afterwards proves `out*n + r = a*x + b`.
//!
//! `a` is at scale `S_a`, `b` at `S_x * S_a`. Cost: one constraint per element when `a` is a
//! variable, zero when constant.

use ndarray::{ArrayD, ArrayView1, ArrayViewD, Axis};

use crate::error::Result;
use crate::tensor::{expect_shape, Scalar};

/// The constraints [`batch_norm`] writes on `n` variable elements: `n` when `a` is a
/// variable, 0 when it is a constant.
pub fn batch_norm_cost(n: usize, variable_a: bool) -> usize {
    if variable_a {
        n
    } else {
        0
    }
}

/// Folded batch normalisation over any [`Scalar`] (native twin at `BigInt`).
pub fn batch_norm<T: Scalar>(
    x: ArrayViewD<T>,
    a: ArrayView1<T>,
    b: ArrayView1<T>,
) -> Result<ArrayD<T>> {
    let c = x.shape().last().copied().unwrap_or(0);
    expect_shape("batch norm a", &[c], a.shape())?;
    expect_shape("batch norm b", &[c], b.shape())?;
    let mut out = x.to_owned();
    for (ch, mut lane) in out.axis_iter_mut(Axis(x.ndim() - 1)).enumerate() {
        lane.map_inplace(|v| *v = T::sum_all([v.mul(&a[ch]), b[ch].clone()]));
    }
    Ok(out)
}
