//! `.r1cs` and `.wtns` (iden3's formats) for arkml circuits: our checker and the real
//! snarkjs (`r1cs info`, `wtns check`, pinned in scripts/vectors) accept them, a tampered
//! witness is rejected by both, and malformed files are typed errors.

mod cli;
mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use arkml::iden3::{check, r1cs, wtns, Iden3Error};
use arkml::model::ModelCircuit;
use arkml::quant::quantize;
use arkml_gadgets::fixed::Scale;
use ndarray::{ArrayD, IxDyn};

/// The digits MLP that ships in the repo, at 2^12, on a digit-like input.
fn digits() -> (arkml::model::Model, ArrayD<num_bigint::BigInt>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/digits/model.json");
    let fm = arkml::file::load_float_model(&path).unwrap();
    let q = quantize(&fm, Scale::Pow2(12)).unwrap();
    let x = ArrayD::from_shape_fn(IxDyn(&[64]), |i| ((i[0] * 7) % 17) as f64);
    let xi = q.quantize_input(&x).unwrap();
    (q.model, xi)
}

#[test]
fn our_checker_accepts_and_rejects() {
    let (m, x) = digits();
    let s = ModelCircuit::new(Arc::new(m), x)
        .unwrap()
        .synthesize()
        .unwrap();
    let (r, w) = (r1cs(&s), wtns(&s));
    assert_eq!(check(&r, &w).unwrap(), s.info().constraints);
    // one witness value changed: the 33rd wire (a private witness)
    let mut bad = w.clone();
    let at = w.len() - 32 * (s.assignment().len() - 33);
    bad[at] ^= 1;
    assert!(matches!(check(&r, &bad), Err(Iden3Error::Unsatisfied(_))));
    // cut short, wrong magic, another field, the wrong length
    assert!(matches!(
        check(&r[..r.len() / 2], &w),
        Err(Iden3Error::Malformed { .. })
    ));
    assert!(matches!(
        check(&r, &w[..w.len() - 1]),
        Err(Iden3Error::Malformed { .. })
    ));
    let mut m2 = r.clone();
    m2[0] = b'x';
    assert!(matches!(check(&m2, &w), Err(Iden3Error::Malformed { .. })));
    let mut f = r.clone();
    f[4 + 4 + 4 + 4 + 8 + 4] ^= 1; // a byte of the prime in the header
    assert!(matches!(check(&f, &w), Err(Iden3Error::Field(_))));
    let (m3, x3) = digits();
    let mut small = m3;
    small.layers.truncate(2);
    let s3 = ModelCircuit::new(Arc::new(small), x3)
        .unwrap()
        .synthesize()
        .unwrap();
    assert!(matches!(
        check(&r, &wtns(&s3)),
        Err(Iden3Error::Length { .. })
    ));
}

#[test]
#[cfg_attr(
    not(arkml_npm_tools),
    ignore = "npm tools missing: run `npm ci` in scripts/vectors"
)]
fn snarkjs_reads_the_circuit_and_checks_the_witness() {
    let Some(snarkjs) = common::npm_tool("snarkjs") else {
        return;
    };
    let dir = cli::tmp("iden3");
    let (m, x) = digits();
    arkml::file::save_model(&dir.join("m.json"), &m).unwrap();
    std::fs::write(
        dir.join("x.json"),
        serde_json::to_string(&arkml::file::TensorFile::from_array(&x)).unwrap(),
    )
    .unwrap();
    let p = |n: &str| dir.join(n).display().to_string();
    let (ok, out, err) = cli::arkml(&["export", "r1cs", &p("m.json"), "-o", &p("c.r1cs")]);
    assert!(ok, "{err}");
    let constraints: usize = out.split_whitespace().next().unwrap().parse().unwrap();
    let (ok, _, err) = cli::arkml(&["witness", &p("m.json"), &p("x.json"), "-o", &p("w.wtns")]);
    assert!(ok, "{err}");
    let run = |args: &[&str]| {
        let o = Command::new(&snarkjs).args(args).output().unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    let (_, info) = run(&["r1cs", "info", &p("c.r1cs")]);
    assert!(
        info.contains(&format!("# of Constraints: {constraints}")),
        "{info}"
    );
    assert!(info.contains("# of Public Inputs: 1"), "{info}");
    // `r1cs print` reads the .sym written beside the .r1cs
    let (ok, printed) = run(&["r1cs", "print", &p("c.r1cs"), &p("c.sym")]);
    assert!(ok && printed.contains("main.w["), "{printed}");
    let (_, ok_text) = run(&["wtns", "check", &p("c.r1cs"), &p("w.wtns")]);
    assert!(ok_text.contains("WITNESS IS CORRECT"), "{ok_text}");
    // a tampered witness: the last value
    let mut w = std::fs::read(dir.join("w.wtns")).unwrap();
    let n = w.len();
    w[n - 32] ^= 1;
    std::fs::write(dir.join("bad.wtns"), &w).unwrap();
    let (_, bad_text) = run(&["wtns", "check", &p("c.r1cs"), &p("bad.wtns")]);
    assert!(!bad_text.contains("WITNESS IS CORRECT"), "{bad_text}");
    let _ = std::fs::remove_dir_all(&dir);
}
