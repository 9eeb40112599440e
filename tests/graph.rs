//! Models as graphs: a residual network (two residual blocks with BatchNorm, a branch merged
//! by Concat, global average pooling, Dense, ArgMax) end to end against an independent float
//! reference; the new ops (Add, Sub, Concat, Mul, Clip, SumPool, undivided Poly) against
//! native inference with every witness pinned; tampering with an Add or a Concat caught;
//! malformed graphs as typed errors naming the node.

use arkml::model::ops;
use std::sync::Arc;

use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::circuit::ModelCircuit;
use arkml::file::{model_from_json, model_to_json};
use arkml::groth16::{check, prove, setup, verify};
use arkml::model::{Graph, Layer, Model, WeightSpec};
use arkml_gadgets::layers::{Conv2dConfig, Padding, Pool2dConfig};
use arkml_gadgets::tensor::{tensor_values, Visibility};
use arkml_gadgets::testing::assert_all_witnesses_pinned;
use ndarray::{Array1, Array2, Array4, ArrayD, IxDyn};
use num_bigint::{BigInt, BigUint};
use num_traits::ToPrimitive;
use rand::Rng;

const S: i64 = 256;

/// Float weights and their quantised integers.
struct Conv {
    w: Array4<f64>,
    b: Array1<f64>,
}

fn q(v: f64, s: i64) -> BigInt {
    BigInt::from((v * s as f64).round() as i64)
}

fn rconv(rng: &mut StdRng, k: usize, cin: usize, cout: usize) -> Conv {
    // weights already on the 1/S grid, so the float reference uses exactly the same values
    let g = |rng: &mut StdRng, m: f64| (rng.gen_range(-m..m) * S as f64).round() / S as f64;
    Conv {
        w: Array4::from_shape_simple_fn((k, k, cin, cout), || g(rng, 0.4)),
        b: Array1::from_shape_simple_fn(cout, || g(rng, 0.2)),
    }
}

/// A convolution with its folded BatchNorm `(a, b)`.
type ConvBn = (Conv, Array1<f64>, Array1<f64>);

/// A layer pusher: appends a layer reading the given values, returns its value.
type Push<'a> = dyn FnMut(&mut Vec<Layer>, Layer, Vec<usize>) -> usize + 'a;

struct Net {
    stem: Conv,
    blocks: Vec<[ConvBn; 2]>,
    branch: Conv,
    dense_w: Array2<f64>,
    dense_b: Array1<f64>,
}

fn net(rng: &mut StdRng) -> Net {
    let g =
        |rng: &mut StdRng, lo: f64, hi: f64| (rng.gen_range(lo..hi) * S as f64).round() / S as f64;
    let bn = |rng: &mut StdRng| {
        (
            Array1::from_shape_simple_fn(4, || g(rng, 0.5, 1.2)),
            Array1::from_shape_simple_fn(4, || g(rng, -0.2, 0.2)),
        )
    };
    let mut blocks = Vec::new();
    for _ in 0..2 {
        let c1 = rconv(rng, 3, 4, 4);
        let (a1, b1) = bn(rng);
        let c2 = rconv(rng, 3, 4, 4);
        let (a2, b2) = bn(rng);
        blocks.push([(c1, a1, b1), (c2, a2, b2)]);
    }
    Net {
        stem: rconv(rng, 3, 2, 4),
        blocks,
        branch: rconv(rng, 1, 4, 2),
        dense_w: Array2::from_shape_simple_fn((6, 3), || g(rng, -0.6, 0.6)),
        dense_b: Array1::from_shape_simple_fn(3, || g(rng, -0.1, 0.1)),
    }
}

