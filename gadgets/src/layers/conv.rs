//! Convolutions over HWC tensors: Conv2D, Conv1D, pointwise, depthwise, separable.
//!
//! Weights are `[kh][kw][cin][cout]` (Keras' layout), bias `[cout]`. Stride, dilation,
//! non-square kernels, and padding `valid`, `same` with TensorFlow's rule
//! (`out = ceil(in / stride)`, `pad = max((out-1)*stride + (k-1)*dilation + 1 - in, 0)`, the
//! smaller half before), or explicit counts before and after (ONNX's and PyTorch's `pads`:
//! `out = (in + before + after - ((k-1)*dilation + 1)) / stride + 1`). Padded cells are
//! skipped, not multiplied.
//!
//! Cost: one constraint per multiplication of two variables, i.e.
//! `out_h * out_w * cout * (valid cells per window) * cin` with private weights on a variable
//! input, and zero with constant weights.

use ndarray::{s, Array3, ArrayView1, ArrayView2, ArrayView3, ArrayView4, Axis, Zip};

use crate::error::{Error, Result};
use crate::tensor::{expect_shape, Scalar};

/// Padding rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Padding {
    /// No padding: windows lie wholly inside the input.
    #[default]
    Valid,
    /// TensorFlow's `same`: `out = ceil(in / stride)`.
    Same,
    /// Explicit zero padding (ONNX / PyTorch `pads`): cells `before` and `after` the input,
    /// as `(rows, columns)`. A 1D convolution runs along the columns.
    Explicit {
        /// Before the first row and column.
        before: (usize, usize),
        /// After the last row and column.
        after: (usize, usize),
    },
}

impl Padding {
    /// The same padding with rows and columns swapped ([`out_dim`] reads an explicit
    /// padding's columns entry; this gives the rows' view).
    pub fn transposed(self) -> Padding {
        match self {
            Padding::Explicit { before, after } => Padding::Explicit {
                before: (before.1, before.0),
                after: (after.1, after.0),
            },
            other => other,
        }
    }
}

/// Stride, padding and dilation of a 2D convolution or pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv2dConfig {
    /// `(rows, columns)`.
    pub stride: (usize, usize),
    /// Padding rule.
    pub padding: Padding,
    /// `(rows, columns)`; 1 is an ordinary convolution.
    pub dilation: (usize, usize),
}

impl Default for Conv2dConfig {
    fn default() -> Self {
        Conv2dConfig {
            stride: (1, 1),
            padding: Padding::Valid,
            dilation: (1, 1),
        }
    }
}

impl Conv2dConfig {
    /// A config with the given stride and padding and no dilation.
    pub fn new(stride: (usize, usize), padding: Padding) -> Self {
        Conv2dConfig {
            stride,
            padding,
            dilation: (1, 1),
        }
    }
}

