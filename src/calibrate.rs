//! Calibration from data: which scale to quantise a float model at.
//!
//! For every scale `base^k` in a range, [`calibrate`] quantises the model, runs integer
//! inference on the samples and reports the circuit's constraints, the argmax agreement
//! with the float model, the largest output error (in real units) and the layer with the
//! widest proven bound (the one that stops larger scales). It stops at the first scale whose
//! agreement meets the target (default: every sample): proven bounds, and so constraints,
//! only grow with the scale, so that is the cheapest. When none does, the error says the
//! best agreement reached and, for a scale that does not build, which layer and why. With a
//! [`CalibrateOptions::margin`], the model is quantised that many bits above the cheapest
//! scale (headroom for inputs the samples do not cover).
//!
//! ```
//! use arkml::calibrate::{calibrate, CalibrateOptions};
//! use arkml::quant::{FloatLayer, FloatModel};
//! use arkml::model::{ops, Layer};
//! use ndarray::{array, ArrayD, IxDyn};
//!
//! let fm = FloatModel {
//!     input_shape: vec![2],
//!     input_max: 1.0,
//!     layers: vec![
//!         FloatLayer::dense(array![[0.5, -0.25], [0.125, 1.0]], array![0.1, 0.0]),
//!         Layer::Relu(ops::Relu),
//!     ],
//!     graph: Default::default(),
//! };
//! let samples: Vec<ArrayD<f64>> = (0..8)
//!     .map(|i| ArrayD::from_shape_vec(IxDyn(&[2]), vec![i as f64 / 8.0, 0.5 - i as f64 / 16.0]).unwrap())
//!     .collect();
//! let c = calibrate(&fm, &samples, &CalibrateOptions::default()).unwrap();
//! let chosen = c.chosen.unwrap();
//! assert_eq!(c.reports[chosen].agreement, Some(1.0));
//! println!("{}", c.table());
//! ```

use crate::model::ops;
use arkml_gadgets::fixed::Scale;
use ndarray::ArrayD;
use num_traits::ToPrimitive;
use thiserror::Error as ThisError;

use crate::model::{Layer, Model, ModelError};
use crate::quant::{quantize, FloatModel, QuantError, Quantized};
use arkml_gadgets::fixed::bits_for;
use num_bigint::BigInt;

/// What to search.
#[derive(Clone, Debug)]
pub struct CalibrateOptions {
    /// `Scale::Pow2(_)` or `Scale::Pow10(_)` (the exponent is ignored).
    pub base: Scale,
    /// The exponents to try.
    pub exponents: std::ops::RangeInclusive<u32>,
    /// The fraction of samples whose argmax must agree with the float model (0 to 1).
    pub target: f64,
    /// Bits added to the cheapest scale meeting the target: headroom for inputs the samples
    /// do not cover (near-ties of the top two logits flip at small scales). The model is
    /// quantised at `base^(k + margin)`, reported as its own row.
    pub margin: u32,
    /// Calibrate activation widths too: each rescale's quotient is range-checked to the
    /// widest value the samples reach plus this many bits of headroom
    /// ([`calibrate_widths`]), in place of the worst case of the bound analysis. `None`:
    /// worst-case bounds only.
    pub widths: Option<u32>,
}

impl Default for CalibrateOptions {
    fn default() -> Self {
        CalibrateOptions {
            base: Scale::Pow2(0),
            exponents: 2..=24,
            target: 1.0,
            margin: 0,
            widths: None,
        }
    }
}

