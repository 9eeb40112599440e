//! Sets `cfg(arkml_npm_tools)` when the pinned npm tools (snarkjs, solc) are installed in
//! `scripts/vectors/node_modules`, or when `CI` is set (then a missing tool fails the
//! interop tests instead of skipping them). Without it those tests are `#[ignore]`d with a
//! reason, so `cargo test` reports them as ignored rather than as passing.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(arkml_npm_tools)");
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-changed=scripts/vectors/node_modules/.bin");
    let bin = std::path::Path::new("scripts/vectors/node_modules/.bin");
    let present = ["snarkjs", "solcjs"].iter().all(|t| bin.join(t).exists());
    if present || std::env::var_os("CI").is_some() {
        println!("cargo:rustc-cfg=arkml_npm_tools");
    }
}