/// The integer graph: stem conv -> relu; two blocks of conv -> BN -> relu -> conv -> BN,
/// Add with the block input, relu; a pointwise branch off block 1's output; Concat; global
/// average pooling; Dense; ArgMax (or the logits with `logits`).
fn model(n: &Net, logits: bool, tamper: Option<&str>) -> Model {
    let s = BigUint::from(S as u64);
    let same = Conv2dConfig::new((1, 1), Padding::Same);
    let mut layers = Vec::new();
    let mut inputs: Vec<Vec<usize>> = Vec::new();
    // push a layer reading `ins` (values); returns its value index
    let mut push = |layers: &mut Vec<Layer>, l: Layer, ins: Vec<usize>| {
        layers.push(l);
        inputs.push(ins);
        layers.len()
    };
    let conv = |c: &Conv| {
        Layer::Conv2d(ops::Conv2d {
            w: c.w.map(|v| q(*v, S)),
            b: c.b.map(|v| q(*v, S * S)),
            cfg: same,
        })
    };
    let conv_bn = |layers: &mut Vec<Layer>, push: &mut Push<'_>, x: usize, c: &ConvBn| {
        let v = push(layers, conv(&c.0), vec![x]);
        let v = push(layers, Layer::Rescale(ops::Rescale(s.clone())), vec![v]);
        let v = push(
            layers,
            Layer::BatchNorm(ops::BatchNorm {
                a: c.1.map(|v| q(*v, S)),
                b: c.2.map(|v| q(*v, S * S)),
            }),
            vec![v],
        );
        push(layers, Layer::Rescale(ops::Rescale(s.clone())), vec![v])
    };
    let v = push(&mut layers, conv(&n.stem), vec![0]);
    let v = push(
        &mut layers,
        Layer::Rescale(ops::Rescale(s.clone())),
        vec![v],
    );
    let mut x = push(&mut layers, Layer::Relu(ops::Relu), vec![v]);
    let mut after_first = 0;
    for (i, [c1, c2]) in n.blocks.iter().enumerate() {
        let v = conv_bn(&mut layers, &mut push, x, c1);
        let v = push(&mut layers, Layer::Relu(ops::Relu), vec![v]);
        let v = conv_bn(&mut layers, &mut push, v, c2);
        let op = if tamper == Some("add") && i == 1 {
            Layer::Sub(ops::Sub)
        } else {
            Layer::Add(ops::Add)
        };
        let v = push(&mut layers, op, vec![v, x]);
        x = push(&mut layers, Layer::Relu(ops::Relu), vec![v]);
        if i == 0 {
            after_first = x;
        }
    }
    let b = push(
        &mut layers,
        Layer::PointwiseConv2d(ops::PointwiseConv2d {
            w: n.branch
                .w
                .index_axis(ndarray::Axis(0), 0)
                .index_axis(ndarray::Axis(0), 0)
                .map(|v| q(*v, S)),
            b: n.branch.b.map(|v| q(*v, S * S)),
        }),
        vec![after_first],
    );
    let b = push(
        &mut layers,
        Layer::Rescale(ops::Rescale(s.clone())),
        vec![b],
    );
    let cat = if tamper == Some("concat") {
        vec![b, x]
    } else {
        vec![x, b]
    };
    let v = push(&mut layers, Layer::Concat(ops::Concat), cat);
    let v = push(
        &mut layers,
        Layer::GlobalAvgPool2d(ops::GlobalAvgPool2d),
        vec![v],
    );
    let v = push(
        &mut layers,
        Layer::Dense(ops::Dense {
            w: n.dense_w.map(|v| q(*v, S)),
            b: n.dense_b.map(|v| q(*v, S * S)),
        }),
        vec![v],
    );
    let v = push(
        &mut layers,
        Layer::Rescale(ops::Rescale(s.clone())),
        vec![v],
    );
    if !logits {
        push(&mut layers, Layer::ArgMax(ops::ArgMax), vec![v]);
    }
    Model {
        input_shape: vec![6, 6, 2],
        input_bound: 9,
        input_visibility: Visibility::Private,
        layers,
        graph: Graph {
            inputs,
            ..Default::default()
        },
        weights: WeightSpec::default(),
        scale: Some(s),
    }
}

// ---- an independent float reference (plain loops, nothing shared with the crate) ----

