#![allow(dead_code)]
//! Running the `arkml` binary from the integration tests (kept out of `common`, which the
//! EVM test crate also includes and which has no `arkml` binary to point at).

use std::path::PathBuf;
use std::process::Command;

/// Runs `arkml ARGS`: success, stdout, stderr.
pub fn arkml(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_arkml"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh temporary folder for one test.
pub fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arkml-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
