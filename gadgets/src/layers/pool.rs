//! Sum and average pooling, local and global.
//!
//! A window sum is one linear combination (zero constraints). Average pooling proves
//! `out * count + r = window sum` with `0 <= r < count` through [`rescale`](crate::rescale),
//! where `count` is the number of valid cells in the window (`ph * pw` for `valid` padding;
//! fewer at the borders with `same`, which — like Keras — averages over real cells only).
//! Cost of average pooling: `out_h * out_w * c * rescale_cost(B + bits(count), count)`.

use ark_ff::PrimeField;
use ark_r1cs_std::fields::fp::FpVar;
use ndarray::{Array1, Array3, ArrayView3, Axis};
use num_bigint::{BigInt, BigUint};

use crate::compare::{max, native_max};
use crate::error::{Error, Result};
use crate::fixed::{check_bound, floor_div};
use crate::layers::conv::{windows, Conv2dConfig, Padding};
use crate::rescale::{rescale, RescaledTensor};
use crate::tensor::Scalar;

/// Window size, stride and padding of a 2D pooling (Keras: stride defaults to the size).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pool2dConfig {
    /// `(rows, columns)` of the window.
    pub size: (usize, usize),
    /// `(rows, columns)`.
    pub stride: (usize, usize),
    /// Padding rule.
    pub padding: Padding,
}

impl Pool2dConfig {
    /// A `size` window with stride equal to the size and `valid` padding.
    pub fn new(size: (usize, usize)) -> Self {
        Pool2dConfig {
            size,
            stride: size,
            padding: Padding::Valid,
        }
    }

    /// The window geometry as a convolution config (stride and padding, no dilation).
    pub fn conv(&self) -> Conv2dConfig {
        Conv2dConfig::new(self.stride, self.padding)
    }
}

/// Errors when a window of `cfg` on an `h x w` input lies entirely in the padding: a
/// pooling has no value there (no cell to average or take the maximum of).
pub fn check_pool_windows(h: usize, w: usize, cfg: &Pool2dConfig) -> Result<()> {
    let cells = crate::layers::conv::window_taps(h, w, cfg.size, &cfg.conv())?;
    if cells.contains(&0) {
        return Err(Error::param(
            "pooling padding",
            "a window lies entirely in the padding: pads must be smaller than the window",
        ));
    }
    Ok(())
}

/// Sum of every window, with the number of valid cells it covered.
fn sums<T: Scalar>(x: ArrayView3<T>, cfg: &Pool2dConfig) -> Result<Array3<(T, usize)>> {
    check_pool_windows(x.dim().0, x.dim().1, cfg)?;
    let c = x.dim().2;
    windows(x, cfg.size, &cfg.conv(), |win| {
        (0..c)
            .map(|ch| {
                let cells: Vec<T> = win
                    .index_axis(Axis(2), ch)
                    .iter()
                    .flatten()
                    .cloned()
                    .collect();
                let n = cells.len();
                (T::sum_all(cells), n)
            })
            .collect()
    })
}

/// SumPooling2D over any [`Scalar`] (native twin at `BigInt`). Zero constraints.
pub fn sum_pool2d<T: Scalar>(x: ArrayView3<T>, cfg: &Pool2dConfig) -> Result<Array3<T>> {
    Ok(sums(x, cfg)?.map(|(s, _)| s.clone()))
}

/// Native twin of [`avg_pool2d`]: `(out, remainder)` with `out*count + r = window sum`.
pub fn native_avg_pool2d(
    x: ArrayView3<BigInt>,
    cfg: &Pool2dConfig,
) -> Result<(Array3<BigInt>, Array3<BigInt>)> {
    let s = sums(x, cfg)?;
    let qr = s.map(|(v, n)| floor_div(v, &BigUint::from(*n)));
    Ok((qr.map(|p| p.0.clone()), qr.map(|p| p.1.clone())))
}

/// The bound of a sum of `count` values with bound `b`: `b + ceil(log2 count)`, since
/// `-count * 2^b <= sum <= count * (2^b - 1)`.
fn sum_bound<F: PrimeField>(b: u32, count: usize) -> Result<u32> {
    let extra = usize::BITS - count.saturating_sub(1).leading_zeros();
    check_bound::<F>("pooling window sum", b + extra)
}

