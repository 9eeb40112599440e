//! The shape pass: every layer's output shape from the input shape and the parameters'
//! shapes alone, with checked arithmetic and a size limit, before any tensor is allocated
//! or any constraint written. A hostile model file (a stride, dilation, pool or upsampling
//! size near `usize::MAX`, an input shape whose product overflows) is a typed error naming
//! the layer, never a panic, an abort or a wrapped integer.

use arkml_gadgets::{
    fixed::check_bound,
    layers::{
        conv::{conv1d_config, window2d},
        Conv2dConfig,
    },
    Error,
};

use super::{Layer, Model, ModelError};
use ark_bn254::Fr;
use arkml_gadgets::tensor::Visibility;

/// Size limits checked before any allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most elements any tensor (input, output, padded input, parameter) may hold.
    pub max_elements: usize,
}

impl Default for Limits {
    /// 2^26 elements per tensor (a 64-million-value activation is far beyond what a
    /// Groth16 prover on one machine handles: each element costs at least one constraint
    /// in any layer that is not free).
    fn default() -> Self {
        Limits {
            max_elements: 1 << 26,
        }
    }
}

fn count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

fn rank_err(what: &str, rank: usize, got: &[usize]) -> Error {
    Error::shape(what, format!("{rank} dimensions"), format!("{got:?}"))
}

fn want(what: &str, expected: usize, got: usize) -> Result<(), Error> {
    if expected != got {
        return Err(Error::shape(what, expected, got));
    }
    Ok(())
}

fn conv_out(
    x: &[usize],
    kernel: (usize, usize),
    cfg: &Conv2dConfig,
    limits: &Limits,
) -> Result<(usize, usize), Error> {
    if x.len() != 3 {
        return Err(rank_err("layer input", 3, x));
    }
    // the gadget allocates the padded input: bound it before it does
    let g = window2d(x[0], x[1], kernel, cfg)?;
    within("padded input", &[g.padded.0, g.padded.1, x[2]], limits)?;
    Ok(g.out)
}

fn too_big() -> Error {
    Error::param("shape", "its size overflows")
}

fn within(what: &str, shape: &[usize], limits: &Limits) -> Result<(), Error> {
    match count(shape) {
        Some(n) if n <= limits.max_elements => Ok(()),
        Some(n) => Err(Error::param(
            what,
            format!(
                "{shape:?} holds {n} elements, above the limit of {}",
                limits.max_elements
            ),
        )),
        None => Err(Error::param(
            what,
            format!("{shape:?}: the element count overflows"),
        )),
    }
}