/// Output length and padding before, along one axis (checked arithmetic: an effective
/// kernel or padding that overflows `usize` is an error). An explicit padding's columns
/// entry is used (pass [`Padding::transposed`] for the rows).
pub fn out_dim(
    axis: &str,
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: Padding,
) -> Result<(usize, usize)> {
    if kernel == 0 {
        return Err(Error::param(
            &format!("kernel {axis}"),
            "must be at least 1",
        ));
    }
    if stride == 0 {
        return Err(Error::param(
            &format!("stride {axis}"),
            "must be at least 1",
        ));
    }
    if dilation == 0 {
        return Err(Error::param(
            &format!("dilation {axis}"),
            "must be at least 1",
        ));
    }
    if input == 0 {
        return Err(Error::param(&format!("input {axis}"), "must be at least 1"));
    }
    let overflow = || Error::param(&format!("kernel {axis} x dilation"), "overflows");
    let eff = (kernel - 1)
        .checked_mul(dilation)
        .and_then(|v| v.checked_add(1))
        .ok_or_else(overflow)?;
    match padding {
        Padding::Valid => {
            if input < eff {
                return Err(Error::shape(
                    &format!("input {axis} (valid padding)"),
                    format!(">= {eff}"),
                    input,
                ));
            }
            Ok(((input - eff) / stride + 1, 0))
        }
        Padding::Same => {
            let out = input.div_ceil(stride);
            let total = (out - 1)
                .checked_mul(stride)
                .and_then(|v| v.checked_add(eff))
                .ok_or_else(overflow)?
                .saturating_sub(input);
            Ok((out, total / 2))
        }
        Padding::Explicit { before, after } => {
            // a convolution window may lie entirely in the padding (its output is the bias:
            // a 1x1 kernel with pads 1, which onnxruntime runs); pooling refuses such windows
            // ([`crate::layers::pool::check_pool_windows`])
            let padded = input
                .checked_add(before.1)
                .and_then(|v| v.checked_add(after.1))
                .ok_or_else(|| Error::param(&format!("padding {axis}"), "overflows"))?;
            if padded < eff {
                return Err(Error::shape(
                    &format!("padded input {axis}"),
                    format!(">= {eff}"),
                    padded,
                ));
            }
            Ok(((padded - eff) / stride + 1, before.1))
        }
    }
}

/// The geometry of a 2D window operation (convolution or pooling) on an `h x w` input:
/// output size, padding before, and the padded input's size, all in checked arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window2d {
    /// `(rows, columns)` of the output.
    pub out: (usize, usize),
    /// Padding before the first row and column.
    pub pad_before: (usize, usize),
    /// `(rows, columns)` of the padded input the windows are cut from.
    pub padded: (usize, usize),
}

/// The [`Window2d`] of `kernel` with `cfg` on an `h x w` input; errors for a zero size,
/// stride or dilation, a kernel larger than a `valid` input, or sizes that overflow.
pub fn window2d(
    h: usize,
    w: usize,
    kernel: (usize, usize),
    cfg: &Conv2dConfig,
) -> Result<Window2d> {
    let axis = |name: &str,
                len: usize,
                k: usize,
                s: usize,
                d: usize,
                p: Padding|
     -> Result<(usize, usize, usize)> {
        let (out, pad) = out_dim(name, len, k, s, d, p)?;
        // rows the last window reaches: (out - 1) * s + (k - 1) * d + 1
        let need = (out - 1)
            .checked_mul(s)
            .zip((k - 1).checked_mul(d))
            .and_then(|(a, b)| a.checked_add(b)?.checked_add(1))
            .zip(pad.checked_add(len))
            .map(|(need, have)| need.max(have))
            .ok_or_else(|| Error::param(&format!("padded input {name}"), "overflows"))?;
        Ok((out, pad, need))
    };
    let rows = cfg.padding.transposed();
    let (oh, ph, nh) = axis("rows", h, kernel.0, cfg.stride.0, cfg.dilation.0, rows)?;
    let (ow, pw, nw) = axis(
        "columns",
        w,
        kernel.1,
        cfg.stride.1,
        cfg.dilation.1,
        cfg.padding,
    )?;
    Ok(Window2d {
        out: (oh, ow),
        pad_before: (ph, pw),
        padded: (nh, nw),
    })
}

/// Per output row (or column), how many kernel taps fall on real (not padded) cells: the
/// window geometry of one axis.
fn valid_taps(
    len: usize,
    out: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    pad: usize,
) -> Vec<usize> {
    (0..out)
        .map(|i| {
            (0..k)
                .filter(|&a| {
                    let at = i * stride + a * dilation;
                    at >= pad && at - pad < len
                })
                .count()
        })
        .collect()
}

