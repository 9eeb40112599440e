//! The bounty on real data: ZKaggle's five MNIST PGMs (`../shared/conformance/zkaggle`),
//! each bound to its CID, classified by circomlib-ml's trained MNIST CNN with private,
//! committed weights (re-quantised to 2^16, the 1/255 pixel scaling folded into the first
//! layer), the number of correct predictions against the true labels proven; then the same
//! committed weights handed over encrypted to a recipient, who decrypts and checks the
//! commitment.
//!
//! Run: `cargo run --release --example bounty_mnist -- --images 5` (default 2; each image
//! adds about 700k constraints).

use std::sync::Arc;

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use arkml::bounty::Bounty;
use arkml::handover::{decrypt, Handover};
use arkml::measure::{peak_rss_mb, timed};
use arkml_gadgets::crypto::babyjub::native_public_key;
use arkml_gadgets::crypto::sha256::sha256_cost;
use num_bigint::BigUint;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .iter()
        .position(|a| a == "--images")
        .and_then(|i| args.get(i + 1))
        .map_or(Ok(2), |v| v.parse())?;
    // circomlib-ml's vectors and ZKaggle's images: `$ARKML_CONFORMANCE_DIR`, else
    // `../shared/conformance` beside the checkout (GPL data, never copied into the crate)
    let conformance = std::env::var_os("ARKML_CONFORMANCE_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"),
        std::path::PathBuf::from,
    );
    let dir = conformance.join("zkaggle");
    let mnist = std::fs::read_to_string(conformance.join("circomlib-ml/mnist.json"))?;
    let d: serde_json::Value = serde_json::from_str(&mnist)?;
    // raw pixels in, activations at 2^16, private weights at their exact widths
    let model = Arc::new(arkml::circomlib_ml::mnist_pixels(&d, 16)?);
    let cids: Vec<String> = std::fs::read_to_string(dir.join("cid-0-4.txt"))?
        .lines()
        .map(str::to_string)
        .take(n)
        .collect();
    let labels: Vec<u64> =
        serde_json::from_str::<Vec<u64>>(&std::fs::read_to_string(dir.join("labels-0-4.json"))?)?
            .into_iter()
            .take(n)
            .collect();
    let files = (0..n)
        .map(|i| std::fs::read(dir.join(format!("{i}.pgm"))))
        .collect::<Result<Vec<_>, _>>()?;

    let mut rng = StdRng::seed_from_u64(7);
    let salt = Fr::from(BigUint::from_bytes_le(&rng.gen::<[u8; 31]>()));
    // the threshold to claim: the model's accuracy on the files, natively
    let preds = arkml::bounty::predictions(&model, &files)?;
    let correct = preds.iter().zip(&labels).filter(|(p, l)| p == l).count() as u64;
    println!("labels      {labels:?}\npredictions {preds:?} ({correct} of {n} correct)");
    let b = Bounty::new(model.clone(), files.clone(), &cids, labels, correct, salt)?;

    let cs = ConstraintSystem::<Fr>::new_ref();
    b.clone().generate_constraints(cs.clone())?;
    let total = cs.num_constraints();
    let hashing: usize = files.iter().map(|f| sha256_cost(f.len())).sum();
    let decoding: usize = files.iter().map(|f| 9 * f.len()).sum();
    let wcs = ConstraintSystem::<Fr>::new_ref();
    let w = model.alloc_weights(wcs.clone())?;
    let weights_n: usize = w.iter().flatten().map(|t| t.len()).sum();
    let weight_checks = wcs.num_constraints();
    let commitment = arkml_gadgets::crypto::commit::commit_cost(weights_n) + 1;
    // the accuracy count: one equality test per file and the threshold's range check
    let acs = ConstraintSystem::<Fr>::new_ref();
    {
        use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
        let a = FpVar::new_witness(acs.clone(), || Ok(Fr::from(1u64)))?;
        let _ = a.is_eq(&FpVar::new_input(acs.clone(), || Ok(Fr::from(1u64)))?)?;
    }
    let accuracy = n * acs.num_constraints() + (65 - (n as u64).leading_zeros() as usize);
    let model_part = total - hashing - decoding - weight_checks - commitment - accuracy;
    println!("constraints: {total}");
    println!("  hashing {n} files (SHA-256):           {hashing}");
    println!("  decoding their bytes (9 per byte):     {decoding}");
    println!("  model on {n} images:                   {model_part}");
    println!("  accuracy count and threshold:          {accuracy}");
    println!("  weight range checks ({weights_n} weights): {weight_checks}");
    println!("  weight commitment:                     {commitment}");
    println!(
        "  per image {} (hash, bytes and model); ZKaggleV2: 612,206 per image",
        (hashing + decoding + model_part) / n
    );

    let (pk, wall, cpu) = timed(|| arkml::groth16::setup(b.clone(), &mut rng));
    let pk = pk?;
    println!(
        "setup  {wall:.1} s wall, {:.1} CPU-s",
        cpu.unwrap_or(f64::NAN)
    );
    let (proof, wall, cpu) = timed(|| arkml::groth16::prove(&pk, b.clone(), &mut rng));
    let proof = proof?;
    println!(
        "prove  {wall:.1} s wall, {:.1} CPU-s",
        cpu.unwrap_or(f64::NAN)
    );
    let ok = arkml::groth16::verify(&pk.vk, &b.public_inputs(), &proof)?;
    println!("accuracy proof verifies: {ok} (at least {correct} of {n} correct)");
    drop(pk);

    // hand the committed weights over
    let weights = model.weight_values();
    let recipient = BigUint::from_bytes_le(&rng.gen::<[u8; 31]>());
    let owner = BigUint::from_bytes_le(&rng.gen::<[u8; 31]>());
    let h = Handover::new(
        weights.clone(),
        salt,
        owner,
        native_public_key(&recipient),
        1,
    )?;
    assert_eq!(
        h.public().commitment,
        b.commitment(),
        "one commitment for both proofs"
    );
    let hcs = ConstraintSystem::<Fr>::new_ref();
    h.clone().generate_constraints(hcs.clone())?;
    println!(
        "hand-over: {} constraints for {} weights ({:.0} per 1,000 weights; ZKaggleV2: 1,094,554)",
        hcs.num_constraints(),
        weights.len(),
        hcs.num_constraints() as f64 * 1000.0 / weights.len() as f64
    );
    drop(hcs);
    let (pk, wall, _) = timed(|| arkml::groth16::setup(h.clone(), &mut rng));
    let pk = pk?;
    println!("hand-over ({} weights): setup {wall:.1} s", weights.len());
    let (proof, wall, _) = timed(|| arkml::groth16::prove(&pk, h.clone(), &mut rng));
    let proof = proof?;
    println!("hand-over prove {wall:.1} s");
    let ok2 = arkml::groth16::verify(&pk.vk, &h.public().inputs(), &proof)?;
    let (got, _) = decrypt(&h.public(), &recipient)?;
    println!(
        "hand-over verifies: {ok2}; recipient's decrypted weights match the commitment: {}",
        got == weights
    );
    if let Some(mb) = peak_rss_mb() {
        println!("peak memory: {mb:.0} MB");
    }
    if !(ok && ok2 && got == weights) {
        return Err("bounty failed".into());
    }
    Ok(())
}
