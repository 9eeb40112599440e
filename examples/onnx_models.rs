//! The framework models in `tests/fixtures/onnx/` (scikit-learn MLP, PyTorch LeNet and ResNet,
//! Keras CNN through tf2onnx, scikit-learn's logistic regression, random forest and gradient
//! boosting through skl2onnx), each imported, calibrated on the first 120 held-out digits
//! with a margin of 4 bits (the cheapest scale agreeing on all 120, times 16), checked
//! against the framework's own argmax (onnxruntime's outputs stored beside each
//! file) on the other 240, and proven once.
//!
//! ```text
//! cargo run --release --example onnx_models -- lenet          one model, its figures
//! cargo run --release --example onnx_models -- --all [--write]
//! ```
//! `--all` runs each model in its own process (so each peak memory is its own) and prints
//! the table; `--write` puts it in `docs/performance.md` between the `onnx-models` markers.

use std::path::Path;
use std::sync::Arc;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::calibrate::{calibrate, CalibrateOptions};
use arkml::measure::{peak_rss_mb, timed};
use arkml::model::ModelCircuit;
use arkml::onnx::{load_onnx, ImportOptions};
use ndarray::{ArrayD, IxDyn};
use num_traits::ToPrimitive;

const MODELS: &[(&str, &str)] = &[
    ("skl_mlp", "scikit-learn MLP 64-32-10 (skl2onnx)"),
    ("lenet", "PyTorch LeNet-5-class CNN"),
    ("resnet", "PyTorch ResNet, 2 residual blocks + BatchNorm"),
    ("keras_cnn", "Keras CNN (tf2onnx)"),
    (
        "skl_logreg",
        "scikit-learn StandardScaler + LogisticRegression (skl2onnx)",
    ),
    (
        "skl_forest",
        "scikit-learn RandomForest, 6 trees of depth 5",
    ),
    (
        "skl_gboost",
        "scikit-learn StandardScaler + GradientBoosting, 4 rounds x 10 classes",
    ),
];
const CALIBRATION: usize = 120;
/// Bits added to the calibrated scale: 120 samples do not show every near-tie of logits.
const MARGIN: u32 = 4;

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx")
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join(name)).expect("fixture"))
        .expect("JSON")
}

