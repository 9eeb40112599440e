//! An ONNX model of `n` nodes, built in memory (for the import-time bench and the
//! node-limit tests): `x [1, 4] -> Relu -> Relu -> ... -> y`.

use arkml::onnx::proto::{
    data_type, Dimension, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorShapeProto,
    TypeProto, TypeProtoTensor, ValueInfoProto,
};
use prost::Message;

fn value(name: &str) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: data_type::FLOAT,
                shape: Some(TensorShapeProto {
                    dim: [1, 4]
                        .iter()
                        .map(|&v| Dimension {
                            dim_value: Some(v),
                            dim_param: None,
                        })
                        .collect(),
                }),
            }),
        }),
    }
}

/// The file's bytes.
pub fn relu_chain(n: usize) -> Vec<u8> {
    let name = |i: usize| {
        if i == 0 {
            "x".to_string()
        } else if i == n {
            "y".to_string()
        } else {
            format!("v{i}")
        }
    };
    let node = (1..=n)
        .map(|i| NodeProto {
            input: vec![name(i - 1)],
            output: vec![name(i)],
            name: format!("relu{i}"),
            op_type: "Relu".into(),
            ..Default::default()
        })
        .collect();
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        graph: Some(GraphProto {
            node,
            name: "chain".into(),
            initializer: vec![],
            input: vec![value("x")],
            output: vec![value("y")],
        }),
        ..Default::default()
    }
    .encode_to_vec()
}
