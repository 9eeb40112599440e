//! Every op, on random parameters and inputs, with constant and with private weights: the
//! facts pass predicts exactly the constraints synthesis writes, a bound that holds every
//! native value, and the scale; the circuit is satisfied and equals the native twin; the
//! float reference of an op without scale follows the integer one; the file form
//! round-trips; no witness can be changed alone.

use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use arkml::file::{model_from_json, model_to_json};
use arkml::model::{ops, Graph, Layer, Model, WeightSpec};
use arkml_gadgets::activation::{ZANH, ZIGMOID};
use arkml_gadgets::fixed::fits_signed;
use arkml_gadgets::layers::{Conv2dConfig, Padding, Pool2dConfig};
use arkml_gadgets::tensor::{tensor_values, Visibility};
use arkml_gadgets::testing::assert_all_witnesses_pinned;
use ndarray::{ArrayD, IxDyn};
use num_bigint::{BigInt, BigUint};
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

/// How many op kinds [`op`] draws from.
const KINDS: usize = 37;

fn rnd<D: ndarray::Dimension, Sh: ndarray::ShapeBuilder<Dim = D>>(
    rng: &mut StdRng,
    shape: Sh,
    m: i64,
) -> ndarray::Array<BigInt, D> {
    ndarray::Array::from_shape_simple_fn(shape, || BigInt::from(rng.gen_range(-m..=m)))
}

fn padding(rng: &mut StdRng) -> Padding {
    match rng.gen_range(0..3) {
        0 => Padding::Valid,
        1 => Padding::Same,
        _ => Padding::Explicit {
            before: (rng.gen_range(0..2), rng.gen_range(0..2)),
            after: (rng.gen_range(0..2), rng.gen_range(0..2)),
        },
    }
}

fn conv_cfg(rng: &mut StdRng) -> Conv2dConfig {
    Conv2dConfig {
        stride: (rng.gen_range(1..3), rng.gen_range(1..3)),
        padding: padding(rng),
        dilation: (rng.gen_range(1..3), 1),
    }
}

fn pool_cfg(rng: &mut StdRng) -> Pool2dConfig {
    let size = (rng.gen_range(1..4), rng.gen_range(1..4));
    Pool2dConfig {
        size,
        stride: (rng.gen_range(1..3), rng.gen_range(1..3)),
        padding: if rng.gen_bool(0.5) {
            Padding::Valid
        } else {
            Padding::Same
        },
    }
}

fn big(n: u64) -> BigUint {
    BigUint::from(n)
}

