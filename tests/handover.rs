//! The weight hand-over: an honest proof verifies and the recipient recovers the committed
//! weights; a tampered ciphertext, another model's ciphertext or a wrong commitment fails.

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use arkml::groth16::{prove, setup, verify};
use arkml::handover::{decrypt, Handover};
use arkml_gadgets::crypto::babyjub::{native_public_key, Point};
use arkml_gadgets::crypto::cipher::encrypt_cost;
use arkml_gadgets::crypto::commit::commit_cost;
use num_bigint::BigUint;

fn weights(n: usize, seed: i64) -> Vec<Fr> {
    (0..n as i64)
        .map(|i| {
            let v = (i * 7919 + seed) % 2001 - 1000;
            if v < 0 {
                -Fr::from((-v) as u64)
            } else {
                Fr::from(v as u64)
            }
        })
        .collect()
}

fn recipient_secret() -> BigUint {
    "2736030358979909402780800718157159386076813972158567259200215660948447370000"
        .parse()
        .unwrap()
}

fn handover(w: Vec<Fr>) -> Handover {
    Handover::new(
        w,
        Fr::from(0xabcdef_u64),
        "5827052994512252032642217011215443731695511241256081984786249042944280059385"
            .parse()
            .unwrap(),
        native_public_key(&recipient_secret()),
        123_456_789,
    )
    .unwrap()
}

#[test]
fn honest_handover_proves_and_decrypts() {
    let h = handover(weights(10, 1));
    let public = h.public();
    let (w, _) = decrypt(&public, &recipient_secret()).unwrap();
    assert_eq!(w, weights(10, 1));
    // someone else cannot decrypt
    assert!(decrypt(&public, &BigUint::from(99u32)).is_err());

    let cs = ConstraintSystem::<Fr>::new_ref();
    h.clone().generate_constraints(cs.clone()).unwrap();
    assert!(cs.is_satisfied().unwrap());
    // measured: commitment 831 + 1, the secret's bits 254, s * Base8 882 + 2, the subgroup
    // check 20, the ECDH ladder 2,280, the cipher of 11 elements 1,446, its 13 equalities,
    // the public plaintext length 1, owner and shared key not the identity 2
    assert_eq!(commit_cost(10), 831);
    assert_eq!(encrypt_cost(11), 1446);
    assert_eq!(
        cs.num_constraints(),
        832 + 254 + 884 + 20 + 2280 + 1446 + 13 + 1 + 2
    );

    let mut rng = StdRng::seed_from_u64(2);
    let pk = setup(h.clone(), &mut rng).unwrap();
    let proof = prove(&pk, h.clone(), &mut rng).unwrap();
    assert!(verify(&pk.vk, &public.inputs(), &proof).unwrap());

    // a tampered ciphertext element
    let mut bad = public.inputs();
    *bad.last_mut().unwrap() += Fr::from(1u64);
    assert!(!verify(&pk.vk, &bad, &proof).unwrap());
    // a ciphertext of other weights, or another commitment, does not verify
    let other = handover(weights(10, 2)).public();
    let mut mixed = public.inputs();
    let n = mixed.len();
    mixed[n - other.ciphertext.len()..].copy_from_slice(&other.ciphertext);
    assert!(!verify(&pk.vk, &mixed, &proof).unwrap());
    let mut mixed = public.inputs();
    mixed[0] = other.commitment;
    assert!(!verify(&pk.vk, &mixed, &proof).unwrap());
}

#[test]
fn a_lying_owner_cannot_prove() {
    // the witness claims weights other than the committed ones: unsatisfied, no proof
    let h = handover(weights(4, 1));
    let mut lie = h.clone();
    lie.weights[0] += Fr::from(1u64);
    let cs = ConstraintSystem::<Fr>::new_ref();
    lie.generate_constraints(cs.clone()).unwrap();
    assert!(!cs.is_satisfied().unwrap());
    // a recipient key of small order is refused
    let order2 = Point {
        x: Fr::from(0u64),
        y: -Fr::from(1u64),
    };
    assert!(Handover::new(
        weights(2, 0),
        Fr::from(1u64),
        BigUint::from(5u32),
        order2,
        1
    )
    .is_err());
    // a tampered ciphertext fails the recipient's checks
    let mut p = h.public();
    p.ciphertext[1] += Fr::from(1u64);
    assert!(decrypt(&p, &recipient_secret()).is_err());
}

/// The hand-over circuit in the circom world's files: `.r1cs` and `.wtns` check out, as for
/// any circuit arkml synthesises (the bounty's too), ready for a snarkjs ceremony.
#[test]
fn handover_circuit_as_r1cs_and_wtns() {
    let s = arkml::groth16::synthesize(handover(weights(10, 1))).unwrap();
    let (r1cs, wtns) = (arkml::iden3::r1cs(&s), arkml::iden3::wtns(&s));
    assert_eq!(
        arkml::iden3::check(&r1cs, &wtns).unwrap(),
        s.info().constraints
    );
    // the public inputs come first, in the circuit's order
    let (_, inputs, _) = s.parts();
    assert_eq!(inputs - 1, s.public_inputs().len());
}
