//! The README's main job (`cargo run --example digits_e2e`) runs on a fresh clone with
//! nothing beside it: the same code, with `ARKML_CONFORMANCE_DIR` pointing nowhere and on
//! fewer calibration samples to keep the test quick.

#[path = "../examples/digits_e2e.rs"]
#[allow(dead_code)]
mod digits_e2e;

#[test]
fn main_job_needs_nothing_beside_the_checkout() {
    std::env::set_var("ARKML_CONFORMANCE_DIR", "/nonexistent/arkml-conformance");
    let out = std::env::temp_dir().join(format!("arkml-main-job-{}", std::process::id()));
    let s = digits_e2e::run(60, &out).unwrap();
    assert!(s.verified);
    assert_eq!(s.class, s.label.to_string(), "the first held-out digit");
    assert!(s.constraints > 0);
    for f in ["verification_key.json", "proof.json", "public.json"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let _ = std::fs::remove_dir_all(&out);
}
