//! Shape layers: Flatten, Reshape, UpSampling2D (nearest). Zero constraints.

use ndarray::{Array1, Array3, ArrayD, ArrayView3, ArrayViewD, IxDyn};

use crate::error::{Error, Result};

/// Flatten in row-major order (for HWC: row, column, channel — Keras' order).
pub fn flatten<T: Clone>(x: ArrayViewD<T>) -> Array1<T> {
    x.iter().cloned().collect()
}

/// Reshape in row-major order; errors when the element counts differ.
pub fn reshape<T: Clone>(x: ArrayViewD<T>, shape: &[usize]) -> Result<ArrayD<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), x.iter().cloned().collect()).map_err(|_| {
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .map_or("an overflowing count".to_string(), |n| n.to_string());
        Error::shape("reshape", x.len(), n)
    })
}

/// UpSampling2D, nearest neighbour: `out[i][j][c] = x[i / sh][j / sw][c]`.
pub fn upsample2d<T: Clone>(x: ArrayView3<T>, size: (usize, usize)) -> Result<Array3<T>> {
    if size.0 == 0 || size.1 == 0 {
        return Err(Error::param("upsampling size", "must be at least 1"));
    }
    let (h, w, c) = x.dim();
    let (oh, ow) = h
        .checked_mul(size.0)
        .zip(w.checked_mul(size.1))
        .filter(|(a, b)| {
            a.checked_mul(*b)
                .and_then(|v| v.checked_mul(c))
                .is_some_and(|n| n <= isize::MAX as usize)
        })
        .ok_or_else(|| Error::param("upsampling size", "the output size overflows"))?;
    Ok(Array3::from_shape_fn((oh, ow, c), |(i, j, k)| {
        x[[i / size.0, j / size.1, k]].clone()
    }))
}
