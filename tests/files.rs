//! Model, tensor, key and proof files, and the `arkml` CLI end to end; malformed files are
//! typed errors that name what is wrong, never panics.
mod cli;
mod common;
use cli::{arkml, tmp};
use common::{small_input, small_model};

use arkml::file::{self, model_from_json, model_to_json, FileError, TensorFile};

#[test]
fn model_json_roundtrip() {
    let m = small_model();
    let back = model_from_json(&model_to_json(&m), "mem").unwrap();
    for seed in 0..3 {
        let x = small_input(seed);
        let a = m.infer(&x).unwrap();
        let b = back.infer(&x).unwrap();
        assert_eq!(a.last().unwrap().out, b.last().unwrap().out);
    }
    assert_eq!(model_to_json(&back), model_to_json(&m));
}

#[test]
fn mnist_json_roundtrip() {
    let Some(d) = common::circomlib_ml("mnist") else {
        return;
    };
    let m = common::mnist_model(&d);
    let back = model_from_json(&model_to_json(&m), "mem").unwrap();
    let x = common::tensor(&d["in"]);
    assert_eq!(
        back.infer(&x)
            .unwrap()
            .last()
            .unwrap()
            .out
            .iter()
            .next()
            .unwrap(),
        &7.into()
    );
}

fn field_error(json: &str) -> FileError {
    model_from_json(json, "mem").unwrap_err()
}

#[test]
fn malformed_models_name_layer_and_field() {
    let good: serde_json::Value = serde_json::from_str(&model_to_json(&small_model())).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        v.to_string()
    };
    let e = field_error(&edit(&|v| v["layers"][0]["bias"]["data"][0] = "1.5".into()));
    assert!(
        matches!(&e, FileError::Field { layer, field, .. } if layer == "0" && field == "bias"),
        "{e}"
    );
    let e = field_error(&edit(&|v| {
        v["layers"][5]["weights"]["shape"] = serde_json::json!([8, 4])
    }));
    assert!(
        matches!(&e, FileError::Field { layer, field, .. } if layer == "5" && field == "weights"),
        "{e}"
    );
    let e = field_error(&edit(&|v| {
        v["layers"][5]["weights"]["shape"] = serde_json::json!([24])
    }));
    assert!(e.to_string().contains("expected 2 dimensions"), "{e}");
    let e = field_error(&edit(&|v| v["layers"][1]["divisor"] = "0".into()));
    assert!(
        matches!(&e, FileError::Field { layer, field, .. } if layer == "1" && field == "divisor"),
        "{e}"
    );
    let e = field_error(&edit(&|v| v["layers"][2]["type"] = "softmax".into()));
    assert!(
        matches!(&e, FileError::Field { layer, field, .. } if layer == "2" && field == "type")
            && e.to_string().contains("unknown layer type \"softmax\""),
        "{e}"
    );
    let e = field_error(&edit(&|v| v["format"] = "onnx".into()));
    assert!(
        matches!(&e, FileError::Field { field, .. } if field == "format"),
        "{e}"
    );
    assert!(matches!(field_error("{"), FileError::Json { .. }));
    assert!(matches!(field_error("[]"), FileError::Json { .. }));
    let t = TensorFile {
        shape: vec![2, 2],
        data: vec!["1".into()],
    };
    assert!(t.to_array().is_err());
}

