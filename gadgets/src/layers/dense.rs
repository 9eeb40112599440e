//! Dense (fully connected): `out[j] = sum_i x[i] * w[i][j] + b[j]`, weights `[in][out]`.
//!
//! Cost: one constraint per multiply-accumulate whose input and weight are both variables
//! (`n_in * n_out` for private or public weights on a variable input), zero with constant
//! weights. The sum is one linear combination per output.

use ndarray::{Array1, ArrayView1, ArrayView2};

use crate::error::Result;
use crate::tensor::{expect_shape, Scalar};

/// The constraints [`dense`] writes for `n_in` inputs and `n_out` outputs on a variable
/// input: `n_in * n_out` when the weights are variables (private or public), 0 when they are
/// constants (`usize::MAX` if the product overflows, as every `*_cost` function does).
pub fn dense_cost(n_in: usize, n_out: usize, variable_weights: bool) -> usize {
    if variable_weights {
        n_in.saturating_mul(n_out)
    } else {
        0
    }
}

/// Dense layer over any [`Scalar`]; the native twin is this function at `BigInt`.
///
/// ```
/// use arkml_gadgets::layers::dense;
/// use ndarray::array;
/// use num_bigint::BigInt;
/// let b = |v: i64| BigInt::from(v);
/// let x = array![b(1), b(-2)];
/// let w = array![[b(3), b(0)], [b(1), b(5)]];
/// let out = dense(x.view(), w.view(), array![b(10), b(0)].view()).unwrap();
/// assert_eq!(out, array![b(11), b(-10)]);
/// ```
pub fn dense<T: Scalar>(x: ArrayView1<T>, w: ArrayView2<T>, b: ArrayView1<T>) -> Result<Array1<T>> {
    expect_shape(
        "dense weights rows (= input length)",
        &[x.len()],
        &[w.nrows()],
    )?;
    expect_shape("dense bias (= output length)", &[w.ncols()], b.shape())?;
    Ok(Array1::from_iter(
        w.columns()
            .into_iter()
            .zip(b.iter())
            .map(|(col, bias)| T::sum_products(x.iter().zip(col.iter()), bias)),
    ))
}
