//! The facts pass: every value's shape, proven bound, scale and sign from the input's and
//! the parameters' alone, with no constraint system (what synthesis will prove, computed
//! the same way: the linear layers' worst case runs the layer's own code on interval
//! ends). It runs before any heavy work ([`ModelCircuit::new`](crate::circuit::ModelCircuit::new),
//! [`Bounty::check`](crate::bounty::Bounty::check), `arkml quantize`), so a bound too wide
//! for the field is a typed error naming the layer and the bits before setup or proving.
//! A test checks the bounds equal those synthesis proves, layer by layer.

use ark_bn254::Fr;
use arkml_gadgets::{
    activation::{cubic::cubic_bound, cubic::cubic_divisor, poly::poly_bound},
    fixed::{bits_for, check_bound},
    layers::{conv::out_dim, Padding, Pool2dConfig},
    rescale::quotient_bound,
    tensor::{abs, linear_bound, worst_case, Visibility},
    Error,
};
use num_bigint::{BigInt, BigUint};
use num_traits::Zero;

use super::{leaky_bound, linear, nonzero, Layer, Model, ModelError, Param};

/// What is known about one value before synthesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// Shape.
    pub shape: Vec<usize>,
    /// Proven bound: every value satisfies `-2^B <= v < 2^B`.
    pub bound: u32,
    /// The fixed-point scale, where the model declares one ([`Model::scale`]).
    pub scale: Option<BigUint>,
    /// Whether every value is known non-negative (after a ReLU).
    pub nonneg: bool,
}

/// The smallest number of valid cells in any window of a pooling (same padding skips the
/// padded cells), per axis multiplied.
fn min_window_cells(shape: &[usize], cfg: &Pool2dConfig) -> Result<usize, Error> {
    let axis = |name: &str, len: usize, k: usize, s: usize, p: Padding| -> Result<usize, Error> {
        let (out, pad) = out_dim(name, len, k, s, 1, p)?;
        if cfg.padding == Padding::Valid {
            return Ok(k);
        }
        // windows [i*s - pad, i*s - pad + k) clipped to [0, len)
        let mut least = k;
        for i in [0, out.saturating_sub(1)] {
            let start = (i * s) as i128 - pad as i128;
            let lo = start.max(0);
            let hi = (start + k as i128).min(len as i128);
            least = least.min((hi - lo).max(0) as usize);
        }
        Ok(least)
    };
    Ok(axis(
        "rows",
        shape[0],
        cfg.size.0,
        cfg.stride.0,
        cfg.padding.transposed(),
    )? * axis("columns", shape[1], cfg.size.1, cfg.stride.1, cfg.padding)?)
}

impl Model {
    /// Every layer's [`Facts`] (shape, bound, scale, sign), without synthesis. Errors as
    /// synthesis would, naming the layer: a shape that does not fit, a bound too wide for
    /// the field, inputs at different scales.
    pub fn facts(&self) -> Result<Vec<Facts>, ModelError> {
        let shapes = self.shapes()?;
        let mut values = vec![Facts {
            shape: self.input_shape.clone(),
            bound: self.input_bound,
            scale: self.scale.clone(),
            nonneg: false,
        }];
        for (index, layer) in self.layers.iter().enumerate() {
            let e = |source| ModelError::Layer {
                index,
                kind: layer.kind(),
                source,
            };
            let ins: Vec<&Facts> = self
                .graph
                .inputs_of(index)
                .iter()
                .map(|&v| &values[v])
                .collect();
            let f = self
                .layer_facts(layer, &ins, shapes[index].clone())
                .map_err(e)?;
            values.push(f);
        }
        values.remove(0);
        Ok(values)
    }

