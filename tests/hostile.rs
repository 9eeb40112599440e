//! Hostile files and values: every one is a typed error, never a panic, an abort or a
//! wrapped integer (issue 13, item 5 and 7's reproductions). These run in the dev profile
//! too, where integer overflow panics.

use arkml::model::ops;
use std::sync::Arc;

mod cli;
use cli::arkml;

use ark_bn254::Fr;
use arkml::bounty::{Bounty, Pgm};
use arkml::file::model_from_json;
use arkml::handover::Handover;
use arkml::model::Limits;
use num_bigint::BigUint;

const HEAD: &str = r#""format":"arkml-model","version":1,"input_visibility":"private","weights":{"visibility":"constant","weight_bits":0,"bias_bits":0}"#;

fn model(input_shape: &str, input_bound: &str, layers: &str) -> String {
    format!(
        r#"{{{HEAD},"input_shape":{input_shape},"input_bound":{input_bound},"layers":[{layers}]}}"#
    )
}

fn refused(json: &str, needle: &str) {
    let r = std::panic::catch_unwind(|| model_from_json(json, "mem"));
    let e = r.expect("no panic").expect_err("refused");
    assert!(e.to_string().contains(needle), "{e}");
}

#[test]
fn hostile_model_files_are_typed_errors() {
    let bn =
        r#"{"type":"batch_norm","a":{"shape":[1],"data":["1"]},"b":{"shape":[1],"data":["1"]}}"#;
    refused(
        &model("[3]", "4", &format!(r#"{{"type":"argmax"}},{bn}"#)),
        "layer 1 (BatchNorm)",
    );
    refused(
        &model(
            "[1,1,1]",
            "4",
            r#"{"type":"up_sample2d","size":[4294967296,1]}"#,
        ),
        "layer 0 (UpSample2D)",
    );
    refused(
        &model(
            "[1,1,1]",
            "4",
            r#"{"type":"up_sample2d","size":[100000,100000]}"#,
        ),
        "limit",
    );
    refused(
        &model(
            "[2,2,1]",
            "4",
            r#"{"type":"max_pool2d","size":[18446744073709551615,1],"stride":[1,1],"padding":"same"}"#,
        ),
        "layer 0 (MaxPool2D)",
    );
    let conv = |dil: &str, pad: &str| {
        format!(
            r#"{{"type":"conv2d","weights":{{"shape":[2,2,1,1],"data":["1","1","1","1"]}},"bias":{{"shape":[1],"data":["0"]}},"dilation":[{dil},1],"padding":"{pad}"}}"#
        )
    };
    refused(
        &model("[3,3,1]", "4", &conv("9223372036854775807", "valid")),
        "layer 0 (Conv2D)",
    );
    refused(
        &model("[3,3,1]", "4", &conv("9223372036854775807", "same")),
        "layer 0 (Conv2D)",
    );
    refused(
        &model("[3,3,1]", "4", &conv("18446744073709551615", "same")),
        "layer 0 (Conv2D)",
    );
    refused(
        &model("[4294967296,4294967296]", "4", r#"{"type":"flatten"}"#),
        "overflows",
    );
    refused(
        &model("[100000,100000]", "4", r#"{"type":"flatten"}"#),
        "limit",
    );
    refused(
        &model("[1]", "4294967295", r#"{"type":"relu"}"#),
        "input bound",
    );
    refused(
        r#"{"format":"arkml-model","version":1,"input_visibility":"private","weights":{"visibility":"private","weight_bits":4294967295,"bias_bits":8},"input_shape":[2],"input_bound":4,"layers":[{"type":"dense","weights":{"shape":[2,1],"data":["1","1"]},"bias":{"shape":[1],"data":["0"]}}]}"#,
        "weight width",
    );
    refused(
        &model(
            "[4,1]",
            "4",
            r#"{"type":"reshape","shape":[4294967296,4294967296]}"#,
        ),
        "layer 0 (Reshape)",
    );
    // a tensor whose shape product overflows
    refused(
        &model(
            "[2]",
            "4",
            r#"{"type":"dense","weights":{"shape":[4294967296,4294967296],"data":["1"]},"bias":{"shape":[1],"data":["0"]}}"#,
        ),
        "overflows",
    );
}

#[test]
fn the_size_limit_is_configurable() {
    let m = model_from_json(&model("[64,64,3]", "8", r#"{"type":"flatten"}"#), "mem").unwrap();
    assert!(m.shapes().is_ok());
    let err = m
        .shapes_within(&Limits {
            max_elements: 1000,
            ..Limits::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("above the limit of 1000"), "{err}");
}

#[test]
fn hostile_snarkjs_keys_are_typed_errors() {
    use arkml::snarkjs::vk_from_json;
    let mut rng = ark_std::test_rng();
    let vk = ark_groth16::VerifyingKey::<ark_bn254::Bn254> {
        alpha_g1: ark_std::UniformRand::rand(&mut rng),
        beta_g2: ark_std::UniformRand::rand(&mut rng),
        gamma_g2: ark_std::UniformRand::rand(&mut rng),
        delta_g2: ark_std::UniformRand::rand(&mut rng),
        gamma_abc_g1: vec![ark_std::UniformRand::rand(&mut rng)],
    };
    let good = arkml::snarkjs::vk_to_json(&vk);
    assert!(vk_from_json(&good).is_ok());
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        std::panic::catch_unwind(|| vk_from_json(&v)).expect("no panic")
    };
    assert!(edit(&|v| {
        v["nPublic"] = serde_json::json!(u64::MAX);
        v["IC"] = serde_json::json!([]);
    })
    .is_err());
    assert!(edit(&|v| v["IC"] = serde_json::json!([])).is_err());
    // an identity delta accepts forged proofs: refused
    let e = edit(&|v| v["vk_delta_2"] = serde_json::json!([["0", "0"], ["1", "0"], ["0", "0"]]))
        .unwrap_err();
    assert!(e.to_string().contains("identity"), "{e}");
    // an identity with junk coordinates
    assert!(edit(&|v| v["IC"][0] = serde_json::json!(["5", "7", "0"])).is_err());
    // non-strict decimals
    assert!(edit(&|v| v["vk_alpha_1"][2] = "+1".into()).is_err());
    assert!(arkml::snarkjs::public_from_json(&serde_json::json!(["+1_0"])).is_err());
    assert!(arkml::snarkjs::public_from_json(&serde_json::json!(["10"])).is_ok());
}

#[test]
fn hostile_pgms_are_typed_errors() {
    for bad in [
        b"P5\n4611686018427387905 4\n255\n\x00".to_vec(),
        b"P5\n18446744073709551615 18446744073709551615\n255\n\x00".to_vec(),
        b"P5\n2 2\n255\n\x00".to_vec(),
        b"P5\n".to_vec(),
    ] {
        let r = std::panic::catch_unwind(|| Pgm::parse(&bad)).expect("no panic");
        assert!(r.is_err());
    }
}

#[test]
fn hand_over_refuses_a_secret_that_is_zero_mod_the_subgroup_order() {
    use arkml_gadgets::crypto::babyjub::native_public_key;
    let l: BigUint = <ark_ed_on_bn254::Fr as ark_ff::PrimeField>::MODULUS.into();
    let recipient = native_public_key(&BigUint::from(99u32));
    for s in [BigUint::from(0u32), l.clone(), &l * 2u32] {
        let r = Handover::new(
            vec![Fr::from(1u64)],
            Fr::from(2u64),
            s.clone(),
            recipient,
            1,
        );
        assert!(r.is_err(), "secret {s}");
    }
    assert!(Handover::new(
        vec![Fr::from(1u64)],
        Fr::from(2u64),
        BigUint::from(5u32),
        recipient,
        1
    )
    .is_ok());
}

#[test]
fn bounty_statements_are_checked_before_synthesis() {
    use arkml::model::{Layer, Model, WeightSpec};
    use arkml_gadgets::tensor::Visibility;
    use ndarray::{Array1, Array2};
    use num_bigint::BigInt;
    let m = |argmax: bool| {
        let mut layers = vec![
            Layer::Flatten(ops::Flatten),
            Layer::Dense(ops::Dense {
                w: Array2::from_elem((4, 2), BigInt::from(1)),
                b: Array1::from_elem(2, BigInt::from(0)),
            }),
        ];
        if argmax {
            layers.push(Layer::ArgMax(ops::ArgMax));
        }
        Arc::new(Model {
            graph: Default::default(),
            input_shape: vec![2, 2, 1],
            input_bound: 8,
            input_visibility: Visibility::Private,
            layers,
            weights: WeightSpec {
                visibility: Visibility::Private,
                weight_bits: 4,
                bias_bits: 4,
            },
            scale: None,
        })
    };
    let pgm = |w: usize, h: usize| {
        let mut f = format!("P5\n{w} {h}\n255\n").into_bytes();
        f.extend(std::iter::repeat_n(7u8, w * h));
        f
    };
    let b = Bounty {
        model: m(true),
        files: vec![pgm(2, 2)],
        digests: vec![arkml_gadgets::crypto::sha256::native_sha256(&pgm(2, 2))],
        labels: vec![0],
        threshold: 1,
        salt: Fr::from(3u64),
    };
    assert!(b.check().is_ok());
    let mut bad = b.clone();
    bad.labels.push(1);
    assert!(bad.check().unwrap_err().to_string().contains("2 labels"));
    assert!(
        arkml::groth16::check(bad).is_err(),
        "a typed refusal, not a panic in synthesis"
    );
    let mut bad = b.clone();
    bad.digests.clear();
    assert!(bad.check().is_err());
    let mut bad = b.clone();
    bad.model = m(false);
    assert!(bad.check().unwrap_err().to_string().contains("ArgMax"));
    let mut bad = b.clone();
    bad.files = vec![pgm(4, 1)];
    assert!(bad
        .check()
        .unwrap_err()
        .to_string()
        .contains("height x width"));
}

#[test]
fn bounds_too_wide_for_the_field_are_named_before_any_work() {
    use arkml::circuit::ModelCircuit;
    // a weight of 2^200 on inputs of 2^60: the accumulator needs more than the field holds
    let json = model(
        "[2]",
        "60",
        r#"{"type":"dense","weights":{"shape":[2,1],"data":["1606938044258990275541962092341162602522202993782792835301376","1"]},"bias":{"shape":[1],"data":["0"]}}"#,
    );
    let m = model_from_json(&json, "mem").unwrap();
    let err = m.facts().unwrap_err().to_string();
    assert!(
        err.contains("layer 0 (Dense)") && err.contains("bits"),
        "{err}"
    );
    let x = ndarray::ArrayD::from_elem(ndarray::IxDyn(&[2]), num_bigint::BigInt::from(1));
    let err = ModelCircuit::new(Arc::new(m), x).unwrap_err().to_string();
    assert!(
        err.contains("layer 0 (Dense)") && err.contains("bits"),
        "{err}"
    );
    // through the CLI: setup names the layer and the bits, not "unsatisfiable"
    let dir = std::env::temp_dir().join(format!("arkml-wide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = |n: &str| dir.join(n).display().to_string();
    std::fs::write(p("m.json"), &json).unwrap();
    let (ok, _, err) = arkml(&["setup", &p("m.json"), "--pk", &p("pk"), "--vk", &p("vk")]);
    assert!(
        !ok && err.contains("layer 0 (Dense)") && err.contains("bits"),
        "{err}"
    );
    assert!(!err.to_lowercase().contains("unsatisfiable"), "{err}");
    // quantize --scale refuses a scale whose bounds cannot fit
    let digits = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/digits/model.json"
    );
    let (ok, _, err) = arkml(&["quantize", digits, "--scale", "2^130", "-o", &p("q.json")]);
    assert!(
        !ok && err.contains("layer") && err.contains("bits"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn graph(input_shape: &str, input_bound: &str, layers: &str) -> String {
    model(input_shape, input_bound, layers).replace(r#""version":1"#, r#""version":2"#)
}

#[test]
fn model_file_graphs_name_their_nodes_and_refuse_empty_inputs() {
    // "inputs": [] read whichever node preceded it in sorted order
    refused(
        &graph(
            "[2]",
            "8",
            r#"{"type":"relu","name":"a","inputs":["input"]},{"type":"relu","name":"b","inputs":[]}"#,
        ),
        r#"layer 1 "b" (relu), field `inputs`: an empty list"#,
    );
    // a shape error after sorting names the node, not its sorted position
    refused(
        &graph(
            "[2]",
            "8",
            r#"{"type":"add","name":"sum","inputs":["a","r"]},{"type":"relu","name":"a","inputs":["input"]},{"type":"reshape","name":"r","inputs":["input"],"shape":[2,1]}"#,
        ),
        r#"node "sum""#,
    );
    // an arity error too
    refused(
        &graph(
            "[2]",
            "8",
            r#"{"type":"relu","name":"a","inputs":["input"]},{"type":"add","name":"lonely","inputs":["a"]}"#,
        ),
        r#"node "lonely""#,
    );
}

#[test]
fn bounds_over_the_field_are_refused_by_the_facts_pass_for_every_op() {
    // a LeakyReLU slope whose numerator makes a*x a 255-bit bound: inspect refuses it
    // (before, it passed inspect and failed setup as "unsatisfiable")
    let a = BigUint::from(1u32) << 250u32;
    let json = model(
        "[2]",
        "8",
        &format!(r#"{{"type":"leaky_relu","a":"{a}","d":"{a}"}}"#),
    );
    let m = model_from_json(&json, "mem").unwrap();
    let err = m.facts().unwrap_err().to_string();
    assert!(
        err.contains("layer 0 (LeakyReLU)") && err.contains("leaky relu a*x"),
        "{err}"
    );
    let dir = cli::tmp("facts");
    let p = |n: &str| dir.join(n).display().to_string();
    std::fs::write(p("m.json"), &json).unwrap();
    std::fs::write(p("x.json"), r#"{"shape":[2],"data":["1","-1"]}"#).unwrap();
    for args in [
        vec!["inspect", &p("m.json")[..]],
        vec!["infer", &p("m.json"), &p("x.json")],
        vec!["setup", &p("m.json"), "--pk", &p("pk"), "--vk", &p("vk")],
    ] {
        let (ok, _, err) = arkml(&args);
        assert!(!ok && err.contains("leaky relu a*x"), "{args:?}: {err}");
    }
    // infer makes inspect's checks: inputs at different scales are refused by both
    let scales = graph(
        "[2]",
        "8",
        r#"{"type":"poly_raw","name":"sq","inputs":["input"],"n":"16"},{"type":"add","name":"sum","inputs":["input","sq"]}"#,
    )
    .replace(r#""input_bound":8"#, r#""input_bound":8,"scale":"16""#);
    std::fs::write(p("s.json"), &scales).unwrap();
    for args in [
        vec!["inspect", &p("s.json")[..]],
        vec!["infer", &p("s.json"), &p("x.json")],
    ] {
        let (ok, _, err) = arkml(&args);
        assert!(
            !ok && err.contains(r#"node "sum""#) && err.contains("different scales"),
            "{args:?}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn files_beyond_the_limits_are_typed_errors_before_reading_them() {
    let dir = cli::tmp("limits");
    // a (sparse) file one byte over the size limit: refused before reading
    let big = dir.join("big.json");
    let limit = Limits::default().max_file_bytes;
    std::fs::File::create(&big)
        .unwrap()
        .set_len(limit + 1)
        .unwrap();
    let err = arkml::file::load_model(&big).unwrap_err();
    assert!(
        matches!(err, arkml::file::FileError::TooLarge { bytes, .. } if bytes == limit + 1),
        "{err}"
    );
    let (ok, _, err) = arkml(&["inspect", &big.display().to_string()]);
    assert!(!ok && err.contains("beyond the limit"), "{err}");
    let (ok, _, err) = arkml(&[
        "import",
        &big.display().to_string(),
        "-o",
        &dir.join("o.json").display().to_string(),
    ]);
    assert!(!ok && err.contains("beyond the limit"), "{err}");
    let err = arkml::onnx::load_onnx(&big, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("beyond the limit"), "{err}");
    // more layers than the node limit
    let n = Limits::default().max_nodes + 1;
    let layers = vec![r#"{"type":"relu"}"#; n].join(",");
    refused(&model("[2]", "8", &layers), "max_nodes");
    let _ = std::fs::remove_dir_all(&dir);
}