fn fconv_same(x: &ArrayD<f64>, c: &Conv) -> ArrayD<f64> {
    let (h, w, cin) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    let (k, cout) = (c.w.shape()[0], c.w.shape()[3]);
    let pad = (k - 1) / 2;
    let mut out = ArrayD::zeros(IxDyn(&[h, w, cout]));
    for i in 0..h {
        for j in 0..w {
            for o in 0..cout {
                let mut acc = c.b[o];
                for di in 0..k {
                    for dj in 0..k {
                        let (ii, jj) = (
                            i as i64 + di as i64 - pad as i64,
                            j as i64 + dj as i64 - pad as i64,
                        );
                        if ii < 0 || jj < 0 || ii >= h as i64 || jj >= w as i64 {
                            continue;
                        }
                        for ci in 0..cin {
                            acc += x[[ii as usize, jj as usize, ci]] * c.w[[di, dj, ci, o]];
                        }
                    }
                }
                out[[i, j, o]] = acc;
            }
        }
    }
    out
}

fn fbn(x: &ArrayD<f64>, a: &Array1<f64>, b: &Array1<f64>) -> ArrayD<f64> {
    let mut y = x.clone();
    for ((_, _, c), v) in y
        .clone()
        .into_dimensionality::<ndarray::Ix3>()
        .unwrap()
        .indexed_iter()
    {
        let _ = v;
        let _ = c;
    }
    for (idx, v) in y.indexed_iter_mut() {
        let c = idx[2];
        *v = *v * a[c] + b[c];
    }
    y
}

fn relu(x: &ArrayD<f64>) -> ArrayD<f64> {
    x.map(|v| v.max(0.0))
}

fn float_logits(n: &Net, x: &ArrayD<f64>) -> Vec<f64> {
    let mut h = relu(&fconv_same(x, &n.stem));
    let mut first = h.clone();
    for (i, [c1, c2]) in n.blocks.iter().enumerate() {
        let y = relu(&fbn(&fconv_same(&h, &c1.0), &c1.1, &c1.2));
        let y = fbn(&fconv_same(&y, &c2.0), &c2.1, &c2.2);
        h = relu(&(&y + &h));
        if i == 0 {
            first = h.clone();
        }
    }
    let b = fconv_same(&first, &n.branch);
    let (hh, ww) = (h.shape()[0], h.shape()[1]);
    let mut pooled = [0.0; 6];
    for i in 0..hh {
        for j in 0..ww {
            for c in 0..4 {
                pooled[c] += h[[i, j, c]];
            }
            for c in 0..2 {
                pooled[4 + c] += b[[i, j, c]];
            }
        }
    }
    let pooled: Vec<f64> = pooled.iter().map(|v| v / (hh * ww) as f64).collect();
    (0..3)
        .map(|o| n.dense_b[o] + (0..6).map(|i| pooled[i] * n.dense_w[[i, o]]).sum::<f64>())
        .collect()
}

fn sample(rng: &mut StdRng) -> (ArrayD<f64>, ArrayD<BigInt>) {
    let xi = ArrayD::from_shape_simple_fn(IxDyn(&[6, 6, 2]), || BigInt::from(rng.gen_range(0..S)));
    (xi.map(|v| v.to_f64().unwrap() / S as f64), xi)
}

