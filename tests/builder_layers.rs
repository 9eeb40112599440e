//! The builder over every layer kind of the gadget crate: circuit equals native inference,
//! no witness is left free, files round-trip, and float layers quantise.

use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use arkml::file::{float_model_from_json, model_from_json, model_to_json};
use arkml::model::ops;
use arkml::model::{Layer, Model, WeightSpec};
use arkml::quant::{activation_errors, quantize, FloatLayer, FloatModel};
use arkml_gadgets::activation::{ZANH, ZIGMOID};
use arkml_gadgets::fixed::Scale;
use arkml_gadgets::layers::{Conv2dConfig, Padding, Pool2dConfig};
use arkml_gadgets::tensor::{tensor_values, Visibility};
use arkml_gadgets::testing::assert_all_witnesses_pinned;
use ndarray::{Array1, Array2, ArrayD, IxDyn};
use num_bigint::{BigInt, BigUint};
use rand::{rngs::StdRng, Rng, SeedableRng};

const S: u32 = 64;

fn rnd<D: ndarray::Dimension, Sh: ndarray::ShapeBuilder<Dim = D>>(
    rng: &mut StdRng,
    shape: Sh,
    m: i64,
) -> ndarray::Array<BigInt, D> {
    ndarray::Array::from_shape_simple_fn(shape, || BigInt::from(rng.gen_range(-m..=m)))
}

/// HWC [6, 6, 2]: depthwise -> LeakyReLU -> separable -> Poly -> pointwise -> sigmoid ->
/// upsample -> max pool -> global max -> ArgMax.
fn image_model(rng: &mut StdRng) -> Model {
    let s = BigUint::from(S);
    let same = Conv2dConfig::new((1, 1), Padding::Same);
    Model {
        graph: Default::default(),
        input_shape: vec![6, 6, 2],
        input_bound: 7,
        input_visibility: Visibility::Private,
        layers: vec![
            Layer::DepthwiseConv2d(ops::DepthwiseConv2d {
                w: rnd(rng, (3, 3, 2, 2), 40),
                b: rnd(rng, 4, 3000),
                cfg: same,
            }),
            Layer::Rescale(ops::Rescale(s.clone())),
            Layer::LeakyRelu(ops::LeakyRelu {
                a: BigInt::from(13),
                d: s.clone(),
            }),
            Layer::SeparableConv2d(ops::SeparableConv2d {
                depthwise: rnd(rng, (2, 2, 4, 1), 40),
                pointwise: rnd(rng, (4, 3), 40),
                b: rnd(rng, 3, 100_000),
                cfg: Conv2dConfig::default(),
            }),
            Layer::Rescale(ops::Rescale(&s * &s)),
            Layer::Poly(ops::Poly(s.clone())),
            Layer::PointwiseConv2d(ops::PointwiseConv2d {
                w: rnd(rng, (3, 2), 40),
                b: rnd(rng, 2, 3000),
            }),
            Layer::Rescale(ops::Rescale(s.clone())),
            Layer::Cubic(ops::Cubic {
                coeffs: ZIGMOID,
                scale: s.clone(),
            }),
            Layer::UpSample2d(ops::UpSample2d((2, 2))),
            Layer::MaxPool2d(ops::MaxPool2d(Pool2dConfig::new((2, 2)))),
            Layer::GlobalMaxPool2d(ops::GlobalMaxPool2d),
            Layer::ArgMax(ops::ArgMax),
        ],
        weights: WeightSpec::default(),
        scale: Some(s),
    }
}

