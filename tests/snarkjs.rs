//! snarkjs interop: an arkml proof exported to snarkjs' JSON is accepted by the real
//! `snarkjs groth16 verify` (npm, pinned in scripts/vectors) and rejected with a public
//! input changed; import round-trips and refuses malformed files with typed errors.

mod common;

use std::process::Command;
use std::sync::Arc;

use ark_bn254::Fr;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::groth16::{prove, setup, verify};
use arkml::model::ModelCircuit;
use arkml::snarkjs::{
    proof_from_json, proof_to_json, public_from_json, public_to_json, vk_from_json, vk_to_json,
    SnarkjsError,
};
use common::{small_input, small_model};
use serde_json::Value;

fn fixture() -> (
    ark_groth16::VerifyingKey<ark_bn254::Bn254>,
    ark_groth16::Proof<ark_bn254::Bn254>,
    Vec<Fr>,
) {
    let c = ModelCircuit::new(Arc::new(small_model()), small_input(2)).unwrap();
    let mut rng = StdRng::seed_from_u64(8);
    let pk = setup(c.clone(), &mut rng).unwrap();
    let proof = prove(&pk, c.clone(), &mut rng).unwrap();
    (pk.vk, proof, c.public_inputs())
}

#[test]
fn round_trip() {
    let (vk, proof, public) = fixture();
    assert_eq!(vk_from_json(&vk_to_json(&vk)).unwrap(), vk);
    assert_eq!(proof_from_json(&proof_to_json(&proof)).unwrap(), proof);
    assert_eq!(public_from_json(&public_to_json(&public)).unwrap(), public);
    let j = vk_to_json(&vk);
    assert_eq!(j["curve"], "bn128");
    assert_eq!(j["nPublic"], public.len());
    assert_eq!(j["vk_beta_2"][2], serde_json::json!(["1", "0"]));
}

#[test]
#[cfg_attr(
    not(arkml_npm_tools),
    ignore = "npm tools missing: run `npm ci` in scripts/vectors"
)]
fn snarkjs_accepts_an_arkml_proof() {
    let Some(bin) = common::npm_tool("snarkjs") else {
        return;
    };
    let (vk, proof, public) = fixture();
    let dir = std::env::temp_dir().join(format!("arkml-snarkjs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, v: &Value| std::fs::write(dir.join(name), v.to_string()).unwrap();
    write("verification_key.json", &vk_to_json(&vk));
    write("proof.json", &proof_to_json(&proof));
    write("public.json", &public_to_json(&public));
    let run = || {
        Command::new(&bin)
            .args([
                "groth16",
                "verify",
                "verification_key.json",
                "public.json",
                "proof.json",
            ])
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    let out = run();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("OK"), "{text}");
    let mut bad = public.clone();
    bad[0] += Fr::from(1u64);
    write("public.json", &public_to_json(&bad));
    let out = run();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!text.contains("OK!") && text.contains("Invalid"), "{text}");
    assert!(!verify(&vk, &bad, &proof).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn malformed_files_are_typed_errors() {
    let (vk, proof, _) = fixture();
    let vkj = vk_to_json(&vk);
    let mut v = vkj.clone();
    v["curve"] = "bls12381".into();
    assert!(matches!(
        vk_from_json(&v),
        Err(SnarkjsError::Unsupported { field: "curve", .. })
    ));
    let mut v = vkj.clone();
    v["protocol"] = "plonk".into();
    assert!(matches!(
        vk_from_json(&v),
        Err(SnarkjsError::Unsupported { .. })
    ));
    let mut v = vkj.clone();
    v["vk_alpha_1"][0] =
        "21888242871839275222246405745257275088696311157297823662689037894645226208583".into();
    assert!(
        matches!(vk_from_json(&v), Err(SnarkjsError::Coordinate { .. })),
        "x = q"
    );
    let mut v = vkj.clone();
    v["vk_alpha_1"][1] = "5".into();
    assert!(matches!(vk_from_json(&v), Err(SnarkjsError::NotOnCurve(_))));
    let mut v = vkj.clone();
    v["IC"].as_array_mut().unwrap().pop();
    assert!(matches!(vk_from_json(&v), Err(SnarkjsError::Length(_))));
    let mut v = vkj.clone();
    v["vk_delta_2"][0] = serde_json::json!(["1"]);
    assert!(matches!(vk_from_json(&v), Err(SnarkjsError::Length(_))));
    let mut v = vkj.clone();
    v["vk_gamma_2"][1][0] = "7".into();
    assert!(matches!(vk_from_json(&v), Err(SnarkjsError::NotOnCurve(_))));
    let mut v = vkj;
    v.as_object_mut().unwrap().remove("IC");
    assert!(matches!(vk_from_json(&v), Err(SnarkjsError::Malformed(_))));
    let mut p = proof_to_json(&proof);
    p["pi_a"][0] = "abc".into();
    assert!(matches!(
        proof_from_json(&p),
        Err(SnarkjsError::Coordinate { .. })
    ));
    let mut p = proof_to_json(&proof);
    p["pi_b"][0][1] = "3".into();
    assert!(matches!(
        proof_from_json(&p),
        Err(SnarkjsError::NotOnCurve(_))
    ));
    assert!(public_from_json(&serde_json::json!(["1", 2])).is_err());
    assert!(public_from_json(&serde_json::json!([
        "21888242871839275222246405745257275088548364400416034343698204186575808495617"
    ]))
    .is_err());
    assert!(public_from_json(&serde_json::json!({"a": 1})).is_err());
}
