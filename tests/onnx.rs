//! ONNX import against the frameworks: the fixtures in `tests/fixtures/onnx` were made by
//! `scripts/models/make_models.py` (scikit-learn, PyTorch, onnx.helper) with onnxruntime's
//! float outputs stored beside each, so the reference here is independent of arkml.

use std::path::{Path, PathBuf};

mod cli;

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
fn keras_cnn_via_tf2onnx() {
    // tf2onnx: NHWC input reshaped to NCHW, Shape/Gather/Concat computing the flatten's
    // shape, MatMul + bias Add, Softmax
    let imported = load("keras_cnn", &ImportOptions::default());
    assert!(
        imported.notes.iter().any(|n| n.contains("NHWC")),
        "{:?}",
        imported.notes
    );
    check_model("keras_cnn", &[8, 8, 1], false);
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

use arkml::onnx::proto::{
    attr_type, data_type, AttributeProto, Dimension, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto, TypeProtoTensor, ValueInfoProto,
};
use prost::Message;

fn value(name: &str, dims: &[Result<i64, &str>]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: data_type::FLOAT,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|d| match d {
                            Ok(v) => Dimension {
                                dim_value: Some(*v),
                                dim_param: None,
                            },
                            Err(p) => Dimension {
                                dim_value: None,
                                dim_param: Some(p.to_string()),
                            },
                        })
                        .collect(),
                }),
            }),
        }),
    }
}

fn weights(name: &str, dims: &[i64], v: &[f32]) -> TensorProto {
    TensorProto {
        dims: dims.to_vec(),
        data_type: data_type::FLOAT,
        float_data: v.to_vec(),
        name: name.into(),
        ..Default::default()
    }
}

fn node(op: &str, name: &str, ins: &[&str], outs: &[&str]) -> NodeProto {
    NodeProto {
        input: ins.iter().map(|s| s.to_string()).collect(),
        output: outs.iter().map(|s| s.to_string()).collect(),
        name: name.into(),
        op_type: op.into(),
        ..Default::default()
    }
}

/// A one-input model: `x [batch, 3] -> Gemm -> op -> y`.
fn tiny(op: NodeProto, opset: i64, batch: Result<i64, &str>, w: &[f32]) -> Vec<u8> {
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: opset,
        }],
        graph: Some(GraphProto {
            node: vec![node("Gemm", "fc", &["x", "w"], &["h"]), op],
            name: "tiny".into(),
            initializer: vec![weights("w", &[3, 2], w)],
            input: vec![value("x", &[batch, Ok(3)])],
            output: vec![value("y", &[batch, Ok(2)])],
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn bad_models_are_typed_errors() {
    let o = ImportOptions::default();
    let w = [0.5, -1.0, 0.25, 2.0, 1.0, 0.0];
    let relu = || node("Relu", "act", &["h"], &["y"]);
    // the baseline imports and runs
    let ok = import(&tiny(relu(), 13, Err("N"), &w), &o).unwrap();
    let x = ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.0, -1.0, 0.5]).unwrap();
    assert_eq!(ok.model.forward(&x).unwrap().last().unwrap().len(), 2);
    // opsets outside 7..=22
    for v in [6, 23] {
        match import(&tiny(relu(), v, Ok(1), &w), &o) {
            Err(OnnxError::Opset { version, .. }) => assert_eq!(version, v),
            other => panic!("opset {v}: {:?}", other.map(|_| ())),
        }
    }
    // an op outside the list names the op, the node and the list
    let e = import(
        &tiny(node("Det", "det_part", &["h"], &["y"]), 13, Ok(1), &w),
        &o,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("Det") && e.contains("det_part") && e.contains("Gemm, MatMul"),
        "{e}"
    );
    // sigmoid: the piecewise-cubic kernel by default, circomlib-ml's cubic with the opt-in
    let sig = || node("Sigmoid", "s", &["h"], &["y"]);
    let kinds = |o: &ImportOptions| {
        let m = import(&tiny(sig(), 13, Ok(1), &w), o).unwrap().model;
        m.layers.iter().map(|l| l.kind()).collect::<Vec<_>>()
    };
    assert_eq!(kinds(&o), vec!["Dense", "Sigmoid"]);
    let cubic = ImportOptions {
        cubic: true,
        ..Default::default()
    };
    assert_eq!(kinds(&cubic), vec!["Dense", "Cubic"]);
    // a symbolic dimension other than the batch (tf2onnx's unk__)
    let mut m = ModelProto::decode(tiny(relu(), 13, Ok(1), &w).as_slice()).unwrap();
    m.graph.as_mut().unwrap().input = vec![value("x", &[Ok(1), Err("unk__7")])];
    let e = import(&m.encode_to_vec(), &o).unwrap_err();
    assert!(
        matches!(&e, OnnxError::Input { why, .. } if why.contains("unk__7")),
        "{e}"
    );
    // NaN and infinite weights
    let mut bad = w;
    bad[3] = f32::NAN;
    let e = import(&tiny(relu(), 13, Ok(1), &bad), &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("NaN"), "{e}");
    // weights of the wrong shape for the input
    let mut m = ModelProto::decode(tiny(relu(), 13, Ok(1), &w).as_slice()).unwrap();
    m.graph.as_mut().unwrap().initializer = vec![weights("w", &[2, 3], &w)];
    assert!(matches!(
        import(&m.encode_to_vec(), &o),
        Err(OnnxError::Graph { .. })
    ));
    // a tensor whose data does not fill its shape
    let mut m = ModelProto::decode(tiny(relu(), 13, Ok(1), &w).as_slice()).unwrap();
    m.graph.as_mut().unwrap().initializer = vec![weights("w", &[3, 2], &w[..5])];
    assert!(matches!(
        import(&m.encode_to_vec(), &o),
        Err(OnnxError::Graph { .. })
    ));
    // an input that is not a float tensor (token ids)
    let mut m = ModelProto::decode(tiny(relu(), 13, Ok(1), &w).as_slice()).unwrap();
    let mut ids = value("ids", &[Ok(1), Ok(3)]);
    if let Some(t) = ids.r#type.as_mut().and_then(|t| t.tensor_type.as_mut()) {
        t.elem_type = 7;
    }
    m.graph.as_mut().unwrap().input.push(ids);
    let e = import(&m.encode_to_vec(), &o).unwrap_err();
    assert!(
        matches!(&e, OnnxError::Input { name, why } if name == "ids" && why.contains("element type 7")),
        "{e}"
    );
    // an unsupported attribute: Gemm with transA
    let mut m = ModelProto::decode(tiny(relu(), 13, Ok(1), &w).as_slice()).unwrap();
    m.graph.as_mut().unwrap().node[0]
        .attribute
        .push(AttributeProto {
            name: "transA".into(),
            r#type: attr_type::INT,
            i: 1,
            ..Default::default()
        });
    let e = import(&m.encode_to_vec(), &o).unwrap_err().to_string();
    assert!(e.contains("transA"), "{e}");
    // an input of the wrong shape, NaN inputs, and calibration samples of the wrong shape
    let fm = &ok.model;
    assert!(fm
        .forward(&ArrayD::from_shape_vec(IxDyn(&[4]), vec![0.0; 4]).unwrap())
        .is_err());
    let q = quantize(fm, Scale::Pow2(8)).unwrap();
    assert!(q
        .quantize_input(&ArrayD::from_shape_vec(IxDyn(&[3]), vec![f64::NAN, 0.0, 0.0]).unwrap())
        .is_err());
    let bad_samples = vec![ArrayD::from_shape_vec(IxDyn(&[2]), vec![0.0; 2]).unwrap()];
    assert!(matches!(
        arkml::calibrate::calibrate(fm, &bad_samples, &Default::default()),
        Err(arkml::calibrate::CalibrateError::Samples(_))
    ));
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

/// More exporter patterns (PRelu, nearest Resize, ReduceMean, Squeeze, a constant
/// Transpose, Softmax then an int64 ArgMax output) against onnxruntime.
#[test]
fn zoo2_matches_onnxruntime() {
    let imported = load("zoo2", &ImportOptions::default());
    let m = &imported.model;
    assert_eq!(m.input_shape, vec![5, 5, 3]);
    let layer = |name: &str| {
        (0..m.layers.len())
            .find(|&i| m.graph.name_of(i) == name)
            .unwrap_or_else(|| panic!("no layer {name}"))
    };
    let (fc, am) = (layer("fc"), layer("argmax"));
    let r = json("zoo2.ref.json");
    let q = quantize(m, Scale::Pow2(14)).unwrap();
    let classes = r["argmax"].as_array().unwrap();
    for ((x, w), c) in rows(&r["inputs"])
        .into_iter()
        .zip(rows(&r["outputs"]))
        .zip(classes)
    {
        // ONNX's [C][H][W] to arkml's [H][W][C]
        let x = ArrayD::from_shape_fn(IxDyn(&[5, 5, 3]), |i| x[i[2] * 25 + i[0] * 5 + i[1]]);
        let outs = m.forward(&x).unwrap();
        for (g, w) in outs[fc].iter().zip(&w) {
            assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{g} vs {w}");
        }
        let class = c.as_u64().unwrap() as f64;
        assert_eq!(outs[am].iter().next().copied(), Some(class));
        let ints = q.model.infer(&q.quantize_input(&x).unwrap()).unwrap();
        assert_eq!(
            ints[q.ends[am]].out.iter().next().and_then(|v| v.to_f64()),
            Some(class)
        );
    }
}

#[path = "support/onnx_chain.rs"]
mod onnx_chain;

#[test]
fn long_graphs_import_and_the_node_limit_is_typed() {
    let o = ImportOptions::default();
    // 20,000 nodes (the bench times 100,000: `cargo bench --bench models -- onnx_import`)
    let m = import(&onnx_chain::relu_chain(20_000), &o).unwrap();
    assert_eq!(m.model.layers.len(), 20_000);
    let max = arkml::model::Limits::default().max_nodes;
    let err = import(&onnx_chain::relu_chain(max + 1), &o).unwrap_err();
    assert!(
        matches!(&err, OnnxError::Graph { why, .. } if why.contains("max_nodes")),
        "{err}"
    );
}

/// `model` with every initializer's data moved to `data` (one file, in order), as torch's
/// default (dynamo) exporter writes `model.onnx` + `model.onnx.data`.
fn externalised(model: &[u8], location: &str) -> (Vec<u8>, Vec<u8>) {
    use arkml::onnx::proto::StringStringEntryProto;
    let mut m = ModelProto::decode(model).unwrap();
    let mut data = vec![];
    for t in &mut m.graph.as_mut().unwrap().initializer {
        let mut raw = std::mem::take(&mut t.raw_data);
        if raw.is_empty() {
            raw = t.float_data.iter().flat_map(|v| v.to_le_bytes()).collect();
            t.float_data.clear();
        }
        let entry = |k: &str, v: String| StringStringEntryProto {
            key: k.into(),
            value: v,
        };
        t.external_data = vec![
            entry("location", location.into()),
            entry("offset", data.len().to_string()),
            entry("length", raw.len().to_string()),
        ];
        t.data_location = 1;
        data.extend_from_slice(&raw);
    }
    (m.encode_to_vec(), data)
}