/// The constraints [`avg_pool2d`] writes on an `h x w x c` input (`x = (h, w, c)`) with bound
/// `x_bound`: per window and channel, `rescale_cost(x_bound + ceil(log2(kh kw)), cells)`
/// with `cells` the window's real cells. Like every `*_cost` function, `usize::MAX` where the
/// gadget refuses the geometry.
pub fn avg_pool2d_cost(x: (usize, usize, usize), x_bound: u32, cfg: &Pool2dConfig) -> usize {
    let Ok(cells) = crate::layers::conv::window_taps(x.0, x.1, cfg.size, &cfg.conv()) else {
        return usize::MAX;
    };
    if cells.contains(&0) {
        return usize::MAX;
    }
    let sb = x_bound.saturating_add(bits(cfg.size.0.saturating_mul(cfg.size.1)));
    cells
        .iter()
        .map(|&n| crate::rescale::rescale_cost(sb, &BigUint::from(n)))
        .fold(0usize, usize::saturating_add)
        .saturating_mul(x.2)
}

/// The constraints [`global_avg_pool2d`] writes on an `h x w x c` input with bound
/// `x_bound`: `c * rescale_cost(x_bound + ceil(log2(h w)), h w)` (`usize::MAX` for an
/// empty input).
pub fn global_avg_pool2d_cost(x: (usize, usize, usize), x_bound: u32) -> usize {
    let hw = x.0.saturating_mul(x.1);
    if hw == 0 {
        return usize::MAX;
    }
    crate::rescale::rescale_cost(x_bound.saturating_add(bits(hw)), &BigUint::from(hw))
        .saturating_mul(x.2)
}

/// The constraints [`max_pool2d`] writes on an `h x w x c` input whose differences have
/// bound `d`: `(cells - 1) * max_cost(d)` per window and channel (`usize::MAX` for a refused
/// geometry).
pub fn max_pool2d_cost(x: (usize, usize, usize), d: u32, cfg: &Pool2dConfig) -> usize {
    let Ok(cells) = crate::layers::conv::window_taps(x.0, x.1, cfg.size, &cfg.conv()) else {
        return usize::MAX;
    };
    if cells.contains(&0) {
        return usize::MAX;
    }
    cells
        .iter()
        .map(|&n| {
            n.saturating_sub(1)
                .saturating_mul(crate::compare::max_cost(d))
        })
        .fold(0usize, usize::saturating_add)
        .saturating_mul(x.2)
}

/// The constraints [`global_max_pool2d`] writes: `c * (h w - 1) * max_cost(d)`.
pub fn global_max_pool2d_cost(x: (usize, usize, usize), d: u32) -> usize {
    max_pool2d_cost(x, d, &Pool2dConfig::new((x.0, x.1)))
}

/// `ceil(log2 k)`: the bits a sum of `k` values adds to their bound.
fn bits(k: usize) -> u32 {
    usize::BITS - k.saturating_sub(1).leading_zeros()
}

/// AveragePooling2D in circuit for an input with bound `x_bound`.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn avg_pool2d<F: PrimeField>(
    x: ArrayView3<FpVar<F>>,
    x_bound: u32,
    cfg: &Pool2dConfig,
) -> Result<RescaledTensor<F, ndarray::Ix3>> {
    let s = sums(x, cfg)?;
    let full = cfg.size.0 * cfg.size.1;
    let sb = sum_bound::<F>(x_bound, full)?;
    let parts = crate::tensor::try_map(&s, |(v, n)| rescale(v, sb, &BigUint::from(*n)))?;
    let bound = parts.iter().map(|p| p.quotient_bound).max().unwrap_or(0);
    Ok(RescaledTensor {
        quotient: parts.map(|p| p.quotient.clone()),
        remainder: parts.map(|p| p.remainder.clone()),
        bound,
    })
}

/// GlobalSumPooling2D: the sum over rows and columns per channel. Zero constraints.
pub fn global_sum_pool2d<T: Scalar>(x: ArrayView3<T>) -> Array1<T> {
    x.lanes(Axis(2))
        .into_iter()
        .fold(vec![Vec::new(); x.dim().2], |mut acc, lane| {
            for (a, v) in acc.iter_mut().zip(lane.iter()) {
                a.push(v.clone());
            }
            acc
        })
        .into_iter()
        .map(T::sum_all)
        .collect()
}

