//! circomlib-ml's trained MNIST CNN written as ONNX from its weights (read from
//! `../shared/conformance`, never copied here; `scripts/models/mnist_onnx.py` writes the same
//! file with the onnx package), imported and quantised at 2^16: the same integers, layer by
//! layer, as the hand-built 2^16 model with BatchNorm folded (`mnist_model_pow2_folded`).

mod common;
use common::{circomlib_ml, mnist_model_pow2_folded, tensor};

use arkml::onnx::proto::{
    attr_type, data_type, AttributeProto, Dimension, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto, TypeProtoTensor, ValueInfoProto,
};
use arkml::onnx::{import, ImportOptions};
use arkml::quant::quantize;
use arkml_gadgets::fixed::Scale;
use ndarray::{ArrayD, IxDyn};
use num_traits::ToPrimitive;
use prost::Message;
use serde_json::Value;

/// A circomlib-ml integer tensor at scale `10^e` as reals.
fn real(v: &Value, e: i32) -> ArrayD<f64> {
    tensor(v).map(|x| x.to_f64().unwrap() / 10f64.powi(e))
}

fn init(name: &str, a: &ArrayD<f64>) -> TensorProto {
    TensorProto {
        dims: a.shape().iter().map(|&d| d as i64).collect(),
        data_type: data_type::DOUBLE,
        double_data: a.iter().copied().collect(),
        name: name.into(),
        ..Default::default()
    }
}

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: attr_type::INTS,
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn node(op: &str, ins: &[&str], out: &str, attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        input: ins.iter().map(|s| s.to_string()).collect(),
        output: vec![out.into()],
        name: out.into(),
        op_type: op.into(),
        attribute,
        ..Default::default()
    }
}

/// The ONNX file: NCHW, weights as float64, BatchNorm with mean 0, variance 1, epsilon 0
/// (circomlib-ml's `a` and `b` are already folded), the dense rows in ONNX's CHW order.
pub fn mnist_onnx(d: &Value) -> Vec<u8> {
    let conv_w = |k: &str| {
        // Keras [kh][kw][cin][cout] -> ONNX [cout][cin][kh][kw]
        real(&d[k], 18)
            .permuted_axes(IxDyn(&[3, 2, 0, 1]))
            .as_standard_layout()
            .to_owned()
    };
    let dense = real(&d["dense_weights"], 18);
    let (c, hw) = (8usize, 5usize);
    let dense_chw = ArrayD::from_shape_fn(IxDyn(&[c * hw * hw, 10]), |i| {
        let (ch, pix) = (i[0] / (hw * hw), i[0] % (hw * hw));
        dense[[pix * c + ch, i[1]]]
    });
    let ones = |n| ArrayD::from_elem(IxDyn(&[n]), 1.0);
    let zeros = |n| ArrayD::from_elem(IxDyn(&[n]), 0.0);
    let mut inits = vec![
        init("w1", &conv_w("conv2d_1_weights")),
        init("b1", &real(&d["conv2d_1_bias"], 36)),
        init("a1", &real(&d["bn_1_a"], 18)),
        init("c1", &real(&d["bn_1_b"], 36)),
        init("w2", &conv_w("conv2d_2_weights")),
        init("b2", &real(&d["conv2d_2_bias"], 36)),
        init("a2", &real(&d["bn_2_a"], 18)),
        init("c2", &real(&d["bn_2_b"], 36)),
        init("wd", &dense_chw),
        init("bd", &real(&d["dense_bias"], 36)),
    ];
    inits.extend([
        init("m1", &zeros(4)),
        init("v1", &ones(4)),
        init("m2", &zeros(8)),
        init("v2", &ones(8)),
    ]);
    let eps = AttributeProto {
        name: "epsilon".into(),
        r#type: attr_type::FLOAT,
        f: 0.0,
        ..Default::default()
    };
    let pool = || vec![ints("kernel_shape", &[2, 2]), ints("strides", &[2, 2])];
    let nodes = vec![
        node(
            "Conv",
            &["x", "w1", "b1"],
            "conv1",
            vec![ints("kernel_shape", &[3, 3])],
        ),
        node(
            "BatchNormalization",
            &["conv1", "a1", "c1", "m1", "v1"],
            "bn1",
            vec![eps.clone()],
        ),
        node("Relu", &["bn1"], "relu1", vec![]),
        node("AveragePool", &["relu1"], "pool1", pool()),
        node(
            "Conv",
            &["pool1", "w2", "b2"],
            "conv2",
            vec![ints("kernel_shape", &[3, 3])],
        ),
        node(
            "BatchNormalization",
            &["conv2", "a2", "c2", "m2", "v2"],
            "bn2",
            vec![eps],
        ),
        node("Relu", &["bn2"], "relu2", vec![]),
        node("AveragePool", &["relu2"], "pool2", pool()),
        node("Flatten", &["pool2"], "flat", vec![]),
        node("Gemm", &["flat", "wd", "bd"], "logits", vec![]),
    ];
    let value = |name: &str, dims: &[i64]| ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: data_type::DOUBLE,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&v| Dimension {
                            dim_value: Some(v),
                            dim_param: None,
                        })
                        .collect(),
                }),
            }),
        }),
    };
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        producer_name: "arkml tests/mnist_onnx.rs".into(),
        graph: Some(GraphProto {
            node: nodes,
            name: "circomlib-ml mnist".into(),
            initializer: inits,
            input: vec![value("x", &[1, 1, 28, 28])],
            output: vec![value("logits", &[1, 10])],
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn mnist_as_onnx_gives_the_hand_built_integers() {
    let Some(d) = circomlib_ml("mnist") else {
        return;
    };
    let opts = ImportOptions {
        input_max: 1.0,
        argmax: true,
        ..Default::default()
    };
    let imported = import(&mnist_onnx(&d), &opts).unwrap();
    // both BatchNorms folded into their convolutions
    assert_eq!(
        imported
            .notes
            .iter()
            .filter(|n| n.contains("folded"))
            .count(),
        2,
        "{:?}",
        imported.notes
    );
    let q = quantize(&imported.model, Scale::Pow2(16)).unwrap();
    let (hand, x) = mnist_model_pow2_folded(&d, 16);
    assert_eq!(q.model.layers.len(), hand.layers.len());
    for (i, (a, b)) in q.model.layers.iter().zip(&hand.layers).enumerate() {
        assert_eq!(a.kind(), b.kind(), "layer {i}");
        assert_eq!(
            format!("{a:?}"),
            format!("{b:?}"),
            "layer {i} ({})",
            a.kind()
        );
    }
    let xf = real(&d["in"], 18);
    assert_eq!(q.quantize_input(&xf).unwrap(), x);
    let (ours, theirs) = (q.model.infer(&x).unwrap(), hand.infer(&x).unwrap());
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(a.out, b.out, "layer {i}");
    }
    assert_eq!(ours.last().unwrap().out.first().unwrap(), &7.into());
}