/// Per output cell of a window op (row-major), the number of kernel taps on real (not
/// padded) cells of an `h x w` input: `kh * kw` everywhere with `valid` padding, fewer at
/// the borders otherwise. Errors as [`window2d`] does.
pub fn window_taps(
    h: usize,
    w: usize,
    kernel: (usize, usize),
    cfg: &Conv2dConfig,
) -> Result<Vec<usize>> {
    let g = window2d(h, w, kernel, cfg)?;
    let rows = valid_taps(
        h,
        g.out.0,
        kernel.0,
        cfg.stride.0,
        cfg.dilation.0,
        g.pad_before.0,
    );
    let cols = valid_taps(
        w,
        g.out.1,
        kernel.1,
        cfg.stride.1,
        cfg.dilation.1,
        g.pad_before.1,
    );
    Ok(rows
        .iter()
        .flat_map(|r| cols.iter().map(move |c| r * c))
        .collect())
}

/// The (output cell, kernel tap) pairs on real cells of a window op over an `h x w` input:
/// the sum of [`window_taps`], computed per axis.
pub fn conv_taps(h: usize, w: usize, kernel: (usize, usize), cfg: &Conv2dConfig) -> Result<usize> {
    let g = window2d(h, w, kernel, cfg)?;
    let rows: usize = valid_taps(
        h,
        g.out.0,
        kernel.0,
        cfg.stride.0,
        cfg.dilation.0,
        g.pad_before.0,
    )
    .iter()
    .sum();
    let cols: usize = valid_taps(
        w,
        g.out.1,
        kernel.1,
        cfg.stride.1,
        cfg.dilation.1,
        g.pad_before.1,
    )
    .iter()
    .sum();
    Ok(rows.saturating_mul(cols))
}

/// The constraints [`conv2d`] writes on a variable `h x w x cin` input (`x = (h, w, cin)`)
/// with a `kernel` of `cout` filters: `taps * cin * cout` ([`conv_taps`]) when the weights
/// are variables, 0 when they are constants. Like every `*_cost` function, `usize::MAX`
/// where the gadget refuses the geometry or the count overflows.
pub fn conv2d_cost(
    x: (usize, usize, usize),
    kernel: (usize, usize),
    cout: usize,
    cfg: &Conv2dConfig,
    variable_weights: bool,
) -> usize {
    match conv_taps(x.0, x.1, kernel, cfg) {
        Ok(_) if !variable_weights => 0,
        Ok(t) => t.saturating_mul(x.2).saturating_mul(cout),
        Err(_) => usize::MAX,
    }
}

/// The constraints [`depthwise_conv2d`] writes: `taps * cin * multiplier` with variable
/// weights, 0 with constants (`usize::MAX` for a refused geometry).
pub fn depthwise_conv2d_cost(
    x: (usize, usize, usize),
    kernel: (usize, usize),
    multiplier: usize,
    cfg: &Conv2dConfig,
    variable_weights: bool,
) -> usize {
    conv2d_cost(
        (x.0, x.1, 1),
        kernel,
        x.2.saturating_mul(multiplier),
        cfg,
        variable_weights,
    )
}

/// The constraints [`separable_conv2d`] writes: the depthwise part on `x`, then the
/// pointwise part (`cells * cin * multiplier * cout`, `cells` the depthwise outputs with at
/// least one real tap: one whose window lies entirely in the padding is the constant 0, and
/// its products cost nothing), both with variable weights or neither (`usize::MAX` for a
/// refused geometry).
pub fn separable_conv2d_cost(
    x: (usize, usize, usize),
    kernel: (usize, usize),
    multiplier: usize,
    cout: usize,
    cfg: &Conv2dConfig,
    variable_weights: bool,
) -> usize {
    let Ok(taps) = window_taps(x.0, x.1, kernel, cfg) else {
        return usize::MAX;
    };
    let cells = taps.iter().filter(|&&t| t > 0).count();
    let mid = x.2.saturating_mul(multiplier);
    let pointwise = if variable_weights {
        cells.saturating_mul(mid).saturating_mul(cout)
    } else {
        0
    };
    depthwise_conv2d_cost(x, kernel, multiplier, cfg, variable_weights).saturating_add(pointwise)
}