#[test]
fn external_data_as_torchs_default_exporter_writes_it() {
    let dir = std::env::temp_dir().join(format!("arkml-external-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let inline = std::fs::read(self::dir().join("lenet.onnx")).unwrap();
    let o = ImportOptions::default();
    let want = import(&inline, &o).unwrap().model;
    let (model, data) = externalised(&inline, "lenet.onnx.data");
    std::fs::write(dir.join("lenet.onnx"), &model).unwrap();
    std::fs::write(dir.join("lenet.onnx.data"), &data).unwrap();
    // from its file, the data beside it is found; the model is the inline one's
    let got = load_onnx(&dir.join("lenet.onnx"), &o).unwrap().model;
    let x = ArrayD::from_elem(IxDyn(&want.input_shape), 0.25);
    assert_eq!(got.forward(&x).unwrap(), want.forward(&x).unwrap());
    // through the CLI too
    let (ok, out, err) = cli::arkml(&[
        "import",
        &dir.join("lenet.onnx").display().to_string(),
        "-o",
        &dir.join("lenet.json").display().to_string(),
    ]);
    assert!(ok, "{out}{err}");
    // from bytes alone, the folder is unknown: a typed error naming the file
    let e = import(&model, &o).unwrap_err();
    assert!(
        matches!(&e, OnnxError::Graph { why, .. } if why.contains("lenet.onnx.data")),
        "{e}"
    );
    // a truncated data file, a location leaving the folder, a missing file, a length that
    // is not the tensor's: typed errors
    let graph_err = |bytes: &[u8], needle: &str| {
        std::fs::write(dir.join("sub/m.onnx"), bytes).unwrap();
        let e = load_onnx(&dir.join("sub/m.onnx"), &o).unwrap_err();
        assert!(
            matches!(&e, OnnxError::Graph { why, .. } if why.contains(needle)),
            "{needle}: {e}"
        );
    };
    std::fs::write(dir.join("sub/short.data"), &data[..data.len() - 1]).unwrap();
    graph_err(&externalised(&inline, "short.data").0, "shorter than");
    std::fs::write(dir.join("sub/ok.data"), &data).unwrap();
    graph_err(
        &externalised(&inline, "../lenet.onnx.data").0,
        "leaves the model's folder",
    );
    graph_err(
        &externalised(&inline, "/etc/passwd").0,
        "leaves the model's folder",
    );
    graph_err(&externalised(&inline, "missing.data").0, "missing.data");
    std::os::unix::fs::symlink(dir.join("lenet.onnx.data"), dir.join("sub/link.data")).unwrap();
    graph_err(
        &externalised(&inline, "link.data").0,
        "outside the model's folder",
    );
    let mut m = ModelProto::decode(externalised(&inline, "ok.data").0.as_slice()).unwrap();
    let t = &mut m.graph.as_mut().unwrap().initializer[0];
    let len = t
        .external_data
        .iter_mut()
        .find(|e| e.key == "length")
        .unwrap();
    len.value = "4".into();
    graph_err(&m.encode_to_vec(), "bytes of external data");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn small_integer_and_boolean_constants_are_read() {
    use arkml::onnx::proto::TensorProto;
    // a Gemm whose weights are int8 (raw bytes), uint8 (widened in int32_data) or bool
    let with = |w: TensorProto| {
        let mut m = ModelProto::decode(
            tiny(node("Relu", "act", &["h"], &["y"]), 13, Ok(1), &[0.0; 6]).as_slice(),
        )
        .unwrap();
        m.graph.as_mut().unwrap().initializer = vec![w];
        let fm = import(&m.encode_to_vec(), &ImportOptions::default())
            .unwrap()
            .model;
        let x = ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.0, 1.0, 1.0]).unwrap();
        fm.forward(&x)
            .unwrap()
            .last()
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<f64>>()
    };
    let t = |data_type, raw_data: Vec<u8>, int32_data: Vec<i32>| TensorProto {
        dims: vec![3, 2],
        data_type,
        raw_data,
        int32_data,
        name: "w".into(),
        ..Default::default()
    };
    let int8 = [1i8, -2, 3, -4, 5, -6].iter().map(|&v| v as u8).collect();
    // columns [1, 3, 5] and [-2, -4, -6], then the Relu
    assert_eq!(with(t(data_type::INT8, int8, vec![])), vec![9.0, 0.0]);
    assert_eq!(
        with(t(data_type::UINT8, vec![], vec![1, 2, 3, 4, 5, 6])),
        vec![9.0, 12.0]
    );
    assert_eq!(
        with(t(data_type::BOOL, vec![1, 0, 1, 1, 0, 1], vec![])),
        vec![2.0, 2.0]
    );
    let int16 = [300i16, -1, 2, 5, -7, 9]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert_eq!(with(t(data_type::INT16, int16, vec![])), vec![295.0, 13.0]);
}

/// A one-input, one-output model of `nodes` at `opset` (default domain), as bytes.
fn model_bytes(
    opset: i64,
    node: Vec<NodeProto>,
    initializer: Vec<TensorProto>,
    input: ValueInfoProto,
    output: ValueInfoProto,
) -> Vec<u8> {
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: opset,
        }],
        graph: Some(GraphProto {
            node,
            name: "test".into(),
            initializer,
            input: vec![input],
            output: vec![output],
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

/// An integer-list attribute.
fn ints_attr(name: &str, ints: Vec<i64>) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: attr_type::INTS,
        ints,
        ..Default::default()
    }
}

/// A float attribute.
fn float_attr(name: &str, f: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: attr_type::FLOAT,
        f,
        ..Default::default()
    }
}

/// An integer attribute.
fn int_attr(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: attr_type::INT,
        i,
        ..Default::default()
    }
}

#[test]
fn a_1x1_conv_with_padding_runs_as_onnxruntime_does() {
    // x [1, 2, 3, 3] -> Conv(1x1, pads 1) -> y [1, 1, 5, 5]: the border is the bias alone
    let mut conv = node("Conv", "conv", &["x", "w", "b"], &["y"]);
    conv.attribute = vec![ints_attr("pads", vec![1, 1, 1, 1])];
    let m = model_bytes(
        13,
        vec![conv],
        vec![
            weights("w", &[1, 2, 1, 1], &[2.0, -1.0]),
            weights("b", &[1], &[0.5]),
        ],
        value("x", &[Ok(1), Ok(2), Ok(3), Ok(3)]),
        value("y", &[Ok(1), Ok(1), Ok(5), Ok(5)]),
    );
    let o = ImportOptions {
        input_max: 4.0,
        ..Default::default()
    };
    let fm = import(&m, &o).unwrap().model;
    // arkml's HWC input: x[h][w][c] = h + w / 10 for channel 0, 1 for channel 1
    let x = ArrayD::from_shape_fn(IxDyn(&[3, 3, 2]), |ix| {
        if ix[2] == 0 {
            ix[0] as f64 + ix[1] as f64 / 10.0
        } else {
            1.0
        }
    });
    let y = fm.forward(&x).unwrap().last().unwrap().clone();
    assert_eq!(y.shape(), &[5, 5, 1]);
    for i in 0..5 {
        for j in 0..5 {
            let want = if (1..4).contains(&i) && (1..4).contains(&j) {
                2.0 * ((i - 1) as f64 + (j - 1) as f64 / 10.0) - 1.0 + 0.5
            } else {
                0.5
            };
            assert!(
                (y[[i, j, 0]] - want).abs() < 1e-9,
                "({i}, {j}): {}",
                y[[i, j, 0]]
            );
        }
    }
    // quantised and proven integers agree with the float model
    let q = quantize(&fm, Scale::Pow2(8)).unwrap();
    let xi = x.mapv(|v| num_bigint::BigInt::from((v * 256.0).round() as i64));
    let out = q.model.predict(&xi).unwrap();
    assert_eq!(out[[0, 0, 0]], num_bigint::BigInt::from(128));
    // and the circuit is satisfied by that witness
    let c = arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model), xi).unwrap();
    arkml::groth16::check(c).unwrap();
}

#[test]
fn a_depthwise_conv_then_batch_norm_folds_as_in_mobilenet() {
    // x [1, 2, 4, 4] -> Conv(3x3, group 2, pads 1) -> BatchNormalization -> y
    let attr = |name: &str, ints: Vec<i64>| AttributeProto {
        name: name.into(),
        r#type: attr_type::INTS,
        ints,
        ..Default::default()
    };
    let mut conv = node("Conv", "dw", &["x", "w", "b"], &["h"]);
    conv.attribute = vec![attr("pads", vec![1, 1, 1, 1]), int_attr("group", 2)];
    let w: Vec<f32> = (0..18).map(|i| (i as f32 - 8.0) / 10.0).collect();
    let graph = |nodes: Vec<NodeProto>, out: &str| {
        model_bytes(
            13,
            nodes,
            vec![
                weights("w", &[2, 1, 3, 3], &w),
                weights("b", &[2], &[0.1, -0.2]),
                weights("scale", &[2], &[2.0, 0.5]),
                weights("beta", &[2], &[1.0, -1.0]),
                weights("mean", &[2], &[0.3, -0.1]),
                weights("var", &[2], &[4.0, 0.25]),
            ],
            value("x", &[Ok(1), Ok(2), Ok(4), Ok(4)]),
            value(out, &[Ok(1), Ok(2), Ok(4), Ok(4)]),
        )
    };
    let bn = || {
        let mut n = node(
            "BatchNormalization",
            "bn",
            &["h", "scale", "beta", "mean", "var"],
            &["y"],
        );
        n.attribute = vec![AttributeProto {
            name: "epsilon".into(),
            r#type: attr_type::FLOAT,
            f: 0.0,
            ..Default::default()
        }];
        n
    };
    let o = ImportOptions::default();
    let folded = import(&graph(vec![conv.clone(), bn()], "y"), &o).unwrap();
    assert_eq!(folded.model.layers.len(), 1, "{:?}", folded.notes);
    assert!(
        folded.notes.iter().any(|n| n.contains("folded")),
        "{:?}",
        folded.notes
    );
    let plain = import(&graph(vec![conv.clone()], "h"), &o).unwrap().model;
    let x = ArrayD::from_shape_fn(IxDyn(&[4, 4, 2]), |ix| {
        (ix[0] as f64 - ix[1] as f64 * 0.5 + ix[2] as f64) / 4.0
    });
    let h = plain.forward(&x).unwrap().last().unwrap().clone();
    let y = folded.model.forward(&x).unwrap().last().unwrap().clone();
    let (scale, beta, mean, var) = ([2.0, 0.5], [1.0, -1.0], [0.3, -0.1], [4.0f64, 0.25]);
    for (ix, v) in y.indexed_iter() {
        let c = ix[2];
        let want = (h[&ix] - mean[c]) / var[c].sqrt() * scale[c] + beta[c];
        assert!((v - want).abs() < 1e-6, "{ix:?}: {v} vs {want}");
    }
    // the depthwise output read twice: the BatchNorm cannot fold, and stays a layer
    let mut twice = graph(vec![conv, bn()], "y");
    let mut m = ModelProto::decode(twice.as_slice()).unwrap();
    let g = m.graph.as_mut().unwrap();
    g.output.push(value("h", &[Ok(1), Ok(2), Ok(4), Ok(4)]));
    twice = m.encode_to_vec();
    let kept = import(&twice, &o).unwrap().model;
    assert_eq!(
        kept.layers.iter().map(|l| l.kind()).collect::<Vec<_>>(),
        vec!["Depthwise", "BatchNorm"]
    );
}