#[test]
fn cli_end_to_end_and_bad_files() {
    let dir = tmp("cli");
    let p = |n: &str| dir.join(n).display().to_string();
    file::save_model(&dir.join("model.json"), &small_model()).unwrap();
    std::fs::write(
        dir.join("input.json"),
        serde_json::to_string(&TensorFile::from_array(&small_input(1))).unwrap(),
    )
    .unwrap();

    let (ok, out, err) = arkml(&["inspect", &p("model.json")]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Conv2D") && out.contains("total constraints"),
        "{out}"
    );
    let (ok, out, err) = arkml(&["infer", &p("model.json"), &p("input.json")]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let expected = small_model()
        .infer(&small_input(1))
        .unwrap()
        .last()
        .unwrap()
        .out
        .clone();
    assert_eq!(
        v["output"]["data"][0],
        expected.iter().next().unwrap().to_string()
    );
    assert!(
        arkml(&[
            "setup",
            &p("model.json"),
            "--pk",
            &p("pk"),
            "--vk",
            &p("vk")
        ])
        .0
    );
    let (ok, _, err) = arkml(&[
        "prove",
        &p("model.json"),
        &p("input.json"),
        "--pk",
        &p("pk"),
        "-o",
        &p("proof"),
    ]);
    assert!(ok, "{err}");
    let (ok, out, _) = arkml(&["verify", "--vk", &p("vk"), &p("proof")]);
    assert!(ok && out.contains("valid"));

    // a changed public output is rejected
    let public = std::fs::read_to_string(p("proof.public.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&public).unwrap();
    assert_eq!(v["public"][0]["role"], "output", "{v}");
    let claimed: u64 = v["public"][0]["value"].as_str().unwrap().parse().unwrap();
    v["public"][0]["value"] = (claimed + 1).to_string().into();
    std::fs::write(p("proof.public.json"), v.to_string()).unwrap();
    let (ok, out, _) = arkml(&["verify", "--vk", &p("vk"), &p("proof")]);
    assert!(!ok && out.contains("INVALID"));
    // an input at or above the modulus is a typed error
    v["public"][0]["value"] = arkml_gadgets::fixed::modulus::<ark_bn254::Fr>()
        .to_string()
        .into();
    std::fs::write(p("proof.public.json"), v.to_string()).unwrap();
    let (ok, _, err) = arkml(&["verify", "--vk", &p("vk"), &p("proof")]);
    assert!(!ok && err.contains("modulus"), "{err}");
    std::fs::write(p("proof.public.json"), &public).unwrap();

    // truncated and corrupted key / proof files: errors, not panics
    let proof = std::fs::read(p("proof")).unwrap();
    std::fs::write(p("proof"), &proof[..proof.len() / 2]).unwrap();
    let (ok, _, err) = arkml(&["verify", "--vk", &p("vk"), &p("proof")]);
    assert!(!ok && err.contains("not a valid proof"), "{err}");
    let mut bad = proof.clone();
    bad[5] ^= 0xff;
    std::fs::write(p("proof"), &bad).unwrap();
    let (ok, _, err) = arkml(&["verify", "--vk", &p("vk"), &p("proof")]);
    assert!(!ok && !err.contains("panicked"), "{err}");
    std::fs::write(p("proof"), &proof).unwrap();
    let vk = std::fs::read(p("vk")).unwrap();
    std::fs::write(p("vk"), &vk[..10]).unwrap();
    let (ok, _, err) = arkml(&["verify", "--vk", &p("vk"), &p("proof")]);
    assert!(!ok && err.contains("not a valid verifying key"), "{err}");
    // a proof checked against another model's key
    let mut other = small_model();
    other.layers.pop();
    file::save_model(&dir.join("other.json"), &other).unwrap();
    assert!(
        arkml(&[
            "setup",
            &p("other.json"),
            "--pk",
            &p("pk2"),
            "--vk",
            &p("vk2")
        ])
        .0
    );
    let (ok, _, _) = arkml(&["verify", "--vk", &p("vk2"), &p("proof")]);
    assert!(!ok);
    // an input of the wrong shape names the model input
    std::fs::write(p("bad_input.json"), r#"{"shape":[2],"data":["1","2"]}"#).unwrap();
    let (ok, _, err) = arkml(&["infer", &p("model.json"), &p("bad_input.json")]);
    assert!(!ok && err.contains("model input"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_quantize() {
    let dir = tmp("quant");
    let p = |n: &str| dir.join(n).display().to_string();
    let digits = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/digits/model.json"
    );
    let (ok, out, err) = arkml(&["quantize", digits, "--scale", "2^12", "-o", &p("q.json")]);
    assert!(ok, "{err}");
    assert!(
        out.contains("scale 2^12") && out.contains("rounding error"),
        "{out}"
    );
    let m = file::load_model(&dir.join("q.json")).unwrap();
    assert_eq!(m.layers.len(), 6, "two dense layers, each with its rescale");
    let (ok, out, err) = arkml(&["inspect", &p("q.json")]);
    assert!(ok && out.contains("2^12"), "{out}{err}");
    let (ok, out, err) = arkml(&["quantize", digits, "--budget", "30", "-o", &p("b.json")]);
    assert!(ok, "{err}");
    assert!(out.starts_with("scale 2^"), "{out}");
    for bad in [
        vec!["quantize", digits, "--scale", "3^4", "-o", &p("x.json")],
        vec!["quantize", digits, "-o", &p("x.json")],
        vec![
            "quantize",
            digits,
            "--budget",
            "30",
            "--base",
            "7",
            "-o",
            &p("x.json"),
        ],
    ] {
        let (ok, _, err) = arkml(&bad);
        assert!(!ok && err.contains("error"), "{bad:?}: {err}");
    }
    // an integer model is not a float model, and vice versa
    let (ok, _, err) = arkml(&["inspect", digits]);
    assert!(!ok && err.contains("dtype"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_export_and_report() {
    let dir = tmp("export");
    let p = |n: &str| dir.join(n).display().to_string();
    file::save_model(&dir.join("model.json"), &small_model()).unwrap();
    std::fs::write(
        dir.join("input.json"),
        serde_json::to_string(&TensorFile::from_array(&small_input(3))).unwrap(),
    )
    .unwrap();
    assert!(
        arkml(&[
            "setup",
            &p("model.json"),
            "--pk",
            &p("pk"),
            "--vk",
            &p("vk")
        ])
        .0
    );
    assert!(
        arkml(&[
            "prove",
            &p("model.json"),
            &p("input.json"),
            "--pk",
            &p("pk"),
            "-o",
            &p("proof")
        ])
        .0
    );
    let (ok, _, err) = arkml(&[
        "export",
        "snarkjs",
        "--vk",
        &p("vk"),
        &p("proof"),
        "-o",
        &p("sj"),
    ]);
    assert!(ok, "{err}");
    let read = |n: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("sj").join(n)).unwrap()).unwrap()
    };
    let vk = arkml::snarkjs::vk_from_json(&read("verification_key.json")).unwrap();
    let proof = arkml::snarkjs::proof_from_json(&read("proof.json")).unwrap();
    let public = arkml::snarkjs::public_from_json(&read("public.json")).unwrap();
    assert!(arkml::groth16::verify(&vk, &public, &proof).unwrap());
    let (ok, _, err) = arkml(&["export", "solidity", "--vk", &p("vk"), "-o", &p("V.sol")]);
    assert!(ok, "{err}");
    assert!(std::fs::read_to_string(dir.join("V.sol"))
        .unwrap()
        .contains("contract Groth16Verifier"));
    let (ok, out, err) = arkml(&["report", &p("model.json"), "--svg", &p("chart.svg")]);
    assert!(ok, "{err}");
    assert!(out.contains("| relu |") && out.contains("Conv2D"), "{out}");
    assert!(std::fs::read_to_string(dir.join("chart.svg"))
        .unwrap()
        .starts_with("<svg"));
    // a corrupted key is an error, not a panic
    std::fs::write(dir.join("vk"), b"junk").unwrap();
    let (ok, _, err) = arkml(&["export", "solidity", "--vk", &p("vk"), "-o", &p("V.sol")]);
    assert!(!ok && err.contains("verifying key"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_proves_a_float_input_and_says_the_class() {
    let dir = tmp("float-input");
    let p = |n: &str| dir.join(n).display().to_string();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/digits");
    let (ok, _, err) = arkml(&[
        "quantize",
        &format!("{fixtures}/model.json"),
        "--scale",
        "2^12",
        "-o",
        &p("q.json"),
    ]);
    assert!(ok, "{err}");
    let test: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{fixtures}/test.json")).unwrap())
            .unwrap();
    let x = &test["x"][0];
    std::fs::write(
        p("x.json"),
        serde_json::json!({"shape": [64], "data": x}).to_string(),
    )
    .unwrap();
    assert!(arkml(&["setup", &p("q.json"), "--pk", &p("pk"), "--vk", &p("vk")]).0);
    let (ok, out, err) = arkml(&[
        "prove",
        &p("q.json"),
        &p("x.json"),
        "--float",
        "--pk",
        &p("pk"),
        "-o",
        &p("proof"),
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("class: {}", test["float_pred"][0])),
        "{out}"
    );
    let (ok, out, _) = arkml(&[
        "verify",
        "--vk",
        &p("vk"),
        &p("proof"),
        "--model",
        &p("q.json"),
    ]);
    assert!(ok && out.contains("class:"), "{out}");
    // the same digit as NumPy arrays, float64 and float32
    let xs: Vec<f64> = x
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let a64 = ndarray::Array1::from_vec(xs.clone());
    ndarray_npy::write_npy(dir.join("x64.npy"), &a64).unwrap();
    ndarray_npy::write_npy(dir.join("x32.npy"), &a64.mapv(|v| v as f32)).unwrap();
    for npy in ["x64.npy", "x32.npy"] {
        let (ok, out, err) = arkml(&[
            "prove",
            &p("q.json"),
            &p(npy),
            "--float",
            "--pk",
            &p("pk"),
            "-o",
            &p("proof3"),
        ]);
        assert!(ok, "{npy}: {err}");
        assert!(
            out.contains(&format!("class: {}", test["float_pred"][0])),
            "{out}"
        );
    }
    std::fs::write(p("bad.npy"), b"\x93NUMPY junk").unwrap();
    let (ok, _, err) = arkml(&[
        "prove",
        &p("q.json"),
        &p("bad.npy"),
        "--float",
        "--pk",
        &p("pk"),
        "-o",
        &p("proof4"),
    ]);
    assert!(!ok && err.contains("NumPy"), "{err}");
    // real pixels given as integers at the wrong scale are not silently accepted as floats
    let mut big = x.clone();
    big[3] = serde_json::json!(1e9);
    std::fs::write(
        p("big.json"),
        serde_json::json!({"shape": [64], "data": big}).to_string(),
    )
    .unwrap();
    let (ok, _, err) = arkml(&[
        "prove",
        &p("q.json"),
        &p("big.json"),
        "--float",
        "--pk",
        &p("pk"),
        "-o",
        &p("proof2"),
    ]);
    assert!(
        !ok && err.contains("element 3") && err.contains("input bound"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