/// The input, padded with `None` so that every window of the config is a plain slice.
fn padded<T: Clone>(
    x: ArrayView3<T>,
    kernel: (usize, usize),
    cfg: &Conv2dConfig,
) -> Result<(Array3<Option<T>>, usize, usize)> {
    let (h, w, c) = x.dim();
    let g = window2d(h, w, kernel, cfg)?;
    let (ph, pw) = g.pad_before;
    let mut p = Array3::from_elem((g.padded.0, g.padded.1, c), None);
    p.slice_mut(s![ph..ph + h, pw..pw + w, ..])
        .zip_mut_with(&x, |dst, src| *dst = Some(src.clone()));
    Ok((p, g.out.0, g.out.1))
}

/// Calls `f(i, j, window)` for every output position, `window` being `[kh][kw][c]` cells
/// (`None` where padded).
pub fn windows<T: Clone, U>(
    x: ArrayView3<T>,
    kernel: (usize, usize),
    cfg: &Conv2dConfig,
    mut f: impl FnMut(ArrayView3<Option<T>>) -> Vec<U>,
) -> Result<Array3<U>> {
    let (p, oh, ow) = padded(x, kernel, cfg)?;
    let (sh, sw) = cfg.stride;
    let (dh, dw) = cfg.dilation;
    let mut out = Vec::new();
    let mut channels = 0;
    for i in 0..oh {
        for j in 0..ow {
            let win = p.slice(s![
                i * sh..i * sh + (kernel.0 - 1) * dh + 1;dh,
                j * sw..j * sw + (kernel.1 - 1) * dw + 1;dw,
                ..
            ]);
            let cells = f(win);
            channels = cells.len();
            out.extend(cells);
        }
    }
    Array3::from_shape_vec((oh, ow, channels), out)
        .map_err(|e| Error::shape("conv output", oh * ow, e))
}

/// Conv2D over any [`Scalar`] (the native twin at `BigInt`). Returns the unscaled
/// accumulator `[out_h][out_w][cout]`.
///
/// ```
/// use arkml_gadgets::layers::{conv2d, Conv2dConfig, Padding};
/// use ndarray::{Array1, Array3, Array4};
/// use num_bigint::BigInt;
/// let x = Array3::from_elem((4, 4, 1), BigInt::from(1));
/// let w = Array4::from_elem((3, 3, 1, 2), BigInt::from(2));
/// let b = Array1::from_elem(2, BigInt::from(0));
/// let y = conv2d(x.view(), w.view(), b.view(), &Conv2dConfig::new((1, 1), Padding::Same)).unwrap();
/// assert_eq!(y.dim(), (4, 4, 2));
/// assert_eq!(y[[0, 0, 0]], BigInt::from(8)); // corner: 4 valid cells
/// assert_eq!(y[[1, 1, 1]], BigInt::from(18));
/// ```
pub fn conv2d<T: Scalar>(
    x: ArrayView3<T>,
    w: ArrayView4<T>,
    b: ArrayView1<T>,
    cfg: &Conv2dConfig,
) -> Result<Array3<T>> {
    let (kh, kw, cin, cout) = w.dim();
    expect_shape("conv input channels", &[cin], &[x.dim().2])?;
    expect_shape("conv bias", &[cout], b.shape())?;
    windows(x, (kh, kw), cfg, |win| {
        (0..cout)
            .map(|co| {
                let wk = w.index_axis(Axis(3), co);
                let mut pairs = Vec::new();
                Zip::from(&win).and(&wk).for_each(|xv, wv| {
                    if let Some(xv) = xv {
                        pairs.push((xv, wv));
                    }
                });
                T::sum_products(pairs, &b[co])
            })
            .collect()
    })
}

