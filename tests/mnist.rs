//! circomlib-ml's trained MNIST CNN (scale 10^18, bias 10^36), built with the model builder:
//! every intermediate `*_out` and `*_remainder` reproduced bit for bit, ArgMax 7, and the
//! circuit satisfied.
mod common;
use common::{circomlib_ml, mnist_model, tensor};

use std::sync::Arc;

use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use arkml::model::{Model, ModelCircuit};
use num_bigint::BigInt;

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
    facts_match(&model, &summary);
    assert!(cs.is_satisfied().unwrap());
    println!("{}", Model::summary_table(&summary));
    println!(
        "total constraints: {} (circomlib-ml: 2,045,276)",
        cs.num_constraints()
    );
    let circuit = ModelCircuit::new(model, input).unwrap();
    assert_eq!(circuit.public_inputs(), vec![Fr::from(7u64)]);
}

/// The same weights re-quantised to 2^16: the prediction is unchanged, and the circuit is
/// much smaller (rescales by 2^16 are single decompositions of small values).
#[test]
fn mnist_requantised_to_pow2() {
    let Some(d) = circomlib_ml("mnist") else {
        return;
    };
    let (m, x) = common::mnist_model_pow2(&d, 16);
    let outs = m.infer(&x).unwrap();
    assert_eq!(
        outs.last().unwrap().out.iter().next().unwrap(),
        &BigInt::from(7)
    );
    let cs = ConstraintSystem::<Fr>::new_ref();
    let (_, summary) = m.synthesize(cs.clone(), &x).unwrap();
    facts_match(&m, &summary);
    assert!(cs.is_satisfied().unwrap());
    println!("{}", Model::summary_table(&summary));
    println!("total constraints at 2^16: {}", cs.num_constraints());
}

#[test]
fn mnist_requantised_with_batch_norm_folded() {
    let Some(d) = circomlib_ml("mnist") else {
        return;
    };
    let (m, x) = common::mnist_model_pow2_folded(&d, 16);
    assert_eq!(
        m.layers.len(),
        12,
        "two BatchNorms and two rescales folded away"
    );
    let outs = m.infer(&x).unwrap();
    assert_eq!(outs.last().unwrap().out.first().unwrap(), &BigInt::from(7));
    let cs = ConstraintSystem::<Fr>::new_ref();
    let (_, summary) = m.synthesize(cs.clone(), &x).unwrap();
    facts_match(&m, &summary);
    assert!(cs.is_satisfied().unwrap());
    println!("{}", Model::summary_table(&summary));
    // below 2^18 rows: the QAP domain (and the prover's floor) is half the unfolded model's
    assert_eq!(cs.num_constraints(), 194_915);
    assert!(cs.num_constraints() < 1 << 18);
}

/// The facts pass (bounds, scales and shapes without synthesis) matches what synthesis wrote.
fn facts_match(m: &Model, summary: &[arkml::model::LayerSummary]) {
    for (f, l) in m.facts().unwrap().iter().zip(summary) {
        assert_eq!(
            (f.bound, &f.scale, &f.shape, f.cost),
            (l.bound, &l.scale, &l.shape, l.constraints),
            "{}",
            l.kind
        );
    }
}
