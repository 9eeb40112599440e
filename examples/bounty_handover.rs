//! The bounty hand-over: the digits model's weights (trained here, quantised to 2^12) are
//! committed with Poseidon, encrypted in circuit to a recipient's Baby Jubjub key and
//! proven; the recipient decrypts natively and recomputes the commitment.
//!
//! Run: `cargo run --release --example bounty_handover`

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use arkml::file::load_float_model;
use arkml::handover::{decrypt, Handover};
use arkml::measure::{peak_rss_mb, timed};
use arkml::quant::quantize;
use arkml_gadgets::crypto::babyjub::native_public_key;
use arkml_gadgets::fixed::Scale;
use num_bigint::BigUint;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/digits/model.json"
    );
    let q = quantize(
        &load_float_model(std::path::Path::new(path))?,
        Scale::Pow2(12),
    )?;
    let weights = q.model.weight_values();

    let mut rng = StdRng::seed_from_u64(2026);
    let scalar = |rng: &mut StdRng| BigUint::from_bytes_le(&rng.gen::<[u8; 31]>());
    let owner_secret = scalar(&mut rng);
    let recipient_secret = scalar(&mut rng);
    let salt = Fr::from(BigUint::from_bytes_le(&rng.gen::<[u8; 31]>()));
    let h = Handover::new(
        weights.clone(),
        salt,
        owner_secret,
        native_public_key(&recipient_secret),
        rng.gen::<u128>(),
    )?;
    let public = h.public();

    let cs = ConstraintSystem::<Fr>::new_ref();
    h.clone().generate_constraints(cs.clone())?;
    let n = cs.num_constraints();
    println!(
        "{} weights: {n} constraints ({:.1} per weight; ZKaggleV2 encrypts 1,000 weights in 1,094,554)",
        weights.len(),
        n as f64 / weights.len() as f64
    );
    println!(
        "  commitment {} + cipher {} + keys and ECDH about {}",
        arkml_gadgets::crypto::commit::commit_cost(weights.len()),
        arkml_gadgets::crypto::cipher::encrypt_cost(weights.len() + 1),
        254 + 884 + 20 + 2280
    );

    let (pk, wall, _) = timed(|| arkml::groth16::setup(h.clone(), &mut rng));
    let pk = pk?;
    println!("setup  {wall:.2} s");
    let (proof, wall, cpu) = timed(|| arkml::groth16::prove(&pk, h.clone(), &mut rng));
    let proof = proof?;
    println!(
        "prove  {wall:.2} s wall, {:.2} CPU-s",
        cpu.unwrap_or(f64::NAN)
    );
    let ok = arkml::groth16::verify(&pk.vk, &public.inputs(), &proof)?;
    println!("verifies: {ok}");

    let (recovered, _) = decrypt(&public, &recipient_secret)?;
    println!(
        "recipient decrypted {} weights; commitment recomputed and equal: {}",
        recovered.len(),
        recovered == weights
    );
    if let Some(mb) = peak_rss_mb() {
        println!("peak memory: {mb:.0} MB");
    }
    if !ok || recovered != weights {
        return Err("hand-over failed".into());
    }
    Ok(())
}