/// Sequence [8, 3]: Conv1D -> ReLU -> reshape to HWC -> global average -> tanh -> ArgMax.
fn sequence_model(rng: &mut StdRng) -> Model {
    let s = BigUint::from(S);
    Model {
        graph: Default::default(),
        input_shape: vec![8, 3],
        input_bound: 7,
        input_visibility: Visibility::Public,
        layers: vec![
            Layer::Conv1d(ops::Conv1d {
                w: rnd(rng, (3, 3, 4), 40),
                b: rnd(rng, 4, 3000),
                stride: 1,
                padding: Padding::Same,
                dilation: 1,
            }),
            Layer::Rescale(ops::Rescale(s.clone())),
            Layer::Relu(ops::Relu),
            Layer::Reshape(ops::Reshape(vec![4, 2, 4])),
            Layer::AvgPool2d(ops::AvgPool2d(Pool2dConfig::new((2, 2)))),
            Layer::GlobalAvgPool2d(ops::GlobalAvgPool2d),
            Layer::BatchNorm(ops::BatchNorm {
                a: rnd(rng, 4, 80),
                b: rnd(rng, 4, 3000),
            }),
            Layer::Rescale(ops::Rescale(s.clone())),
            Layer::Cubic(ops::Cubic {
                coeffs: ZANH,
                scale: s.clone(),
            }),
            Layer::Flatten(ops::Flatten),
            Layer::ArgMax(ops::ArgMax),
        ],
        weights: WeightSpec::default(),
        scale: Some(s),
    }
}

fn input(rng: &mut StdRng, shape: &[usize]) -> ArrayD<BigInt> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || BigInt::from(rng.gen_range(-128..128)))
}

fn check(m: &Model, x: &ArrayD<BigInt>, pinned: bool) {
    let native = m.infer(x).unwrap();
    let cs = ConstraintSystem::<Fr>::new_ref();
    let (y, summary) = m.synthesize(cs.clone(), x).unwrap();
    assert!(cs.is_satisfied().unwrap());
    assert_eq!(tensor_values(&y).unwrap(), native.last().unwrap().out);
    assert_eq!(summary.len(), m.layers.len());
    // the facts pass predicts every bound and scale synthesis proves, without synthesis
    let facts = m.facts().unwrap();
    for (f, s) in facts.iter().zip(&summary) {
        assert_eq!(
            (f.bound, &f.scale, &f.shape),
            (s.bound, &s.scale, &s.shape),
            "{}",
            s.kind
        );
        // and every op's constraint count
        assert_eq!(f.cost, s.constraints, "{} constraints", s.kind);
    }
    for (s, n) in summary.iter().zip(&native) {
        assert_eq!(s.shape, n.out.shape(), "{}", s.kind);
        // every native value lies within the bound the circuit proved
        assert!(
            n.out
                .iter()
                .all(|v| arkml_gadgets::fixed::fits_signed(v, s.bound)),
            "{} exceeds its bound {}",
            s.kind,
            s.bound
        );
    }
    if pinned {
        cs.finalize();
        assert_all_witnesses_pinned(&cs);
        if m.weights.visibility == Visibility::Constant {
            arkml_gadgets::testing::assert_witness_unique(&cs, x.len());
        }
    }
}

#[test]
fn every_layer_kind_agrees_with_native_inference() {
    let mut rng = StdRng::seed_from_u64(7);
    for round in 0..4 {
        for m in [image_model(&mut rng), sequence_model(&mut rng)] {
            let x = input(&mut rng, &m.input_shape);
            check(&m, &x, round == 0);
            let mut private = m.clone();
            private.weights = WeightSpec {
                visibility: Visibility::Private,
                weight_bits: 7,
                bias_bits: 17,
            };
            check(&private, &x, false);
        }
    }
}

#[test]
fn summary_shows_scale_and_bounds() {
    let m = image_model(&mut StdRng::seed_from_u64(1));
    let table = m.summary().unwrap();
    assert!(table.contains("2^12"), "{table}"); // depthwise output: S * S
    assert!(table.contains("Separable"), "{table}");
    assert!(table.contains("2^18"), "{table}"); // separable output: S^3
    let s = m.analyse().unwrap();
    assert_eq!(s[1].scale, Some(BigUint::from(S)));
    assert_eq!(s.last().unwrap().scale, None, "an index has no scale");
}

#[test]
fn every_layer_kind_round_trips_through_the_file_format() {
    let mut rng = StdRng::seed_from_u64(3);
    for m in [image_model(&mut rng), sequence_model(&mut rng)] {
        let back = model_from_json(&model_to_json(&m), "mem").unwrap();
        assert_eq!(model_to_json(&back), model_to_json(&m));
        let x = input(&mut rng, &m.input_shape);
        assert_eq!(
            back.infer(&x).unwrap().last().unwrap().out,
            m.infer(&x).unwrap().last().unwrap().out
        );
        assert_eq!(back.scale, m.scale);
        assert_eq!(back.input_visibility, m.input_visibility);
    }
}