    fn layer_facts(
        &self,
        layer: &Layer,
        ins: &[&Facts],
        shape: Vec<usize>,
    ) -> Result<Facts, Error> {
        let x = ins[0];
        let b = x.bound;
        let all_nonneg = ins.iter().all(|f| f.nonneg);
        if ins.len() > 1 {
            if let Some(k) = (1..ins.len())
                .find(|&k| matches!((&ins[0].scale, &ins[k].scale), (Some(a), Some(c)) if a != c))
            {
                let fmt = |s: &Option<BigUint>| s.as_ref().map_or("?".into(), super::format_scale);
                return Err(Error::param(
                    "inputs",
                    format!(
                        "at different scales: {} and {}",
                        fmt(&ins[0].scale),
                        fmt(&ins[k].scale)
                    ),
                ));
            }
        }
        let spec = self.weights;
        let (bound, nonneg) = match layer {
            l @ (Layer::Dense { .. }
            | Layer::Conv2d { .. }
            | Layer::Conv1d { .. }
            | Layer::DepthwiseConv2d { .. }
            | Layer::SeparableConv2d { .. }
            | Layer::PointwiseConv2d { .. }
            | Layer::BatchNorm { .. }
            | Layer::Mul { .. }) => {
                let worst_param = |a: &ndarray::ArrayD<BigInt>, p: Param| {
                    Ok(match spec.visibility {
                        Visibility::Constant => abs(a),
                        _ => worst_case(a.shape(), spec.bits(p)),
                    })
                };
                let worst = linear(l, &worst_case(&x.shape, b), worst_param)?;
                (
                    check_bound::<Fr>("linear layer output", linear_bound(&worst))?,
                    false,
                )
            }
            Layer::Rescale(n) => {
                nonzero(n, "divisor")?;
                (quotient_bound(b, n), false)
            }
            Layer::RescaleWithin { divisor: n, bits } => {
                nonzero(n, "divisor")?;
                (arkml_gadgets::rescale::within_bound(b, n, *bits), false)
            }
            Layer::Relu => (b, true),
            Layer::LeakyRelu { a, d } => {
                nonzero(d, "slope denominator")?;
                (leaky_bound(b, a, d), false)
            }
            Layer::Poly(n) => {
                nonzero(n, "scale")?;
                let pb = check_bound::<Fr>("poly x^2 + n*x", poly_bound(b, n))?;
                (quotient_bound(pb, n), false)
            }
            Layer::Cubic { coeffs, scale } => {
                nonzero(scale, "scale")?;
                let nb = check_bound::<Fr>("cubic numerator", cubic_bound(coeffs, b, scale))?;
                (quotient_bound(nb, &cubic_divisor(scale)), false)
            }
            Layer::AvgPool2d(cfg) => {
                let full = cfg.size.0.saturating_mul(cfg.size.1);
                let sb = check_bound::<Fr>("pooling window sum", b + grow(full))?;
                let least = min_window_cells(&x.shape, cfg)?.max(1);
                (quotient_bound(sb, &BigUint::from(least)), x.nonneg)
            }
            Layer::GlobalAvgPool2d => {
                let n = x.shape[0].saturating_mul(x.shape[1]).max(1);
                let sb = check_bound::<Fr>("pooling window sum", b + grow(n))?;
                (quotient_bound(sb, &BigUint::from(n)), x.nonneg)
            }
            Layer::MaxPool2d(_)
            | Layer::GlobalMaxPool2d
            | Layer::Flatten
            | Layer::Reshape(_)
            | Layer::UpSample2d(_) => (b, x.nonneg),
            Layer::ArgMax => {
                let n = x.shape.first().copied().unwrap_or(0) as u64;
                (64 - n.leading_zeros(), false)
            }
            Layer::Add | Layer::Sub => {
                let m = ins.iter().map(|f| f.bound).max().unwrap_or(b);
                (
                    check_bound::<Fr>("sum", m + 1)?,
                    matches!(layer, Layer::Add) && all_nonneg,
                )
            }
            Layer::Concat => (ins.iter().map(|f| f.bound).max().unwrap_or(b), all_nonneg),
            Layer::Clip { lo, hi } => (
                bits_for(lo).max(bits_for(hi)),
                !lo.sign().eq(&num_bigint::Sign::Minus),
            ),
            Layer::SumPool2d(cfg) => {
                let k = cfg.size.0.saturating_mul(cfg.size.1).max(1);
                (check_bound::<Fr>("window sum", b + grow(k))?, x.nonneg)
            }
            Layer::PolyRaw(n) => {
                nonzero(n, "scale")?;
                (
                    check_bound::<Fr>("poly x^2 + n*x", poly_bound(b, n))?,
                    false,
                )
            }
        };
        let scale = if ins.iter().any(|f| f.scale.is_none()) {
            None
        } else {
            let s = x.scale.clone().expect("known");
            match layer {
                l if l.is_linear() => Some(
                    s * self
                        .scale
                        .clone()
                        .unwrap_or_default()
                        .pow(l.weight_factors()),
                ),
                Layer::Rescale(n) | Layer::RescaleWithin { divisor: n, .. }
                    if (&s % n).is_zero() =>
                {
                    Some(s / n)
                }
                Layer::PolyRaw(n) => Some(s * n),
                Layer::ArgMax | Layer::Rescale(_) | Layer::RescaleWithin { .. } => None,
                _ => Some(s),
            }
        };
        Ok(Facts {
            shape,
            bound,
            scale,
            nonneg,
        })
    }
}

/// `ceil(log2 k)`: the bits a sum of `k` values adds to their bound.
fn grow(k: usize) -> u32 {
    usize::BITS - k.saturating_sub(1).leading_zeros()
}
