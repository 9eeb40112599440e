//! Fuzz targets for every loader, shared by the smoke test (`tests/fuzz.rs`, a time budget
//! in CI) and the long runs (`cargo run --release --example fuzz -- [INPUTS]`, 10^6 inputs
//! per target, figures in `docs/fuzzing.md`).
//!
//! Inputs are mutations of valid seeds (bit flips, truncations, insertions, deletions,
//! splices, and numbers swapped for boundary values such as `2^64 - 1`), every choice drawn
//! from an [`arbitrary::Unstructured`]: the loaders see near-valid files, where the
//! interesting failures are. A target passes when it never panics; errors are expected.
#![allow(dead_code)]

use arkml::model::ops;
use std::path::Path;
use std::sync::Arc;

use arbitrary::Unstructured;
use arkml::file;
use arkml::model::Limits;

/// One loader: a name, its seeds, and what it does with an input.
pub struct Target {
    pub name: &'static str,
    pub seeds: Vec<Vec<u8>>,
    pub run: fn(&[u8]),
}

const BOUNDARY: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "255",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "21888242871839275222246405745257275088548364400416034343698204186575808495617",
    "1e309",
    "-0",
    "1.5",
    "\"x\"",
    "null",
    "[]",
    "{}",
];

/// A mutation of `seed`, every choice taken from `u`.
pub fn mutate(u: &mut Unstructured<'_>, seed: &[u8]) -> arbitrary::Result<Vec<u8>> {
    let mut v = seed.to_vec();
    let rounds = u.int_in_range(1..=6)?;
    for _ in 0..rounds {
        let len = v.len();
        let at = if len == 0 {
            0
        } else {
            u.int_in_range(0..=len - 1)?
        };
        match u.int_in_range(0..=7)? {
            0 if len > 0 => {
                let bit = u.int_in_range(0..=7)?;
                v[at] ^= 1 << bit;
            }
            1 => v.truncate(at),
            2 => {
                let b: u8 = u.arbitrary()?;
                v.insert(at.min(v.len()), b);
            }
            3 if len > 0 => {
                let n = u.int_in_range(1..=16.min(len - at))?;
                v.drain(at..at + n);
            }
            4 => {
                // a run of digits (or the byte at `at`) becomes a boundary value
                let start = (0..=at.min(len.saturating_sub(1)))
                    .rev()
                    .take_while(|&i| i < len && (v[i].is_ascii_digit() || v[i] == b'-'))
                    .last()
                    .unwrap_or(at);
                let mut end = start;
                while end < len && (v[end].is_ascii_digit() || v[end] == b'-') {
                    end += 1;
                }
                let with = u.choose(BOUNDARY)?.as_bytes();
                v.splice(
                    start.min(len)..end.max(start.min(len)),
                    with.iter().copied(),
                );
            }
            5 if len > 0 => {
                // duplicate a range elsewhere
                let n = u.int_in_range(1..=64.min(len - at))?;
                let chunk: Vec<u8> = v[at..at + n].to_vec();
                let to = u.int_in_range(0..=len)?;
                v.splice(to..to, chunk);
            }
            6 if len > 0 => {
                v[at] = *u.choose(b"\"{}[],:-0123456789eE.")?;
            }
            _ => {
                let b: u8 = u.arbitrary()?;
                v.push(b);
            }
        }
    }
    Ok(v)
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

/// Small limits: a fuzzed model may be run (shapes, facts, one inference) when it loads.
const SMALL: Limits = Limits {
    max_elements: 4096,
    max_nodes: 1 << 20,
    max_file_bytes: 1 << 30,
};

fn model(b: &[u8]) {
    if let Ok(m) = file::model_from_json(text(b), "fuzz") {
        if m.shapes_within(&SMALL).is_ok() {
            let _ = m.facts();
            let zero = ndarray::ArrayD::from_elem(
                ndarray::IxDyn(&m.input_shape),
                num_bigint::BigInt::from(0),
            );
            let _ = m.predict(&zero);
            let _ = file::model_to_json(&m);
            if m.facts().is_ok() {
                let _ = arkml::circuit::ModelCircuit::new(Arc::new(m), zero);
            }
        }
    }
}

fn onnx(b: &[u8]) {
    let opts = arkml::onnx::ImportOptions {
        cubic: true,
        ..Default::default()
    };
    if let Ok(imported) = arkml::onnx::import(b, &opts) {
        let fm = imported.model;
        let n = fm
            .input_shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d));
        if n.is_some_and(|n| n <= 4096) {
            let x = ndarray::ArrayD::zeros(ndarray::IxDyn(&fm.input_shape));
            let _ = fm.forward(&x);
            let _ = arkml::quant::quantize(&fm, arkml_gadgets::fixed::Scale::Pow2(8));
        }
    }
}