#[test]
fn pooling_with_ceil_mode_keeps_the_last_partial_window() {
    // x [1, 1, 5, 5] -> MaxPool(2x2, stride 2, ceil_mode) -> [1, 1, 3, 3] (floor: 2x2),
    // and AveragePool likewise, dividing the partial windows by their real cells
    let pool = |op: &str| {
        let mut p = node(op, "pool", &["x"], &["y"]);
        p.attribute = vec![
            ints_attr("kernel_shape", vec![2, 2]),
            ints_attr("strides", vec![2, 2]),
            int_attr("ceil_mode", 1),
        ];
        model_bytes(
            13,
            vec![p],
            vec![],
            value("x", &[Ok(1), Ok(1), Ok(5), Ok(5)]),
            value("y", &[Ok(1), Ok(1), Ok(3), Ok(3)]),
        )
    };
    let x = ArrayD::from_shape_fn(IxDyn(&[5, 5, 1]), |ix| (ix[0] * 5 + ix[1]) as f64);
    let max = import(&pool("MaxPool"), &ImportOptions::default())
        .unwrap()
        .model;
    let y = max.forward(&x).unwrap().last().unwrap().clone();
    assert_eq!(y.shape(), &[3, 3, 1]);
    // window (i, j) covers rows 2i..2i+2 and columns 2j..2j+2 within the 5x5 input
    let cell = |i: usize, j: usize| (i * 5 + j) as f64;
    for i in 0..3 {
        for j in 0..3 {
            let (r, c) = ((2 * i + 1).min(4), (2 * j + 1).min(4));
            assert_eq!(y[[i, j, 0]], cell(r, c), "({i}, {j})");
        }
    }
    let avg = import(&pool("AveragePool"), &ImportOptions::default())
        .unwrap()
        .model;
    let y = avg.forward(&x).unwrap().last().unwrap().clone();
    assert_eq!(y.shape(), &[3, 3, 1]);
    // the corner window holds one real cell; the edge ones two
    assert_eq!(y[[2, 2, 0]], cell(4, 4));
    assert_eq!(y[[2, 0, 0]], (cell(4, 0) + cell(4, 1)) / 2.0);
    assert_eq!(
        y[[0, 0, 0]],
        (cell(0, 0) + cell(0, 1) + cell(1, 0) + cell(1, 1)) / 4.0
    );
}

#[test]
fn a_grouped_conv_is_one_conv_with_zeros_between_groups() {
    // x [1, 4, 3, 3] -> Conv(1x1, group 2, 4 filters): each pair of outputs reads its pair
    // of input channels only
    let mut conv = node("Conv", "g", &["x", "w"], &["y"]);
    conv.attribute = vec![int_attr("group", 2)];
    // w[o][ci in group][0][0]
    let w = [1.0, 2.0, 3.0, 4.0, -1.0, 0.5, 2.0, -3.0];
    let m = model_bytes(
        13,
        vec![conv],
        vec![weights("w", &[4, 2, 1, 1], &w)],
        value("x", &[Ok(1), Ok(4), Ok(3), Ok(3)]),
        value("y", &[Ok(1), Ok(4), Ok(3), Ok(3)]),
    );
    let fm = import(&m, &ImportOptions::default()).unwrap().model;
    let x = ArrayD::from_shape_fn(IxDyn(&[3, 3, 4]), |ix| {
        (ix[0] + 2 * ix[1]) as f64 + ix[2] as f64 / 4.0
    });
    let y = fm.forward(&x).unwrap().last().unwrap().clone();
    for i in 0..3 {
        for j in 0..3 {
            for o in 0..4 {
                let g = o / 2;
                let want: f64 = (0..2)
                    .map(|k| w[o * 2 + k] as f64 * x[[i, j, g * 2 + k]])
                    .sum();
                assert!((y[[i, j, o]] - want).abs() < 1e-12, "({i}, {j}, {o})");
            }
        }
    }
    // a group count that does not divide the channels: a typed error naming it
    let mut bad = ModelProto::decode(m.as_slice()).unwrap();
    bad.graph.as_mut().unwrap().node[0].attribute[0].i = 3;
    let e = import(&bad.encode_to_vec(), &ImportOptions::default()).unwrap_err();
    assert!(
        matches!(&e, OnnxError::Unsupported { why, .. } if why.contains("group 3")),
        "{e}"
    );
}

#[test]
fn hardswish_and_a_channel_gate_import_quantise_and_prove() {
    // MobileNetV3's pieces: x [1, 2, 3, 3] -> HardSwish -> h; GlobalAveragePool(h) -> g
    // [1, 2, 1, 1] -> HardSigmoid -> s; y = h * s (the squeeze-excite gate)
    let m = model_bytes(
        14,
        vec![
            node("HardSwish", "hs", &["x"], &["h"]),
            node("GlobalAveragePool", "gap", &["h"], &["g"]),
            node("HardSigmoid", "gate", &["g"], &["s"]),
            node("Mul", "se", &["h", "s"], &["y"]),
        ],
        vec![],
        value("x", &[Ok(1), Ok(2), Ok(3), Ok(3)]),
        value("y", &[Ok(1), Ok(2), Ok(3), Ok(3)]),
    );
    let o = ImportOptions {
        input_max: 4.0,
        ..Default::default()
    };
    let fm = import(&m, &o).unwrap().model;
    let x = ArrayD::from_shape_fn(IxDyn(&[3, 3, 2]), |ix| {
        ix[0] as f64 - 1.5 * ix[1] as f64 + ix[2] as f64 * 0.75
    });
    let hs = |v: f64| v * (v / 6.0 + 0.5).clamp(0.0, 1.0);
    let h = x.mapv(hs);
    let mean = |c: usize| (0..9).map(|k| h[[k / 3, k % 3, c]]).sum::<f64>() / 9.0;
    let gate = |c: usize| (0.2 * mean(c) + 0.5).clamp(0.0, 1.0);
    let y = fm.forward(&x).unwrap().last().unwrap().clone();
    for (ix, v) in y.indexed_iter() {
        let want = h[&ix] * gate(ix[2]);
        assert!((v - want).abs() < 1e-9, "{ix:?}: {v} vs {want}");
    }
    // quantised at 2^12: the integers follow the float model within the rounding, and the
    // circuit is satisfied (two products per element: the HardSwish and the gate)
    let q = quantize(&fm, Scale::Pow2(12)).unwrap();
    let xi = x.mapv(|v| num_bigint::BigInt::from((v * 4096.0).round() as i64));
    let out = q.model.predict(&xi).unwrap();
    for (ix, v) in out.indexed_iter() {
        let got = v.to_f64().unwrap() / 4096.0;
        assert!((got - y[&ix]).abs() < 0.01, "{ix:?}: {got} vs {}", y[&ix]);
    }
    let products: usize = q
        .model
        .analyse()
        .unwrap()
        .iter()
        .filter(|l| l.kind == "Product")
        .map(|l| l.constraints)
        .sum();
    assert_eq!(products, 2 * 18);
    let c = arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model), xi).unwrap();
    arkml::groth16::check(c).unwrap();
}