/// Op kind `k` with random parameters, the input shape it reads, how many inputs, and
/// (for a fused rescale + ReLU) a rescale before it.
fn op(k: usize, rng: &mut StdRng) -> (Vec<Layer>, Vec<usize>, usize) {
    let (h, w, c) = (
        rng.gen_range(3..7),
        rng.gen_range(3..7),
        rng.gen_range(1..4),
    );
    let img = vec![h, w, c];
    let n = rng.gen_range(2..9);
    let s = big(1 << rng.gen_range(0..6));
    let one = |l: Layer| (vec![l], img.clone(), 1);
    match k {
        0 => (
            vec![Layer::Dense(ops::Dense {
                w: rnd(rng, (n, 3), 50),
                b: rnd(rng, 3, 500),
            })],
            vec![n],
            1,
        ),
        1 => one(Layer::Conv2d(ops::Conv2d {
            w: rnd(rng, (2, 2, c, 2), 50),
            b: rnd(rng, 2, 500),
            cfg: conv_cfg(rng),
        })),
        2 => (
            vec![Layer::Conv1d(ops::Conv1d {
                w: rnd(rng, (n % 3 + 1, c, 2), 50),
                b: rnd(rng, 2, 500),
                stride: rng.gen_range(1..3),
                padding: padding(rng),
                dilation: rng.gen_range(1..3),
            })],
            vec![h + 2, c],
            1,
        ),
        3 => one(Layer::DepthwiseConv2d(ops::DepthwiseConv2d {
            w: rnd(rng, (2, 3, c, 2), 50),
            b: rnd(rng, 2 * c, 500),
            cfg: conv_cfg(rng),
        })),
        4 => one(Layer::SeparableConv2d(ops::SeparableConv2d {
            depthwise: rnd(rng, (2, 2, c, 1), 20),
            pointwise: rnd(rng, (c, 2), 20),
            b: rnd(rng, 2, 500),
            cfg: conv_cfg(rng),
        })),
        5 => one(Layer::PointwiseConv2d(ops::PointwiseConv2d {
            w: rnd(rng, (c, 3), 50),
            b: rnd(rng, 3, 500),
        })),
        6 => one(Layer::BatchNorm(ops::BatchNorm {
            a: rnd(rng, c, 50),
            b: rnd(rng, c, 500),
        })),
        7 => one(Layer::Mul(ops::Mul {
            c: rnd(rng, IxDyn(&img), 50),
        })),
        8 => one(Layer::Rescale(ops::Rescale(big(rng.gen_range(1..40))))),
        9 => one(Layer::RescaleWithin(ops::RescaleWithin {
            divisor: big(rng.gen_range(1..40)),
            bits: 12,
        })),
        10 => one(Layer::Relu(ops::Relu)),
        11 => one(Layer::LeakyRelu(ops::LeakyRelu {
            a: BigInt::from(rng.gen_range(-20..20)),
            d: s,
        })),
        12 => one(Layer::Poly(ops::Poly(s))),
        13 => one(Layer::PolyRaw(ops::PolyRaw(s))),
        14 => one(Layer::Cubic(ops::Cubic {
            coeffs: if rng.gen_bool(0.5) { ZIGMOID } else { ZANH },
            scale: s,
        })),
        15 => {
            let lo = rng.gen_range(-300..100);
            one(Layer::Clip(ops::Clip {
                lo: BigInt::from(lo),
                hi: BigInt::from(lo + rng.gen_range(0..400)),
            }))
        }
        16 => one(Layer::AvgPool2d(ops::AvgPool2d(pool_cfg(rng)))),
        17 => one(Layer::MaxPool2d(ops::MaxPool2d(pool_cfg(rng)))),
        18 => one(Layer::SumPool2d(ops::SumPool2d(pool_cfg(rng)))),
        19 => one(Layer::GlobalAvgPool2d(ops::GlobalAvgPool2d)),
        20 => one(Layer::GlobalMaxPool2d(ops::GlobalMaxPool2d)),
        21 => one(Layer::Flatten(ops::Flatten)),
        22 => one(Layer::Reshape(ops::Reshape(vec![h * w, c]))),
        23 => one(Layer::UpSample2d(ops::UpSample2d((
            rng.gen_range(1..3),
            rng.gen_range(1..3),
        )))),
        24 => (vec![Layer::ArgMax(ops::ArgMax)], vec![n], 1),
        25 => (vec![Layer::Add(ops::Add)], img, 2),
        26 => (vec![Layer::Sub(ops::Sub)], img, 2),
        27 => (vec![Layer::Concat(ops::Concat)], img, 2),
        // the fused rescale + ReLU: the ReLU reads the rescale's sign bits
        28 => (
            vec![
                Layer::Rescale(ops::Rescale(big(rng.gen_range(2..40)))),
                Layer::Relu(ops::Relu),
            ],
            img,
            1,
        ),
        // a product of two activations (here x * x)
        29 => (vec![Layer::Product(ops::Product)], img, 2),
        // the piecewise-cubic kernels (sigmoid, tanh, erf, softplus, elu) at the model's
        // scale (16)
        30 => {
            let func = [
                ops::Smooth::Sigmoid,
                ops::Smooth::Tanh,
                ops::Smooth::Erf,
                ops::Smooth::Softplus,
                ops::Smooth::Elu,
            ][rng.gen_range(0..5)];
            one(Layer::Logistic(ops::Logistic {
                func,
                table: Some(
                    arkml_gadgets::activation::SigmoidTable::of(func.kernel(), &big(16)).unwrap(),
                ),
            }))
        }
        // a wire selection over two inputs: repeats, any order, a new shape (the last
        // input element and the first included, the edges of the index range)
        31 => {
            let total = 2 * h * w * c;
            let len = rng.gen_range(1..2 * total);
            let mut index: Vec<usize> = (0..len).map(|_| rng.gen_range(0..total)).collect();
            index[0] = total - 1;
            index[len - 1] = 0;
            let shape = if len % 2 == 0 {
                vec![2, len / 2]
            } else {
                vec![len]
            };
            (vec![Layer::Select(ops::Select { shape, index })], img, 2)
        }
        // a forest of complete trees (depth 0 to 3, so single-leaf trees too) over a flat
        // input: thresholds beyond the input's bound (free tests) and repeated ones (shared
        // comparisons), strict and non-strict tests
        33 => {
            let (targets, trees) = (rng.gen_range(1..3), rng.gen_range(1..4));
            let depths: Vec<u32> = (0..trees).map(|_| rng.gen_range(0..4)).collect();
            let nb: usize = depths.iter().map(|d| (1usize << d) - 1).sum();
            let (mut branches, mut roots) = (Vec::new(), Vec::new());
            let (mut ob, mut ol) = (0, nb);
            for d in &depths {
                let (tb, tl) = ((1usize << d) - 1, 1usize << d);
                let at = |j: usize| if j < tb { ob + j } else { ol + j - tb };
                roots.push(at(0));
                for j in 0..tb {
                    let t = [-600i64, -512, -1, 0, 5, 511, 600, rng.gen_range(-520..520)];
                    branches.push(arkml_gadgets::tree::Branch {
                        feature: rng.gen_range(0..n),
                        threshold: BigInt::from(t[rng.gen_range(0..t.len())]),
                        strict: rng.gen_bool(0.5),
                        yes: at(2 * j + 1),
                        no: at(2 * j + 2),
                    });
                }
                (ob, ol) = (ob + tb, ol + tl);
            }
            let forest = arkml_gadgets::tree::Forest {
                branches,
                leaves: rnd(rng, (ol - nb, targets), 50),
                roots,
                base: rnd(rng, targets, 20),
            };
            (
                vec![Layer::TreeEnsemble(ops::TreeEnsemble(forest))],
                vec![n],
                1,
            )
        }
        // a checked root or reciprocal after a clip into its domain (positive, or for the
        // reciprocal negative too)
        34 => {
            use arkml_gadgets::activation::Root as K;
            let kind = [K::Sqrt, K::Recip, K::Rsqrt][rng.gen_range(0..3)];
            let (lo, hi) = match (kind, rng.gen_bool(0.5)) {
                (K::Sqrt, _) => (0, 600),
                (K::Recip, true) => (-600, -1),
                _ => (1, 600),
            };
            (
                vec![
                    Layer::Clip(ops::Clip {
                        lo: BigInt::from(lo),
                        hi: BigInt::from(hi),
                    }),
                    Layer::Root(ops::Root {
                        kind,
                        scale: Some(big(16)),
                        // an epsilon keeps a root's domain (a reciprocal's negative inputs
                        // could meet zero)
                        eps: if kind == K::Recip {
                            0.0
                        } else {
                            [0.0, 0.01, 2.5][rng.gen_range(0..3)]
                        },
                        gain: if kind == K::Sqrt {
                            0
                        } else {
                            rng.gen_range(0..5)
                        },
                    }),
                ],
                img,
                1,
            )
        }
        // a matrix product of the input with itself read as [1, h, w c] and [1, w c, h]
        35 => (
            vec![Layer::MatMul(ops::MatMul {
                batch: 1,
                m: h,
                k: w * c,
                n: h,
            })],
            img,
            2,
        ),
        // a range check narrower or wider than the input's bound (9 bits)
        36 => one(Layer::Within(ops::Within {
            max_abs: 0.0,
            bits: Some(rng.gen_range(6..12)),
        })),
        // ops after a ReLU see non-negative values (max pooling and ArgMax compare cheaper)
        _ => (
            vec![
                Layer::Relu(ops::Relu),
                if rng.gen_bool(0.5) {
                    Layer::MaxPool2d(ops::MaxPool2d(pool_cfg(rng)))
                } else {
                    Layer::GlobalMaxPool2d(ops::GlobalMaxPool2d)
                },
            ],
            img,
            1,
        ),
    }
}