#[test]
fn residual_network_matches_an_independent_float_reference_and_proves() {
    let mut rng = StdRng::seed_from_u64(42);
    let n = net(&mut rng);
    let m = model(&n, true, None);
    println!("{}", m.summary().unwrap());
    let mut worst: f64 = 0.0;
    for _ in 0..4 {
        let (xf, xi) = sample(&mut rng);
        let y = m.predict(&xi).unwrap();
        let f = float_logits(&n, &xf);
        for (a, b) in y.iter().zip(&f) {
            worst = worst.max((a.to_f64().unwrap() / S as f64 - b).abs());
        }
        // and in circuit
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (yv, summary) = m.synthesize(cs.clone(), &xi).unwrap();
        assert!(cs.is_satisfied().unwrap());
        for (f, s) in m.facts().unwrap().iter().zip(&summary) {
            assert_eq!(
                (f.bound, &f.scale, f.cost),
                (s.bound, &s.scale, s.constraints),
                "{}",
                s.kind
            );
        }
        assert_eq!(tensor_values(&yv).unwrap(), y);
    }
    // each rescale floors once (< 1/S); a handful of them, amplified by weights below 1.2
    assert!(worst < 0.1, "largest logit error {worst}");
    println!("largest logit error against the float reference: {worst:.4}");

    // the file form (version 2) round-trips
    let json = model_to_json(&m);
    assert!(
        json.contains("\"version\":2") && json.contains("\"inputs\""),
        "{json}"
    );
    let back = model_from_json(&json, "mem").unwrap();
    assert_eq!(model_to_json(&back), json);

    // Groth16 end to end on the classifier
    let m = Arc::new(model(&n, false, None));
    let (_, xi) = sample(&mut rng);
    let c = ModelCircuit::new(m.clone(), xi).unwrap();
    let mut prng = StdRng::seed_from_u64(5);
    let pk = setup(c.clone(), &mut prng).unwrap();
    let proof = prove(&pk, c.clone(), &mut prng).unwrap();
    assert!(verify(&pk.vk, &c.public_inputs(), &proof).unwrap());
}

#[test]
fn a_wrong_sum_or_swapped_halves_are_caught() {
    let mut rng = StdRng::seed_from_u64(43);
    let n = net(&mut rng);
    let honest = Arc::new(model(&n, true, None));
    let (_, xi) = sample(&mut rng);
    // every witness of the honest graph is pinned by its constraints
    let cs = ConstraintSystem::<Fr>::new_ref();
    honest.synthesize(cs.clone(), &xi).unwrap();
    cs.finalize();
    assert_all_witnesses_pinned(&cs);
    // and jointly: the input fixes every other variable of the whole residual network
    arkml_gadgets::testing::assert_witness_unique(&cs, xi.len());
    for tamper in ["add", "concat"] {
        let lie = model(&n, true, Some(tamper)).predict(&xi).unwrap();
        let mut c = ModelCircuit::new(honest.clone(), xi.clone()).unwrap();
        assert_ne!(c.output, lie, "{tamper} changes the logits");
        c.output = lie;
        assert!(
            check(c).is_err(),
            "a proof of the {tamper}-tampered output is refused"
        );
    }
}

fn small(layers: Vec<Layer>, inputs: Vec<Vec<usize>>, shape: Vec<usize>) -> Model {
    Model {
        input_shape: shape,
        input_bound: 8,
        input_visibility: Visibility::Private,
        layers,
        graph: Graph {
            inputs,
            ..Default::default()
        },
        weights: WeightSpec::default(),
        scale: Some(BigUint::from(16u32)),
    }
}

fn agree(m: &Model, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for round in 0..6 {
        let x = ArrayD::from_shape_simple_fn(IxDyn(&m.input_shape), || {
            // edges: the bound's ends, zero
            match rng.gen_range(0..6) {
                0 => BigInt::from(-256),
                1 => BigInt::from(255),
                2 => BigInt::from(0),
                _ => BigInt::from(rng.gen_range(-256..256)),
            }
        });
        let outs = m.infer(&x).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (y, summary) = m.synthesize(cs.clone(), &x).unwrap();
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(tensor_values(&y).unwrap(), m.output_of(&x, &outs));
        for (f, s) in m.facts().unwrap().iter().zip(&summary) {
            assert_eq!(
                (f.bound, &f.scale, &f.shape),
                (s.bound, &s.scale, &s.shape),
                "{}",
                s.kind
            );
        }
        for (s, o) in summary.iter().zip(&outs) {
            assert!(
                o.out
                    .iter()
                    .all(|v| arkml_gadgets::fixed::fits_signed(v, s.bound)),
                "{} exceeds its bound {}",
                s.kind,
                s.bound
            );
        }
        if round == 0 {
            cs.finalize();
            assert_all_witnesses_pinned(&cs);
            // jointly: no other witness exists for this input (weights private: given too)
            if m.weights.visibility == Visibility::Constant {
                arkml_gadgets::testing::assert_witness_unique(&cs, x.len());
            }
        }
    }
}

