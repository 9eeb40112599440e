//! `arkml`: inspect, run, set up, prove and verify a model from its JSON file.
//!
//! ```text
//! arkml inspect MODEL                       per-layer table (shape, bound, constraints)
//! arkml infer MODEL INPUT                   native inference: every layer's output as JSON
//! arkml setup MODEL --pk PK --vk VK         Groth16 keys (OS randomness), with the circuit's fingerprint
//! arkml commit MODEL --salt SALT [-o C]     the weight commitment (private weights)
//! arkml prove MODEL INPUT --pk PK [--salt SALT] -o PROOF   writes PROOF and PROOF.public.json
//! arkml prove MODEL INPUT --zkey final.zkey -o PROOF      with a snarkjs ceremony's key
//! arkml verify --vk VK PROOF [--model M] [--input X] [--commitment C]
//! arkml verify --zkey final.zkey PROOF [--model M | --layout L] [--input X] [--commitment C]
//! arkml verify --vk vk.json PROOF [--layout L] [--input X] [--commitment C]   (snarkjs' key)
//!                                           checks PROOF (snarkjs' proof.json accepted too); only
//!                                           the output comes from PROOF.public.json, the roles
//!                                           from the key, the model or the layout
//! arkml import MODEL.onnx [--input-max X] [--argmax] [--cubic] -o FLOAT_MODEL   ONNX to a float model
//! arkml calibrate FLOAT_MODEL --data SAMPLES [--nchw] -o MODEL   the cheapest scale that agrees
//! arkml quantize FLOAT_MODEL --scale 2^16 [--fold-bn] -o MODEL   float weights to integers
//! arkml quantize FLOAT_MODEL --budget 40 [--base 10] -o MODEL   largest scale within 40 bits
//! arkml export snarkjs --vk VK PROOF -o DIR  verification_key.json, proof.json, public.json, layout.json
//! arkml export solidity --vk VK -o Verifier.sol
//! arkml export r1cs MODEL -o circuit.r1cs   the circuit in iden3's .r1cs format (snarkjs, rapidsnark),
//!                                           and circuit.layout.json (the public inputs' roles)
//! arkml witness MODEL INPUT [--float] [--salt SALT] -o witness.wtns   the witness, iden3's .wtns
//! arkml report [MODEL] [--svg FILE]         constraint report: gadgets (and a model's layers)
//! ```
//! Setup and prove show a spinner with the stage and elapsed time on a terminal, nothing
//! when stderr is not one.
//! MODEL is the format of `arkml::file`; INPUT a tensor file `{"shape": .., "data": ..}`.
//! FLOAT_MODEL is a float model file or an ONNX file (imported as `arkml import` does).

use arkml::model::ops;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use ark_bn254::Fr;
use ark_ff::{UniformRand, Zero};
use arkml::circuit::{Part, StatementError};
use arkml::file::{self, KeyMeta, TensorFile};
use arkml::model::{Layer, Model, ModelCircuit};
use arkml::quant::{quantize, quantize_within};
use arkml_gadgets::fixed::from_field;
use arkml_gadgets::fixed::Scale;
use arkml_gadgets::tensor::Visibility;
use clap::{Args, Parser, Subcommand};
use ndarray::{ArrayD, IxDyn};
use num_bigint::BigInt;
use num_bigint::BigUint;
use num_traits::ToPrimitive;
use rand::rngs::OsRng;

#[derive(Parser)]
#[command(
    name = "arkml",
    version,
    about = "Zero-knowledge proofs of ML inference (Groth16, BN254)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// How to read an ONNX file.
