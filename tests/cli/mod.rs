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

/// Runs the ```` ```sh ```` blocks of `docs/NAME` as written, each as one bash script
/// (`set -euo pipefail`) in `dir`, with this build's `arkml` and the given tools on the
/// PATH: the docs' commands are tested, not restated. Returns what they printed; panics
/// with the block and its output when one fails.
pub fn run_doc_blocks(name: &str, dir: &std::path::Path, tools: &[PathBuf]) -> String {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join(name),
    )
    .unwrap();
    let bin = dir.join(".bin");
    std::fs::create_dir_all(&bin).unwrap();
    let link = |target: &std::path::Path, name: &std::ffi::OsStr| {
        let at = bin.join(name);
        let _ = std::fs::remove_file(&at);
        std::os::unix::fs::symlink(target, at).unwrap();
    };
    link(
        std::path::Path::new(env!("CARGO_BIN_EXE_arkml")),
        std::ffi::OsStr::new("arkml"),
    );
    for t in tools {
        link(t, t.file_name().unwrap());
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut all = String::new();
    let mut block: Option<String> = None;
    for line in doc.lines() {
        match (&mut block, line.trim_end()) {
            (None, "```sh") => block = Some(String::new()),
            (Some(b), "```") => {
                let script = format!("set -euo pipefail\n{b}");
                let out = Command::new("bash")
                    .arg("-c")
                    .arg(&script)
                    .current_dir(dir)
                    .env("PATH", &path)
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr);
                assert!(
                    out.status.success(),
                    "docs/{name}: a block failed:\n{b}\n--- output ---\n{text}"
                );
                all.push_str(&text);
                block = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(block.is_none(), "docs/{name}: an unclosed block");
    all
}