#[test]
fn scikit_learn_pipelines_as_skl2onnx_writes_them() {
    // StandardScaler + LogisticRegression, 10 classes and binary (ai.onnx.ml: Scaler,
    // LinearClassifier, Normalizer, ZipMap), scikit-learn's default export
    for name in ["skl_logreg", "skl_logreg_binary"] {
        let imported = load(name, &ImportOptions::default());
        assert!(
            imported.notes.iter().any(|n| n.contains("post_transform")),
            "{name}: {:?}",
            imported.notes
        );
        let r = json(&format!("{name}.ref.json"));
        let sk: Vec<usize> = r["framework_argmax"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let (xs, _) = digits(&[64]);
        let m = &imported.model;
        for (x, want) in xs.iter().zip(&sk) {
            assert_eq!(argmax(float_out(m, x).into_iter()), *want, "{name}");
        }
        // quantised with an ArgMax, the proven class is scikit-learn's on every input
        let with_argmax = load(
            name,
            &ImportOptions {
                argmax: true,
                ..Default::default()
            },
        );
        let q = quantize(&with_argmax.model, Scale::Pow2(12)).unwrap();
        for (x, want) in xs.iter().zip(&sk) {
            let class = q.model.predict(&q.quantize_input(x).unwrap()).unwrap();
            assert_eq!(
                class.iter().next().unwrap().to_usize(),
                Some(*want),
                "{name}"
            );
        }
        let c = arkml::model::ModelCircuit::new(
            std::sync::Arc::new(q.model.clone()),
            q.quantize_input(&xs[0]).unwrap(),
        )
        .unwrap();
        arkml::groth16::check(c).unwrap();
    }
    // StandardScaler + LinearRegression: the prediction itself
    let imported = load("skl_linreg", &ImportOptions::default());
    let want = rows(&json("skl_linreg.ref.json")["outputs"]);
    let (xs, _) = digits(&[64]);
    for (x, w) in xs.iter().zip(&want) {
        let got = float_out(&imported.model, x);
        assert!(
            (got[0] - w[0]).abs() < 1e-4 * (1.0 + w[0].abs()),
            "{} vs {}",
            got[0],
            w[0]
        );
    }
    // an op of the domain not mapped is a typed error naming it and the supported list
    let mut m = ModelProto::decode(
        std::fs::read(dir().join("skl_logreg.onnx"))
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    let g = m.graph.as_mut().unwrap();
    let lc = g
        .node
        .iter_mut()
        .find(|n| n.op_type == "LinearClassifier")
        .unwrap();
    lc.op_type = "SVMClassifier".into();
    let e = import(&m.encode_to_vec(), &ImportOptions::default()).unwrap_err();
    assert!(
        matches!(&e, OnnxError::Unsupported { op, supported, .. }
            if op.contains("SVMClassifier") && supported.contains("TreeEnsembleClassifier")),
        "{e}"
    );
}

/// The framework's class per held-out input, from a fixture's reference.
fn framework_argmax(name: &str) -> Vec<usize> {
    json(&format!("{name}.ref.json"))["framework_argmax"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn scikit_learn_tree_ensembles_prove_scikit_learns_class() {
    // RandomForest (10 classes; binary: onnxruntime's one-score case with weights >= 0),
    // StandardScaler + GradientBoosting (SOFTMAX), binary GradientBoosting (LOGISTIC, one
    // score with a base value), as skl2onnx 1.20 writes them by default
    let (xs, _) = digits(&[64]);
    for (name, pinned) in [
        ("skl_forest", 2_649),
        ("skl_forest_binary", 967),
        ("skl_gboost", 3_566),
        ("skl_gboost_binary", 560),
    ] {
        let sk = framework_argmax(name);
        let imported = load(name, &ImportOptions::default());
        let want = rows(&json(&format!("{name}.ref.json"))["outputs"]);
        for ((x, s), w) in xs.iter().zip(&sk).zip(&want) {
            let got = float_out(&imported.model, x);
            assert_eq!(argmax(got.iter().copied()), *s, "{name}: float class");
            assert_eq!(argmax(w.iter().copied()), *s, "{name}: onnxruntime's class");
        }
        let with_argmax = load(
            name,
            &ImportOptions {
                argmax: true,
                ..Default::default()
            },
        );
        let q = quantize(&with_argmax.model, Scale::Pow2(12)).unwrap();
        for (x, want) in xs.iter().zip(&sk) {
            let class = q.model.predict(&q.quantize_input(x).unwrap()).unwrap();
            assert_eq!(
                class.iter().next().unwrap().to_usize(),
                Some(*want),
                "{name}: proven class"
            );
        }
        let trees: usize = q
            .model
            .analyse()
            .unwrap()
            .iter()
            .filter(|l| l.kind == "TreeEnsemble")
            .map(|l| l.constraints)
            .sum();
        assert_eq!(trees, pinned, "{name}: the tree ensemble's constraints");
        let c = arkml::model::ModelCircuit::new(
            std::sync::Arc::new(q.model.clone()),
            q.quantize_input(&xs[0]).unwrap(),
        )
        .unwrap();
        arkml::groth16::check(c).unwrap();
    }
    // RandomForestRegressor: the prediction itself, and its quantised value within the
    // leaves' rounding
    let imported = load("skl_forest_reg", &ImportOptions::default());
    let want = rows(&json("skl_forest_reg.ref.json")["outputs"]);
    let q = quantize(&imported.model, Scale::Pow2(12)).unwrap();
    for (x, w) in xs.iter().zip(&want) {
        let got = float_out(&imported.model, x);
        assert!(
            (got[0] - w[0]).abs() < 1e-4 * (1.0 + w[0].abs()),
            "{} vs {}",
            got[0],
            w[0]
        );
        let y = q.model.predict(&q.quantize_input(x).unwrap()).unwrap();
        let yf = y.iter().next().unwrap().to_f64().unwrap() / 4096.0;
        assert!((yf - w[0]).abs() < 0.01, "quantised {yf} vs {}", w[0]);
    }
}

#[test]
fn malformed_tree_ensembles_are_typed_errors() {
    let base = || {
        ModelProto::decode(
            std::fs::read(dir().join("skl_forest_binary.onnx"))
                .unwrap()
                .as_slice(),
        )
        .unwrap()
    };
    let edit = |f: &dyn Fn(&mut arkml::onnx::proto::NodeProto)| {
        let mut m = base();
        let g = m.graph.as_mut().unwrap();
        let t = g
            .node
            .iter_mut()
            .find(|n| n.op_type == "TreeEnsembleClassifier")
            .unwrap();
        f(t);
        import(&m.encode_to_vec(), &ImportOptions::default()).unwrap_err()
    };
    let set_ints =
        |t: &mut arkml::onnx::proto::NodeProto, name: &str, f: &dyn Fn(&mut Vec<i64>)| {
            f(&mut t
                .attribute
                .iter_mut()
                .find(|a| a.name == name)
                .unwrap()
                .ints)
        };
    // an equality test: unsupported, naming the mode
    let e = edit(&|t| {
        let a = t
            .attribute
            .iter_mut()
            .find(|a| a.name == "nodes_modes")
            .unwrap();
        a.strings[0] = b"BRANCH_EQ".to_vec();
    });
    assert!(
        matches!(&e, OnnxError::Unsupported { why, .. } if why.contains("BRANCH_EQ")),
        "{e}"
    );
    let graph = |e: &OnnxError, what: &str| {
        assert!(
            matches!(e, OnnxError::Graph { why, .. } if why.contains(what)),
            "{what}: {e}"
        )
    };
    graph(
        &edit(&|t| set_ints(t, "nodes_featureids", &|v| v[0] = 64)),
        "tests feature 64",
    );
    graph(
        &edit(&|t| set_ints(t, "nodes_truenodeids", &|v| v[0] = 0)),
        "not reached",
    );
    graph(
        &edit(&|t| set_ints(t, "nodes_truenodeids", &|v| v[0] = 2)),
        "2 roots",
    );
    graph(
        &edit(&|t| set_ints(t, "nodes_truenodeids", &|v| v[0] = 999)),
        "not given",
    );
    graph(
        &edit(&|t| set_ints(t, "nodes_nodeids", &|v| v.pop().map(|_| ()).unwrap())),
        "nodes_nodeids",
    );
    graph(
        &edit(&|t| set_ints(t, "class_ids", &|v| v[0] = 5)),
        "class_ids",
    );
    graph(
        &edit(&|t| set_ints(t, "class_nodeids", &|v| v[0] = 0)),
        "not a leaf",
    );
}

#[test]
fn a_squeeze_excite_block_with_1x1_convs_as_torchvision_writes_it() {
    // x [1, 4, 3, 3] -> GlobalAveragePool -> Conv 1x1 (4 -> 2) -> Relu -> Conv 1x1 (2 -> 4)
    // -> HardSigmoid -> Mul with x (MobileNetV3's SqueezeExcitation)
    let w1: Vec<f32> = (0..8).map(|i| (i as f32 - 3.5) / 4.0).collect();
    let w2: Vec<f32> = (0..8).map(|i| (3.0 - i as f32) / 5.0).collect();
    let m = model_bytes(
        14,
        vec![
            node("GlobalAveragePool", "gap", &["x"], &["g"]),
            node("Conv", "fc1", &["g", "w1", "b1"], &["f1"]),
            node("Relu", "r", &["f1"], &["a"]),
            node("Conv", "fc2", &["a", "w2", "b2"], &["f2"]),
            node("HardSigmoid", "hs", &["f2"], &["s"]),
            node("Mul", "scale", &["x", "s"], &["y"]),
        ],
        vec![
            weights("w1", &[2, 4, 1, 1], &w1),
            weights("b1", &[2], &[0.1, -0.1]),
            weights("w2", &[4, 2, 1, 1], &w2),
            weights("b2", &[4], &[0.0, 0.5, -0.5, 1.0]),
        ],
        value("x", &[Ok(1), Ok(4), Ok(3), Ok(3)]),
        value("y", &[Ok(1), Ok(4), Ok(3), Ok(3)]),
    );
    let fm = import(&m, &ImportOptions::default()).unwrap().model;
    let x = ArrayD::from_shape_fn(IxDyn(&[3, 3, 4]), |ix| {
        ((ix[0] * 3 + ix[1]) as f64 / 9.0 - 0.4) * (1.0 + ix[2] as f64 / 4.0)
    });
    let g: Vec<f64> = (0..4)
        .map(|c| (0..9).map(|k| x[[k / 3, k % 3, c]]).sum::<f64>() / 9.0)
        .collect();
    let a: Vec<f64> = (0..2)
        .map(|o| {
            ((0..4).map(|c| w1[o * 4 + c] as f64 * g[c]).sum::<f64>() + [0.1, -0.1][o]).max(0.0)
        })
        .collect();
    let b2 = [0.0, 0.5, -0.5, 1.0];
    let s: Vec<f64> = (0..4)
        .map(|o| {
            let f = (0..2).map(|k| w2[o * 2 + k] as f64 * a[k]).sum::<f64>() + b2[o];
            (0.2 * f + 0.5).clamp(0.0, 1.0)
        })
        .collect();
    let y = fm.forward(&x).unwrap().last().unwrap().clone();
    for (ix, v) in y.indexed_iter() {
        let want = x[&ix] * s[ix[2]];
        assert!((v - want).abs() < 1e-6, "{ix:?}: {v} vs {want}");
    }
    let q = quantize(&fm, Scale::Pow2(10)).unwrap();
    let xi = x.mapv(|v| num_bigint::BigInt::from((v * 1024.0).round() as i64));
    let c = arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model), xi).unwrap();
    arkml::groth16::check(c).unwrap();
}

#[test]
fn silu_and_tanh_prove_within_the_kernels_stated_error() {
    // x [1, 6] -> Gemm -> h; y = h * Sigmoid(h) (SiLU, as torch exports it), z = Tanh(h)
    let m = model_bytes(
        13,
        vec![
            node("Gemm", "fc", &["x", "w"], &["h"]),
            node("Sigmoid", "sig", &["h"], &["s"]),
            node("Mul", "silu", &["h", "s"], &["y"]),
            node("Tanh", "tanh", &["y"], &["z"]),
        ],
        vec![weights(
            "w",
            &[6, 6],
            &(0..36)
                .map(|i| ((i * 7 % 13) as f32 - 6.0) / 2.0)
                .collect::<Vec<_>>(),
        )],
        value("x", &[Ok(1), Ok(6)]),
        value("z", &[Ok(1), Ok(6)]),
    );
    let o = ImportOptions {
        input_max: 2.0,
        ..Default::default()
    };
    let fm = import(&m, &o).unwrap().model;
    assert_eq!(
        fm.layers.iter().map(|l| l.kind()).collect::<Vec<_>>(),
        vec!["Dense", "Sigmoid", "Product", "Tanh"]
    );
    let q = quantize(&fm, Scale::Pow2(12)).unwrap();
    for k in 0..20 {
        let x = ArrayD::from_shape_fn(IxDyn(&[6]), |ix| {
            ((ix[0] * 5 + k * 3) % 17) as f64 / 4.25 - 2.0
        });
        let want = fm.forward(&x).unwrap().last().unwrap().clone();
        let xi = q.quantize_input(&x).unwrap();
        let got = q.model.predict(&xi).unwrap();
        for (g, w) in got.iter().zip(want.iter()) {
            // input rounding and the kernels' error, through a Gemm: a few units of 2^-12
            let g = g.to_f64().unwrap() / 4096.0;
            assert!((g - w).abs() < 0.01, "{g} vs {w}");
        }
        if k == 0 {
            let c =
                arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model.clone()), xi).unwrap();
            arkml::groth16::check(c).unwrap();
        }
    }
    // the model file round-trips the kernel's table
    let json = arkml::file::model_to_json(&q.model);
    assert!(json.contains("\"logistic\"") && json.contains("\"logistic_tanh\""));
    let back = arkml::file::model_from_json(&json, "m.json").unwrap();
    assert_eq!(arkml::file::model_to_json(&back), json);
}

#[test]
fn the_supported_list_in_the_docs_is_the_op_table() {
    // docs/import.md holds the list made from the op table (src/onnx/mapping/mod.rs)
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/import.md"))
        .unwrap();
    let begin = "<!-- BEGIN GENERATED: the op table -->\n";
    let end = "\n<!-- END GENERATED -->";
    let a = doc.find(begin).expect("the generated block") + begin.len();
    let b = a + doc[a..].find(end).expect("its end");
    // `ARKML_BLESS=1 cargo test --test onnx the_supported` rewrites the block
    if std::env::var_os("ARKML_BLESS").is_some() && doc[a..b] != *arkml::onnx::supported_ops() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/import.md");
        let new = format!("{}{}{}", &doc[..a], arkml::onnx::supported_ops(), &doc[b..]);
        std::fs::write(path, new).unwrap();
        return;
    }
    assert_eq!(
        &doc[a..b],
        arkml::onnx::supported_ops(),
        "docs/import.md's list differs from the op table: `ARKML_BLESS=1 cargo test --test \
         onnx the_supported` rewrites it"
    );
    // and an op outside it is refused naming the list
    let e = import(
        &tiny(node("Det", "sp", &["h"], &["y"]), 13, Ok(1), &[0.0; 6]),
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, OnnxError::Unsupported { supported, .. } if *supported == arkml::onnx::supported_ops()),
        "{e}"
    );
}