/// One layer's output shape from its input shapes (`x` the first).
fn layer_shape(
    layer: &Layer,
    x: &[usize],
    others: &[&[usize]],
    limits: &Limits,
) -> Result<Vec<usize>, Error> {
    for (p, _) in layer.params() {
        within("parameter", p.shape(), limits)?;
    }
    let out = match layer {
        Layer::Dense { w, b } => {
            let w = w.shape();
            if x.len() != 1 {
                return Err(rank_err("dense input", 1, x));
            }
            want("dense weights rows", x[0], w[0])?;
            want("dense bias", w[1], b.len())?;
            vec![w[1]]
        }
        Layer::Conv2d { w, b, cfg } => {
            let w = w.shape();
            let (oh, ow) = conv_out(x, (w[0], w[1]), cfg, limits)?;
            want("conv2d weights input channels", x[2], w[2])?;
            want("conv2d bias", w[3], b.len())?;
            vec![oh, ow, w[3]]
        }
        Layer::DepthwiseConv2d { w, b, cfg } => {
            let w = w.shape();
            let (oh, ow) = conv_out(x, (w[0], w[1]), cfg, limits)?;
            want("depthwise weights channels", x[2], w[2])?;
            let c = w[2].checked_mul(w[3]).ok_or_else(too_big)?;
            want("depthwise bias", c, b.len())?;
            vec![oh, ow, c]
        }
        Layer::SeparableConv2d {
            depthwise,
            pointwise,
            b,
            cfg,
        } => {
            let d = depthwise.shape();
            let (oh, ow) = conv_out(x, (d[0], d[1]), cfg, limits)?;
            want("separable depthwise channels", x[2], d[2])?;
            let c = d[2].checked_mul(d[3]).ok_or_else(too_big)?;
            want("separable pointwise rows", c, pointwise.shape()[0])?;
            want("separable bias", pointwise.shape()[1], b.len())?;
            vec![oh, ow, pointwise.shape()[1]]
        }
        Layer::PointwiseConv2d { w, b } => {
            if x.len() != 3 {
                return Err(rank_err("pointwise input", 3, x));
            }
            want("pointwise weights rows", x[2], w.shape()[0])?;
            want("pointwise bias", w.shape()[1], b.len())?;
            vec![x[0], x[1], w.shape()[1]]
        }
        Layer::Conv1d {
            w,
            b,
            stride,
            padding,
            dilation,
        } => {
            let w = w.shape();
            if x.len() != 2 {
                return Err(rank_err("conv1d input", 2, x));
            }
            // a 1D convolution is a 2D one on a single row, along the columns
            let cfg = conv1d_config(*stride, *padding, *dilation);
            let g = window2d(1, x[0], (1, w[0]), &cfg)?;
            let ol = g.out.1;
            within("padded input", &[g.padded.1, x[1]], limits)?;
            want("conv1d weights input channels", x[1], w[1])?;
            want("conv1d bias", w[2], b.len())?;
            vec![ol, w[2]]
        }
        Layer::BatchNorm { a, b } => {
            let c = *x.last().ok_or_else(|| rank_err("batch norm input", 1, x))?;
            want("batch norm a", c, a.len())?;
            want("batch norm b", c, b.len())?;
            x.to_vec()
        }
        Layer::Rescale(_)
        | Layer::RescaleWithin { .. }
        | Layer::Relu
        | Layer::LeakyRelu { .. }
        | Layer::Poly(_)
        | Layer::Cubic { .. } => x.to_vec(),
        Layer::AvgPool2d(cfg) | Layer::MaxPool2d(cfg) => {
            let (oh, ow) = conv_out(
                x,
                cfg.size,
                &Conv2dConfig::new(cfg.stride, cfg.padding),
                limits,
            )?;
            vec![oh, ow, x[2]]
        }
        Layer::GlobalAvgPool2d | Layer::GlobalMaxPool2d => {
            if x.len() != 3 {
                return Err(rank_err("global pooling input", 3, x));
            }
            if x[0] == 0 || x[1] == 0 {
                return Err(Error::param("global pooling input", "must not be empty"));
            }
            vec![x[2]]
        }
        Layer::Flatten => vec![count(x).ok_or_else(too_big)?],
        Layer::Reshape(shape) => {
            let n = count(shape).ok_or_else(too_big)?;
            want("reshape element count", count(x).ok_or_else(too_big)?, n)?;
            shape.clone()
        }
        Layer::UpSample2d(size) => {
            if x.len() != 3 {
                return Err(rank_err("upsampling input", 3, x));
            }
            if size.0 == 0 || size.1 == 0 {
                return Err(Error::param("upsampling size", "must be at least 1"));
            }
            vec![
                x[0].checked_mul(size.0).ok_or_else(too_big)?,
                x[1].checked_mul(size.1).ok_or_else(too_big)?,
                x[2],
            ]
        }
        Layer::Add | Layer::Sub => {
            for y in others {
                if *y != x {
                    return Err(Error::shape(
                        "second input",
                        format!("{x:?} (the first input's shape)"),
                        format!("{y:?}"),
                    ));
                }
            }
            x.to_vec()
        }
        Layer::Concat => {
            let rank = x.len();
            if rank == 0 {
                return Err(Error::param("concat input", "a scalar has no channel axis"));
            }
            let mut c = x[rank - 1];
            for y in others {
                if y.len() != rank || y[..rank - 1] != x[..rank - 1] {
                    return Err(Error::shape(
                        "concat input",
                        format!("{x:?} but the last axis"),
                        format!("{y:?}"),
                    ));
                }
                c = c.checked_add(y[rank - 1]).ok_or_else(too_big)?;
            }
            let mut out = x.to_vec();
            out[rank - 1] = c;
            out
        }
        Layer::Mul { c } => {
            if c.shape() != x {
                return Err(Error::shape(
                    "mul factors",
                    format!("{x:?}"),
                    format!("{:?}", c.shape()),
                ));
            }
            x.to_vec()
        }
        Layer::Clip { .. } | Layer::PolyRaw(_) => x.to_vec(),
        Layer::SumPool2d(cfg) => {
            let (oh, ow) = conv_out(
                x,
                cfg.size,
                &Conv2dConfig::new(cfg.stride, cfg.padding),
                limits,
            )?;
            vec![oh, ow, x[2]]
        }
        Layer::ArgMax => {
            if x.len() != 1 {
                return Err(rank_err("argmax input", 1, x));
            }
            if x[0] == 0 {
                return Err(Error::param("argmax input", "must not be empty"));
            }
            vec![]
        }
    };
    within("layer output", &out, limits)?;
    Ok(out)
}

impl Model {
    /// Every layer's output shape, from shapes alone (no tensor allocated), with the default
    /// [`Limits`]; also checks the declared bit widths (input bound, weight and bias widths)
    /// fit the field. [`Model::infer`] and synthesis run it first.
    pub fn shapes(&self) -> Result<Vec<Vec<usize>>, ModelError> {
        self.shapes_within(&Limits::default())
    }

    /// As [`Model::shapes`], with the given limits.
    pub fn shapes_within(&self, limits: &Limits) -> Result<Vec<Vec<usize>>, ModelError> {
        let width = |what: &str, bits: u32| {
            check_bound::<Fr>(what, bits)
                .map(|_| ())
                .map_err(ModelError::Input)
        };
        width("input bound", self.input_bound)?;
        if self.weights.visibility != Visibility::Constant {
            width("declared weight width", self.weights.weight_bits)?;
            width("declared bias width", self.weights.bias_bits)?;
        }
        within("model input", &self.input_shape, limits).map_err(ModelError::Input)?;
        self.graph.check(&self.layers)?;
        // per value: 0 the input, i + 1 layer i's output
        let mut values = vec![self.input_shape.clone()];
        for (index, layer) in self.layers.iter().enumerate() {
            let ins = self.graph.inputs_of(index);
            let others: Vec<&[usize]> = ins[1..].iter().map(|&v| values[v].as_slice()).collect();
            let y = layer_shape(layer, &values[ins[0]], &others, limits).map_err(|source| {
                ModelError::Layer {
                    index,
                    kind: layer.kind(),
                    source,
                }
            })?;
            values.push(y);
        }
        values.remove(0);
        Ok(values)
    }
}