/// One scale's figures.
#[derive(Clone, Debug)]
pub struct ScaleReport {
    /// The scale.
    pub scale: Scale,
    /// The circuit's constraints (without the input's range checks), where it builds.
    pub constraints: Option<usize>,
    /// The fraction of samples whose integer argmax equals the float model's.
    pub agreement: Option<f64>,
    /// The largest absolute difference between the float output and the integer output
    /// divided by the scale (`None` for a model that ends in an ArgMax).
    pub max_error: Option<f64>,
    /// The layer with the widest proven bound: name, kind and bits.
    pub widest: Option<(String, &'static str, u32)>,
    /// Why the scale does not build (a bound too wide for the field, naming the layer).
    pub failure: Option<String>,
}

/// The result of a calibration.
#[derive(Clone, Debug)]
pub struct Calibration {
    /// One report per scale tried, in order.
    pub reports: Vec<ScaleReport>,
    /// The index in `reports` of the chosen scale (`None`: no scale met the target).
    pub chosen: Option<usize>,
    /// The model quantised at the chosen scale.
    pub quantized: Option<Quantized>,
    /// With [`CalibrateOptions::widths`]: the chosen model's constraints before and after
    /// calibrating its activation widths.
    pub widths: Option<(usize, usize)>,
}

/// Why calibration could not run.
#[derive(Debug, ThisError)]
pub enum CalibrateError {
    /// No samples, or a sample of the wrong shape or not finite.
    #[error("samples: {0}")]
    Samples(String),
    /// The float model does not run.
    #[error(transparent)]
    Quant(#[from] QuantError),
    /// No scale meets the target.
    #[error("no scale meets {target:.1}% agreement: {why}")]
    NoScale {
        /// The target, in percent.
        target: f64,
        /// The best agreement reached and what stopped larger scales.
        why: String,
    },
}

fn argmax<'a>(v: impl Iterator<Item = &'a f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, x) in v.enumerate() {
        if *x > best.1 {
            best = (i, *x);
        }
    }
    best.0
}

/// Calibrates `fm` on `samples` (each of the model's input shape); see the module docs.
/// The model's `input_max` is raised to cover the samples.
pub fn calibrate(
    fm: &FloatModel,
    samples: &[ArrayD<f64>],
    opts: &CalibrateOptions,
) -> Result<Calibration, CalibrateError> {
    if samples.is_empty() {
        return Err(CalibrateError::Samples("none given".into()));
    }
    if !(0.0..=1.0).contains(&opts.target) {
        return Err(CalibrateError::Samples(format!(
            "target {} is not a fraction between 0 and 1",
            opts.target
        )));
    }
    let mut fm = fm.clone();
    for (i, x) in samples.iter().enumerate() {
        if x.shape() != fm.input_shape.as_slice() {
            return Err(CalibrateError::Samples(format!(
                "sample {i} has shape {:?}, the model takes {:?}",
                x.shape(),
                fm.input_shape
            )));
        }
        if let Some(v) = x.iter().find(|v| !v.is_finite()) {
            return Err(CalibrateError::Samples(format!("sample {i} holds {v}")));
        }
        fm.input_max = x.iter().fold(fm.input_max, |m, v| m.max(v.abs()));
    }
    let ends_in_argmax =
        matches!(fm.layers.last(), Some(Layer::ArgMax(ops::ArgMax))) && fm.graph.outputs.is_empty();
    let float: Vec<Vec<f64>> = samples
        .iter()
        .map(|x| {
            Ok(fm
                .forward(x)?
                .last()
                .map(|o| o.iter().copied().collect())
                .unwrap_or_default())
        })
        .collect::<Result<_, QuantError>>()?;
    let float_class: Vec<usize> = float
        .iter()
        .map(|o| {
            if ends_in_argmax {
                o.first().copied().unwrap_or(0.0) as usize
            } else {
                argmax(o.iter())
            }
        })
        .collect();
    let reference = Reference {
        samples,
        float: &float,
        class: &float_class,
        ends_in_argmax,
    };
    let scale_of = |k: u32| match opts.base {
        Scale::Pow2(_) => Scale::Pow2(k),
        Scale::Pow10(_) => Scale::Pow10(k),
    };
    let mut reports = vec![];
    let mut best: Option<(usize, usize)> = None; // (constraints, index) of the chosen
    let mut quantized = vec![];
    for k in opts.exponents.clone() {
        let (r, q) = evaluate(&fm, scale_of(k), &reference)?;
        let meets = r.agreement.is_some_and(|a| a >= opts.target);
        let failed = r.failure.is_some();
        if meets {
            best = Some((r.constraints.unwrap_or(usize::MAX), reports.len()));
        }
        reports.push(r);
        quantized.push(q);
        if failed {
            // larger scales only widen the bounds
            break;
        }
        if meets {
            // bounds only widen with the scale, so no larger scale is cheaper
            if opts.margin > 0 {
                let (r, q) = evaluate(&fm, scale_of(k + opts.margin), &reference)?;
                if r.failure.is_none() {
                    best = Some((r.constraints.unwrap_or(usize::MAX), reports.len()));
                }
                reports.push(r);
                quantized.push(q);
            }
            break;
        }
    }
    let chosen = best.map(|(_, i)| i);
    let mut quantized = chosen.and_then(|i| quantized[i].take());
    let mut widths = None;
    if let (Some(h), Some(q)) = (opts.widths, quantized.as_mut()) {
        let ints = samples
            .iter()
            .map(|x| q.quantize_input(x))
            .collect::<Result<Vec<_>, _>>()?;
        let before = count(&q.model)?;
        q.model = calibrate_widths(&q.model, &ints, h).map_err(QuantError::from)?;
        widths = Some((before, count(&q.model)?));
    }
    if chosen.is_none() {
        let top = reports
            .iter()
            .filter_map(|r| r.agreement.map(|a| (a, r.scale)))
            .fold(None::<(f64, Scale)>, |b, (a, s)| match b {
                Some((ba, _)) if ba >= a => b,
                _ => Some((a, s)),
            });
        let mut why = match top {
            Some((a, s)) => format!("the best is {:.2}% at {}", 100.0 * a, scale_name(&s)),
            None => "no scale builds".into(),
        };
        if let Some(f) = reports.iter().find_map(|r| {
            r.failure
                .as_ref()
                .map(|f| format!("; {} does not build: {f}", scale_name(&r.scale)))
        }) {
            why.push_str(&f);
        }
        return Err(CalibrateError::NoScale {
            target: 100.0 * opts.target,
            why,
        });
    }
    Ok(Calibration {
        reports,
        chosen,
        quantized,
        widths,
    })
}