fn one(name: &str) -> Result<String, Box<dyn std::error::Error>> {
    let opts = ImportOptions {
        input_max: 1.0,
        argmax: true,
        ..Default::default()
    };
    let fm = load_onnx(&dir().join(format!("{name}.onnx")), &opts)?.model;
    let shape = fm.input_shape.clone();
    let test = json("digits_test.json");
    let xs: Vec<ArrayD<f64>> = test["x"]
        .as_array()
        .ok_or("x")?
        .iter()
        .map(|row| {
            let v: Vec<f64> = row
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str()?.parse().ok())
                .collect();
            ArrayD::from_shape_vec(IxDyn(&shape), v)
        })
        .collect::<Result<_, _>>()?;
    let labels: Vec<u64> = test["y"]
        .as_array()
        .ok_or("y")?
        .iter()
        .filter_map(|v| v.as_u64())
        .collect();
    let r = json(&format!("{name}.ref.json"));
    let framework: Vec<u64> = r["argmax"]
        .as_array()
        .ok_or("argmax")?
        .iter()
        .filter_map(|v| v.as_u64())
        .collect();
    let opts = CalibrateOptions {
        margin: MARGIN,
        ..Default::default()
    };
    let (c, cal_wall, _) = timed(|| calibrate(&fm, &xs[..CALIBRATION], &opts));
    let c = c?;
    print!("{}", c.table());
    let q = c.quantized.ok_or("no scale")?;
    let k = match q.scale {
        arkml_gadgets::fixed::Scale::Pow2(k) | arkml_gadgets::fixed::Scale::Pow10(k) => k,
    };
    let (mut agree, mut correct, mut fw_correct) = (0, 0, 0);
    let held = CALIBRATION..xs.len();
    for i in held.clone() {
        let out = q.model.infer(&q.quantize_input(&xs[i])?)?;
        let class = out
            .last()
            .and_then(|o| o.out.first())
            .and_then(|v| v.to_u64())
            .ok_or("class")?;
        agree += usize::from(class == framework[i]);
        correct += usize::from(class == labels[i]);
        fw_correct += usize::from(framework[i] == labels[i]);
    }
    let n = held.len() as f64;
    let circuit = ModelCircuit::new(Arc::new(q.model.clone()), q.quantize_input(&xs[0])?)?;
    let mut rng = StdRng::seed_from_u64(1);
    let (pk, setup_wall, setup_cpu) = timed(|| circuit.setup(&mut rng));
    let pk = pk?;
    let (proof, prove_wall, prove_cpu) = timed(|| circuit.prove(&pk, &mut rng));
    let proof = proof?;
    let public = arkml::circuit::Expectation::default()
        .public_inputs(&circuit.layout(), &circuit.public_inputs())?;
    let ok = arkml::groth16::verify(&pk.vk, &public, &proof)?;
    if !ok {
        return Err("proof did not verify".into());
    }
    let info = circuit.info()?;
    let mb = peak_rss_mb().unwrap_or(f64::NAN);
    println!(
        "{name}: 2^{k}, agreement {:.2}% on {} held-out digits, accuracy {:.2}% (framework {:.2}%), {} constraints, setup {setup_wall:.2} s, prove {prove_wall:.2} s / {:.2} CPU-s, {mb:.0} MB, calibration {cal_wall:.1} s",
        100.0 * agree as f64 / n,
        held.len(),
        100.0 * correct as f64 / n,
        100.0 * fw_correct as f64 / n,
        info.constraints,
        prove_cpu.unwrap_or(f64::NAN)
    );
    let label = MODELS
        .iter()
        .find(|(m, _)| *m == name)
        .map_or(name, |(_, l)| l);
    Ok(format!(
        "| {label} (`{name}.onnx`) | 2^{k} | {:.2} % ({agree}/{}) | {:.2} % → {:.2} % | {} | {setup_cpu} | {:.2} ({prove_wall:.2} s wall) | {mb:.0} MB |",
        100.0 * agree as f64 / n,
        held.len(),
        100.0 * fw_correct as f64 / n,
        100.0 * correct as f64 / n,
        info.constraints,
        prove_cpu.unwrap_or(f64::NAN),
        setup_cpu = setup_cpu.map_or("-".into(), |c| format!("{c:.2}")),
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--all") {
        let exe = std::env::current_exe()?;
        let mut rows = vec![
            "| model | scale (calibrated on 120 digits, + 4 bits) | argmax agreement with the framework, other 240 | accuracy: framework → arkml | constraints | setup CPU-s | prove CPU-s | peak memory |".to_string(),
            "|---|---|---|---|---|---|---|---|".to_string(),
        ];
        for (name, _) in MODELS {
            let out = std::process::Command::new(&exe).arg(name).output()?;
            let text = String::from_utf8_lossy(&out.stdout);
            print!("{text}");
            let row = text
                .lines()
                .find_map(|l| l.strip_prefix("ROW: "))
                .ok_or_else(|| format!("{name}: {}", String::from_utf8_lossy(&out.stderr)))?;
            rows.push(row.to_string());
        }
        let table = rows.join("\n");
        println!("{table}");
        if args.iter().any(|a| a == "--write") {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/performance.md");
            let doc = std::fs::read_to_string(&path)?;
            let (start, end) = ("<!-- onnx-models:start -->", "<!-- onnx-models:end -->");
            let (a, b) = (
                doc.find(start).ok_or("no start marker")?,
                doc.find(end).ok_or("no end marker")?,
            );
            let new = format!("{}{start}\n{table}\n{}", &doc[..a], &doc[b..]);
            std::fs::write(&path, new)?;
            println!("wrote {}", path.display());
        }
        return Ok(());
    }
    let name = args.first().map_or("lenet", |s| s.as_str());
    let row = one(name)?;
    println!("ROW: {row}");
    Ok(())
}
