//! Imports ONNX files and compares each float import with a reference output (onnxruntime's,
//! written by the caller): the command behind the model-zoo survey in `docs/import.md`.
//!
//! ```text
//! cargo run --release --example onnx_vs_reference -- REF.json A.onnx [B.onnx ...]
//! ```
//! `REF.json` maps each file's name to `{"x": [...], "y": [...]}`: the input flattened in
//! ONNX's layout and the first output flattened. Prints, per file, whether it imports, its
//! layer count, and the largest difference from the reference (or the import error).

use std::path::Path;

use arkml::onnx::{load_onnx, ImportOptions};
use ndarray::{ArrayD, IxDyn};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (reference, files) = args
        .split_first()
        .ok_or("usage: onnx_vs_reference REF.json A.onnx [B.onnx ...]")?;
    let refs: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(reference)?)?;
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default()
    };
    for f in files {
        let name = Path::new(f)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(f);
        let m = match load_onnx(Path::new(f), &ImportOptions::default()) {
            Ok(m) => m.model,
            Err(e) => {
                let e = e.to_string();
                println!(
                    "{name}: refused: {}",
                    e.split(". Supported ops").next().unwrap_or(&e)
                );
                continue;
            }
        };
        let r = &refs[name];
        let (x, want) = (floats(&r["x"]), floats(&r["y"]));
        let x = ArrayD::from_shape_vec(IxDyn(&[x.len()]), x)?;
        // the ONNX-layout input to arkml's: a flat tensor reshaped as the model's input is
        // in ONNX's layout, then fitted (transposed) as `--nchw` does
        let onnx_shape: Vec<usize> = match m.input_shape.as_slice() {
            [h, w, c] => vec![*c, *h, *w],
            [l, c] => vec![*c, *l],
            s => s.to_vec(),
        };
        let x = x.into_shape_with_order(IxDyn(&onnx_shape))?;
        let x = arkml::file::fit_input(x, &m.input_shape, true)?;
        let outs = m.forward(&x)?;
        let got: Vec<f64> = outs
            .last()
            .map(|o| o.iter().copied().collect())
            .unwrap_or_default();
        let diff = got
            .iter()
            .zip(&want)
            .map(|(g, w)| (g - w).abs())
            .fold(0.0f64, f64::max);
        let scale = want.iter().map(|w| w.abs()).fold(0.0f64, f64::max);
        println!(
            "{name}: {} layers, {} outputs (reference {}), largest difference {diff:.2e} (outputs up to {scale:.2e})",
            m.layers.len(),
            got.len(),
            want.len()
        );
    }
    Ok(())
}