fn count(m: &Model) -> Result<usize, QuantError> {
    Ok(m.analyse()?.iter().map(|l| l.constraints).sum())
}

/// The model with each [`Layer::Rescale`] replaced by a [`Layer::RescaleWithin`] whose
/// width is the widest quotient the samples reach plus `headroom` bits (where that is below
/// the bound analysis's width). The integers computed are the same; every layer after a
/// rescale sees a smaller proven bound, so comparisons, ReLUs and later rescales cost less.
/// The proof stays sound for any input (the widths are range-checked); an input that
/// exceeds a width cannot be proven, and says so naming the layer.
pub fn calibrate_widths(
    model: &Model,
    samples: &[ArrayD<BigInt>],
    headroom: u32,
) -> Result<Model, ModelError> {
    let mut widest: Vec<u32> = vec![0; model.layers.len()];
    for x in samples {
        for (i, o) in model.infer(x)?.iter().enumerate() {
            if matches!(model.layers[i], Layer::Rescale(_)) {
                let w = o.out.iter().map(bits_for).max().unwrap_or(0);
                widest[i] = widest[i].max(w);
            }
        }
    }
    let facts = model.facts()?;
    let mut m = model.clone();
    for (i, l) in m.layers.iter_mut().enumerate() {
        if let Layer::Rescale(ops::Rescale(n)) = l {
            let bits = widest[i].saturating_add(headroom);
            if bits < facts[i].bound {
                *l = Layer::RescaleWithin(ops::RescaleWithin {
                    divisor: n.clone(),
                    bits,
                });
            }
        }
    }
    m.facts()?;
    Ok(m)
}

