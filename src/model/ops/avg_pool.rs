//! Average pooling over each window's real cells (same padding skips the padded ones, as
//! Keras and ONNX's `count_include_pad = 0` do): `out * count + r = window sum`. Cost per
//! window and channel: `rescale_cost(B + ceil(log2(kh kw)), count)`.

use arkml_gadgets::{
    fixed::check_bound,
    layers::{avg_pool2d, native_avg_pool2d, sum_pool2d},
    rescale::{quotient_bound, rescale_cost},
    Error,
};
use ndarray::{ArrayD, ArrayViewD, Ix3};

use super::*;

/// Average pooling.
///
/// ```
/// use arkml::model::{ints, ops::AvgPool2d, Layer, Model};
/// use arkml::ndarray::array;
/// use arkml::gadgets::layers::pool::Pool2dConfig;
/// // one 2x2 window: floor((1 + 2 + 3 + 5) / 4)
/// let model = Model::chain(&[2, 2, 1], 4, vec![Layer::AvgPool2d(AvgPool2d(Pool2dConfig::new((2, 2))))]);
/// let y = model.predict(&ints(array![[[1], [2]], [[3], [5]]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![[[2]]]).into_dyn());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvgPool2d(pub Pool2dConfig);

impl<N: Clone + Debug> Op<N> for AvgPool2d {
    fn kind(&self) -> &'static str {
        "AvgPool2D"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error> {
        pool_shape(ins, &self.0, limits)
    }
}

/// A 2D pooling's output shape.
pub(crate) fn pool_shape(
    ins: &[&[usize]],
    cfg: &Pool2dConfig,
    limits: &Limits,
) -> Result<Vec<usize>, Error> {
    let x = first(ins)?;
    let (oh, ow) = conv_out(x, cfg.size, &pool_conv(cfg), limits)?;
    arkml_gadgets::layers::pool::check_pool_windows(x[0], x[1], cfg)?;
    Ok(vec![oh, ow, x[2]])
}

impl AvgPool2d {
    /// The bound of every window sum (the gadget uses the full window's).
    fn sum_bound(&self, b: u32) -> Result<u32, Error> {
        let full = self.0.size.0.saturating_mul(self.0.size.1);
        check_bound::<Fr>("pooling window sum", b + grow(full))
    }
}

impl IntOp for AvgPool2d {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        let x = first(ins)?;
        let sb = self.sum_bound(x.bound)?;
        let cells = window_cells(x.shape[0], x.shape[1], &self.0)?;
        let least = cells.iter().copied().min().unwrap_or(1).max(1);
        Ok(Bound::keeps(quotient_bound(sb, &BigUint::from(least)), x))
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, ins: &[&Facts], _: &Facts, _: &Cx) -> usize {
        let Some(x) = ins.first() else { return 0 };
        let (Ok(sb), Ok(cells)) = (
            self.sum_bound(x.bound),
            window_cells(x.shape[0], x.shape[1], &self.0),
        ) else {
            return 0;
        };
        x.shape[2]
            * cells
                .iter()
                .map(|&n| rescale_cost(sb, &BigUint::from(n)))
                .sum::<usize>()
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        let (q, r) = native_avg_pool2d(dims::<_, Ix3>(first(ins)?)?, &self.0)?;
        Ok(LayerOutput {
            out: q.into_dyn(),
            remainder: Some(r.into_dyn()),
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let x = ins.first().ok_or_else(|| Error::param("inputs", "none"))?;
        let r = avg_pool2d(dims::<_, Ix3>(x.vars)?, x.facts.bound, &self.0)?;
        Ok(Out {
            vars: r.quotient.into_dyn(),
            signs: None,
            proved: Some(r.bound),
        })
    }
}

impl FloatOp for AvgPool2d {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let x = dims::<_, Ix3>(first(ins)?)?;
        let (h, w, _) = x.dim();
        let sums = sum_pool2d(x, &self.0)?;
        let cells = window_cells(h, w, &self.0)?;
        let (oh, ow, c) = sums.dim();
        Ok(ndarray::Array3::from_shape_fn((oh, ow, c), |(i, j, k)| {
            sums[[i, j, k]] / cells[i * ow + j].max(1) as f64
        })
        .into_dyn())
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
}

impl<N: Num> FileForm<N> for AvgPool2d {
    const TAGS: &'static [&'static str] = &["avg_pool2d"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(AvgPool2d(f.pool()?)))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put_pool(&self.0);
        "avg_pool2d"
    }
}
