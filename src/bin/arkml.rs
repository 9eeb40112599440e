//! `arkml`: inspect, run, set up, prove and verify a model from its JSON file.
//!
//! ```text
//! arkml inspect MODEL                       per-layer table (shape, bound, constraints)
//! arkml infer MODEL INPUT                   native inference: every layer's output as JSON
//! arkml setup MODEL --pk PK --vk VK         Groth16 keys (OS randomness)
//! arkml prove MODEL INPUT --pk PK -o PROOF  writes PROOF and PROOF.public.json
//! arkml verify --vk VK PROOF                checks PROOF against PROOF.public.json
//! arkml quantize FLOAT_MODEL --scale 2^16 [--fold-bn] -o MODEL   float weights to integers
//! arkml quantize FLOAT_MODEL --budget 40 [--base 10] -o MODEL   largest scale within 40 bits
//! arkml export snarkjs --vk VK PROOF -o DIR  verification_key.json, proof.json, public.json
//! arkml export solidity --vk VK -o Verifier.sol
//! arkml report [MODEL] [--svg FILE]         constraint report: gadgets (and a model's layers)
//! ```
//! Setup and prove show a spinner with the stage and elapsed time on a terminal, nothing
//! when stderr is not one.
//! MODEL is the format of `arkml::file`; INPUT a tensor file `{"shape": .., "data": ..}`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use arkml::file::{self, TensorFile};
use arkml::model::{Model, ModelCircuit};
use arkml::quant::{quantize, quantize_within};
use arkml_gadgets::fixed::Scale;
use clap::{Parser, Subcommand};
use ndarray::{ArrayD, IxDyn};
use num_bigint::BigInt;
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

#[derive(Subcommand)]
enum Cmd {
    /// Print the per-layer table: output shape, proven bound, constraints.
    Inspect { model: PathBuf },
    /// Native integer inference; prints every layer's output (and remainder) as JSON.
    Infer { model: PathBuf, input: PathBuf },
    /// Generate the proving and verifying keys.
    Setup {
        model: PathBuf,
        #[arg(long)]
        pk: PathBuf,
        #[arg(long)]
        vk: PathBuf,
    },
    /// Prove one inference; writes the proof and `<proof>.public.json`.
    Prove {
        model: PathBuf,
        input: PathBuf,
        #[arg(long)]
        pk: PathBuf,
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
    /// Verify a proof against `<proof>.public.json`.
    Verify {
        #[arg(long)]
        vk: PathBuf,
        proof: PathBuf,
    },
    /// Export a verifying key and proof for snarkjs, or a Solidity verifier.
    Export {
        #[command(subcommand)]
        what: Export,
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

fn zeros(m: &Model) -> ArrayD<BigInt> {
    ArrayD::from_elem(IxDyn(&m.input_shape), BigInt::from(0))
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.cmd {
        Cmd::Inspect { model } => {
            let m = file::load_model(&model)?;
            let cs = ConstraintSystem::<Fr>::new_ref();
            let (_, summary) = m.synthesize(cs.clone(), &zeros(&m))?;
            print!("{}", Model::summary_table(&summary));
            println!("total constraints: {}", cs.num_constraints());
        }
        Cmd::Infer { model, input } => {
            let m = file::load_model(&model)?;
            let x = file::load_tensor(&input)?;
            let outs = m.infer(&x)?;
            let json: Vec<serde_json::Value> = outs
                .iter()
                .zip(&m.layers)
                .map(|(o, l)| {
                    serde_json::json!({
                        "layer": l.kind(),
                        "out": TensorFile::from_array(&o.out),
                        "remainder": o.remainder.as_ref().map(TensorFile::from_array),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({ "output": TensorFile::from_array(&outs.last().map(|o| o.out.clone()).unwrap_or(x)), "layers": json })
            );
        }
        Cmd::Setup { model, pk, vk } => {
            let m = Arc::new(file::load_model(&model)?);
            let circuit = ModelCircuit::new(m.clone(), zeros(&m))?;
            let pb = spinner("setup");
            let key = arkml::groth16::setup(circuit, &mut OsRng)?;
            pb.finish_and_clear();
            file::save_proving_key(&pk, &key)?;
            file::save_verifying_key(&vk, &key.vk)?;
            eprintln!("wrote {} and {}", pk.display(), vk.display());
        }
        Cmd::Prove {
            model,
            input,
            pk,
            out,
        } => {
            let m = Arc::new(file::load_model(&model)?);
            let circuit = ModelCircuit::new(m, file::load_tensor(&input)?)?;
            let pb = spinner("loading the proving key");
            let key = file::load_proving_key(&pk)?;
            pb.set_message("proving");
            let proof = circuit.prove(&key, &mut OsRng)?;
            pb.finish_and_clear();
            file::save_proof(&out, &proof)?;
            file::save_public(&public_path(&out), &circuit.public_inputs())?;
            eprintln!(
                "wrote {} and {}",
                out.display(),
                public_path(&out).display()
            );
        }
        Cmd::Verify { vk, proof } => {
            let key = file::load_verifying_key(&vk)?;
            let p = file::load_proof(&proof)?;
            let public = file::load_public(&public_path(&proof))?;
            let ok = arkml::groth16::verify(&key, &public, &p).unwrap_or(false);
            println!("{}", if ok { "valid" } else { "INVALID" });
            if !ok {
                return Err("proof does not verify".into());
            }
        }
        Cmd::Export { what } => match what {
            Export::Snarkjs { vk, proof, out } => {
                let key = file::load_verifying_key(&vk)?;
                let p = file::load_proof(&proof)?;
                let public = file::load_public(&public_path(&proof))?;
                std::fs::create_dir_all(&out)?;
                for (name, v) in [
                    ("verification_key.json", arkml::snarkjs::vk_to_json(&key)),
                    ("proof.json", arkml::snarkjs::proof_to_json(&p)),
                    ("public.json", arkml::snarkjs::public_to_json(&public)),
                ] {
                    std::fs::write(out.join(name), serde_json::to_string_pretty(&v)?)?;
                }
                eprintln!("wrote snarkjs files to {}", out.display());
            }
            Export::Solidity { vk, out } => {
                let key = file::load_verifying_key(&vk)?;
                std::fs::write(&out, arkml::solidity::verifier(&key))?;
                eprintln!("wrote {}", out.display());
            }
        },
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
            out,
        } => {
            let mut fm = file::load_float_model(&model)?;
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
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