fn model(layers: Vec<Layer>, shape: Vec<usize>, inputs: usize, private: bool) -> Model {
    let graph = if inputs == 2 {
        Graph {
            inputs: vec![vec![0, 0]],
            ..Default::default()
        }
    } else {
        Graph::default()
    };
    Model {
        input_shape: shape,
        input_bound: 9,
        input_visibility: Visibility::Private,
        layers,
        graph,
        weights: if private {
            WeightSpec {
                visibility: Visibility::Private,
                weight_bits: 7,
                bias_bits: 10,
            }
        } else {
            WeightSpec::default()
        },
        scale: Some(big(16)),
    }
}

fn check(m: &Model, x: &ArrayD<BigInt>) -> Result<(), TestCaseError> {
    let facts = m.facts().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let native = m.infer(x).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let cs = ConstraintSystem::<Fr>::new_ref();
    let (y, summary) = m.synthesize(cs.clone(), x).unwrap();
    prop_assert!(cs.is_satisfied().unwrap());
    prop_assert_eq!(
        tensor_values(&y).unwrap(),
        native.last().unwrap().out.clone()
    );
    for ((f, s), n) in facts.iter().zip(&summary).zip(&native) {
        prop_assert_eq!(f.cost, s.constraints, "{} constraints", s.kind);
        prop_assert_eq!((&f.shape, f.bound, &f.scale), (&s.shape, s.bound, &s.scale));
        prop_assert!(
            n.out.iter().all(|v| fits_signed(v, f.bound)),
            "{} exceeds its bound {}",
            s.kind,
            f.bound
        );
        if f.nonneg {
            prop_assert!(n.out.iter().all(|v| v.sign() != num_bigint::Sign::Minus));
        }
    }
    // the predicted table equals the synthesised one
    let predicted = m.analyse().unwrap();
    prop_assert_eq!(
        predicted.iter().map(|l| l.constraints).collect::<Vec<_>>(),
        summary.iter().map(|l| l.constraints).collect::<Vec<_>>()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_op_predicts_its_cost_and_bound(k in 0..KINDS, seed in any::<u64>(), private in any::<bool>()) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (layers, shape, inputs) = op(k, &mut rng);
        let m = model(layers, shape.clone(), inputs, private);
        // a random geometry may not fit (a window larger than the padded input): the shape
        // pass says so, and nothing else is tested
        if m.shapes().is_err() {
            return Ok(());
        }
        let x = rnd(&mut rng, IxDyn(&shape), 511);
        if let Layer::RescaleWithin(_) | Layer::Within(_) = &m.layers[0] {
            prop_assume!(m.infer(&x).is_ok());
        }
        check(&m, &x)?;
        // the file form round-trips
        let back = model_from_json(&model_to_json(&m), "m.json").unwrap();
        prop_assert_eq!(model_to_json(&back), model_to_json(&m));
    }

    #[test]
    fn float_reference_of_exact_ops_equals_the_integers(
        k in (16..29usize).prop_map(|k| if k == 28 { 31 } else { k }),
        seed in any::<u64>(),
    ) {
        // ops that do not divide or scale: the float reference on integer inputs is exact
        prop_assume!(k != 16 && k != 19);
        let mut rng = StdRng::seed_from_u64(seed);
        let (layers, shape, inputs) = op(k, &mut rng);
        let m = model(layers, shape.clone(), inputs, false);
        prop_assume!(m.shapes().is_ok());
        let x = rnd(&mut rng, IxDyn(&shape), 511);
        let xf = x.map(|v| num_traits::ToPrimitive::to_f64(v).unwrap());
        let native = m.infer(&x).unwrap();
        for (l, n) in m.layers.iter().zip(&native) {
            let fl: Layer<f64> = match l {
                Layer::AvgPool2d(p) => Layer::AvgPool2d(*p),
                Layer::MaxPool2d(p) => Layer::MaxPool2d(*p),
                Layer::SumPool2d(p) => Layer::SumPool2d(*p),
                Layer::GlobalMaxPool2d(p) => Layer::GlobalMaxPool2d(*p),
                Layer::Flatten(p) => Layer::Flatten(*p),
                Layer::Reshape(p) => Layer::Reshape(p.clone()),
                Layer::UpSample2d(p) => Layer::UpSample2d(*p),
                Layer::ArgMax(p) => Layer::ArgMax(*p),
                Layer::Add(p) => Layer::Add(*p),
                Layer::Sub(p) => Layer::Sub(*p),
                Layer::Concat(p) => Layer::Concat(*p),
                Layer::Select(p) => Layer::Select(p.clone()),
                Layer::Clip(c) => Layer::Clip(ops::Clip {
                    lo: num_traits::ToPrimitive::to_f64(&c.lo).unwrap(),
                    hi: num_traits::ToPrimitive::to_f64(&c.hi).unwrap(),
                }),
                other => panic!("{} is not an exact op", other.kind()),
            };
            let ins: Vec<&ArrayD<f64>> = vec![&xf; inputs];
            let y = fl.forward(&ins).unwrap();
            prop_assert_eq!(y, n.out.map(|v| num_traits::ToPrimitive::to_f64(v).unwrap()));
        }
    }
}

/// No witness of any op can be changed alone without breaking a constraint (so a prover
/// cannot change an output, a remainder or a sign bit), with private weights.
#[test]
fn every_witness_is_pinned() {
    for k in 0..KINDS {
        let mut rng = StdRng::seed_from_u64(k as u64);
        let (m, shape) = loop {
            let (layers, shape, inputs) = op(k, &mut rng);
            let m = model(layers, shape.clone(), inputs, true);
            if m.shapes().is_ok() {
                break (m, shape);
            }
        };
        let x = rnd(&mut rng, IxDyn(&shape), 511);
        let cs = ConstraintSystem::<Fr>::new_ref();
        m.synthesize(cs.clone(), &x).unwrap();
        assert!(cs.is_satisfied().unwrap(), "op {k}");
        assert_all_witnesses_pinned(&cs);
    }
}
