//! The generated Solidity verifier, compiled with the real solc (npm `solc`, pinned in
//! scripts/vectors) and executed in revm: it accepts an arkml proof, rejects a tampered
//! proof and a public input at or above the field modulus. Prints the gas used.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::sync::Arc;

use ark_bn254::Fr;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::groth16::{prove, setup};
use arkml::model::ModelCircuit;
use arkml::solidity::{solidity_args, verifier};
use common::{small_input, small_model};
use num_bigint::BigUint;
use revm::context::TxEnv;
use revm::database::CacheDB;
use revm::database_interface::EmptyDB;
use revm::primitives::{keccak256, Address, Bytes, TxKind};
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};

fn word(dec: &str) -> [u8; 32] {
    let n: BigUint = dec.parse().unwrap();
    let b = n.to_bytes_be();
    let mut w = [0u8; 32];
    w[32 - b.len()..].copy_from_slice(&b);
    w
}

fn calldata(
    n: usize,
    a: &[String; 2],
    b: &[[String; 2]; 2],
    c: &[String; 2],
    input: &[String],
) -> Bytes {
    let sig = if n == 0 {
        "verifyProof(uint256[2],uint256[2][2],uint256[2])".to_string()
    } else {
        format!("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[{n}])")
    };
    let mut data = keccak256(sig.as_bytes())[..4].to_vec();
    for v in a
        .iter()
        .chain(b.iter().flatten())
        .chain(c.iter())
        .chain(input.iter())
    {
        data.extend_from_slice(&word(v));
    }
    data.into()
}

#[test]
#[cfg_attr(
    not(arkml_npm_tools),
    ignore = "npm tools missing: run `npm ci` in scripts/vectors"
)]
fn verifier_runs_in_the_evm() {
    // the pinned solc in the workspace's scripts/vectors (common::npm_tool resolves paths
    // from the root crate)
    let solc = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts/vectors/node_modules/.bin/solcjs");
    if !solc.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{}: missing; .ci/run installs it with npm ci",
            solc.display()
        );
        return;
    }
    let c = ModelCircuit::new(Arc::new(small_model()), small_input(4)).unwrap();
    run(&solc, c);
    // 17 public inputs: the prediction and the 16 input pixels
    let mut m = small_model();
    m.input_visibility = arkml_gadgets::tensor::Visibility::Public;
    run(
        &solc,
        ModelCircuit::new(Arc::new(m), small_input(5)).unwrap(),
    );
    // no public input at all (a private output): solc has no uint256[0]
    run(
        &solc,
        ModelCircuit::new(Arc::new(small_model()), small_input(6))
            .unwrap()
            .with_private_output(),
    );
}

fn run(solc: &std::path::Path, c: ModelCircuit) {
    let mut rng = StdRng::seed_from_u64(21);
    let pk = setup(c.clone(), &mut rng).unwrap();
    let proof = prove(&pk, c.clone(), &mut rng).unwrap();
    let public = c.public_inputs();

    let dir = std::env::temp_dir().join(format!(
        "arkml-sol-{}-{}",
        std::process::id(),
        c.public_inputs().len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Verifier.sol"), verifier(&pk.vk)).unwrap();
    let out = Command::new(solc)
        .args(["--bin", "--optimize", "-o", ".", "Verifier.sol"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = std::fs::read_to_string(dir.join("Verifier_sol_Groth16Verifier.bin")).unwrap();
    let code: Bytes = revm::primitives::hex::decode(bin.trim()).unwrap().into();

    let caller = Address::with_last_byte(0xaa);
    let mut evm = Context::mainnet()
        .with_db(CacheDB::<EmptyDB>::default())
        .build_mainnet();
    let deploy = TxEnv::builder()
        .caller(caller)
        .kind(TxKind::Create)
        .data(code)
        .nonce(0)
        .build_fill();
    let r = evm.transact_commit(deploy).unwrap();
    let addr = r.created_address().expect("deployed");
    let mut nonce = 1;
    let mut call = |data: Bytes| {
        let tx = TxEnv::builder()
            .caller(caller)
            .kind(TxKind::Call(addr))
            .data(data)
            .nonce(nonce)
            .build_fill();
        nonce += 1;
        let r = evm.transact_commit(tx).unwrap();
        assert!(r.is_success(), "{r:?}");
        let out = r.output().unwrap().to_vec();
        (out.last() == Some(&1), r.gas().tx_gas_used())
    };

    let n = public.len();
    let (a, b, cc, input) = solidity_args(&proof, &public);
    let (ok, gas) = call(calldata(n, &a, &b, &cc, &input));
    assert!(ok, "the real proof is accepted");
    println!("verifyProof with {n} public inputs: {gas} gas");
    // a tampered proof: C replaced by A
    let (ok, _) = call(calldata(n, &a, &b, &a, &input));
    assert!(!ok, "a tampered proof is rejected");
    if n == 0 {
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    // another public input
    let mut other = input.clone();
    other[0] = (other[0].parse::<BigUint>().unwrap() + 1u32).to_string();
    assert!(!call(calldata(n, &a, &b, &cc, &other)).0);
    // the same input plus the field modulus: refused, not accepted as an alias
    let r: BigUint = Fr::MODULUS.into();
    let mut alias = input.clone();
    alias[0] = (alias[0].parse::<BigUint>().unwrap() + r).to_string();
    assert!(!call(calldata(n, &a, &b, &cc, &alias)).0);
    let _ = std::fs::remove_dir_all(&dir);
}
use ark_ff::PrimeField;