#[test]
fn new_ops_agree_with_native_inference() {
    let pool = Pool2dConfig::new((2, 2));
    let c = ArrayD::from_shape_fn(IxDyn(&[4, 4, 2]), |i| {
        BigInt::from(i[0] as i64 - 2 + i[2] as i64)
    });
    // x -> relu (a) ; x -> clip(-20, 96) (b) ; a + b ; a - b ; x * c ; concat(a+b, a-b, a)
    // ; sumpool ; poly raw ; flatten ; two outputs
    let m = Model {
        graph: Graph {
            inputs: vec![
                vec![0],
                vec![0],
                vec![1, 2],
                vec![1, 2],
                vec![0],
                vec![3, 4, 1],
                vec![6],
                vec![7],
                vec![8],
            ],
            names: vec![],
            outputs: vec![9, 5],
        },
        ..small(
            vec![
                Layer::Relu(ops::Relu),
                Layer::Clip(ops::Clip {
                    lo: BigInt::from(-20),
                    hi: BigInt::from(96),
                }),
                Layer::Add(ops::Add),
                Layer::Sub(ops::Sub),
                Layer::Mul(ops::Mul { c }),
                Layer::Concat(ops::Concat),
                Layer::SumPool2d(ops::SumPool2d(pool)),
                Layer::PolyRaw(ops::PolyRaw(BigUint::from(16u32))),
                Layer::Flatten(ops::Flatten),
            ],
            vec![],
            vec![4, 4, 2],
        )
    };
    agree(&m, 1);
    let json = model_to_json(&m);
    let back = model_from_json(&json, "mem").unwrap();
    assert_eq!(model_to_json(&back), json);
    // ReLU6 as a clip at scale 16
    let relu6 = small(
        vec![Layer::Clip(ops::Clip {
            lo: BigInt::from(0),
            hi: BigInt::from(96),
        })],
        vec![],
        vec![8],
    );
    agree(&relu6, 2);
    let x = ArrayD::from_shape_vec(
        IxDyn(&[8]),
        [-200, -1, 0, 5, 95, 96, 97, 255].map(BigInt::from).to_vec(),
    )
    .unwrap();
    assert_eq!(
        relu6
            .predict(&x)
            .unwrap()
            .iter()
            .map(|v| v.to_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![0, 0, 0, 5, 95, 96, 96, 96]
    );
    // private factors: one constraint per element
    let mut pm = small(
        vec![Layer::Mul(ops::Mul {
            c: ArrayD::from_elem(IxDyn(&[3]), BigInt::from(-5)),
        })],
        vec![],
        vec![3],
    );
    pm.weights = WeightSpec {
        visibility: Visibility::Private,
        weight_bits: 4,
        bias_bits: 4,
    };
    agree(&pm, 3);
}

fn graph_json(layers: &str, outputs: &str) -> String {
    format!(
        r#"{{"format":"arkml-model","version":2,"input_shape":[2],"input_bound":8,"layers":[{layers}]{outputs}}}"#
    )
}

#[test]
fn malformed_graphs_are_typed_errors_naming_the_node() {
    let relu = |name: &str, inputs: &str| {
        format!(r#"{{"type":"relu","name":"{name}","inputs":[{inputs}]}}"#)
    };
    let ok = graph_json(
        &format!(
            "{},{},{}",
            relu("a", r#""input""#),
            relu("b", r#""input""#),
            r#"{"type":"add","name":"s","inputs":["a","b"]}"#
        ),
        "",
    );
    let m = model_from_json(&ok, "mem").unwrap();
    let x = ArrayD::from_shape_vec(IxDyn(&[2]), vec![BigInt::from(-3), BigInt::from(4)]).unwrap();
    assert_eq!(
        m.predict(&x).unwrap().iter().cloned().collect::<Vec<_>>(),
        vec![BigInt::from(0), BigInt::from(8)]
    );
    // nodes out of order are sorted
    let shuffled = graph_json(
        &format!(
            "{},{},{}",
            r#"{"type":"add","name":"s","inputs":["a","b"]}"#,
            relu("a", r#""input""#),
            relu("b", r#""input""#)
        ),
        r#","outputs":["s"]"#,
    );
    assert_eq!(
        model_from_json(&shuffled, "mem")
            .unwrap()
            .predict(&x)
            .unwrap(),
        m.predict(&x).unwrap()
    );
    let err = |json: String| model_from_json(&json, "mem").unwrap_err().to_string();
    let e = err(graph_json(
        &format!("{},{}", relu("a", r#""b""#), relu("b", r#""a""#)),
        "",
    ));
    assert!(e.contains("cycle"), "{e}");
    let e = err(graph_json(&relu("a", r#""nowhere""#), ""));
    assert!(
        e.contains("nowhere") && e.contains(r#"layer 0 "a" (relu)"#),
        "{e}"
    );
    let e = err(graph_json(
        &format!("{},{}", relu("a", r#""input""#), relu("a", r#""input""#)),
        "",
    ));
    assert!(e.contains("duplicate"), "{e}");
    let e = err(graph_json(&relu("input", r#""input""#), ""));
    assert!(e.contains("reserved"), "{e}");
    let e = err(graph_json(&relu("a", r#""input""#), r#","outputs":["zz"]"#));
    assert!(e.contains("zz"), "{e}");
    // an Add of tensors with different shapes
    let e = err(graph_json(
        &format!(
            "{},{},{}",
            relu("a", r#""input""#),
            r#"{"type":"flatten","name":"f","inputs":["input"]},{"type":"up_sample2d","name":"u","inputs":["f"],"size":[2,2]}"#,
            r#"{"type":"add","name":"s","inputs":["a","u"]}"#
        ),
        "",
    ));
    assert!(e.contains("UpSample2D") || e.contains("Add"), "{e}");
    let e = err(graph_json(
        &format!(
            "{},{},{}",
            relu("a", r#""input""#),
            r#"{"type":"reshape","name":"r","inputs":["input"],"shape":[2,1]}"#,
            r#"{"type":"add","name":"s","inputs":["a","r"]}"#
        ),
        "",
    ));
    assert!(
        e.contains(r#"node "s" (layer 2, Add)"#) && e.contains("second input"),
        "{e}"
    );
    // an Add with one input
    let e = err(graph_json(
        r#"{"type":"add","name":"s","inputs":["input"]}"#,
        "",
    ));
    assert!(e.contains("takes 2 inputs"), "{e}");
    // an op kind nobody knows
    let e = err(graph_json(r#"{"type":"frobnicate","name":"s"}"#, ""));
    assert!(e.contains("frobnicate"), "{e}");
    // graph fields in a version-1 file
    let e = err(graph_json(&relu("a", r#""input""#), "").replace("\"version\":2", "\"version\":1"));
    assert!(e.contains("version 2"), "{e}");
}

#[test]
fn inputs_at_different_scales_are_refused() {
    // x at S, x*x (PolyRaw) at S^2: adding them is a scale error naming the node
    let m = small(
        vec![
            Layer::PolyRaw(ops::PolyRaw(BigUint::from(16u32))),
            Layer::Add(ops::Add),
        ],
        vec![vec![0], vec![0, 1]],
        vec![2],
    );
    let cs = ConstraintSystem::<Fr>::new_ref();
    let x = ArrayD::from_elem(IxDyn(&[2]), BigInt::from(1));
    let e = m.synthesize(cs, &x).unwrap_err().to_string();
    assert!(
        e.contains("layer 1 (Add)") && e.contains("different scales"),
        "{e}"
    );
}