/// GlobalAveragePooling2D in circuit: `out * (h*w) + r = channel sum`.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn global_avg_pool2d<F: PrimeField>(
    x: ArrayView3<FpVar<F>>,
    x_bound: u32,
) -> Result<RescaledTensor<F, ndarray::Ix1>> {
    let (h, w, _) = x.dim();
    if h * w == 0 {
        return Err(Error::param("global pooling input", "must not be empty"));
    }
    let s = global_sum_pool2d(x);
    let sb = sum_bound::<F>(x_bound, h * w)?;
    crate::rescale::rescale_tensor(&s, sb, &BigUint::from(h * w))
}

/// Native twin of [`global_avg_pool2d`]: `(out, remainder)`.
pub fn native_global_avg_pool2d(x: ArrayView3<BigInt>) -> (Array1<BigInt>, Array1<BigInt>) {
    let (h, w, _) = x.dim();
    crate::rescale::native_rescale_tensor(&global_sum_pool2d(x), &BigUint::from((h * w).max(1)))
}

/// MaxPooling2D in circuit: the maximum of every window's valid cells (with `same` padding,
/// padded cells are ignored, as in Keras, rather than read as 0 as circomlib-ml does). Every
/// difference of two input values must have bound `d`
/// ([`diff_bound`](crate::compare::diff_bound)). Cost: `(cells - 1) * (d + 3)` per window
/// and channel, i.e. `(w - 1)(B + 3)` for a `w`-cell window of non-negative values with
/// bound `B` (after a ReLU) and `(w - 1)(B + 4)` for signed ones.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn max_pool2d<F: PrimeField>(
    x: ArrayView3<FpVar<F>>,
    d: u32,
    cfg: &Pool2dConfig,
) -> Result<Array3<FpVar<F>>> {
    check_pool_windows(x.dim().0, x.dim().1, cfg)?;
    let c = x.dim().2;
    let mut err = None;
    let out = windows(x, cfg.size, &cfg.conv(), |win| {
        (0..c)
            .map(|ch| {
                let cells: Vec<FpVar<F>> = win
                    .index_axis(Axis(2), ch)
                    .iter()
                    .flatten()
                    .cloned()
                    .collect();
                let Some(first) = cells.first() else {
                    err.get_or_insert(Error::param("max pool window", "has no valid cell"));
                    return FpVar::Constant(F::zero());
                };
                cells
                    .iter()
                    .skip(1)
                    .try_fold(first.clone(), |m, v| max(v, &m, d))
                    .unwrap_or_else(|e| {
                        err.get_or_insert(e);
                        FpVar::Constant(F::zero())
                    })
            })
            .collect()
    })?;
    match err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Native twin of [`max_pool2d`].
pub fn native_max_pool2d(x: ArrayView3<BigInt>, cfg: &Pool2dConfig) -> Result<Array3<BigInt>> {
    check_pool_windows(x.dim().0, x.dim().1, cfg)?;
    let c = x.dim().2;
    windows(x, cfg.size, &cfg.conv(), |win| {
        (0..c)
            .map(|ch| {
                win.index_axis(Axis(2), ch)
                    .iter()
                    .flatten()
                    .fold(None, |m: Option<BigInt>, v| {
                        Some(m.map_or(v.clone(), |m| native_max(v, &m)))
                    })
                    .unwrap_or_default()
            })
            .collect()
    })
}

/// GlobalMaxPooling2D in circuit: the maximum over rows and columns per channel. Cost:
/// `c * (h*w - 1) * (d + 3)`.
#[tracing::instrument(target = "gr1cs", skip_all)]
pub fn global_max_pool2d<F: PrimeField>(
    x: ArrayView3<FpVar<F>>,
    d: u32,
) -> Result<Array1<FpVar<F>>> {
    let (h, w, _) = x.dim();
    max_pool2d(x, d, &Pool2dConfig::new((h, w)))?
        .into_shape_with_order(x.dim().2)
        .map_err(|e| Error::shape("global max pool", x.dim().2, e))
}

/// Native twin of [`global_max_pool2d`].
pub fn native_global_max_pool2d(x: ArrayView3<BigInt>) -> Result<Array1<BigInt>> {
    let (h, w, c) = x.dim();
    native_max_pool2d(x, &Pool2dConfig::new((h, w)))?
        .into_shape_with_order(c)
        .map_err(|e| Error::shape("global max pool", c, e))
}
