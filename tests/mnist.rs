//! circomlib-ml's trained MNIST CNN (scale 10^18, bias 10^36), built with the model builder:
//! every intermediate `*_out` and `*_remainder` reproduced bit for bit, ArgMax 7, and the
//! circuit satisfied.
mod common;
use common::{circomlib_ml, tensor};

use std::sync::Arc;

use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use arkml::model::{Layer, Model, ModelCircuit};
use arkml_gadgets::layers::{Conv2dConfig, Pool2dConfig};
use arkml_gadgets::tensor::Visibility;
use ndarray::{Ix1, Ix2, Ix4};
use num_bigint::{BigInt, BigUint};
use serde_json::Value;

fn mnist_model(d: &Value) -> Model {
    let n = BigUint::from(10u32).pow(18);
    let t1 = |k: &str| tensor(&d[k]).into_dimensionality::<Ix1>().unwrap();
    let conv = |p: &str| Layer::Conv2d {
        w: tensor(&d[format!("{p}_weights")])
            .into_dimensionality::<Ix4>()
            .unwrap(),
        b: t1(&format!("{p}_bias")),
        cfg: Conv2dConfig::default(),
    };
    let bn = |p: &str| Layer::BatchNorm {
        a: t1(&format!("{p}_a")),
        b: t1(&format!("{p}_b")),
    };
    let pool = Layer::AvgPool2d(Pool2dConfig::new((2, 2)));
    Model {
        input_shape: vec![28, 28, 1],
        input_bound: 60,
        input_visibility: Visibility::Private,
        layers: vec![
            conv("conv2d_1"),
            Layer::Rescale(n.clone()),
            bn("bn_1"),
            Layer::Rescale(n.clone()),
            Layer::Relu,
            pool.clone(),
            conv("conv2d_2"),
            Layer::Rescale(n.clone()),
            bn("bn_2"),
            Layer::Rescale(n.clone()),
            Layer::Relu,
            pool,
            Layer::Flatten,
            Layer::Dense {
                w: tensor(&d["dense_weights"])
                    .into_dimensionality::<Ix2>()
                    .unwrap(),
                b: t1("dense_bias"),
            },
            Layer::Rescale(n),
            Layer::ArgMax,
        ],
    }
}

#[test]
fn mnist_reproduces_every_layer_and_is_satisfied() {
    let Some(d) = circomlib_ml("mnist") else {
        return;
    };
    let model = Arc::new(mnist_model(&d));
    let input = tensor(&d["in"]);
    let outs = model.infer(&input).unwrap();
    let expect = [
        (1, "conv2d_1"),
        (3, "bn_1"),
        (5, "avg2d_1"),
        (7, "conv2d_2"),
        (9, "bn_2"),
        (11, "avg2d_2"),
        (14, "dense"),
    ];
    for (i, name) in expect {
        assert_eq!(outs[i].out, tensor(&d[format!("{name}_out")]), "{name}_out");
        assert_eq!(
            outs[i].remainder.as_ref().unwrap(),
            &tensor(&d[format!("{name}_remainder")]),
            "{name}_remainder"
        );
    }
    assert_eq!(outs[4].out, tensor(&d["relu_1_out"]));
    assert_eq!(outs[10].out, tensor(&d["relu_2_out"]));
    assert_eq!(outs[12].out, tensor(&d["flatten_out"]));
    assert_eq!(outs[15].out.iter().next().unwrap(), &BigInt::from(7));
    assert_eq!(
        tensor(&d["argmax_out"]).iter().next().unwrap(),
        &BigInt::from(7)
    );

    let cs = ConstraintSystem::<Fr>::new_ref();
    let (_, summary) = model.synthesize(cs.clone(), &input).unwrap();
    assert!(cs.is_satisfied().unwrap());
    println!("{}", Model::summary_table(&summary));
    println!(
        "total constraints: {} (circomlib-ml: 2,045,276)",
        cs.num_constraints()
    );
    let circuit = ModelCircuit::new(model, input).unwrap();
    assert_eq!(circuit.public_inputs(), vec![Fr::from(7u64)]);
}