#[test]
fn gelu_as_torch_exports_it_proves_within_the_kernels_error() {
    // x [1, 6] -> Gemm -> h; GELU(h) = h * (1 + erf(h / sqrt 2)) * 0.5, node by node as
    // torch.onnx.export writes nn.GELU() below opset 20
    let c = |name: &str, v: f32| weights(name, &[], &[v]);
    let m = model_bytes(
        17,
        vec![
            node("Gemm", "fc", &["x", "w"], &["h"]),
            node("Div", "div", &["h", "sqrt2"], &["d"]),
            node("Erf", "erf", &["d"], &["e"]),
            node("Add", "add", &["e", "one"], &["a"]),
            node("Mul", "mul", &["h", "a"], &["p"]),
            node("Mul", "half", &["p", "point5"], &["y"]),
        ],
        vec![
            weights(
                "w",
                &[6, 6],
                &(0..36)
                    .map(|i| ((i * 5 % 11) as f32 - 5.0) / 3.0)
                    .collect::<Vec<_>>(),
            ),
            c("sqrt2", std::f32::consts::SQRT_2),
            c("one", 1.0),
            c("point5", 0.5),
        ],
        value("x", &[Ok(1), Ok(6)]),
        value("y", &[Ok(1), Ok(6)]),
    );
    let o = ImportOptions {
        input_max: 2.0,
        ..Default::default()
    };
    let fm = import(&m, &o).unwrap().model;
    assert!(
        fm.layers.iter().any(|l| l.kind() == "Erf"),
        "{:?}",
        fm.layers.iter().map(|l| l.kind()).collect::<Vec<_>>()
    );
    let gelu =
        |v: f64| 0.5 * v * (1.0 + arkml_gadgets::activation::erf_f64(v / std::f64::consts::SQRT_2));
    let q = quantize(&fm, Scale::Pow2(12)).unwrap();
    for k in 0..20 {
        let x = ArrayD::from_shape_fn(IxDyn(&[6]), |ix| {
            ((ix[0] * 7 + k * 5) % 19) as f64 / 4.75 - 2.0
        });
        let h: Vec<f64> = (0..6)
            .map(|j| {
                (0..6)
                    .map(|i| (((i * 6 + j) * 5 % 11) as f64 - 5.0) / 3.0 * x[[i]])
                    .sum()
            })
            .collect();
        let want: Vec<f64> = h.iter().map(|&v| gelu(v)).collect();
        let got = fm.forward(&x).unwrap().last().unwrap().clone();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "float {g} vs {w}");
        }
        let xi = q.quantize_input(&x).unwrap();
        let out = q.model.predict(&xi).unwrap();
        for (g, w) in out.iter().zip(&want) {
            let g = g.to_f64().unwrap() / 4096.0;
            assert!((g - w).abs() < 0.02, "integer {g} vs {w}");
        }
        if k == 0 {
            let c =
                arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model.clone()), xi).unwrap();
            arkml::groth16::check(c).unwrap();
        }
    }
}

#[test]
fn reductions_over_the_map_and_the_features() {
    // x [1, 3, 2, 2] -> ReduceMax, ReduceSum, ReduceMean over H and W (each [1, 3, 1, 1]),
    // then Flatten; and a ReduceMean over the features of the flattened sum
    let axes = |name: &str| weights(name, &[2], &[2.0, 3.0]);
    let mut rmax = node("ReduceMax", "max", &["x"], &["mx"]);
    rmax.attribute = vec![ints_attr("axes", vec![2, 3])];
    let graph = |op: NodeProto,
                 extra: Vec<NodeProto>,
                 init: Vec<TensorProto>,
                 out: &str,
                 shape: &[Result<i64, &str>]| {
        let mut node_list = vec![op];
        node_list.extend(extra);
        model_bytes(
            13,
            node_list,
            init,
            value("x", &[Ok(1), Ok(3), Ok(2), Ok(2)]),
            value(out, shape),
        )
    };
    let o = ImportOptions::default();
    let x = ArrayD::from_shape_fn(IxDyn(&[2, 2, 3]), |ix| {
        (ix[0] * 6 + ix[1] * 3 + ix[2]) as f64 / 10.0 - 0.5
    });
    let per_c = |c: usize| -> Vec<f64> { (0..4).map(|k| x[[k / 2, k % 2, c]]).collect() };
    let four = [Ok(1), Ok(3), Ok(1), Ok(1)];
    let run = |bytes: &[u8]| {
        let m = import(bytes, &o).unwrap().model;
        m.forward(&x)
            .unwrap()
            .last()
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<f64>>()
    };
    let got = run(&graph(rmax, vec![], vec![], "mx", &four));
    for (c, g) in got.iter().enumerate() {
        assert_eq!(*g, per_c(c).into_iter().fold(f64::MIN, f64::max));
    }
    // ReduceSum (opset 13: axes as an input), then the mean over its features
    let sum = node("ReduceSum", "sum", &["x", "axes"], &["s"]);
    let extra = vec![node("Flatten", "flat", &["s"], &["f"]), {
        let mut m = node("ReduceMean", "mean", &["f"], &["y"]);
        m.attribute = vec![ints_attr("axes", vec![1])];
        m
    }];
    let sums: Vec<f64> = (0..3).map(|c| per_c(c).iter().sum()).collect();
    let got = run(&graph(sum.clone(), vec![], vec![axes("axes")], "s", &four));
    for (g, want) in got.iter().zip(&sums) {
        assert!((g - want).abs() < 1e-12);
    }
    let got = run(&graph(sum, extra, vec![axes("axes")], "y", &[Ok(1), Ok(1)]));
    assert!(
        (got[0] - sums.iter().sum::<f64>() / 3.0).abs() < 1e-12,
        "{got:?}"
    );
    // an axis beyond the rank is a typed error naming it
    let mut bad = node("ReduceMax", "maxc", &["x"], &["y"]);
    bad.attribute = vec![ints_attr("axes", vec![7])];
    let e = import(
        &graph(bad, vec![], vec![], "y", &[Ok(1), Ok(1), Ok(2), Ok(2)]),
        &o,
    )
    .unwrap_err();
    assert!(
        matches!(&e, OnnxError::Graph { why, .. } if why.contains("axis 7 for rank 4")),
        "{e}"
    );
}

#[test]
fn one_dimensional_pooling_of_an_audio_style_tensor() {
    // x [1, 2, 7] -> MaxPool(k 3, stride 2, pads 1 1) -> [1, 2, 4]; and AveragePool(k 2)
    let mut maxp = node("MaxPool", "mp", &["x"], &["y"]);
    maxp.attribute = vec![
        ints_attr("kernel_shape", vec![3]),
        ints_attr("strides", vec![2]),
        ints_attr("pads", vec![1, 1]),
    ];
    let m = model_bytes(
        13,
        vec![maxp],
        vec![],
        value("x", &[Ok(1), Ok(2), Ok(7)]),
        value("y", &[Ok(1), Ok(2), Ok(4)]),
    );
    let fm = import(&m, &ImportOptions::default()).unwrap().model;
    // arkml's [L, C]
    let x = ArrayD::from_shape_fn(IxDyn(&[7, 2]), |ix| {
        ((ix[0] * 3 + ix[1] * 5) % 7) as f64 - 3.0
    });
    let y = fm.forward(&x).unwrap().last().unwrap().clone();
    assert_eq!(y.shape(), &[4, 2]);
    for o in 0..4 {
        for c in 0..2 {
            // window o covers padded cells 2o .. 2o + 3, real cells 2o - 1 .. 2o + 2
            let want = (0..3)
                .filter_map(|k: usize| (2 * o + k).checked_sub(1).filter(|&i| i < 7))
                .map(|i| x[[i, c]])
                .fold(f64::MIN, f64::max);
            assert_eq!(y[[o, c]], want, "({o}, {c})");
        }
    }
    let mut avgp = node("AveragePool", "ap", &["x"], &["y"]);
    avgp.attribute = vec![
        ints_attr("kernel_shape", vec![2]),
        ints_attr("strides", vec![2]),
    ];
    let m = model_bytes(
        13,
        vec![avgp],
        vec![],
        value("x", &[Ok(1), Ok(2), Ok(7)]),
        value("y", &[Ok(1), Ok(2), Ok(3)]),
    );
    let o = ImportOptions {
        input_max: 4.0,
        ..Default::default()
    };
    let fm = import(&m, &o).unwrap().model;
    let y = fm.forward(&x).unwrap().last().unwrap().clone();
    assert_eq!(y.shape(), &[3, 2]);
    assert_eq!(y[[1, 0]], (x[[2, 0]] + x[[3, 0]]) / 2.0);
    let q = quantize(&fm, Scale::Pow2(8)).unwrap();
    let xi = q.quantize_input(&x).unwrap();
    let c = arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model), xi).unwrap();
    arkml::groth16::check(c).unwrap();
}

#[test]
fn gelu_in_its_tanh_form_with_pow() {
    // GELU(approximate = "tanh") as torch exports it:
    // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
    let k = (2.0f32 / std::f32::consts::PI).sqrt();
    let c = |name: &str, v: f32| weights(name, &[], &[v]);
    let m = model_bytes(
        17,
        vec![
            node("Gemm", "fc", &["x", "w"], &["h"]),
            node("Pow", "cube", &["h", "three"], &["h3"]),
            node("Mul", "m1", &["h3", "coef"], &["t"]),
            node("Add", "a1", &["h", "t"], &["u"]),
            node("Mul", "m2", &["u", "k"], &["z"]),
            node("Tanh", "tanh", &["z"], &["th"]),
            node("Add", "a2", &["th", "one"], &["p"]),
            node("Mul", "m3", &["h", "p"], &["q"]),
            node("Mul", "m4", &["q", "half"], &["y"]),
        ],
        vec![
            weights(
                "w",
                &[4, 4],
                &(0..16)
                    .map(|i| ((i * 3 % 7) as f32 - 3.0) / 2.0)
                    .collect::<Vec<_>>(),
            ),
            c("three", 3.0),
            c("coef", 0.044715),
            c("k", k),
            c("one", 1.0),
            c("half", 0.5),
        ],
        value("x", &[Ok(1), Ok(4)]),
        value("y", &[Ok(1), Ok(4)]),
    );
    let o = ImportOptions {
        input_max: 1.0,
        ..Default::default()
    };
    let fm = import(&m, &o).unwrap().model;
    let gelu = |v: f64| {
        0.5 * v * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (v + 0.044715 * v * v * v)).tanh())
    };
    let q = quantize(&fm, Scale::Pow2(12)).unwrap();
    for s in 0..10 {
        let x = ArrayD::from_shape_fn(IxDyn(&[4]), |ix| {
            ((ix[0] * 3 + s * 7) % 11) as f64 / 5.5 - 1.0
        });
        let h: Vec<f64> = (0..4)
            .map(|j| {
                (0..4)
                    .map(|i| (((i * 4 + j) * 3 % 7) as f64 - 3.0) / 2.0 * x[[i]])
                    .sum()
            })
            .collect();
        let got = fm.forward(&x).unwrap().last().unwrap().clone();
        let xi = q.quantize_input(&x).unwrap();
        let out = q.model.predict(&xi).unwrap();
        for ((g, i), hv) in got.iter().zip(out.iter()).zip(&h) {
            assert!((g - gelu(*hv)).abs() < 1e-5, "float {g} vs {}", gelu(*hv));
            let i = i.to_f64().unwrap() / 4096.0;
            assert!((i - gelu(*hv)).abs() < 0.02, "integer {i} vs {}", gelu(*hv));
        }
    }
    let xi = q
        .quantize_input(&ArrayD::from_elem(IxDyn(&[4]), 0.3))
        .unwrap();
    let circuit = arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model), xi).unwrap();
    arkml::groth16::check(circuit).unwrap();
    // a non-integer exponent is a typed error
    let mut bad = ModelProto::decode(m.as_slice()).unwrap();
    bad.graph.as_mut().unwrap().initializer[1] = c("three", 2.5);
    let e = import(&bad.encode_to_vec(), &o).unwrap_err();
    assert!(
        matches!(&e, OnnxError::Unsupported { why, .. } if why.contains("2.5")),
        "{e}"
    );
}