#[test]
fn bad_layer_parameters_are_typed_errors() {
    let mut rng = StdRng::seed_from_u64(4);
    let mut m = image_model(&mut rng);
    m.layers[2] = Layer::LeakyRelu(ops::LeakyRelu {
        a: BigInt::from(1),
        d: BigUint::from(0u32),
    });
    let x = input(&mut rng, &m.input_shape);
    assert!(m
        .infer(&x)
        .unwrap_err()
        .to_string()
        .contains("layer 2 (LeakyReLU)"));
    let cs = ConstraintSystem::<Fr>::new_ref();
    assert!(m.synthesize(cs, &x).is_err());
    let mut m = sequence_model(&mut rng);
    m.layers[3] = Layer::Reshape(ops::Reshape(vec![5, 5]));
    let err = m.infer(&input(&mut rng, &[8, 3])).unwrap_err();
    assert!(err.to_string().contains("layer 3 (Reshape)"), "{err}");
    // a file with a zero Poly scale, an unknown layer, a float tensor in an integer model
    let json = model_to_json(&image_model(&mut rng));
    for (from, to, needle) in [
        (r#""n":"64""#, r#""n":"0""#, "field `n`"),
        (
            r#""type":"leaky_relu""#,
            r#""type":"gelu""#,
            "unknown layer type \"gelu\"",
        ),
        (r#""type":"poly","n":"64""#, r#""type":"poly""#, "field `n`"),
    ] {
        let bad = json.replacen(from, to, 1);
        assert_ne!(bad, json, "{from}");
        let err = model_from_json(&bad, "bad.json").unwrap_err().to_string();
        assert!(err.contains(needle), "{err}");
    }
}

fn float_model(rng: &mut StdRng) -> FloatModel {
    let mut f = |shape: &[usize], m: f64| {
        ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.gen_range(-m..m))
    };
    let conv = Layer::Conv2d(ops::Conv2d {
        w: f(&[3, 3, 1, 2], 0.5).into_dimensionality().unwrap(),
        b: f(&[2], 0.1).into_dimensionality().unwrap(),
        cfg: Conv2dConfig::default(),
    });
    let bn = Layer::BatchNorm(ops::BatchNorm {
        a: f(&[2], 1.5).into_dimensionality().unwrap(),
        b: f(&[2], 0.2).into_dimensionality().unwrap(),
    });
    FloatModel {
        graph: Default::default(),
        input_shape: vec![6, 6, 1],
        input_max: 1.0,
        layers: vec![
            conv,
            bn,
            FloatLayer::leaky_relu(0.2),
            Layer::AvgPool2d(ops::AvgPool2d(Pool2dConfig::new((2, 2)))),
            FloatLayer::sigmoid(),
            Layer::Flatten(ops::Flatten),
            FloatLayer::dense(
                Array2::from_shape_simple_fn((8, 3), || 0.3),
                Array1::from_elem(3, 0.0),
            ),
            FloatLayer::poly(),
            FloatLayer::tanh(),
        ],
    }
}

#[test]
fn float_layers_quantise_close_to_the_float_reference() {
    let mut rng = StdRng::seed_from_u64(5);
    let fm = float_model(&mut rng);
    let inputs: Vec<ArrayD<f64>> = (0..5)
        .map(|_| ArrayD::from_shape_simple_fn(IxDyn(&[6, 6, 1]), || rng.gen_range(-1.0..1.0)))
        .collect();
    let q = quantize(&fm, Scale::Pow2(16)).unwrap();
    // a rescale after each of the three linear layers
    assert_eq!(q.model.layers.len(), fm.layers.len() + 3);
    let err = activation_errors(&fm, &q, &inputs).unwrap();
    // linear layers are exact to rounding; the cubic sigmoid and tanh carry circomlib-ml's
    // approximation error (at most 0.08 for sigmoid on [-5, 5])
    assert!(err[0] < 1e-3 && err[1] < 1e-3 && err[2] < 1e-3, "{err:?}");
    assert!(err[4] < 0.08, "sigmoid {err:?}");
    // the quantised circuit is satisfied on each input
    for x in &inputs {
        let xi = q.quantize_input(x).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        q.model.synthesize(cs.clone(), &xi).unwrap();
        assert!(cs.is_satisfied().unwrap());
    }
    // a NaN weight, an integer layer in a float model, a wrong-shaped input
    let mut nan = fm.clone();
    if let Layer::Conv2d(c) = &mut nan.layers[0] {
        c.w[[0, 0, 0, 0]] = f64::NAN;
    }
    assert!(quantize(&nan, Scale::Pow2(8)).is_err());
    let mut int = fm.clone();
    int.layers[0] = Layer::Rescale(ops::Rescale(BigUint::from(2u32)));
    assert!(quantize(&int, Scale::Pow2(8)).is_err());
    assert!(q
        .quantize_input(&ArrayD::from_elem(IxDyn(&[2]), 0.0))
        .is_err());
    // a float layer whose weights do not fit its input is refused, naming the layer
    let mut shapes = fm.clone();
    shapes.layers[6] = FloatLayer::dense(Array2::from_elem((3, 2), 0.0), Array1::from_elem(2, 0.0));
    let err = quantize(&shapes, Scale::Pow2(8)).unwrap_err().to_string();
    assert!(err.contains("layer 6") && err.contains("dense"), "{err}");
}

#[test]
fn float_model_files() {
    let text = r#"{"format": "arkml-model", "version": 1, "dtype": "float",
        "input_shape": [2], "input_max": 4,
        "layers": [{"type": "dense", "weights": {"shape": [2, 2], "data": [0.5, -1, "0.25", 2]},
                    "bias": {"shape": [2], "data": [0, 0.125]}},
                   {"type": "leaky_relu", "alpha": 0.1}, {"type": "sigmoid"}, {"type": "argmax"}]}"#;
    let fm = float_model_from_json(text, "f.json").unwrap();
    assert_eq!(fm.layers.len(), 4);
    let q = quantize(&fm, Scale::Pow10(3)).unwrap();
    assert_eq!(q.model.input_bound, 12); // 4000 < 2^12
                                         // an integer loader refuses it, and the float loader refuses bad values
    assert!(model_from_json(text, "f.json")
        .unwrap_err()
        .to_string()
        .contains("dtype"));
    for (from, to) in [
        ("0.125", "\"x\""),
        (r#""alpha": 0.1"#, r#""alpha": null"#),
        (r#""input_max": 4"#, r#""input_max": null"#),
        (
            r#"{"type": "sigmoid"}"#,
            r#"{"type": "rescale", "divisor": "2"}"#,
        ),
    ] {
        let bad = text.replace(from, to);
        assert_ne!(bad, text);
        assert!(float_model_from_json(&bad, "f.json").is_err(), "{to}");
    }
}

#[test]
fn batch_norm_folds_into_the_layer_before() {
    use arkml::quant::fold_batch_norm;
    let mut rng = StdRng::seed_from_u64(6);
    let fm = float_model(&mut rng); // conv2d then batch norm first
    let folded = fold_batch_norm(&fm);
    assert_eq!(folded.layers.len(), fm.layers.len() - 1);
    for _ in 0..3 {
        let x = ArrayD::from_shape_simple_fn(IxDyn(&[6, 6, 1]), || rng.gen_range(-1.0..1.0));
        let (a, b) = (fm.forward(&x).unwrap(), folded.forward(&x).unwrap());
        for (u, v) in a.last().unwrap().iter().zip(b.last().unwrap().iter()) {
            assert!((u - v).abs() < 1e-9, "{u} vs {v}");
        }
    }
    // one fewer linear layer: one fewer rescale, fewer constraints
    let (q, qf) = (
        quantize(&fm, Scale::Pow2(12)).unwrap(),
        quantize(&folded, Scale::Pow2(12)).unwrap(),
    );
    assert_eq!(qf.model.layers.len(), q.model.layers.len() - 2);
    let count = |m: &Model| {
        m.analyse()
            .unwrap()
            .iter()
            .map(|l| l.constraints)
            .sum::<usize>()
    };
    assert!(count(&qf.model) < count(&q.model));
}