fn float_model(b: &[u8]) {
    if let Ok(fm) = file::float_model_from_json(text(b), "fuzz") {
        if fm
            .input_shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .is_some_and(|n| n <= 4096)
        {
            let _ = arkml::quant::quantize(&fm, arkml_gadgets::fixed::Scale::Pow2(8));
        }
    }
}

fn tensor(b: &[u8]) {
    let _ = file::tensor_from_json(text(b), "fuzz");
}

fn proving_key(b: &[u8]) {
    let _ = file::proving_key_from_bytes(b, Path::new("fuzz"), false);
    let _ = file::proving_key_from_bytes(b, Path::new("fuzz"), true);
}

fn verifying_key(b: &[u8]) {
    let _ = file::verifying_key_from_bytes(b, Path::new("fuzz"));
}

fn proof(b: &[u8]) {
    let _ = file::proof_from_bytes(b, Path::new("fuzz"));
}

fn public(b: &[u8]) {
    let _ = file::public_from_str(text(b), "fuzz");
}

fn snarkjs(b: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(b) {
        let _ = arkml::snarkjs::vk_from_json(&v);
        let _ = arkml::snarkjs::proof_from_json(&v);
        let _ = arkml::snarkjs::public_from_json(&v);
    }
}

fn pgm(b: &[u8]) {
    let _ = arkml::bounty::Pgm::parse(b);
}

