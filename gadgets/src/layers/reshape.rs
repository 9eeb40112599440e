//! Shape layers: Flatten, Reshape, UpSampling2D (nearest). Zero constraints.

use ndarray::{Array1, Array3, ArrayD, ArrayView3, ArrayViewD, IxDyn};

use crate::error::{Error, Result};

/// Flatten in row-major order (for HWC: row, column, channel — Keras' order).
pub fn flatten<T: Clone>(x: ArrayViewD<T>) -> Array1<T> {
    x.iter().cloned().collect()
}

/// Reshape in row-major order; errors when the element counts differ.
pub fn reshape<T: Clone>(x: ArrayViewD<T>, shape: &[usize]) -> Result<ArrayD<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), x.iter().cloned().collect())
        .map_err(|_| Error::shape("reshape", x.len(), shape.iter().product::<usize>()))
}

/// UpSampling2D, nearest neighbour: `out[i][j][c] = x[i / sh][j / sw][c]`.
pub fn upsample2d<T: Clone>(x: ArrayView3<T>, size: (usize, usize)) -> Result<Array3<T>> {
    if size.0 == 0 || size.1 == 0 {
        return Err(Error::param("upsampling size", "must be at least 1"));
    }
    let (h, w, c) = x.dim();
    Ok(Array3::from_shape_fn(
        (h * size.0, w * size.1, c),
        |(i, j, k)| x[[i / size.0, j / size.1, k]].clone(),
    ))
}