#[test]
fn softplus_and_elu_prove_within_the_kernels_error() {
    for (op, f) in [
        (
            "Softplus",
            (|v: f64| v.max(0.0) + (-v.abs()).exp().ln_1p()) as fn(f64) -> f64,
        ),
        ("Elu", |v: f64| if v >= 0.0 { v } else { v.exp_m1() }),
    ] {
        let m = model_bytes(
            13,
            vec![
                node("Gemm", "fc", &["x", "w"], &["h"]),
                node(op, "act", &["h"], &["y"]),
            ],
            vec![weights(
                "w",
                &[4, 4],
                &(0..16)
                    .map(|i| ((i * 5 % 9) as f32 - 4.0) / 2.0)
                    .collect::<Vec<_>>(),
            )],
            value("x", &[Ok(1), Ok(4)]),
            value("y", &[Ok(1), Ok(4)]),
        );
        let o = ImportOptions {
            input_max: 2.0,
            ..Default::default()
        };
        let fm = import(&m, &o).unwrap().model;
        assert_eq!(fm.layers[1].kind(), op);
        let q = quantize(&fm, Scale::Pow2(12)).unwrap();
        for s in 0..10 {
            let x = ArrayD::from_shape_fn(IxDyn(&[4]), |ix| {
                ((ix[0] * 5 + s * 3) % 13) as f64 / 3.25 - 2.0
            });
            let h: Vec<f64> = (0..4)
                .map(|j| {
                    (0..4)
                        .map(|i| (((i * 4 + j) * 5 % 9) as f64 - 4.0) / 2.0 * x[[i]])
                        .sum()
                })
                .collect();
            let out = q.model.predict(&q.quantize_input(&x).unwrap()).unwrap();
            for (i, hv) in out.iter().zip(&h) {
                let i = i.to_f64().unwrap() / 4096.0;
                assert!((i - f(*hv)).abs() < 0.01, "{op}: {i} vs {}", f(*hv));
            }
        }
        let xi = q
            .quantize_input(&ArrayD::from_elem(IxDyn(&[4]), -0.7))
            .unwrap();
        let c = arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model), xi).unwrap();
        arkml::groth16::check(c).unwrap();
    }
}

#[test]
fn abs_is_exact_and_costs_a_relu() {
    let m = model_bytes(
        13,
        vec![node("Abs", "abs", &["x"], &["y"])],
        vec![],
        value("x", &[Ok(1), Ok(5)]),
        value("y", &[Ok(1), Ok(5)]),
    );
    let o = ImportOptions {
        input_max: 4.0,
        ..Default::default()
    };
    let fm = import(&m, &o).unwrap().model;
    let x = ArrayD::from_shape_vec(IxDyn(&[5]), vec![-3.5, -0.25, 0.0, 1.0, 3.75]).unwrap();
    let y = fm.forward(&x).unwrap().last().unwrap().clone();
    assert_eq!(y, x.mapv(f64::abs));
    let q = quantize(&fm, Scale::Pow2(8)).unwrap();
    let xi = q.quantize_input(&x).unwrap();
    assert_eq!(
        q.model.predict(&xi).unwrap(),
        xi.mapv(|v| num_traits::Signed::abs(&v))
    );
    let summary = q.model.analyse().unwrap();
    let relu: usize = summary
        .iter()
        .filter(|l| l.kind == "ReLU")
        .map(|l| l.constraints)
        .sum();
    let all: usize = summary.iter().map(|l| l.constraints).sum();
    assert_eq!(all, relu, "only the ReLU costs constraints");
    let c = arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model), xi).unwrap();
    arkml::groth16::check(c).unwrap();
}

/// A `wires_*` fixture (`scripts/models/make_graphs.py`) against onnxruntime: the float
/// model to f32 rounding, the integers at 2^14 to the class on every sample, the circuit
/// satisfied on the first, and every Select free. `onnx`: the one input's ONNX shape
/// (without the batch axis), fitted as `--nchw` does; otherwise arkml's input is the graph's inputs flattened in ONNX's
/// order and concatenated.
fn check_wires(name: &str, input_shape: &[usize], onnx: Option<&[usize]>) -> usize {
    let imported = load(name, &ImportOptions::default());
    let m = &imported.model;
    assert_eq!(m.input_shape, input_shape, "{name}");
    let r = json(&format!("{name}.ref.json"));
    let want = rows(&r["outputs"]);
    let q = quantize(m, Scale::Pow2(14)).unwrap();
    let stats = q.model.analyse().unwrap();
    let selects: Vec<_> = stats.iter().filter(|l| l.kind == "Select").collect();
    assert!(selects.iter().all(|l| l.constraints == 0), "{name}");
    for (k, (sample, w)) in r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&want)
        .enumerate()
    {
        let flat: Vec<f64> = rows(sample).concat();
        // in ONNX's layout (without the batch axis), fitted as `--nchw` does
        let x = match onnx {
            Some(shape) => arkml::file::fit_input(
                ArrayD::from_shape_vec(IxDyn(shape), flat).unwrap(),
                input_shape,
                true,
            )
            .unwrap(),
            None => ArrayD::from_shape_vec(IxDyn(input_shape), flat).unwrap(),
        };
        let got = float_out(m, &x);
        assert_eq!(got.len(), w.len(), "{name}");
        for (g, w) in got.iter().zip(w) {
            assert!(
                (g - w).abs() <= 1e-4 * (1.0 + w.abs()),
                "{name}: {g} vs {w}"
            );
        }
        let xi = q.quantize_input(&x).unwrap();
        let out = q.model.infer(&xi).unwrap();
        let last = &out.last().unwrap().out;
        assert_eq!(
            argmax(last.iter().map(|v| v.to_f64().unwrap())),
            argmax(w.iter().copied()),
            "{name}: sample {k}"
        );
        if k == 0 {
            let c =
                arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model.clone()), xi).unwrap();
            arkml::groth16::check(c).unwrap();
        }
    }
    selects.len()
}

#[test]
fn a_channel_shuffle_and_rank_five_wires_as_shufflenet_writes_them() {
    // Reshape [1, 2, 4, 6, 6] + Transpose + Reshape, DepthToSpace, SpaceToDepth, a reversed
    // Slice, Split, Concat on the width, Flatten from axis 2, MatMul of a [2, 32] tensor
    assert!(check_wires("wires_shuffle", &[6, 6, 4], Some(&[4, 6, 6])) >= 4);
}

#[test]
fn vit_patches_a_class_token_and_a_position_embedding() {
    assert!(check_wires("wires_vit", &[8, 8, 3], Some(&[3, 8, 8])) >= 2);
}

#[test]
fn a_sequence_first_input_and_a_computed_reshape() {
    // [T, N, F] = [5, 1, 6]: no batch axis in front, taken flat in ONNX's order
    assert!(check_wires("wires_seq", &[30], None) >= 1);
    // and a tensor file of the ONNX shape fits it, row-major
    let x = ArrayD::from_shape_fn(IxDyn(&[5, 1, 6]), |i| (i[0] * 6 + i[2]) as f64);
    let fit = arkml::file::fit_input(x, &[30], true).unwrap();
    assert_eq!(
        fit.iter().copied().collect::<Vec<f64>>(),
        (0..30).map(|v| v as f64).collect::<Vec<_>>()
    );
}

#[test]
fn two_graph_inputs_are_read_as_one() {
    let imported = load("wires_two_inputs", &ImportOptions::default());
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.contains("2 inputs") && n.contains("a [1, 6]") && n.contains("b [1, 2, 3]")),
        "{:?}",
        imported.notes
    );
    check_wires("wires_two_inputs", &[12], None);
}

#[test]
fn conv_transpose_with_strides_output_padding_dilation_and_a_crop() {
    // the zero-filled maps are Selects (free); the layers are two Conv2d
    check_wires("wires_convt", &[4, 4, 3], Some(&[3, 4, 4]));
    let m = load("wires_convt", &ImportOptions::default()).model;
    let convs = m.layers.iter().filter(|l| l.kind() == "Conv2D").count();
    assert_eq!(convs, 2);
}

#[test]
fn instance_and_layer_normalization_against_onnxruntime() {
    // InstanceNormalization after a Conv, LayerNormalization over the last axis and over
    // the last two (no bias): the float model within f32 rounding of onnxruntime, the
    // integer model's class equal to it, the circuit satisfied
    check_wires("wires_norm", &[5, 5, 2], Some(&[2, 5, 5]));
    let m = load("wires_norm", &ImportOptions::default()).model;
    let roots = m.layers.iter().filter(|l| l.kind() == "Rsqrt").count();
    assert_eq!(roots, 3);
    // each normalised value is proven within (sqrt(n) + 1) 2^14 with a bit of room, so the
    // layers after it see that bound, not the product of the worst cases
    let q = quantize(&m, Scale::Pow2(14)).unwrap();
    let bounds: Vec<u32> = q
        .model
        .analyse()
        .unwrap()
        .iter()
        .filter(|l| l.kind == "Within")
        .map(|l| l.bound)
        .collect();
    // InstanceNorm over 9 cells, LayerNorm over 4, LayerNorm over 36
    assert_eq!(bounds, vec![18, 17, 18]);
}

#[test]
fn a_self_attention_block_against_onnxruntime() {
    // q k^T and att v as MatMuls of two activations (one constraint per multiply-
    // accumulate), an additive causal mask, a Softmax inside the model, LayerNormalization
    check_wires("wires_attention", &[8, 4], Some(&[4, 8]));
    let m = load("wires_attention", &ImportOptions::default()).model;
    let q = quantize(&m, Scale::Pow2(14)).unwrap();
    let matmuls: Vec<usize> = q
        .model
        .analyse()
        .unwrap()
        .iter()
        .filter(|l| l.kind == "MatMul")
        .map(|l| l.constraints)
        .collect();
    // two heads of [4, 4] x [4, 4], twice: 2 * 4 * 4 * 4 each
    assert_eq!(matmuls, vec![128, 128]);
}

#[test]
fn reductions_over_any_axes_with_and_without_keepdims() {
    check_wires("wires_reduce", &[4, 5, 3], Some(&[3, 4, 5]));
}

#[test]
fn pads_of_every_mode_before_pooling_and_convs() {
    // a zero Pad before an AveragePool is made (its zeros are counted, as onnxruntime
    // counts them); reflect, edge on one axis, a constant 0.5 with a crop
    assert!(check_wires("wires_pad", &[5, 5, 2], Some(&[2, 5, 5])) >= 3);
}

