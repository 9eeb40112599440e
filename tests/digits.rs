//! A model trained here (scripts/train_digits.py: scikit-learn's bundled digits, MLP
//! 64 -> 32 ReLU -> 10), exported with float weights, quantised by arkml: the integer
//! inference must agree with the float model's argmax on at least 99.5 % of the test split.

use std::path::PathBuf;
use std::sync::Arc;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::file::load_float_model;
use arkml::groth16::{prove, setup, verify};
use arkml::model::ModelCircuit;
use arkml::quant::{activation_errors, quantize, quantize_within, FloatModel, Quantized};
use arkml_gadgets::fixed::Scale;
use ndarray::{ArrayD, IxDyn};
use num_traits::ToPrimitive;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/digits")
}

struct Split {
    x: Vec<ArrayD<f64>>,
    labels: Vec<i64>,
    float_pred: Vec<i64>,
}

fn split() -> Split {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("test.json")).unwrap())
            .unwrap();
    let ints = |k: &str| -> Vec<i64> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_i64().unwrap())
            .collect()
    };
    let x = v["x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let px: Vec<f64> = row
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_f64().unwrap())
                .collect();
            ArrayD::from_shape_vec(IxDyn(&[64]), px).unwrap()
        })
        .collect();
    Split {
        x,
        labels: ints("labels"),
        float_pred: ints("float_pred"),
    }
}

fn model() -> FloatModel {
    load_float_model(&fixtures().join("model.json")).unwrap()
}

/// Integer predictions of the quantised model on the split.
fn predictions(q: &Quantized, s: &Split) -> Vec<i64> {
    s.x.iter()
        .map(|x| {
            let out = q.model.infer(&q.quantize_input(x).unwrap()).unwrap();
            out.last().unwrap().out.first().unwrap().to_i64().unwrap()
        })
        .collect()
}

fn rate(a: &[i64], b: &[i64]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

#[test]
fn float_reference_matches_scikit_learn() {
    let (m, s) = (model(), split());
    let ours: Vec<i64> =
        s.x.iter()
            .map(|x| *m.forward(x).unwrap().last().unwrap().first().unwrap() as i64)
            .collect();
    assert_eq!(
        ours, s.float_pred,
        "arkml's float forward pass is scikit-learn's"
    );
}

#[test]
fn quantised_inference_agrees_with_the_float_model() {
    let (m, s) = (model(), split());
    // 2^8 is too coarse for this model (measured: 358 of 360 agree, 99.44 %); 2^10 gives
    // 359 of 360, 2^16 and 10^4 all 360
    for scale in [Scale::Pow2(10), Scale::Pow2(16), Scale::Pow10(4)] {
        let q = quantize(&m, scale).unwrap();
        let pred = predictions(&q, &s);
        let agree = rate(&pred, &s.float_pred);
        println!(
            "{scale:?}: float accuracy {:.4}, quantised accuracy {:.4}, agreement {:.4}",
            rate(&s.float_pred, &s.labels),
            rate(&pred, &s.labels),
            agree
        );
        print!("{}", q.report(&m));
        assert!(agree >= 0.995, "{scale:?}: agreement {agree}");
        // every parameter is within half a unit of its scale
        let unit = 1.0 / scale.value().to_f64().unwrap();
        assert!(q.errors[0] <= unit / 2.0 + 1e-12, "{:?}", q.errors);
        assert_eq!(q.errors[1], 0.0, "ReLU has no parameters");
        // activations stay within a few units of the float reference
        let act = activation_errors(&m, &q, &s.x[..20]).unwrap();
        assert!(
            act[2] < 2000.0 * unit,
            "logit error {} at {scale:?}",
            act[2]
        );
    }
}

#[test]
fn largest_scale_within_a_budget() {
    let (m, s) = (model(), split());
    let q = quantize_within(&m, Scale::Pow2(0), 40).unwrap();
    let Scale::Pow2(k) = q.scale else {
        panic!("asked for 2^k")
    };
    let bounds = q.model.analyse().unwrap();
    assert!(bounds.iter().all(|l| l.bound <= 40));
    // one more bit of scale breaks the budget
    let over = quantize(&m, Scale::Pow2(k + 1)).unwrap();
    assert!(over.model.analyse().unwrap().iter().any(|l| l.bound > 40));
    println!("largest 2^k within 40 bits: k = {k}");
    assert!(rate(&predictions(&q, &s), &s.float_pred) >= 0.995);
    assert!(matches!(
        quantize_within(&m, Scale::Pow2(0), 3),
        Err(arkml::quant::QuantError::NoScale { budget: 3 })
    ));
}

#[test]
fn proves_one_digit() {
    let (m, s) = (model(), split());
    let q = quantize(&m, Scale::Pow2(12)).unwrap();
    let x = q.quantize_input(&s.x[0]).unwrap();
    let c = ModelCircuit::new(Arc::new(q.model), x).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let pk = setup(c.clone(), &mut rng).unwrap();
    let proof = prove(&pk, c.clone(), &mut rng).unwrap();
    assert!(verify(&pk.vk, &c.public_inputs(), &proof).unwrap());
    assert_eq!(c.output.first().unwrap().to_i64().unwrap(), s.float_pred[0]);
}
