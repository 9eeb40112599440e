//! Activation widths calibrated from data (`Layer::RescaleWithin`, `calibrate_widths`): the
//! same integers as the worst-case model, smaller proven bounds and fewer constraints, a
//! satisfied circuit, the widths kept in the model file, and an input beyond a width refused
//! with a typed error naming the layer (the proof stays sound; only completeness is lost).

use std::path::Path;
use std::sync::Arc;

use arkml::calibrate::calibrate_widths;
use arkml::model::{Layer, ModelCircuit, ModelError};
use arkml::onnx::{load_onnx, ImportOptions};
use arkml::quant::{quantize, Quantized};
use arkml_gadgets::fixed::Scale;
use ndarray::{ArrayD, IxDyn};
use num_bigint::BigInt;

fn resnet() -> (Quantized, Vec<ArrayD<BigInt>>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx");
    let opts = ImportOptions {
        argmax: true,
        ..Default::default()
    };
    let fm = load_onnx(&dir.join("resnet.onnx"), &opts).unwrap().model;
    let q = quantize(&fm, Scale::Pow2(8)).unwrap();
    let d: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("digits_test.json")).unwrap())
            .unwrap();
    let xs = d["x"]
        .as_array()
        .unwrap()
        .iter()
        .take(40)
        .map(|r| {
            let v: Vec<f64> = r
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().parse().unwrap())
                .collect();
            q.quantize_input(&ArrayD::from_shape_vec(IxDyn(&[8, 8, 1]), v).unwrap())
                .unwrap()
        })
        .collect();
    (q, xs)
}

fn constraints(m: &arkml::model::Model) -> usize {
    m.analyse().unwrap().iter().map(|l| l.constraints).sum()
}

#[test]
fn calibrated_widths_prove_the_same_integers_for_less() {
    let (q, xs) = resnet();
    let (cal, rest) = xs.split_at(20);
    let m = calibrate_widths(&q.model, cal, 2).unwrap();
    assert!(m
        .layers
        .iter()
        .any(|l| matches!(l, Layer::RescaleWithin(_))));
    // the same integers on inputs the calibration did not see (within the headroom)
    for x in rest {
        let (a, b) = (q.model.infer(x).unwrap(), m.infer(x).unwrap());
        for (i, (u, v)) in a.iter().zip(&b).enumerate() {
            assert_eq!(u.out, v.out, "layer {i}");
        }
    }
    // smaller proven bounds, fewer constraints
    let (fa, fb) = (q.model.facts().unwrap(), m.facts().unwrap());
    assert!(fa.iter().zip(&fb).all(|(a, b)| b.bound <= a.bound));
    let (ca, cb) = (constraints(&q.model), constraints(&m));
    assert!(cb < ca * 9 / 10, "{cb} vs {ca}");
    // the circuit is satisfied (synthesis checks every constraint and the facts agree)
    let c = ModelCircuit::new(Arc::new(m.clone()), rest[0].clone()).unwrap();
    c.synthesize().unwrap();
    // the widths survive the model file
    let text = arkml::file::model_to_json(&m);
    assert!(text.contains("\"bits\""));
    let back = arkml::file::model_from_json(&text, "widths").unwrap();
    assert_eq!(format!("{:?}", back.layers), format!("{:?}", m.layers));
}

#[test]
fn an_input_beyond_a_width_is_a_typed_error() {
    let (q, xs) = resnet();
    // widths calibrated on a blank image only: a real digit goes beyond them
    let blank = ArrayD::from_elem(IxDyn(&[8, 8, 1]), BigInt::from(0));
    let m = calibrate_widths(&q.model, &[blank], 0).unwrap();
    let err = m.infer(&xs[0]).unwrap_err();
    match &err {
        ModelError::Layer { kind, source, .. } => {
            assert_eq!(*kind, "Rescale");
            assert!(source.to_string().contains("calibrated"), "{source}");
        }
        ModelError::Node(n) => {
            assert_eq!(n.kind, "Rescale");
            assert!(n.source.to_string().contains("calibrated"), "{}", n.source);
        }
        other => panic!("{other}"),
    }
    assert!(ModelCircuit::new(Arc::new(m), xs[0].clone()).is_err());
}