#[test]
fn global_pooling_of_a_one_dimensional_map() {
    // torch's TorchScript export of AdaptiveAvgPool1d(1) / AdaptiveMaxPool1d(1): x [1, 2, 5]
    for (op, f) in [
        (
            "GlobalAveragePool",
            (|v: &[f64]| v.iter().sum::<f64>() / 5.0) as fn(&[f64]) -> f64,
        ),
        ("GlobalMaxPool", |v: &[f64]| {
            v.iter().copied().fold(f64::MIN, f64::max)
        }),
    ] {
        let m = model_bytes(
            13,
            vec![
                node(op, "gp", &["x"], &["g"]),
                node("Flatten", "fl", &["g"], &["y"]),
            ],
            vec![],
            value("x", &[Ok(1), Ok(2), Ok(5)]),
            value("y", &[Ok(1), Ok(2)]),
        );
        let o = ImportOptions {
            input_max: 4.0,
            ..Default::default()
        };
        let fm = import(&m, &o).unwrap().model;
        // arkml's [L, C] = [5, 2]
        let x = ArrayD::from_shape_fn(IxDyn(&[5, 2]), |i| {
            (i[0] as f64 - 2.0) * (i[1] as f64 + 0.5)
        });
        let got = float_out(&fm, &x);
        for (c, g) in got.iter().enumerate() {
            let col: Vec<f64> = (0..5).map(|l| x[[l, c]]).collect();
            assert!(
                (g - f(&col)).abs() < 1e-12,
                "{op} channel {c}: {g} vs {}",
                f(&col)
            );
        }
        let q = quantize(&fm, Scale::Pow2(10)).unwrap();
        let xi = q.quantize_input(&x).unwrap();
        let c = arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model), xi).unwrap();
        arkml::groth16::check(c).unwrap();
    }
}

#[test]
fn lstm_and_gru_unrolled_against_onnxruntime_and_proven() {
    // a bidirectional LSTM over a sequence-first input (taken flat), and GRUs with and
    // without linear_before_reset, forward and reverse
    check_wires("wires_lstm", &[12], None);
    check_wires("wires_gru", &[4, 3], Some(&[3, 4]));
    let m = load("wires_lstm", &ImportOptions::default()).model;
    // per direction and step: three sigmoids, two tanh (the first step has no forget gate)
    let kernels = m
        .layers
        .iter()
        .filter(|l| matches!(l, arkml::model::Layer::Logistic(_)))
        .count();
    assert_eq!(kernels, 2 * (3 * 5 - 1));
}

#[test]
fn shape_and_scale_computations_on_constants_are_evaluated() {
    // k = Where(Less(2, 3), Sqrt(16) * Mod(7, -4), 0) = 4 * -1 (Mod takes the divisor's
    // sign); r = Range(0, 6, 1) + ConstantOfShape([6]) + Neg(Floor(0.5)); y = x k + r
    let c = |name: &str, v: f32| weights(name, &[], &[v]);
    let m = model_bytes(
        13,
        vec![
            node("Less", "lt", &["two", "three"], &["cond"]),
            node("Sqrt", "sq", &["sixteen"], &["four"]),
            node("Mod", "md", &["seven", "m4"], &["minus1"]),
            node("Mul", "k", &["four", "minus1"], &["k"]),
            node("Where", "wh", &["cond", "k", "zero"], &["kk"]),
            node("Range", "rg", &["zero", "six", "one"], &["r0"]),
            node("ConstantOfShape", "cs", &["shape6"], &["z6"]),
            node("Floor", "fl", &["half"], &["f0"]),
            node("Neg", "ng", &["f0"], &["nf"]),
            node("Add", "a1", &["r0", "z6"], &["r1"]),
            node("Add", "a2", &["r1", "nf"], &["r"]),
            node("Mul", "scale", &["x", "kk"], &["xk"]),
            node("Add", "bias", &["xk", "r"], &["y"]),
        ],
        vec![
            c("two", 2.0),
            c("three", 3.0),
            c("sixteen", 16.0),
            c("seven", 7.0),
            c("m4", -4.0),
            c("zero", 0.0),
            c("six", 6.0),
            c("one", 1.0),
            c("half", 0.5),
            weights("shape6", &[1], &[6.0]),
        ],
        value("x", &[Ok(1), Ok(6)]),
        value("y", &[Ok(1), Ok(6)]),
    );
    let fm = import(&m, &ImportOptions::default()).unwrap().model;
    let x = ArrayD::from_shape_fn(IxDyn(&[6]), |i| i[0] as f64 * 0.25 - 0.5);
    let got = float_out(&fm, &x);
    for (i, g) in got.iter().enumerate() {
        let want = -4.0 * x[[i]] + i as f64;
        assert!((g - want).abs() < 1e-12, "{i}: {g} vs {want}");
    }
    // on an activation such an op is refused naming it
    let m = model_bytes(
        13,
        vec![node("Log", "lg", &["x"], &["y"])],
        vec![],
        value("x", &[Ok(1), Ok(6)]),
        value("y", &[Ok(1), Ok(6)]),
    );
    let e = import(&m, &ImportOptions::default()).unwrap_err();
    assert!(
        matches!(&e, OnnxError::Unsupported { op, why, .. } if op == "Log" && why.contains("only on constants")),
        "{e}"
    );
}

#[test]
fn hostile_wire_and_transpose_parameters_are_typed_errors() {
    // sizes from the file beyond any arithmetic: no panic, no allocation, a typed error
    let int = |name: &str, v: &[i64]| TensorProto {
        dims: vec![v.len() as i64],
        data_type: data_type::INT64,
        int64_data: v.to_vec(),
        name: name.into(),
        ..Default::default()
    };
    let big = i64::MAX / 2;
    let cases: Vec<(NodeProto, Vec<TensorProto>)> = vec![
        (
            node("Pad", "pad", &["x", "p"], &["y"]),
            vec![int("p", &[0, 0, big, big])],
        ),
        (
            node("Tile", "tile", &["x", "r"], &["y"]),
            vec![int("r", &[big, big])],
        ),
        (
            node("Expand", "ex", &["x", "s"], &["y"]),
            vec![int("s", &[big, 3])],
        ),
        (
            node("Reshape", "rs", &["x", "s"], &["y"]),
            vec![int("s", &[big, 2])],
        ),
        (
            {
                let mut s = node("Split", "sp", &["x"], &["y"]);
                s.attribute = vec![int_attr("axis", 1), int_attr("num_outputs", big)];
                s
            },
            vec![],
        ),
        (
            {
                let mut c = node("ConvTranspose", "ct", &["x4", "w"], &["y"]);
                c.attribute = vec![ints_attr("dilations", vec![big, big])];
                c
            },
            vec![weights("w", &[1, 1, 2, 2], &[1.0; 4])],
        ),
    ];
    for (n, init) in cases {
        let op = n.op_type.clone();
        let conv = op == "ConvTranspose";
        let (pre, input) = if conv {
            (
                vec![node("Reshape", "to4", &["x", "s4"], &["x4"])],
                vec![int("s4", &[1, 1, 1, 3])],
            )
        } else {
            (vec![], vec![])
        };
        let nodes = pre.into_iter().chain([n]).collect();
        let m = model_bytes(
            18,
            nodes,
            init.into_iter().chain(input).collect(),
            value("x", &[Ok(1), Ok(3)]),
            value("y", &[Ok(1), Ok(3)]),
        );
        let e = import(&m, &ImportOptions::default()).unwrap_err();
        assert!(matches!(&e, OnnxError::Graph { .. }), "{op}: {e}");
    }
    // a concatenation of tensors of other ranks (ndarray's concatenate panics on them)
    let m = model_bytes(
        18,
        vec![
            node("Reshape", "to4", &["x", "s4"], &["x4"]),
            node("Concat", "cat", &["x", "x4"], &["y"]),
        ],
        vec![int("s4", &[1, 1, 1, 3])],
        value("x", &[Ok(1), Ok(3)]),
        value("y", &[Ok(1), Ok(6)]),
    );
    let e = import(&m, &ImportOptions::default()).unwrap_err();
    assert!(
        matches!(&e, OnnxError::Graph { why, .. } if why.contains("concatenation of")),
        "{e}"
    );
}

/// Elu with `alpha != 1`, Celu and Selu: `c1 relu(x) + c2 min(e^(x/d) - 1, 0)`, the bounded
/// part scaled. Their largest error on a dense grid over the input range, in units of the
/// output scale, is within the documented bound: `|c2| (0.55 + 1.8e-5 S) + 2`, plus for Selu
/// `gamma`'s rounding at `S` times `|x|` (`|x| / 2` units at most).
#[test]
fn elu_celu_selu_stay_within_their_documented_error() {
    let (lo, step, count) = (-8.0, 1.0 / 64.0, 1025usize);
    let grid: Vec<f64> = (0..count).map(|i| lo + step * i as f64).collect();
    let (sa, sg) = (1.673_263_192_176_818_8f64, 1.050_701_022_148_132_3f64);
    let elu = |a: f64| move |v: f64| if v >= 0.0 { v } else { a * v.exp_m1() };
    // (op, attributes, the function, the factor of the bounded part, whether Selu)
    type Case = (
        &'static str,
        Vec<AttributeProto>,
        Box<dyn Fn(f64) -> f64>,
        f64,
        bool,
    );
    let cases: Vec<Case> = vec![
        (
            "Elu",
            vec![float_attr("alpha", 0.5)],
            Box::new(elu(0.5)),
            0.5,
            false,
        ),
        (
            "Elu",
            vec![float_attr("alpha", 2.0)],
            Box::new(elu(2.0)),
            2.0,
            false,
        ),
        (
            "Celu",
            vec![float_attr("alpha", 0.7)],
            Box::new(|v: f64| {
                let a = 0.7f32 as f64;
                v.max(0.0) + (a * (v / a).exp_m1()).min(0.0)
            }),
            0.7,
            false,
        ),
        (
            "Selu",
            vec![],
            Box::new(move |v: f64| sg * if v > 0.0 { v } else { sa * v.exp_m1() }),
            sg * sa,
            true,
        ),
    ];
    for (op, attrs, f, c2, selu) in cases {
        let mut act = node(op, "act", &["x"], &["y"]);
        act.attribute = attrs;
        let bytes = |n: usize| {
            model_bytes(
                13,
                vec![act.clone()],
                vec![],
                value("x", &[Ok(1), Ok(n as i64)]),
                value("y", &[Ok(1), Ok(n as i64)]),
            )
        };
        let o = ImportOptions {
            input_max: 8.0,
            ..Default::default()
        };
        let fm = import(&bytes(count), &o).unwrap().model;
        let x = ArrayD::from_shape_vec(IxDyn(&[count]), grid.clone()).unwrap();
        // the float model is the function itself
        let yf = fm.forward(&x).unwrap().last().unwrap().clone();
        for (v, y) in grid.iter().zip(yf.iter()) {
            assert!(
                (y - f(*v)).abs() < 1e-9,
                "{op} float at {v}: {y} vs {}",
                f(*v)
            );
        }
        let s = 4096.0;
        let q = quantize(&fm, Scale::Pow2(12)).unwrap();
        let out = q.model.predict(&q.quantize_input(&x).unwrap()).unwrap();
        let mut worst: f64 = 0.0;
        for (v, y) in grid.iter().zip(out.iter()) {
            let units = (y.to_f64().unwrap() - f(*v) * s).abs();
            let bound =
                c2.abs() * (0.55 + 1.8e-5 * s) + 2.0 + if selu { v.abs() / 2.0 } else { 0.0 };
            assert!(units <= bound, "{op}: {units} units at {v} (bound {bound})");
            worst = worst.max(units);
        }
        eprintln!("{op} c2 {c2}: largest error {worst:.3} units at 2^12");
        // proven: the circuit of a few elements is satisfied
        let small = import(&bytes(5), &o).unwrap().model;
        let q = quantize(&small, Scale::Pow2(12)).unwrap();
        let xi = ArrayD::from_shape_vec(IxDyn(&[5]), vec![-7.9, -1.3, 0.0, 0.4, 7.5]).unwrap();
        let c = arkml::model::ModelCircuit::new(
            std::sync::Arc::new(q.model.clone()),
            q.quantize_input(&xi).unwrap(),
        )
        .unwrap();
        arkml::groth16::check(c).unwrap();
    }
}