/// The 2D configuration a 1D convolution runs as: one row, along the columns (an explicit
/// padding's rows entries do not apply and are dropped).
pub fn conv1d_config(stride: usize, padding: Padding, dilation: usize) -> Conv2dConfig {
    let padding = match padding {
        Padding::Explicit { before, after } => Padding::Explicit {
            before: (0, before.1),
            after: (0, after.1),
        },
        other => other,
    };
    Conv2dConfig {
        stride: (1, stride),
        padding,
        dilation: (1, dilation),
    }
}

/// Conv1D over `[len][cin]` with weights `[k][cin][cout]`; `stride`, `dilation` and padding
/// along the one axis.
pub fn conv1d<T: Scalar>(
    x: ArrayView2<T>,
    w: ndarray::ArrayView3<T>,
    b: ArrayView1<T>,
    stride: usize,
    padding: Padding,
    dilation: usize,
) -> Result<ndarray::Array2<T>> {
    let cfg = conv1d_config(stride, padding, dilation);
    let y = conv2d(x.insert_axis(Axis(0)), w.insert_axis(Axis(0)), b, &cfg)?;
    Ok(y.index_axis_move(Axis(0), 0))
}

/// Pointwise (1×1) convolution, weights `[cin][cout]`.
pub fn pointwise_conv2d<T: Scalar>(
    x: ArrayView3<T>,
    w: ArrayView2<T>,
    b: ArrayView1<T>,
) -> Result<Array3<T>> {
    conv2d(
        x,
        w.insert_axis(Axis(0)).insert_axis(Axis(0)),
        b,
        &Conv2dConfig::default(),
    )
}

/// Depthwise convolution, weights `[kh][kw][cin][multiplier]`, bias `[cin * multiplier]`.
/// Output channel `c * multiplier + m` is input channel `c` convolved with `w[.., .., c, m]`
/// (Keras' order; circomlib-ml gets this wrong for multiplier > 1).
pub fn depthwise_conv2d<T: Scalar>(
    x: ArrayView3<T>,
    w: ArrayView4<T>,
    b: ArrayView1<T>,
    cfg: &Conv2dConfig,
) -> Result<Array3<T>> {
    let (kh, kw, cin, mult) = w.dim();
    if mult == 0 {
        return Err(Error::param("depth multiplier", "must be at least 1"));
    }
    expect_shape("depthwise input channels", &[cin], &[x.dim().2])?;
    expect_shape("depthwise bias", &[cin * mult], b.shape())?;
    windows(x, (kh, kw), cfg, |win| {
        let mut out = Vec::with_capacity(cin * mult);
        for c in 0..cin {
            let xc = win.index_axis(Axis(2), c);
            for m in 0..mult {
                let wk = w.slice(s![.., .., c, m]);
                let mut pairs = Vec::new();
                Zip::from(&xc).and(&wk).for_each(|xv, wv| {
                    if let Some(xv) = xv {
                        pairs.push((xv, wv));
                    }
                });
                out.push(T::sum_products(pairs, &b[c * mult + m]));
            }
        }
        out
    })
}

/// Separable convolution: depthwise (`[kh][kw][cin][mult]`, no bias) then pointwise
/// (`[cin*mult][cout]`, bias `[cout]`), with no rescale between: the output is at scale
/// `S_x * S_depthwise * S_pointwise`.
pub fn separable_conv2d<T: Scalar>(
    x: ArrayView3<T>,
    depthwise: ArrayView4<T>,
    pointwise: ArrayView2<T>,
    b: ArrayView1<T>,
    cfg: &Conv2dConfig,
) -> Result<Array3<T>> {
    let (_, _, cin, mult) = depthwise.dim();
    let zeros = ndarray::Array1::from_elem(cin * mult, T::zero());
    let d = depthwise_conv2d(x, depthwise, zeros.view(), cfg)?;
    pointwise_conv2d(d.view(), pointwise, b)
}
