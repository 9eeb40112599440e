//! ONNX import against the frameworks: the fixtures in `tests/fixtures/onnx` were made by
//! `scripts/models/make_models.py` (scikit-learn, PyTorch, onnx.helper) with onnxruntime's
//! float outputs stored beside each, so the reference here is independent of arkml.

use std::path::{Path, PathBuf};

use arkml::onnx::{import, load_onnx, ImportOptions, Imported, OnnxError};
use arkml::quant::{quantize, FloatModel};
use arkml_gadgets::fixed::Scale;
use ndarray::{ArrayD, IxDyn};
use num_traits::ToPrimitive;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx")
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join(name)).unwrap()).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().parse::<f64>().unwrap())
        .collect()
}

fn rows(v: &serde_json::Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(floats).collect()
}

/// The held-out digits, shaped for the model's input.
fn digits(shape: &[usize]) -> (Vec<ArrayD<f64>>, Vec<usize>) {
    let d = json("digits_test.json");
    let x = rows(&d["x"])
        .into_iter()
        .map(|r| ArrayD::from_shape_vec(IxDyn(shape), r).unwrap())
        .collect();
    let y = d["y"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    (x, y)
}

fn load(name: &str, opts: &ImportOptions) -> Imported {
    load_onnx(&dir().join(format!("{name}.onnx")), opts).unwrap()
}

fn argmax(v: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, x) in v.enumerate() {
        if x > best.1 {
            best = (i, x);
        }
    }
    best.0
}

fn float_out(m: &FloatModel, x: &ArrayD<f64>) -> Vec<f64> {
    m.forward(x)
        .unwrap()
        .last()
        .unwrap()
        .iter()
        .copied()
        .collect()
}

/// Our float reference of the imported model equals onnxruntime's outputs (to f32
/// rounding) on every held-out input, and the quantised integer model agrees with
/// onnxruntime's argmax on all of them at 2^16.
fn check_model(name: &str, shape: &[usize], logits: bool) {
    let imported = load(name, &ImportOptions::default());
    let m = &imported.model;
    assert_eq!(m.input_shape, shape, "{name}");
    let r = json(&format!("{name}.ref.json"));
    let want = rows(&r["outputs"]);
    let (xs, _) = digits(shape);
    for (x, w) in xs.iter().zip(&want) {
        let got = float_out(m, x);
        assert_eq!(
            argmax(got.iter().copied()),
            argmax(w.iter().copied()),
            "{name}"
        );
        if logits {
            for (g, w) in got.iter().zip(w) {
                assert!(
                    (g - w).abs() <= 1e-4 * (1.0 + w.abs()),
                    "{name}: {g} vs {w}"
                );
            }
        }
    }
    let q = quantize(m, Scale::Pow2(16)).unwrap();
    let mut agree = 0;
    for (x, w) in xs.iter().zip(&want) {
        let out = q.model.infer(&q.quantize_input(x).unwrap()).unwrap();
        let last = &out.last().unwrap().out;
        if argmax(last.iter().map(|v| v.to_f64().unwrap())) == argmax(w.iter().copied()) {
            agree += 1;
        }
    }
    assert_eq!(agree, xs.len(), "{name}: integer argmax agreement at 2^16");
}

#[test]
fn scikit_learn_mlp() {
    let imported = load("skl_mlp", &ImportOptions::default());
    // the softmax on `probabilities` is dropped; `label` (int64) is left out
    assert!(
        imported.notes.iter().any(|n| n.contains("Softmax")),
        "{:?}",
        imported.notes
    );
    assert!(
        imported.notes.iter().any(|n| n.contains("label")),
        "{:?}",
        imported.notes
    );
    check_model("skl_mlp", &[64], false);
}

#[test]
fn pytorch_lenet() {
    check_model("lenet", &[8, 8, 1], true);
}

#[test]
fn pytorch_resnet() {
    check_model("resnet", &[8, 8, 1], true);
}

/// Random-weight graphs over the remaining ops, against onnxruntime on random inputs.
#[test]
fn op_zoo_matches_onnxruntime() {
    for (name, shape) in [("zoo", vec![8, 8, 1]), ("conv1d", vec![9, 2])] {
        let m = load(name, &ImportOptions::default()).model;
        let r = json(&format!("{name}.ref.json"));
        for (x, w) in rows(&r["inputs"]).into_iter().zip(rows(&r["outputs"])) {
            // the fixture's inputs are in ONNX's layout: NHWC for the zoo (arkml's own),
            // [C][L] for the 1D convolution (arkml's is [L][C])
            let x = if name == "conv1d" {
                let l = 9;
                ArrayD::from_shape_fn(IxDyn(&shape), |i| x[i[1] * l + i[0]]).into_dyn()
            } else {
                ArrayD::from_shape_vec(IxDyn(&shape), x).unwrap()
            };
            let got = float_out(&m, &x);
            assert_eq!(got.len(), w.len(), "{name}");
            for (g, w) in got.iter().zip(&w) {
                assert!(
                    (g - w).abs() <= 1e-4 * (1.0 + w.abs()),
                    "{name}: {g} vs {w}"
                );
            }
        }
    }
}

#[test]
fn import_errors_are_typed() {
    let bytes = std::fs::read(dir().join("lenet.onnx")).unwrap();
    let o = ImportOptions::default();
    // truncated and garbage
    for cut in [1, 10, 100, bytes.len() / 2, bytes.len() - 1] {
        match import(&bytes[..cut], &o) {
            Err(OnnxError::Decode(_)) | Err(OnnxError::Graph { .. }) => {}
            other => panic!("cut at {cut}: {:?}", other.map(|_| ())),
        }
    }
    assert!(matches!(
        import(b"{\"format\": \"arkml-model\"}", &o),
        Err(OnnxError::Decode(_))
    ));
    // sigmoid without the opt-in names the op and the list
    let zoo = std::fs::read(dir().join("zoo.onnx")).unwrap();
    assert!(import(&zoo, &o).is_ok());
    let bad_max = ImportOptions {
        input_max: f64::NAN,
        ..Default::default()
    };
    assert!(matches!(
        import(&zoo, &bad_max),
        Err(OnnxError::Input { .. })
    ));
}