/// Every target with its seeds (one Groth16 setup on a small model for the key seeds).
pub fn targets() -> Vec<Target> {
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use arkml::model::{Graph, Layer, Model, WeightSpec};
    use arkml_gadgets::layers::{Conv2dConfig, Padding, Pool2dConfig};
    use arkml_gadgets::tensor::Visibility;
    use ndarray::{Array1, Array2, Array4, ArrayD, IxDyn};
    use num_bigint::{BigInt, BigUint};
    let b = |v: i64| BigInt::from(v);
    let chain = Model {
        input_shape: vec![4, 4, 1],
        input_bound: 8,
        input_visibility: Visibility::Private,
        layers: vec![
            Layer::Conv2d(ops::Conv2d {
                w: Array4::from_elem((2, 2, 1, 2), b(3)),
                b: Array1::from_elem(2, b(-5)),
                cfg: Conv2dConfig::new((1, 1), Padding::Same),
            }),
            Layer::Rescale(ops::Rescale(BigUint::from(16u32))),
            Layer::Relu(ops::Relu),
            Layer::MaxPool2d(ops::MaxPool2d(Pool2dConfig::new((2, 2)))),
            Layer::Flatten(ops::Flatten),
            Layer::Dense(ops::Dense {
                w: Array2::from_elem((8, 3), b(2)),
                b: Array1::from_elem(3, b(1)),
            }),
            Layer::ArgMax(ops::ArgMax),
        ],
        graph: Graph::default(),
        weights: WeightSpec::default(),
        scale: Some(BigUint::from(16u32)),
    };
    let graph = Model {
        input_shape: vec![2, 2, 2],
        input_bound: 8,
        input_visibility: Visibility::Public,
        layers: vec![
            Layer::Relu(ops::Relu),
            Layer::Clip(ops::Clip {
                lo: b(-3),
                hi: b(40),
            }),
            Layer::Add(ops::Add),
            Layer::Concat(ops::Concat),
            Layer::SumPool2d(ops::SumPool2d(Pool2dConfig::new((2, 2)))),
            Layer::Mul(ops::Mul {
                c: ArrayD::from_elem(IxDyn(&[1, 1, 4]), b(2)),
            }),
            Layer::UpSample2d(ops::UpSample2d((2, 1))),
            Layer::GlobalAvgPool2d(ops::GlobalAvgPool2d),
        ],
        graph: Graph {
            inputs: vec![
                vec![0],
                vec![0],
                vec![1, 2],
                vec![3, 1],
                vec![4],
                vec![5],
                vec![6],
                vec![7],
            ],
            names: vec!["a".into(), "b".into(), "s".into(), "c".into()],
            outputs: vec![8, 3],
        },
        weights: WeightSpec {
            visibility: Visibility::Private,
            weight_bits: 8,
            bias_bits: 12,
        },
        scale: None,
    };
    let models = vec![
        file::model_to_json(&chain).into_bytes(),
        file::model_to_json(&graph).into_bytes(),
    ];
    let digits = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/digits/model.json"
    ))
    .unwrap_or_default();
    let float_seed = br#"{"format":"arkml-model","version":1,"dtype":"float","input_shape":[3],"input_max":1.5,"layers":[{"type":"dense","weights":{"shape":[3,2],"data":[0.5,-0.25,1,2,0.125,-1]},"bias":{"shape":[2],"data":[0.1,0]}},{"type":"leaky_relu","alpha":0.2},{"type":"sigmoid"},{"type":"argmax"}]}"#.to_vec();
    let tensor_seed =
        br#"{"shape":[2,3],"data":["1","-2",3,"40000000000000000000000",0,"-7"]}"#.to_vec();
    // keys and a proof of the chain model
    let c = arkml::circuit::ModelCircuit::new(
        Arc::new(chain.clone()),
        ArrayD::from_elem(IxDyn(&[4, 4, 1]), b(1)),
    )
    .expect("seed model");
    let mut rng = StdRng::seed_from_u64(1);
    let pk = c.setup(&mut rng).expect("setup");
    let info = c.info().expect("info");
    let meta = file::KeyMeta::new(&info, c.layout());
    let dir = std::env::temp_dir().join(format!("arkml-fuzz-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    file::save_proving_key(&dir.join("pk"), &pk, &meta).expect("pk");
    file::save_verifying_key(&dir.join("vk"), &pk.vk, &meta).expect("vk");
    let proof_ = c.prove(&pk, &mut rng).expect("prove");
    file::save_proof(&dir.join("proof"), &proof_).expect("proof");
    file::save_public(&dir.join("public"), &c.layout(), &c.public_inputs()).expect("public");
    let read = |n: &str| std::fs::read(dir.join(n)).expect("seed file");
    let (pk_b, vk_b, proof_b, public_b) = (read("pk"), read("vk"), read("proof"), read("public"));
    let _ = std::fs::remove_dir_all(&dir);
    let sj = |v: serde_json::Value| serde_json::to_vec_pretty(&v).expect("json");
    let snark = vec![
        sj(arkml::snarkjs::vk_to_json(&pk.vk)),
        sj(arkml::snarkjs::proof_to_json(&proof_)),
        sj(arkml::snarkjs::public_to_json(&c.public_inputs())),
    ];
    let onnx_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/onnx/");
    let onnx_seeds: Vec<Vec<u8>> = [
        "lenet",
        "zoo",
        "conv1d",
        "skl_mlp",
        "keras_cnn",
        "skl_logreg",
        "wires_shuffle",
        "wires_vit",
        "wires_seq",
        "wires_two_inputs",
        "wires_convt",
        "wires_reduce",
        "wires_pad",
        "wires_lstm",
        "wires_gru",
        "wires_norm",
        "wires_attention",
        "skl_forest_binary",
        "skl_gboost_binary",
    ]
    .iter()
    .filter_map(|n| std::fs::read(format!("{onnx_dir}{n}.onnx")).ok())
    .collect();
    let mut pgm_seed = b"P5\n4 4\n255\n".to_vec();
    pgm_seed.extend(0u8..16);
    vec![
        Target {
            name: "model JSON (v1 chain, v2 graph)",
            seeds: models,
            run: model,
        },
        Target {
            name: "ONNX model",
            seeds: onnx_seeds,
            run: onnx,
        },
        Target {
            name: "float model JSON",
            seeds: vec![float_seed, digits],
            run: float_model,
        },
        Target {
            name: "tensor JSON",
            seeds: vec![tensor_seed],
            run: tensor,
        },
        Target {
            name: "proving key",
            seeds: vec![pk_b],
            run: proving_key,
        },
        Target {
            name: "verifying key",
            seeds: vec![vk_b],
            run: verifying_key,
        },
        Target {
            name: "proof",
            seeds: vec![proof_b],
            run: proof,
        },
        Target {
            name: "public file",
            seeds: vec![public_b, br#"["7","12"]"#.to_vec()],
            run: public,
        },
        Target {
            name: "snarkjs JSON",
            seeds: snark,
            run: snarkjs,
        },
        Target {
            name: "PGM",
            seeds: vec![pgm_seed],
            run: pgm,
        },
    ]
}

/// One input: a seed chosen and mutated from `u`, then run.
pub fn one(t: &Target, u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let seed = u.choose(&t.seeds)?;
    let input = mutate(u, seed)?;
    (t.run)(&input);
    Ok(())
}