#[derive(Args, Clone)]
struct OnnxArgs {
    /// The largest absolute input value (ONNX does not record it; default 1, or the
    /// samples' largest with `calibrate`).
    #[arg(long)]
    input_max: Option<f64>,
    /// End the model with an ArgMax: proofs reveal the class, not the logits.
    #[arg(long)]
    argmax: bool,
    /// Prove Sigmoid / Tanh as circomlib-ml's cubic approximations (cheaper; largest error
    /// on [-2, 2]: sigmoid 0.037, tanh 0.229, growing as x^3) instead of the default
    /// piecewise-cubic kernel (within 0.55 + 2.7e-6 S units of the scale over the whole
    /// real line; see docs/import.md).
    #[arg(long)]
    cubic: bool,
    /// The ONNX value(s) to use as outputs (default: the graph's float outputs).
    #[arg(long = "output")]
    outputs: Vec<String>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Import an ONNX model (PyTorch, scikit-learn, Keras via tf2onnx) as a float model file;
    /// prints what was folded or dropped.
    Import {
        /// The `.onnx` file.
        model: PathBuf,
        #[command(flatten)]
        onnx: OnnxArgs,
        /// Where to write the float model.
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
    /// Choose the scale from data: for each scale, the constraints, the argmax agreement
    /// with the float model on the samples, the largest output error and the widest layer;
    /// writes the model at the cheapest scale that meets the target.
    Calibrate {
        /// A float model file or an ONNX file.
        model: PathBuf,
        /// The samples: `.npy` (first axis: samples) or JSON (an array of arrays, or
        /// `{"x": [...]}`).
        #[arg(long)]
        data: PathBuf,
        /// The samples are in ONNX's layout (NCHW rows), not arkml's HWC.
        #[arg(long)]
        nchw: bool,
        /// The exponents to try, `LO..HI`.
        #[arg(long, default_value = "2..24")]
        scales: String,
        /// Scales `2^k` (2) or `10^k` (10).
        #[arg(long, default_value_t = 2)]
        base: u32,
        /// The argmax agreement to reach, in percent.
        #[arg(long, default_value_t = 100.0)]
        target: f64,
        /// Bits of headroom above the cheapest scale meeting the target (inputs the
        /// samples do not cover can flip near-tied logits at the bare minimum).
        #[arg(long, default_value_t = 0)]
        margin: u32,
        /// Calibrate activation widths from the samples too, with this many bits of
        /// headroom: each rescale's output is range-checked to what the samples reach (much
        /// cheaper for deep models; an input beyond a width cannot be proven).
        #[arg(long)]
        widths: Option<u32>,
        #[command(flatten)]
        onnx: OnnxArgs,
        /// Where to write the quantised model.
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
    /// Print the per-layer table: output shape, proven bound, constraints.
    Inspect {
        /// The integer model file (a float one is refused: quantise or calibrate it first).
        model: PathBuf,
    },
    /// Native integer inference; prints every layer's output (and remainder) as JSON.
    Infer {
        /// The integer model file.
        model: PathBuf,
        /// The input tensor file `{"shape": [..], "data": [..]}`, integers at the model's
        /// input scale.
        input: PathBuf,
    },
    /// Generate the proving and verifying keys (a single-party setup with OS randomness:
    /// whoever runs it can forge proofs for this circuit). Each key records the circuit's
    /// fingerprint and its public inputs' roles. Private weights get a commitment slot. For a
    /// multi-party setup, run a snarkjs phase-2 ceremony on `arkml export r1cs` and prove
    /// with `prove --zkey` (docs/ceremony.md).
    Setup {
        /// The integer model file.
        model: PathBuf,
        /// Where to write the proving key.
        #[arg(long)]
        pk: PathBuf,
        /// Where to write the verifying key.
        #[arg(long)]
        vk: PathBuf,
    },
    /// Commit to a model's private (or public) weights: creates SALT (a random secret) if it
    /// does not exist, and prints (and with -o writes) the public Poseidon commitment a
    /// verifier checks proofs against.
    Commit {
        /// The integer model file.
        model: PathBuf,
        /// The salt file (`{"salt": "..."}`), kept secret by the model's owner.
        #[arg(long)]
        salt: PathBuf,
        /// Where to write `{"commitment": "..."}`.
        #[arg(short = 'o', long)]
        out: Option<PathBuf>,
    },
    /// Prove one inference; writes the proof and `<proof>.public.json`.
    Prove {
        /// The integer model file.
        model: PathBuf,
        /// The input tensor file `{"shape": [..], "data": [..]}`: integers at the model's
        /// input scale, or real numbers with --float (then a NumPy `.npy` file works too).
        input: PathBuf,
        /// The input holds real numbers: quantise them at the model's `scale` (refusing
        /// values beyond its input bound).
        #[arg(long)]
        float: bool,
        /// With --float: the input is in ONNX's layout (`[C, H, W]`, optionally with a batch
        /// axis of 1), as the framework takes it; it is transposed to arkml's HWC.
        #[arg(long, requires = "float")]
        nchw: bool,
        /// The proving key from `arkml setup` for this model.
        #[arg(long, required_unless_present = "zkey", conflicts_with = "zkey")]
        pk: Option<PathBuf>,
        /// Instead of --pk: a snarkjs Groth16 `.zkey` for this model's circuit (from a
        /// phase-2 ceremony on `arkml export r1cs`).
        #[arg(long)]
        zkey: Option<PathBuf>,
        /// The salt file from `arkml commit` (required for private weights).
        #[arg(long)]
        salt: Option<PathBuf>,
        /// Where to write the proof.
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
    /// Verify a proof. Only the claimed output is read from the prover's public file; every
    /// other public input comes from what you give: --model (public weights; also checks
    /// the key is this model's circuit), --input (a public input), --commitment (private
    /// weights). The roles of the public inputs come from the arkml key's record, the model
    /// or --layout, never from the prover's file. An expectation that cannot be checked is
    /// an error; with no roles known and nothing expected, the output says that only the
    /// proof's validity for the values as given was checked.
    ///
    /// What binds a key to the model: a zkey's content is checked (its recorded A and B
    /// matrices, and a proof of the model's circuit made with its points). An arkml
    /// verifying key holds no circuit: its header's fingerprint is a mix-up check (this is
    /// the model's key file), not a proof that the key came from that circuit's setup; take
    /// the key from a setup you trust. snarkjs' `verification_key.json` names no circuit.
    Verify {
        /// The verifying key: arkml's, or snarkjs' `verification_key.json` (which names no
        /// circuit: --model is refused with it; use --zkey, or --layout for the roles).
        #[arg(long, required_unless_present = "zkey", conflicts_with = "zkey")]
        vk: Option<PathBuf>,
        /// Instead of --vk: the ceremony's `.zkey`; its verifying key is used, and with
        /// --model its recorded circuit must be the model's.
        #[arg(long)]
        zkey: Option<PathBuf>,
        /// The roles of the public inputs, for a key that records none (snarkjs'
        /// verification key, a zkey without --model): the layout file `arkml export r1cs`
        /// or `arkml export snarkjs` writes, from a source you trust.
        #[arg(long)]
        layout: Option<PathBuf>,
        /// The proof.
        proof: PathBuf,
        /// The prover's public file (default `<proof>.public.json`).
        #[arg(long)]
        public: Option<PathBuf>,
        /// The model the proof must be about.
        #[arg(long)]
        model: Option<PathBuf>,
        /// The input the proof must be about (when the model's input is public).
        #[arg(long)]
        input: Option<PathBuf>,
        /// The expected weight commitment: a decimal value or a file from `arkml commit -o`.
        #[arg(long)]
        commitment: Option<String>,
    },
    /// Export a verifying key and proof for snarkjs, or a Solidity verifier.
    Export {
        #[command(subcommand)]
        what: Export,
    },
    /// Write one inference's witness as an iden3 `.wtns` file (`snarkjs wtns check`,
    /// `snarkjs groth16 prove`, rapidsnark) for the circuit `arkml export r1cs` writes.
    Witness {
        /// The integer model file.
        model: PathBuf,
        /// The input tensor (integers, or reals with --float).
        input: PathBuf,
        /// The input holds real numbers (quantised at the model's scale).
        #[arg(long)]
        float: bool,
        /// With --float: the input is in ONNX's layout.
        #[arg(long, requires = "float")]
        nchw: bool,
        /// The salt file (private weights).
        #[arg(long)]
        salt: Option<PathBuf>,
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
    /// Print the constraint report: every gadget at standard sizes beside circomlib-ml's
    /// counts, and every layer of MODEL if given (optionally as an SVG bar chart).
    Report {
        model: Option<PathBuf>,
        /// Write a bar chart of constraints per layer of MODEL.
        #[arg(long, requires = "model")]
        svg: Option<PathBuf>,
    },
    /// Quantise a float model (`"dtype": "float"`) to an integer model file, printing each
    /// layer's largest rounding error.
    Quantize {
        /// The float model file (`"dtype": "float"`) or an ONNX file.
        model: PathBuf,
        /// The scale: `2^K` or `10^K`.
        #[arg(long, conflicts_with = "budget")]
        scale: Option<String>,
        /// Instead of a scale: the largest scale whose proven bounds fit in this many bits.
        #[arg(long)]
        budget: Option<u32>,
        /// With `--budget`: search `2^k` (2, the default) or `10^k` (10).
        #[arg(long, default_value_t = 2)]
        base: u32,
        /// Fold each BatchNorm into the Dense / Conv layer before it first (one rescale
        /// fewer per folded pair).
        #[arg(long)]
        fold_bn: bool,
        #[command(flatten)]
        onnx: OnnxArgs,
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum Export {
    /// snarkjs' verification_key.json, proof.json and public.json (from PROOF.public.json).
    Snarkjs {
        #[arg(long)]
        vk: PathBuf,
        proof: PathBuf,
        /// The public file (default `<proof>.public.json`).
        #[arg(long)]
        public: Option<PathBuf>,
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
    /// A Solidity verifier contract for the key.
    Solidity {
        #[arg(long)]
        vk: PathBuf,
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
    /// The model's circuit as an iden3 `.r1cs` file (snarkjs `r1cs info`, `groth16 setup`
    /// for a phase-2 ceremony). Wire 0 is one, then the public inputs in arkml's order.
    R1cs {
        /// The integer model file.
        model: PathBuf,
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
}

/// A spinner on stderr (hidden when stderr is not a terminal).
fn spinner(msg: &'static str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .expect("valid template"),
    );
    pb.set_message(msg);
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// A float model from a float model file or an ONNX file (by content, not extension).
fn load_float(
    path: &Path,
    o: &OnnxArgs,
) -> Result<arkml::quant::FloatModel, Box<dyn std::error::Error>> {
    let bytes = file::read_limited(path, arkml::model::Limits::default().max_file_bytes)?;
    if !arkml::onnx::looks_like_onnx(&bytes) {
        return Ok(file::float_model_from_json(
            std::str::from_utf8(&bytes).map_err(|e| format!("{}: {e}", path.display()))?,
            &path.display().to_string(),
        )?);
    }
    let opts = arkml::onnx::ImportOptions {
        input_max: o.input_max.unwrap_or(1.0),
        cubic: o.cubic,
        argmax: o.argmax,
        outputs: o.outputs.clone(),
        // tensors torch's default exporter writes beside the model (`model.onnx.data`)
        data_dir: Some(
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf(),
        ),
    };
    let imported =
        arkml::onnx::import(&bytes, &opts).map_err(|e| format!("{}: {e}", path.display()))?;
    for n in &imported.notes {
        eprintln!("note: {n}");
    }
    if o.input_max.is_none() {
        eprintln!("note: inputs assumed within [-1, 1] (--input-max sets the range)");
    }
    Ok(imported.model)
}

fn parse_scale(s: &str) -> Result<Scale, String> {
    let bad = || format!("{s:?}: expected 2^K or 10^K");
    let (base, k) = s.split_once('^').ok_or_else(bad)?;
    let k: u32 = k.parse().map_err(|_| bad())?;
    match base {
        "2" => Ok(Scale::Pow2(k)),
        "10" => Ok(Scale::Pow10(k)),
        _ => Err(bad()),
    }
}

fn public_path(proof: &Path) -> PathBuf {
    let mut s = proof.as_os_str().to_owned();
    s.push(".public.json");
    PathBuf::from(s)
}

/// `circuit.r1cs` -> `circuit.layout.json`: the layout beside an exported circuit.
fn layout_path(r1cs: &Path) -> PathBuf {
    r1cs.with_extension("layout.json")
}

fn zeros(m: &Model) -> ArrayD<BigInt> {
    ArrayD::from_elem(IxDyn(&m.input_shape), BigInt::from(0))
}

/// The model's circuit as the CLI proves it: private weights always committed (with
/// `salt`), so no CLI proof leaves them unbound.
fn bound_circuit(
    m: Arc<Model>,
    input: ArrayD<BigInt>,
    salt: Fr,
) -> Result<ModelCircuit, Box<dyn std::error::Error>> {
    Ok(ModelCircuit::bound(m, input, salt)?)
}

/// The salt for a model's circuit: required (from `arkml commit`) for private weights.
fn salt_for(m: &Model, salt: Option<PathBuf>) -> Result<Fr, Box<dyn std::error::Error>> {
    match (m.weights.visibility, salt) {
        (Visibility::Private, None) => Err("the weights are private: give --salt (from \
                                            `arkml commit`), so the proof binds them to \
                                            their commitment"
            .into()),
        (_, Some(path)) => load_salt(&path),
        (_, None) => Ok(Fr::zero()),
    }
}

/// The model's input from a tensor file: integers, or reals quantised at the model's scale
/// with `float` (in ONNX's layout with `nchw`).
fn load_input(
    m: &Model,
    input: &Path,
    float: bool,
    nchw: bool,
) -> Result<ArrayD<BigInt>, Box<dyn std::error::Error>> {
    if !float {
        return Ok(file::load_tensor(input)?);
    }
    let scale = m
        .scale
        .as_ref()
        .ok_or("--float: the model declares no \"scale\" to quantise the input at")?;
    let x = file::fit_input(file::read_float_tensor(input)?, &m.input_shape, nchw)?;
    Ok(file::quantize_float_tensor(&x, scale, m.input_bound)?)
}

fn read(p: &Path) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    Ok(std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?)
}

/// An arkml verifying key file (with its record), or snarkjs' `verification_key.json`: told
/// by the arkml header, never by a guessed byte.
fn load_vk_any(
    p: &Path,
) -> Result<
    (ark_groth16::VerifyingKey<ark_bn254::Bn254>, Option<KeyMeta>),
    Box<dyn std::error::Error>,
> {
    Ok(file::verifying_key_from_any_bytes(&read(p)?, p)?)
}

/// An arkml proof file, or snarkjs' `proof.json` (by the arkml header).
fn load_proof_any(
    p: &Path,
) -> Result<ark_groth16::Proof<ark_bn254::Bn254>, Box<dyn std::error::Error>> {
    Ok(file::proof_from_any_bytes(&read(p)?, p)?)
}

fn load_salt(path: &Path) -> Result<Fr, Box<dyn std::error::Error>> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let s = v["salt"]
        .as_str()
        .ok_or_else(|| format!("{}: expected {{\"salt\": \"<decimal>\"}}", path.display()))?;
    Ok(file::parse_field_decimal(s).map_err(|e| format!("{}: salt: {e}", path.display()))?)
}

fn parse_commitment(s: &str) -> Result<Fr, Box<dyn std::error::Error>> {
    if let Ok(v) = file::parse_field_decimal(s) {
        return Ok(v);
    }
    let text = std::fs::read_to_string(s).map_err(|e| {
        format!("--commitment {s:?}: neither a decimal value nor a readable file: {e}")
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{s}: {e}"))?;
    let c = v["commitment"]
        .as_str()
        .ok_or_else(|| format!("{s}: expected {{\"commitment\": \"<decimal>\"}}"))?;
    Ok(file::parse_field_decimal(c).map_err(|e| format!("{s}: commitment: {e}"))?)
}

fn describe_layout(l: &[Part]) -> String {
    if l.is_empty() {
        return "none".into();
    }
    l.iter()
        .map(|p| format!("{} x{}", p.role, p.count))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_values(out: &ArrayD<BigInt>) -> String {
    let v: Vec<String> = out.iter().map(|x| x.to_string()).collect();
    format!("output: [{}]", v.join(", "))
}

/// The proven output in the model's terms: the class after an ArgMax, else the integers
/// (and their real values at the model's scale, where it declares one).
fn describe_output(out: &ArrayD<BigInt>, m: &Model) -> String {
    let n = m.layers.len();
    let outs = m.graph.outputs_of(n);
    if outs.len() == 1
        && outs[0] > 0
        && matches!(m.layers.get(outs[0] - 1), Some(Layer::ArgMax(ops::ArgMax)))
    {
        if let Some(c) = out.iter().next() {
            return format!("class: {c}");
        }
    }
    let mut s = describe_values(out);
    if let Some(scale) = m.scale.as_ref().and_then(|s| s.to_f64()) {
        let reals: Vec<String> = out
            .iter()
            .map(|x| format!("{:.6}", x.to_f64().unwrap_or(f64::NAN) / scale))
            .collect();
        s.push_str(&format!(
            " (at scale {}: [{}])",
            m.scale
                .as_ref()
                .map(arkml::model::format_scale)
                .unwrap_or_default(),
            reals.join(", ")
        ));
    }
    s
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.cmd {
        Cmd::Inspect { model } => {
            // the facts pass alone: no constraint system is built
            let m = file::load_model(&model)?;
            print!("{}", Model::summary_table(&m.analyse()?));
            println!("total constraints: {}", m.constraints()?);
        }
        Cmd::Infer { model, input } => {
            let m = file::load_model(&model)?;
            // the checks `inspect` makes (scales, bounds within the field), then inference
            m.facts()?;
            let x = file::load_tensor(&input)?;
            let outs = m.infer(&x)?;
            let json: Vec<serde_json::Value> = outs
                .iter()
                .zip(&m.layers)
                .enumerate()
                .map(|(i, (o, l))| {
                    serde_json::json!({
                        "layer": l.kind(),
                        "name": m.graph.name_of(i),
                        "out": TensorFile::from_array(&o.out),
                        "remainder": o.remainder.as_ref().map(TensorFile::from_array),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({ "output": TensorFile::from_array(&m.output_of(&x, &outs)), "layers": json })
            );
        }
        Cmd::Setup { model, pk, vk } => {
            let m = Arc::new(file::load_model(&model)?);
            let circuit = bound_circuit(m.clone(), zeros(&m), Fr::zero())?;
            let info = circuit.info()?;
            let meta = KeyMeta::new(&info, circuit.layout()).with_input_shape(&m.input_shape);
            let pb = spinner("setup");
            let key = circuit.setup(&mut OsRng)?;
            pb.finish_and_clear();
            file::save_proving_key(&pk, &key, &meta)?;
            file::save_verifying_key(&vk, &key.vk, &meta)?;
            eprintln!(
                "wrote {} and {}: {} constraints, circuit {}, public inputs {}",
                pk.display(),
                vk.display(),
                info.constraints,
                info.fingerprint,
                describe_layout(&meta.public)
            );
        }
        Cmd::Commit { model, salt, out } => {
            let m = file::load_model(&model)?;
            if m.weights.visibility == Visibility::Constant {
                return Err("the weights are constants: the verifying key fixes them, \
                            there is nothing to commit to"
                    .into());
            }
            let s = if salt.exists() {
                load_salt(&salt)?
            } else {
                let s = Fr::rand(&mut OsRng);
                std::fs::write(
                    &salt,
                    serde_json::json!({ "salt": BigUint::from(s).to_string() }).to_string(),
                )?;
                eprintln!("wrote a new salt to {} (keep it secret)", salt.display());
                s
            };
            let c = arkml_gadgets::crypto::native_commit(&m.weight_values(), s);
            let c = BigUint::from(c).to_string();
            println!("{c}");
            if let Some(out) = out {
                std::fs::write(&out, serde_json::json!({ "commitment": c }).to_string())?;
                eprintln!("wrote {}", out.display());
            }
        }
        Cmd::Prove {
            model,
            input,
            float,
            nchw,
            pk,
            zkey,
            salt,
            out,
        } => {
            let m = Arc::new(file::load_model(&model)?);
            let salt = salt_for(&m, salt)?;
            let x = load_input(&m, &input, float, nchw)?;
            let circuit = bound_circuit(m.clone(), x.clone(), salt)?;
            // what is printed and written beside the proof, so the model and the circuit
            // (with every weight) can be freed before the key is read
            let said = describe_output(&circuit.output, &m);
            let (layout, public) = (circuit.layout(), circuit.public_inputs());
            let proof = if let Some(zkey) = zkey {
                let z = arkml::zkey::read_zkey(&std::fs::read(&zkey)?)
                    .map_err(|e| format!("{}: {e}", zkey.display()))?;
                let pb = spinner("proving");
                let proof = arkml::zkey::prove_with_zkey(&circuit.synthesize()?, &z, &mut OsRng)?;
                pb.finish_and_clear();
                proof
            } else {
                let pk = pk.ok_or("give --pk or --zkey")?;
                // the key's header first: a key for another circuit is refused before loading
                let meta = file::proving_key_meta(&pk)?;
                let pb = spinner("synthesising");
                // the circuit holds the only handle on the model: its weights are freed
                // once the constraints are written, before the rows are evaluated
                drop(m);
                let synthesized = match circuit.into_evaluated() {
                    Ok(s) => s,
                    Err(e) => {
                        // name the failing layer: synthesise a fresh copy, keeping it
                        pb.finish_and_clear();
                        let m = Arc::new(file::load_model(&model)?);
                        bound_circuit(m, x, salt)?.evaluate()?;
                        return Err(e.into());
                    }
                };
                let info = synthesized.info();
                if meta.fingerprint().as_ref() != Some(&info.fingerprint) || meta.public != layout {
                    pb.finish_and_clear();
                    return Err(format!(
                        "{}: the key is for another circuit ({}), this model's circuit is {}",
                        pk.display(),
                        meta.fingerprint,
                        info.fingerprint
                    )
                    .into());
                }
                pb.set_message("proving (reading the key as it goes)");
                let proof = file::prove_with_key_file(&pk, synthesized, false, &mut OsRng)?;
                pb.finish_and_clear();
                // the header said this circuit; the key's own content must agree: a proof
                // that its verifying key refuses is never written
                let vk = file::verifying_key_of_proving_key_file(&pk)?;
                if !arkml::groth16::verify(&vk, &public, &proof).unwrap_or(false) {
                    return Err(format!(
                        "{}: the key's header names this model's circuit, but the proof made \
                         with it does not verify under the key's own verifying key: the key \
                         is another circuit's (no proof written)",
                        pk.display()
                    )
                    .into());
                }
                proof
            };
            file::save_proof(&out, &proof)?;
            file::save_public(&public_path(&out), &layout, &public)?;
            println!("{said}");
            eprintln!(
                "wrote {} and {}",
                out.display(),
                public_path(&out).display()
            );
        }
        Cmd::Verify {
            vk,
            zkey,
            layout,
            proof,
            public,
            model,
            input,
            commitment,
        } => {
            // arguments, parsed; every check is the library's (arkml::verify)
            let key = match (&vk, &zkey) {
                (_, Some(z)) => arkml::verify::VerifierKey::Zkey(Box::new(
                    arkml::zkey::read_zkey(&std::fs::read(z)?)
                        .map_err(|e| format!("{}: {e}", z.display()))?,
                )),
                (Some(v), None) => match load_vk_any(v)? {
                    (vk, Some(meta)) => arkml::verify::VerifierKey::Arkml { vk, meta },
                    (vk, None) => arkml::verify::VerifierKey::Snarkjs(vk),
                },
                (None, None) => return Err("give --vk or --zkey".into()),
            };
            let p = load_proof_any(&proof)?;
            let entries = file::load_public(&public.unwrap_or_else(|| public_path(&proof)))?;
            let loaded = model
                .as_ref()
                .map(|m| file::load_model(m).map(Arc::new))
                .transpose()?;
            let expected = arkml::verify::Expected {
                model: loaded.clone(),
                input: input.as_ref().map(|x| file::load_tensor(x)).transpose()?,
                commitment: commitment.as_deref().map(parse_commitment).transpose()?,
                layout: layout.as_ref().map(|l| file::load_layout(l)).transpose()?,
            };
            let verdict = match arkml::verify::verify(&key, &p, &entries, &expected, &mut OsRng) {
                Ok(v) => v,
                Err(e @ arkml::verify::VerifyError::Statement(StatementError::Differs { .. })) => {
                    println!("INVALID");
                    return Err(e.into());
                }
                Err(e) => return Err(e.into()),
            };
            println!("{}", if verdict.valid { "valid" } else { "INVALID" });
            if !verdict.valid {
                return Err("proof does not verify".into());
            }
            match &verdict.output {
                Some(out) if !out.is_empty() => {
                    let out = ArrayD::from_shape_vec(IxDyn(&[out.len()]), out.clone())?;
                    match &loaded {
                        Some(m) => println!("{}", describe_output(&out, m)),
                        None => println!("{}", describe_values(&out)),
                    }
                }
                Some(_) => {}
                None => {
                    let v: Vec<String> = verdict
                        .public_inputs
                        .iter()
                        .map(|f| from_field(*f).to_string())
                        .collect();
                    println!("public inputs: [{}]", v.join(", "));
                }
            }
            for c in &verdict.checked {
                println!("checked: {c}");
            }
            for c in &verdict.not_checked {
                println!("not checked: {c}");
            }
        }
        Cmd::Export { what } => match what {
            Export::Snarkjs {
                vk,
                proof,
                public,
                out,
            } => {
                let (key, meta) = load_vk_any(&vk)?;
                let p = load_proof_any(&proof)?;
                let public: Vec<Fr> =
                    file::load_public(&public.unwrap_or_else(|| public_path(&proof)))?
                        .iter()
                        .map(|e| e.value)
                        .collect();
                if public.len() + 1 != key.gamma_abc_g1.len() {
                    return Err(StatementError::Count {
                        expected: key.gamma_abc_g1.len() - 1,
                        got: public.len(),
                    }
                    .into());
                }
                std::fs::create_dir_all(&out)?;
                for (name, v) in [
                    ("verification_key.json", arkml::snarkjs::vk_to_json(&key)),
                    ("proof.json", arkml::snarkjs::proof_to_json(&p)),
                    ("public.json", arkml::snarkjs::public_to_json(&public)),
                ] {
                    std::fs::write(out.join(name), serde_json::to_string_pretty(&v)?)?;
                }
                // the roles, for verifiers of the snarkjs files (`verify --layout`)
                if let Some(meta) = &meta {
                    file::save_layout(
                        &out.join("layout.json"),
                        &arkml::verify::Layout::of_key(meta),
                    )?;
                }
                eprintln!("wrote snarkjs files to {}", out.display());
            }
            Export::Solidity { vk, out } => {
                let (key, _) = load_vk_any(&vk)?;
                std::fs::write(&out, arkml::solidity::verifier(&key))?;
                eprintln!("wrote {}", out.display());
            }
            Export::R1cs { model, out } => {
                let m = Arc::new(file::load_model(&model)?);
                // the constraint system does not depend on the input or the salt
                let c = bound_circuit(m.clone(), zeros(&m), Fr::zero())?;
                let s = c.synthesize()?;
                std::fs::write(&out, arkml::iden3::r1cs(&s))?;
                // the roles of the public inputs, for verifiers of the ceremony's keys
                let layout_path = layout_path(&out);
                file::save_layout(&layout_path, &arkml::verify::Layout::of(&c))?;
                // the symbols beside it, for `snarkjs r1cs print`
                let sym = out.with_extension("sym");
                std::fs::write(&sym, arkml::iden3::sym(&s))?;
                let (_, inputs, wires) = s.parts();
                println!(
                    "{} constraints, {} public inputs, {wires} wires, circuit {}",
                    s.info().constraints,
                    inputs - 1,
                    s.info().fingerprint
                );
                eprintln!("wrote {} and {}", out.display(), layout_path.display());
            }
        },
        Cmd::Witness {
            model,
            input,
            float,
            nchw,
            salt,
            out,
        } => {
            let m = Arc::new(file::load_model(&model)?);
            let salt = salt_for(&m, salt)?;
            let x = load_input(&m, &input, float, nchw)?;
            let circuit = bound_circuit(m.clone(), x, salt)?;
            let s = circuit.synthesize()?;
            std::fs::write(&out, arkml::iden3::wtns(&s))?;
            println!("{}", describe_output(&circuit.output, &m));
            eprintln!("wrote {} ({} values)", out.display(), s.assignment().len());
        }
        Cmd::Report { model, svg } => {
            print!("{}", arkml::report::gadget_table());
            if let Some(path) = model {
                let m = file::load_model(&path)?;
                let summary = m.analyse()?;
                println!();
                print!("{}", Model::summary_table(&summary));
                if let Some(svg) = svg {
                    std::fs::write(&svg, arkml::report::svg_chart(&summary))?;
                    eprintln!("wrote {}", svg.display());
                }
            }
        }
        Cmd::Quantize {
            model,
            scale,
            budget,
            base,
            fold_bn,
            onnx,
            out,
        } => {
            let mut fm = load_float(&model, &onnx)?;
            if fold_bn {
                fm = arkml::quant::fold_batch_norm(&fm);
            }
            let q = match (scale, budget) {
                (Some(s), _) => quantize(&fm, parse_scale(&s)?)?,
                (None, Some(b)) => {
                    let base = match base {
                        2 => Scale::Pow2(0),
                        10 => Scale::Pow10(0),
                        other => return Err(format!("--base {other}: expected 2 or 10").into()),
                    };
                    quantize_within(&fm, base, b)?
                }
                (None, None) => return Err("give --scale or --budget".into()),
            };
            print!("{}", q.report(&fm));
            file::save_model(&out, &q.model)?;
            eprintln!("wrote {}", out.display());
        }
        Cmd::Import { model, onnx, out } => {
            let fm = load_float(&model, &onnx)?;
            file::save_float_model(&out, &fm)?;
            let linear = fm.layers.iter().filter(|l| l.is_linear()).count();
            println!(
                "{} layers ({linear} with weights), input {:?} (arkml's HWC), inputs within [-{}, {}]",
                fm.layers.len(),
                fm.input_shape,
                fm.input_max,
                fm.input_max
            );
            eprintln!("wrote {}", out.display());
        }
        Cmd::Calibrate {
            model,
            data,
            nchw,
            scales,
            base,
            target,
            margin,
            widths,
            onnx,
            out,
        } => {
            let fm = load_float(&model, &onnx)?;
            let samples = file::load_samples(&data, &fm.input_shape, nchw)?;
            let (lo, hi) = scales
                .split_once("..")
                .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
                .filter(|(a, b)| a <= b)
                .ok_or_else(|| format!("--scales {scales:?}: expected LO..HI, e.g. 2..24"))?;
            let opts = arkml::calibrate::CalibrateOptions {
                base: match base {
                    2 => Scale::Pow2(0),
                    10 => Scale::Pow10(0),
                    other => return Err(format!("--base {other}: expected 2 or 10").into()),
                },
                exponents: lo..=hi,
                target: target / 100.0,
                margin,
                widths,
            };
            let c = arkml::calibrate::calibrate(&fm, &samples, &opts)?;
            print!("{}", c.table());
            let q = c.quantized.ok_or("no scale chosen")?;
            file::save_model(&out, &q.model)?;
            eprintln!(
                "wrote {} ({} samples, input bound {} bits)",
                out.display(),
                samples.len(),
                q.model.input_bound
            );
        }
    }
    Ok(())
}

/// glibc keeps freed memory for reuse instead of returning it to the system, so the
/// process's resident memory keeps counting the model file's parsed JSON and the constraint
/// system after they are freed: proving the 2M-weight MLP held 340 MB resident against a
/// 216 MB heap peak. Returning freed memory above 1 MiB at the top of the heap brings the
/// resident peak to the heap's (236 MB) for about 1 % more system time.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_memory() {
    // SAFETY: mallopt only sets one of the allocator's parameters; nothing runs yet.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_memory() {}

fn main() -> ExitCode {
    return_freed_memory();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
