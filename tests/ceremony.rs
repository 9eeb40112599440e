//! The circom world's trusted setup for an arkml circuit, end to end with the real snarkjs
//! (pinned in scripts/vectors): Powers of Tau (new, contribute, prepare phase2) at 2^12,
//! `groth16 setup` on `arkml export r1cs`, two contributions and a beacon, `zkey verify`;
//! arkml proves with the final zkey and snarkjs verifies it; snarkjs proves from
//! `arkml witness` and arkml verifies it. Then malformed zkeys are typed errors.

mod cli;
mod common;

use std::path::Path;
use std::process::Command;

use arkml::zkey::{read_zkey, ZkeyError};

/// Runs snarkjs in `dir`; panics with its output when it fails.
fn sj(snarkjs: &Path, dir: &Path, args: &[&str]) -> String {
    let o = Command::new(snarkjs)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "snarkjs {args:?}: {text}");
    text
}

#[test]
#[cfg_attr(
    not(arkml_npm_tools),
    ignore = "npm tools missing: run `npm ci` in scripts/vectors"
)]
fn a_snarkjs_ceremony_for_an_arkml_circuit() {
    let Some(snarkjs) = common::npm_tool("snarkjs") else {
        return;
    };
    let dir = cli::tmp("ceremony");
    let p = |n: &str| dir.join(n).display().to_string();
    let ark = |args: &[&str]| {
        let (ok, out, err) = cli::arkml(args);
        assert!(ok, "arkml {args:?}: {err}");
        out
    };
    // the digits model that ships in the repo, at 2^12, and one digit
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let float = root.join("tests/fixtures/digits/model.json");
    ark(&[
        "quantize",
        &float.display().to_string(),
        "--scale",
        "2^12",
        "-o",
        &p("model.json"),
    ]);
    let test: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/fixtures/digits/test.json")).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("x.json"),
        serde_json::json!({"shape": [64], "data": test["x"][0]}).to_string(),
    )
    .unwrap();
    // docs/ceremony.md's commands, as written: the ceremony, arkml's proof from the final
    // zkey verified by arkml (with the model, with the layout, with snarkjs' vk) and by
    // snarkjs; snarkjs' proof from arkml's witness verified by arkml against the model
    let out = cli::run_doc_blocks("ceremony.md", &dir, std::slice::from_ref(&snarkjs));
    assert!(out.contains("ZKey Ok!") && out.contains("OK!"), "{out}");
    assert!(out.contains("class: 7"), "{out}");
    // (the zkey's recorded circuit must be the model's)
    let out = ark(&[
        "verify",
        "--zkey",
        &p("final.zkey"),
        &p("proof.json"),
        "--public",
        &p("public.json"),
        "--model",
        &p("model.json"),
    ]);
    assert!(out.contains("valid") && out.contains("class: 7"), "{out}");
    assert!(
        out.contains("checked: the zkey is the model's circuit"),
        "{out}"
    );
    // without a model or layout, snarkjs' vk.json checks the values alone, and says so
    let out = ark(&[
        "verify",
        "--vk",
        &p("vk.json"),
        &p("proof.json"),
        "--public",
        &p("public.json"),
    ]);
    assert!(
        out.starts_with("valid\n") && out.contains("not checked: only that the proof holds"),
        "{out}"
    );
    // a vk.json names no circuit: it cannot vouch for a model
    let (ok, _, err) = cli::arkml(&[
        "verify",
        "--vk",
        &p("vk.json"),
        &p("proof.json"),
        "--public",
        &p("public.json"),
        "--model",
        &p("model.json"),
    ]);
    assert!(!ok && err.contains("does not name its circuit"), "{err}");
    // constant weights: a commitment has no slot, with the zkey or the vk and the layout
    for key in [["--zkey", "final.zkey"], ["--vk", "vk.json"]] {
        let (ok, _, err) = cli::arkml(&[
            "verify",
            key[0],
            &p(key[1]),
            &p("proof.json"),
            "--public",
            &p("public.json"),
            "--layout",
            &p("circuit.layout.json"),
            "--commitment",
            "12345",
        ]);
        assert!(!ok && err.contains("no public commitment"), "{err}");
        let (ok, _, err) = cli::arkml(&[
            "verify",
            key[0],
            &p(key[1]),
            &p("proof.json"),
            "--public",
            &p("public.json"),
            "--commitment",
            "12345",
        ]);
        assert!(!ok && err.contains("--layout"), "{err}");
    }
    // a forged class is refused
    std::fs::write(dir.join("forged.json"), "[\"3\"]").unwrap();
    let (ok, out, _) = cli::arkml(&[
        "verify",
        "--vk",
        &p("vk.json"),
        &p("proof.json"),
        "--public",
        &p("forged.json"),
    ]);
    assert!(!ok && out.contains("INVALID"), "{out}");

    // a zkey for a circuit of other sizes: refused before proving
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("model.json")).unwrap()).unwrap();
    m["layers"].as_array_mut().unwrap().pop(); // drop the ArgMax
    std::fs::write(dir.join("other.json"), m.to_string()).unwrap();
    let (ok, _, err) = cli::arkml(&[
        "prove",
        &p("other.json"),
        &p("x.json"),
        "--float",
        "--zkey",
        &p("final.zkey"),
        "-o",
        &p("o.proof"),
    ]);
    assert!(!ok && err.contains("zkey is for another circuit"), "{err}");
    // and a verifier told to expect the other model refuses the zkey's proofs
    let (ok, _, err) = cli::arkml(&[
        "verify",
        "--zkey",
        &p("final.zkey"),
        &p("proof.json"),
        "--public",
        &p("public.json"),
        "--model",
        &p("other.json"),
    ]);
    assert!(!ok && err.contains("another circuit"), "{err}");

    // malformed zkeys: typed errors
    let z = std::fs::read(dir.join("final.zkey")).unwrap();
    assert!(read_zkey(&z).is_ok());
    for cut in [3, 20, z.len() / 2, z.len() - 1] {
        assert!(
            matches!(read_zkey(&z[..cut]), Err(ZkeyError::Malformed(_))),
            "cut {cut}"
        );
    }
    let mut bad = z.clone();
    bad[0] = b'Z';
    assert!(matches!(read_zkey(&bad), Err(ZkeyError::Malformed(_))));
    // the field prime in the Groth16 header (section 2 follows section 1's 4-byte body)
    let h2 = 12 + 12 + 4 + 12 + 4;
    let mut other_curve = z.clone();
    other_curve[h2] ^= 1;
    assert!(matches!(
        read_zkey(&other_curve),
        Err(ZkeyError::Unsupported(_))
    ));
    // a point's coordinate changed: off the curve (alpha, right after the sizes)
    let alpha = h2 + 32 + 4 + 32 + 12;
    let mut off = z.clone();
    off[alpha + 5] ^= 0x10;
    assert!(
        matches!(read_zkey(&off), Err(ZkeyError::Point { .. })),
        "{:?}",
        read_zkey(&off).map(|_| ())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Dense(3 -> 3) -> ArgMax (tests/statement.rs' model): the honest bias gives class 0,
/// `bias2 = 5000` gives class 2; `bias0 = 999` gives another circuit of the same sizes.
fn small_model(vis: &str, bias0: i64, bias2: i64) -> serde_json::Value {
    let w: Vec<String> = (0..9)
        .map(|k| (((k / 3) + 2 * (k % 3)) as i64 % 3 - 1).to_string())
        .collect();
    serde_json::json!({
        "format": "arkml-model", "version": 1,
        "input_shape": [3], "input_bound": 6, "input_visibility": "private",
        "weights": {"visibility": vis, "weight_bits": 14, "bias_bits": 14},
        "layers": [
            {"type": "dense", "weights": {"shape": [3, 3], "data": w},
             "bias": {"shape": [3], "data": [bias0.to_string(), "0", bias2.to_string()]}},
            {"type": "argmax"}
        ]
    })
}

/// A zkey's iden3 sections `(type, bytes)`, and the file they make.
fn sections(z: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let n = u32::from_le_bytes(z[8..12].try_into().unwrap());
    let mut at = 12;
    (0..n)
        .map(|_| {
            let t = u32::from_le_bytes(z[at..at + 4].try_into().unwrap());
            let len = u64::from_le_bytes(z[at + 4..at + 12].try_into().unwrap()) as usize;
            at += 12 + len;
            (t, z[at - len..at].to_vec())
        })
        .collect()
}

fn assemble(head: &[u8], secs: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = head[..12].to_vec();
    for (t, b) in secs {
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        out.extend_from_slice(b);
    }
    out
}

#[test]
#[cfg_attr(
    not(arkml_npm_tools),
    ignore = "npm tools missing: run `npm ci` in scripts/vectors"
)]
fn zkey_and_snarkjs_keys_check_every_expectation_and_the_keys_content() {
    let Some(snarkjs) = common::npm_tool("snarkjs") else {
        return;
    };
    let dir = cli::tmp("zkey-modes");
    let p = |n: &str| dir.join(n).display().to_string();
    let sj = |args: &[&str]| sj(&snarkjs, &dir, args);
    let ark = |args: &[&str]| {
        let (ok, out, err) = cli::arkml(args);
        assert!(ok, "arkml {args:?}: {out}{err}");
        out
    };
    let refused = |args: &[&str], says: &str| {
        let (ok, out, err) = cli::arkml(args);
        assert!(
            !ok && !out.starts_with("valid") && err.contains(says),
            "arkml {args:?} should be refused ({says}): {out}{err}"
        );
    };
    for (name, m) in [
        ("honest.json", small_model("private", 1000, 0)),
        ("tampered.json", small_model("private", 1000, 5000)),
        ("a.json", small_model("constant", 1000, 0)),
        ("b.json", small_model("constant", 999, 0)),
    ] {
        std::fs::write(dir.join(name), m.to_string()).unwrap();
    }
    std::fs::write(
        dir.join("x.json"),
        r#"{"shape": [3], "data": ["5", "-3", "7"]}"#,
    )
    .unwrap();
    sj(&["powersoftau", "new", "bn128", "11", "p0.ptau"]);
    sj(&[
        "powersoftau",
        "contribute",
        "p0.ptau",
        "p1.ptau",
        "--name=one",
        "-e=first",
    ]);
    sj(&["powersoftau", "prepare", "phase2", "p1.ptau", "pf.ptau"]);
    for m in ["honest", "a", "b"] {
        ark(&[
            "export",
            "r1cs",
            &p(&format!("{m}.json")),
            "-o",
            &p(&format!("{m}.r1cs")),
        ]);
        sj(&[
            "groth16",
            "setup",
            &format!("{m}.r1cs"),
            "pf.ptau",
            &format!("{m}.zkey"),
        ]);
    }
    sj(&[
        "zkey",
        "export",
        "verificationkey",
        "honest.zkey",
        "vk.json",
    ]);

    // private weights: the owner's commitment; the prover's tampered weights, own salt
    let owners = ark(&[
        "commit",
        &p("honest.json"),
        "--salt",
        &p("hs.json"),
        "-o",
        &p("hc.json"),
    ]);
    let owners = owners.trim();
    ark(&["commit", &p("tampered.json"), "--salt", &p("ts.json")]);
    let out = ark(&[
        "prove",
        &p("honest.json"),
        &p("x.json"),
        "--zkey",
        &p("honest.zkey"),
        "--salt",
        &p("hs.json"),
        "-o",
        &p("h.proof"),
    ]);
    assert!(out.contains("class: 0"), "{out}");
    let out = ark(&[
        "prove",
        &p("tampered.json"),
        &p("x.json"),
        "--zkey",
        &p("honest.zkey"),
        "--salt",
        &p("ts.json"),
        "-o",
        &p("t.proof"),
    ]);
    assert!(out.contains("class: 2"), "{out}");
    // the tampered proof's values as a bare array, and with every role "output"
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p("t.proof.public.json")).unwrap()).unwrap();
    let values: Vec<serde_json::Value> = v["public"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].clone())
        .collect();
    std::fs::write(
        p("bare.json"),
        serde_json::Value::from(values.clone()).to_string(),
    )
    .unwrap();
    let relabelled: Vec<serde_json::Value> = values
        .iter()
        .map(|v| serde_json::json!({"role": "output", "value": v}))
        .collect();
    std::fs::write(
        p("relabelled.json"),
        serde_json::json!({"format": "arkml-public", "version": 2, "public": relabelled})
            .to_string(),
    )
    .unwrap();

    // the hole: a zkey without the model, a snarkjs vk, each public-file form, the owner's
    // commitment: never "valid"
    for key in [["--zkey", "honest.zkey"], ["--vk", "vk.json"]] {
        for public in ["t.proof.public.json", "bare.json", "relabelled.json"] {
            refused(
                &[
                    "verify",
                    key[0],
                    &p(key[1]),
                    &p("t.proof"),
                    "--public",
                    &p(public),
                    "--commitment",
                    owners,
                ],
                "--layout",
            );
            refused(
                &[
                    "verify",
                    key[0],
                    &p(key[1]),
                    &p("t.proof"),
                    "--public",
                    &p(public),
                    "--input",
                    &p("x.json"),
                ],
                "--layout",
            );
        }
        // with the layout: the lie is named; the relabelled file is refused
        for public in ["t.proof.public.json", "bare.json"] {
            let (ok, out, err) = cli::arkml(&[
                "verify",
                key[0],
                &p(key[1]),
                &p("t.proof"),
                "--public",
                &p(public),
                "--layout",
                &p("honest.layout.json"),
                "--commitment",
                &p("hc.json"),
            ]);
            assert!(
                !ok && out.contains("INVALID") && err.contains("commitment"),
                "{out}{err}"
            );
        }
        refused(
            &[
                "verify",
                key[0],
                &p(key[1]),
                &p("t.proof"),
                "--public",
                &p("relabelled.json"),
                "--layout",
                &p("honest.layout.json"),
                "--commitment",
                owners,
            ],
            "marked output",
        );
        // an input for a private-input statement has no slot
        refused(
            &[
                "verify",
                key[0],
                &p(key[1]),
                &p("h.proof"),
                "--layout",
                &p("honest.layout.json"),
                "--commitment",
                owners,
                "--input",
                &p("x.json"),
            ],
            "no public input",
        );
        // the honest path
        let out = ark(&[
            "verify",
            key[0],
            &p(key[1]),
            &p("h.proof"),
            "--layout",
            &p("honest.layout.json"),
            "--commitment",
            &p("hc.json"),
        ]);
        assert!(
            out.starts_with("valid\n") && out.contains("output: [0]"),
            "{out}"
        );
    }
    // the zkey with the model: the tampered proof is refused, the honest one says its class
    let (ok, out, err) = cli::arkml(&[
        "verify",
        "--zkey",
        &p("honest.zkey"),
        &p("t.proof"),
        "--model",
        &p("honest.json"),
        "--commitment",
        owners,
    ]);
    assert!(!ok && out.contains("INVALID"), "{out}{err}");
    let out = ark(&[
        "verify",
        "--zkey",
        &p("honest.zkey"),
        &p("h.proof"),
        "--model",
        &p("honest.json"),
        "--commitment",
        owners,
    ]);
    assert!(
        out.starts_with("valid\n") && out.contains("class: 0"),
        "{out}"
    );
    refused(
        &[
            "verify",
            "--zkey",
            &p("honest.zkey"),
            &p("h.proof"),
            "--model",
            &p("honest.json"),
        ],
        "commitment",
    );

    // constant weights: model A's zkey is not model B's (same sizes, one bias apart) ...
    ark(&[
        "prove",
        &p("a.json"),
        &p("x.json"),
        "--zkey",
        &p("a.zkey"),
        "-o",
        &p("a.proof"),
    ]);
    let out = ark(&[
        "verify",
        "--zkey",
        &p("a.zkey"),
        &p("a.proof"),
        "--model",
        &p("a.json"),
    ]);
    assert!(out.contains("class: 0"), "{out}");
    refused(
        &[
            "verify",
            "--zkey",
            &p("a.zkey"),
            &p("a.proof"),
            "--model",
            &p("b.json"),
        ],
        "another circuit",
    );
    // ... not even with B's recorded matrices spliced into A's zkey: its points are A's
    let za = std::fs::read(p("a.zkey")).unwrap();
    let zb = std::fs::read(p("b.zkey")).unwrap();
    let coeffs_b = sections(&zb).into_iter().find(|s| s.0 == 4).unwrap();
    let spliced: Vec<(u32, Vec<u8>)> = sections(&za)
        .into_iter()
        .map(|s| if s.0 == 4 { coeffs_b.clone() } else { s })
        .collect();
    std::fs::write(p("spliced.zkey"), assemble(&za, &spliced)).unwrap();
    refused(
        &[
            "verify",
            "--zkey",
            &p("spliced.zkey"),
            &p("a.proof"),
            "--model",
            &p("b.json"),
        ],
        "points",
    );
    refused(
        &[
            "prove",
            &p("b.json"),
            &p("x.json"),
            "--zkey",
            &p("spliced.zkey"),
            "-o",
            &p("s.proof"),
        ],
        "another circuit",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
