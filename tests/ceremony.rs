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
    let sj = |args: &[&str]| {
        let o = Command::new(&snarkjs)
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        let text =
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "snarkjs {args:?}: {text}");
        text
    };
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
        &p("m.json"),
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
    ark(&["export", "r1cs", &p("m.json"), "-o", &p("c.r1cs")]);
    ark(&[
        "witness",
        &p("m.json"),
        &p("x.json"),
        "--float",
        "-o",
        &p("w.wtns"),
    ]);

    sj(&["powersoftau", "new", "bn128", "12", "p0.ptau"]);
    sj(&[
        "powersoftau",
        "contribute",
        "p0.ptau",
        "p1.ptau",
        "--name=one",
        "-e=first",
    ]);
    sj(&["powersoftau", "prepare", "phase2", "p1.ptau", "pf.ptau"]);
    sj(&["groth16", "setup", "c.r1cs", "pf.ptau", "c0.zkey"]);
    sj(&[
        "zkey",
        "contribute",
        "c0.zkey",
        "c1.zkey",
        "--name=two",
        "-e=second",
    ]);
    sj(&[
        "zkey",
        "contribute",
        "c1.zkey",
        "c2.zkey",
        "--name=three",
        "-e=third",
    ]);
    let beacon = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    sj(&["zkey", "beacon", "c2.zkey", "final.zkey", beacon, "10"]);
    assert!(sj(&["zkey", "verify", "c.r1cs", "pf.ptau", "final.zkey"]).contains("ZKey Ok!"));
    sj(&["zkey", "export", "verificationkey", "final.zkey", "vk.json"]);

    // arkml proves with the ceremony's key; snarkjs verifies
    let out = ark(&[
        "prove",
        &p("m.json"),
        &p("x.json"),
        "--float",
        "--zkey",
        &p("final.zkey"),
        "-o",
        &p("a.proof"),
    ]);
    assert!(out.contains("class: 7"), "{out}");
    ark(&[
        "export",
        "snarkjs",
        "--vk",
        &p("vk.json"),
        &p("a.proof"),
        "-o",
        &p("sj"),
    ]);
    assert!(sj(&[
        "groth16",
        "verify",
        "vk.json",
        "sj/public.json",
        "sj/proof.json"
    ])
    .contains("OK!"));
    // snarkjs proves from arkml's witness; arkml verifies, against the model
    sj(&[
        "groth16",
        "prove",
        "final.zkey",
        "w.wtns",
        "proof.json",
        "public.json",
    ]);
    // (the zkey's recorded circuit must be the model's)
    let out = ark(&[
        "verify",
        "--zkey",
        &p("final.zkey"),
        &p("proof.json"),
        "--public",
        &p("public.json"),
        "--model",
        &p("m.json"),
    ]);
    assert!(out.contains("valid") && out.contains("class: 7"), "{out}");
    // without a model, snarkjs' vk.json checks the claim alone
    let out = ark(&[
        "verify",
        "--vk",
        &p("vk.json"),
        &p("proof.json"),
        "--public",
        &p("public.json"),
    ]);
    assert!(out.contains("valid"), "{out}");
    // a vk.json names no circuit: it cannot vouch for a model
    let (ok, _, err) = cli::arkml(&[
        "verify",
        "--vk",
        &p("vk.json"),
        &p("proof.json"),
        "--public",
        &p("public.json"),
        "--model",
        &p("m.json"),
    ]);
    assert!(!ok && err.contains("does not name its circuit"), "{err}");
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
        serde_json::from_str(&std::fs::read_to_string(dir.join("m.json")).unwrap()).unwrap();
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