/// The float model's outputs on the samples, to compare each scale against.
struct Reference<'a> {
    samples: &'a [ArrayD<f64>],
    float: &'a [Vec<f64>],
    class: &'a [usize],
    ends_in_argmax: bool,
}

/// One scale's report, and the model quantised at it (`None` when it does not build).
fn evaluate(
    fm: &FloatModel,
    scale: Scale,
    reference: &Reference<'_>,
) -> Result<(ScaleReport, Option<Quantized>), CalibrateError> {
    let mut r = ScaleReport {
        scale,
        constraints: None,
        agreement: None,
        max_error: None,
        widest: None,
        failure: None,
    };
    let q = match quantize(fm, scale) {
        Ok(q) => q,
        Err(QuantError::Model(
            e @ (ModelError::Layer { .. } | ModelError::Node(_) | ModelError::Input(_)),
        )) => {
            r.failure = Some(e.to_string());
            return Ok((r, None));
        }
        Err(e) => return Err(e.into()),
    };
    let facts = q.model.facts().map_err(QuantError::from)?;
    r.widest = facts
        .iter()
        .enumerate()
        .max_by_key(|(_, f)| f.bound)
        .map(|(i, f)| (q.model.graph.name_of(i), q.model.layers[i].kind(), f.bound));
    r.constraints = Some(
        q.model
            .analyse()
            .map_err(QuantError::from)?
            .iter()
            .map(|l| l.constraints)
            .sum(),
    );
    let s = q.scale.value().to_f64().unwrap_or(f64::INFINITY);
    let (mut agree, mut err) = (0usize, 0f64);
    for ((x, f), c) in reference
        .samples
        .iter()
        .zip(reference.float)
        .zip(reference.class)
    {
        let xi = q.quantize_input(x)?;
        let outs = q.model.infer(&xi).map_err(QuantError::from)?;
        let y = q.model.output_of(&xi, &outs);
        let y: Vec<f64> = y.iter().map(|v| v.to_f64().unwrap_or(f64::NAN)).collect();
        let class = if reference.ends_in_argmax {
            y.first().copied().unwrap_or(-1.0) as usize
        } else {
            for (a, b) in f.iter().zip(&y) {
                err = err.max((a - b / s).abs());
            }
            argmax(y.iter())
        };
        agree += usize::from(class == *c);
    }
    r.agreement = Some(agree as f64 / reference.samples.len() as f64);
    r.max_error = (!reference.ends_in_argmax).then_some(err);
    Ok((r, Some(q)))
}

fn scale_name(s: &Scale) -> String {
    match s {
        Scale::Pow2(k) => format!("2^{k}"),
        Scale::Pow10(k) => format!("10^{k}"),
    }
}

impl Calibration {
    /// One line per scale: constraints, agreement, largest output error, widest layer.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<7} {:>11} {:>9} {:>11}  {}\n",
            "scale", "constraints", "agree %", "max |err|", "widest bound (limits the scale)"
        );
        for (i, r) in self.reports.iter().enumerate() {
            let mark = if Some(i) == self.chosen {
                " <- chosen"
            } else {
                ""
            };
            if let Some(f) = &r.failure {
                s.push_str(&format!(
                    "{:<7} does not build: {f}\n",
                    scale_name(&r.scale)
                ));
                continue;
            }
            s.push_str(&format!(
                "{:<7} {:>11} {:>9} {:>11}  {}{mark}\n",
                scale_name(&r.scale),
                r.constraints.map_or("-".into(), |c| c.to_string()),
                r.agreement
                    .map_or("-".into(), |a| format!("{:.2}", 100.0 * a)),
                r.max_error.map_or("-".into(), |e| format!("{e:.2e}")),
                r.widest
                    .as_ref()
                    .map_or("-".into(), |(n, k, b)| format!("{n} ({k}) {b} bits")),
            ));
        }
        if let Some((before, after)) = self.widths {
            s.push_str(&format!(
                "activation widths calibrated from the samples: {before} -> {after} constraints\n"
            ));
        }
        s
    }
}