/// Sqrt and Reciprocal of activations and Div of two activations: the checked kernels
/// (each the floor of the true value at the scale: under one unit), and the quotient
/// through the reciprocal and a product; an input outside the domain is a typed error at
/// inference, not a wrong proof.
#[test]
fn sqrt_reciprocal_and_division_of_activations() {
    // y = sqrt(relu(x) + 0.25) + 1 / (relu(x) + 0.5) + x / (relu(x) + 1)
    let m = model_bytes(
        13,
        vec![
            node("Relu", "r", &["x"], &["r"]),
            node("Add", "a1", &["r", "q"], &["p"]),
            node("Sqrt", "sq", &["p"], &["s"]),
            node("Add", "a2", &["r", "h"], &["u"]),
            node("Reciprocal", "rc", &["u"], &["i"]),
            node("Add", "a3", &["r", "one"], &["w"]),
            node("Div", "dv", &["x", "w"], &["d"]),
            node("Add", "s1", &["s", "i"], &["t"]),
            node("Add", "s2", &["t", "d"], &["y"]),
        ],
        vec![
            weights("q", &[1], &[0.25]),
            weights("h", &[1], &[0.5]),
            weights("one", &[1], &[1.0]),
        ],
        value("x", &[Ok(1), Ok(64)]),
        value("y", &[Ok(1), Ok(64)]),
    );
    let o = ImportOptions {
        input_max: 8.0,
        ..Default::default()
    };
    let fm = import(&m, &o).unwrap().model;
    let kinds: Vec<&str> = fm.layers.iter().map(|l| l.kind()).collect();
    for k in ["Sqrt", "Reciprocal", "Product"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let x = ArrayD::from_shape_fn(IxDyn(&[64]), |i| i[0] as f64 / 4.0 - 8.0);
    let f = |v: f64| {
        let r = v.max(0.0);
        (r + 0.25).sqrt() + 1.0 / (r + 0.5) + v / (r + 1.0)
    };
    let yf = fm.forward(&x).unwrap().last().unwrap().clone();
    for (v, y) in x.iter().zip(yf.iter()) {
        assert!((y - f(*v)).abs() < 1e-6, "float at {v}: {y} vs {}", f(*v));
    }
    let q = quantize(&fm, Scale::Pow2(12)).unwrap();
    let out = q.model.predict(&q.quantize_input(&x).unwrap()).unwrap();
    for (v, y) in x.iter().zip(out.iter()) {
        // three floors (under a unit each) and the quotient's product: |x| / (r + 1) <= 8
        // units of the reciprocal's error, plus the product's rescale
        let units = (y.to_f64().unwrap() - f(*v) * 4096.0).abs();
        assert!(units <= 3.0 + v.abs() + 1.0, "{units} units at {v}");
    }
    let xi = q.quantize_input(&x).unwrap();
    let c = arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model.clone()), xi).unwrap();
    arkml::groth16::check(c).unwrap();
    // Sqrt of a negative activation: a typed error naming the kernel, at inference
    let neg = model_bytes(
        13,
        vec![node("Sqrt", "sq", &["x"], &["y"])],
        vec![],
        value("x", &[Ok(1), Ok(2)]),
        value("y", &[Ok(1), Ok(2)]),
    );
    let q = quantize(&import(&neg, &o).unwrap().model, Scale::Pow2(8)).unwrap();
    let bad = ArrayD::from_shape_vec(IxDyn(&[2]), vec![1.0, -0.5]).unwrap();
    let e = q.model.infer(&q.quantize_input(&bad).unwrap()).unwrap_err();
    assert!(e.to_string().contains("Sqrt input"), "{e}");
}

/// LayerNormalization's integer error, per row standard deviation `sigma`: documented in
/// docs/import.md as at most `3 + 1 / sigma + sigma |z|` units of the output scale (the
/// centred values carry a unit of rounding, which the inverse square root multiplies by
/// `1 / sigma`; the inverse square root's floor, a unit of `S` in `1 / sigma`, is
/// multiplied by the centred value `sigma |z|`), tested at `2^12` for sigma from 0.02 to 3.5.
#[test]
fn layer_normalization_error_per_row_spread() {
    let (t, d) = (12usize, 16usize);
    let mut ln = node("LayerNormalization", "ln", &["x", "g"], &["y"]);
    ln.attribute = vec![int_attr("axis", -1), float_attr("epsilon", 1e-5)];
    let m = model_bytes(
        17,
        vec![ln],
        vec![weights("g", &[d as i64], &[1.0; 16])],
        value("x", &[Ok(1), Ok(t as i64), Ok(d as i64)]),
        value("y", &[Ok(1), Ok(t as i64), Ok(d as i64)]),
    );
    let o = ImportOptions {
        input_max: 8.0,
        ..Default::default()
    };
    let fm = import(&m, &o).unwrap().model;
    let sigmas: Vec<f64> = (0..t).map(|i| 0.02 * 1.6f64.powi(i as i32)).collect();
    // row i: a fixed pattern of mean 0 and spread sigma_i, shifted by i / 4
    let pattern: Vec<f64> = (0..d).map(|j| ((j * 7 % 16) as f64 - 7.5) / 4.6).collect();
    let x = ArrayD::from_shape_fn(IxDyn(&[t, d]), |ix| {
        (pattern[ix[1]] * sigmas[ix[0]] + ix[0] as f64 / 4.0 - 1.5).clamp(-8.0, 8.0)
    });
    // a [1, T, D] input is a 1-D map to arkml ([D, T], channels last): fitted as --nchw
    assert_eq!(fm.input_shape, [d, t]);
    let x = arkml::file::fit_input(x, &fm.input_shape, true).unwrap();
    let yf = fm.forward(&x).unwrap().last().unwrap().clone();
    let q = quantize(&fm, Scale::Pow2(12)).unwrap();
    let out = q.model.predict(&q.quantize_input(&x).unwrap()).unwrap();
    for (i, sigma) in sigmas.iter().enumerate() {
        let mut worst: f64 = 0.0;
        for j in 0..d {
            let units = (out[[j, i]].to_f64().unwrap() - yf[[j, i]] * 4096.0).abs();
            worst = worst.max(units);
        }
        eprintln!("sigma {sigma:.3}: largest error {worst:.2} units");
        // |z| <= 1.7 for this pattern
        assert!(
            worst <= 3.0 + 1.0 / sigma + 1.7 * sigma,
            "sigma {sigma}: {worst} units"
        );
    }
}

/// A Softmax inside the model (here followed by a Mul, so not dropped): over the last axis
/// of `[1, 3, 8]` (opset 13) and over the flattened trailing axes (opset 11's rule). The
/// integer probabilities are within the documented error of the float ones: at most
/// `2 + k p` units for a row of `k` elements (the exponential kernel's error in each term
/// of the sum, through the reciprocal), `p` the probability; the circuit is satisfied.
#[test]
fn softmax_inside_the_model_over_any_axis() {
    for (opset, axis, rows) in [(13, -1i64, 3usize), (11, 1, 1), (13, 1, 8)] {
        let mut sm = node("Softmax", "sm", &["x"], &["p"]);
        sm.attribute = vec![int_attr("axis", axis)];
        let m = model_bytes(
            opset,
            vec![sm, node("Mul", "one", &["p", "c"], &["y"])],
            vec![weights("c", &[1], &[1.0])],
            value("x", &[Ok(1), Ok(3), Ok(8)]),
            value("y", &[Ok(1), Ok(3), Ok(8)]),
        );
        let o = ImportOptions {
            input_max: 4.0,
            ..Default::default()
        };
        let fm = import(&m, &o).unwrap().model;
        assert!(
            fm.layers.iter().any(|l| l.kind() == "Reciprocal"),
            "opset {opset}"
        );
        // in ONNX's order, [3, 8]
        let xo = ArrayD::from_shape_fn(IxDyn(&[3, 8]), |ix| {
            (((ix[0] * 8 + ix[1]) * 7 % 23) as f64 / 23.0 * 8.0 - 4.0)
                * if ix[0] == 1 { 0.1 } else { 1.0 }
        });
        // the exact softmax over the rows of the axis
        let mut want = xo.clone();
        let k = 24 / rows;
        let flat: Vec<f64> = if axis == 1 && opset == 13 {
            // over axis 1 (length 3) of [3, 8]: columns
            let mut w = vec![0.0; 24];
            for j in 0..8 {
                let col: Vec<f64> = (0..3).map(|i| xo[[i, j]]).collect();
                let mx = col.iter().cloned().fold(f64::MIN, f64::max);
                let s: f64 = col.iter().map(|v| (v - mx).exp()).sum();
                for i in 0..3 {
                    w[i * 8 + j] = (col[i] - mx).exp() / s;
                }
            }
            w
        } else {
            let v: Vec<f64> = xo.iter().copied().collect();
            v.chunks(k)
                .flat_map(|r| {
                    let mx = r.iter().cloned().fold(f64::MIN, f64::max);
                    let s: f64 = r.iter().map(|v| (v - mx).exp()).sum();
                    r.iter()
                        .map(move |v| (v - mx).exp() / s)
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        want.iter_mut().zip(&flat).for_each(|(w, f)| *w = *f);
        let x = arkml::file::fit_input(xo.clone(), &fm.input_shape, true).unwrap();
        let wa = arkml::file::fit_input(want.clone(), &fm.input_shape, true).unwrap();
        let yf = fm.forward(&x).unwrap().last().unwrap().clone();
        for (g, w) in yf.iter().zip(wa.iter()) {
            assert!(
                (g - w).abs() < 1e-9,
                "opset {opset} axis {axis}: {g} vs {w}"
            );
        }
        let q = quantize(&fm, Scale::Pow2(12)).unwrap();
        let xi = q.quantize_input(&x).unwrap();
        let out = q.model.predict(&xi).unwrap();
        let kk = if axis == 1 && opset == 13 {
            3.0
        } else {
            k as f64
        };
        let mut worst: f64 = 0.0;
        for (g, w) in out.iter().zip(wa.iter()) {
            let units = (g.to_f64().unwrap() - w * 4096.0).abs();
            assert!(
                units <= 2.0 + kk * w,
                "opset {opset} axis {axis}: {units} units at p {w}"
            );
            worst = worst.max(units);
        }
        eprintln!("softmax opset {opset} axis {axis}: largest error {worst:.2} units");
        let c = arkml::model::ModelCircuit::new(std::sync::Arc::new(q.model.clone()), xi).unwrap();
        arkml::groth16::check(c).unwrap();
    }
}
