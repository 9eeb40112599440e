//! Poseidon and the Poseidon commitment: equal to circomlibjs (vectors written by
//! scripts/vectors/vectors.mjs from the npm packages), pinned constraint counts, and
//! soundness (a wrong digest or a perturbed witness leaves the system unsatisfied).

mod common;

use std::str::FromStr;

use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar, GR1CSVar};
use arkml_gadgets::crypto::commit::commit_cost;
use arkml_gadgets::crypto::poseidon::poseidon_cost;
use arkml_gadgets::crypto::{
    commit, native_commit, native_poseidon, native_poseidon_permutation, poseidon,
    poseidon_permutation,
};
use arkml_gadgets::testing::{assert_all_witnesses_pinned, satisfied};
use common::cs;
use serde_json::Value;

fn vectors(name: &str) -> Value {
    let p = format!("{}/tests/vectors/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn fr(v: &Value) -> Fr {
    Fr::from_str(v.as_str().unwrap()).unwrap()
}

#[test]
fn poseidon_equals_circomlibjs_for_every_width() {
    let v = vectors("poseidon");
    let cases = v.as_array().unwrap();
    assert_eq!(
        cases.len(),
        33,
        "[1, 2] and two random inputs per width 1..16"
    );
    for case in cases {
        let inputs: Vec<Fr> = case["inputs"].as_array().unwrap().iter().map(fr).collect();
        let expected = fr(&case["output"]);
        assert_eq!(
            native_poseidon(&inputs).unwrap(),
            expected,
            "{} inputs",
            inputs.len()
        );
        let cs = common::cs();
        let vars: Vec<FpVar<Fr>> = inputs
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect();
        let h = poseidon(&vars).unwrap();
        assert_eq!(h.value().unwrap(), expected);
        assert_eq!(cs.num_constraints(), poseidon_cost(inputs.len()));
        assert!(cs.is_satisfied().unwrap());
    }
}

#[test]
fn poseidon_counts_are_pinned() {
    assert_eq!(poseidon_cost(1), 3 * (16 + 56) - 3);
    assert_eq!(poseidon_cost(2), 240, "circom's Poseidon(2) is 240");
    assert_eq!(poseidon_cost(16), 609);
    // constants cost nothing
    let cs = cs();
    let _ = poseidon(&[
        FpVar::Constant(Fr::from(1u64)),
        FpVar::Constant(Fr::from(2u64)),
    ])
    .unwrap();
    assert_eq!(cs.num_constraints(), 0);
}

#[test]
fn a_wrong_digest_or_a_free_witness_is_caught() {
    for n in [1usize, 2, 5] {
        let inputs: Vec<Fr> = (0..n as u64).map(|i| Fr::from(i * 7 + 3)).collect();
        let h = native_poseidon(&inputs).unwrap();
        for claimed in [h, h + Fr::from(1u64)] {
            let cs = common::cs();
            let vars: Vec<FpVar<Fr>> = inputs
                .iter()
                .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
                .collect();
            let out = FpVar::new_input(cs.clone(), || Ok(claimed)).unwrap();
            poseidon(&vars).unwrap().enforce_equal(&out).unwrap();
            cs.finalize();
            assert_eq!(satisfied(&cs), claimed == h);
        }
    }
    // with the inputs fixed as public, no S-box witness can move
    let cs = cs();
    let vars: Vec<FpVar<Fr>> = (0..2u64)
        .map(|i| FpVar::new_input(cs.clone(), || Ok(Fr::from(i + 1))).unwrap())
        .collect();
    let out = FpVar::new_input(cs.clone(), || {
        Ok(native_poseidon(&[Fr::from(1u64), Fr::from(2u64)]).unwrap())
    })
    .unwrap();
    poseidon(&vars).unwrap().enforce_equal(&out).unwrap();
    cs.finalize();
    assert_all_witnesses_pinned(&cs);
}

#[test]
fn bad_widths_are_typed_errors() {
    assert!(native_poseidon(&[]).is_err());
    assert!(native_poseidon(&[Fr::from(0u64); 17]).is_err());
    assert!(native_poseidon_permutation(&[Fr::from(0u64)]).is_err());
    assert!(native_poseidon_permutation(&[Fr::from(0u64); 18]).is_err());
    assert!(poseidon(&[]).is_err());
    assert!(poseidon_permutation(&vec![FpVar::Constant(Fr::from(0u64)); 18]).is_err());
    assert_eq!(poseidon_cost(0), usize::MAX);
    assert_eq!(poseidon_cost(17), usize::MAX);
}

#[test]
fn permutation_of_width_four_is_the_ciphers() {
    // the cipher's permutation: the reference permutation on [0, k0, k1, nonce + len 2^128]
    let state = [
        Fr::from(0u64),
        Fr::from(1u64),
        Fr::from(2u64),
        Fr::from(3u64),
    ];
    let native = native_poseidon_permutation(&state).unwrap();
    assert_eq!(native[0], native_poseidon(&state[1..]).unwrap());
    let cs = cs();
    let vars: Vec<FpVar<Fr>> = state
        .iter()
        .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
        .collect();
    let out = poseidon_permutation(&vars).unwrap();
    assert_eq!(out.value().unwrap(), native);
}

#[test]
fn commitment_matches_native_and_binds_every_value() {
    for n in [0usize, 1, 14, 15, 16, 31] {
        let values: Vec<Fr> = (0..n as u64)
            .map(|i| Fr::from(i * 1000 + 17) - Fr::from(500u64))
            .collect();
        let salt = Fr::from(123_456_789u64);
        let c = native_commit(&values, salt);
        let cs = common::cs();
        let vars: Vec<FpVar<Fr>> = values
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect();
        let s = FpVar::new_witness(cs.clone(), || Ok(salt)).unwrap();
        let out = commit(&vars, &s).unwrap();
        assert_eq!(out.value().unwrap(), c, "n = {n}");
        assert_eq!(cs.num_constraints(), commit_cost(n), "n = {n}");
        // the public commitment pins every value and the salt
        let public = FpVar::new_input(cs.clone(), || Ok(c)).unwrap();
        out.enforce_equal(&public).unwrap();
        assert!(cs.is_satisfied().unwrap());
        // another salt, another value, another length: another commitment
        assert_ne!(native_commit(&values, salt + Fr::from(1u64)), c);
        if n > 0 {
            let mut other = values.clone();
            other[n - 1] += Fr::from(1u64);
            assert_ne!(native_commit(&other, salt), c);
            assert_ne!(native_commit(&values[..n - 1], salt), c);
        }
    }
    assert_eq!(commit_cost(15), 237 + 609);
}

mod cipher {
    use super::*;
    use arkml_gadgets::crypto::cipher::{
        ciphertext_len, encrypt, encrypt_cost, native_decrypt, native_encrypt,
    };
    use arkml_gadgets::Error;

    struct Case {
        key: (Fr, Fr),
        nonce: u128,
        msg: Vec<Fr>,
        ct: Vec<Fr>,
    }

    fn cases() -> Vec<Case> {
        vectors("cipher")
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Case {
                key: (fr(&c["key"][0]), fr(&c["key"][1])),
                nonce: c["nonce"].as_str().unwrap().parse().unwrap(),
                msg: c["plaintext"].as_array().unwrap().iter().map(fr).collect(),
                ct: c["ciphertext"].as_array().unwrap().iter().map(fr).collect(),
            })
            .collect()
    }

    fn circuit(c: &Case, ct: &[Fr], nonce: Fr) -> (arkml_gadgets::Result<()>, common::Cs) {
        let cs = common::cs();
        let w = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x)).unwrap();
        let msg: Vec<FpVar<Fr>> = c.msg.iter().map(|x| w(*x)).collect();
        let (k0, k1) = (w(c.key.0), w(c.key.1));
        let n = FpVar::new_input(cs.clone(), || Ok(nonce)).unwrap();
        let r = encrypt(&msg, (&k0, &k1), &n).map(|out| {
            assert_eq!(out.len(), ct.len());
            for (o, v) in out.iter().zip(ct) {
                let p = FpVar::new_input(cs.clone(), || Ok(*v)).unwrap();
                o.enforce_equal(&p).unwrap();
            }
        });
        (r, cs)
    }

    #[test]
    fn equals_zk_kit_natively_and_in_circuit() {
        for c in cases() {
            assert_eq!(native_encrypt(&c.msg, c.key, c.nonce).unwrap(), c.ct);
            assert_eq!(
                native_decrypt(&c.ct, c.key, c.nonce, c.msg.len()).unwrap(),
                c.msg
            );
            let (r, cs) = circuit(&c, &c.ct, Fr::from(c.nonce));
            r.unwrap();
            assert!(cs.is_satisfied().unwrap(), "{} elements", c.msg.len());
            assert_eq!(cs.num_constraints(), encrypt_cost(c.msg.len()) + c.ct.len());
        }
        // 88 per element amortised over 999 weights, against MiMC7's 728
        assert!(encrypt_cost(999) as f64 / 999.0 < 89.0);
    }

    #[test]
    fn tampering_is_detected() {
        for c in cases() {
            let len = c.msg.len();
            for i in 0..c.ct.len() {
                let mut bad = c.ct.clone();
                bad[i] += Fr::from(1u64);
                assert!(
                    matches!(
                        native_decrypt(&bad, c.key, c.nonce, len),
                        Err(Error::Decryption(_))
                    ),
                    "element {i} of {len}"
                );
                // a circuit claiming the tampered ciphertext is unsatisfied
                let (r, cs) = circuit(&c, &bad, Fr::from(c.nonce));
                r.unwrap();
                cs.finalize();
                assert!(!satisfied(&cs));
            }
            let other_key = (c.key.0 + Fr::from(1u64), c.key.1);
            assert!(native_decrypt(&c.ct, other_key, c.nonce, len).is_err());
            assert!(native_decrypt(&c.ct, c.key, c.nonce ^ 1, len).is_err());
            assert!(native_decrypt(&c.ct[..c.ct.len() - 1], c.key, c.nonce, len).is_err());
            assert!(native_decrypt(&c.ct, c.key, c.nonce, len + 3).is_err());
        }
    }

    #[test]
    fn nonce_at_or_above_2_128_is_refused() {
        let c = &cases()[1];
        let big = Fr::from(u128::MAX) + Fr::from(1u64); // 2^128
        let (r, _) = circuit(c, &c.ct, big);
        assert!(matches!(r, Err(Error::OutOfRange { .. })), "{r:?}");
        // a prover who bypasses the value check still cannot satisfy the range check
        let cs = common::cs();
        let n = FpVar::new_witness(cs.clone(), || Ok(Fr::from(5u64))).unwrap();
        let k = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
        encrypt(std::slice::from_ref(&k), (&k, &k), &n).unwrap();
        cs.finalize();
        assert_all_witnesses_pinned(&cs);
    }

    #[test]
    fn padding_must_be_zero() {
        // a ciphertext of 3 elements whose third is not zero, read as a 2-element message
        let key = (Fr::from(3u64), Fr::from(4u64));
        let ct = native_encrypt(&[Fr::from(1u64), Fr::from(2u64), Fr::from(3u64)], key, 9).unwrap();
        assert_eq!(ct.len(), ciphertext_len(2));
        assert!(native_decrypt(&ct, key, 9, 2).is_err());
    }
}

mod babyjub {
    use super::*;
    use arkml_gadgets::crypto::babyjub as babyjub_cost;
    use arkml_gadgets::crypto::babyjub::{
        assert_in_subgroup, base8, ecdh, native_ecdh, native_mul, native_public_key, public_key,
        Point, PointVar,
    };
    use num_bigint::BigUint;

    fn big(v: &Value) -> BigUint {
        v.as_str().unwrap().parse().unwrap()
    }

    fn point(v: &Value) -> Point {
        Point {
            x: fr(&v[0]),
            y: fr(&v[1]),
        }
    }

    fn zkaggle_keys() -> Option<Value> {
        let p = common::zkaggle_dir()?.join("keys.json");
        Some(serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
    }

    /// A point of order 2 and one of order 8 (torsion), both on the curve.
    fn small_order_points() -> Vec<Point> {
        let order2 = Point {
            x: Fr::from(0u64),
            y: -Fr::from(1u64),
        };
        // an order-8 point: l * (a point not in the subgroup) has order dividing 8
        let l: BigUint =
            "2736030358979909402780800718157159386076813972158567259200215660948447373041"
                .parse()
                .unwrap();
        let mut found = vec![order2];
        for x0 in 1u64.. {
            // y^2 = (1 - a x^2) / (1 - d x^2)
            let x = Fr::from(x0);
            let x2 = x * x;
            let y2 = (Fr::from(1u64) - Fr::from(168_700u64) * x2)
                * (Fr::from(1u64) - Fr::from(168_696u64) * x2)
                    .inverse()
                    .unwrap();
            if let Some(y) = ark_ff::Field::sqrt(&y2) {
                let p = Point { x, y };
                assert!(p.is_on_curve());
                let t = native_mul(&p, &l);
                if t != Point::identity()
                    && native_mul(&t, &BigUint::from(4u32)) != Point::identity()
                {
                    found.push(t);
                    break;
                }
            }
        }
        found
    }
    use ark_ff::Field;

    #[test]
    fn keys_and_ecdh_equal_zk_kit() {
        for k in vectors("babyjub").as_array().unwrap() {
            let (a, b) = (big(&k["private_key"]), big(&k["peer_private_key"]));
            assert_eq!(native_public_key(&a), point(&k["public_key"]));
            assert_eq!(native_public_key(&b), point(&k["peer_public_key"]));
            let shared = point(&k["shared"]);
            assert_eq!(
                native_ecdh(&a, &point(&k["peer_public_key"])).unwrap(),
                shared
            );
            // in circuit: public key and ECDH
            let cs = common::cs();
            let s = FpVar::new_witness(cs.clone(), || Ok(Fr::from(a.clone()))).unwrap();
            let pk = public_key(&s).unwrap();
            assert_eq!(pk.value().unwrap(), point(&k["public_key"]));
            let fixed = cs.num_constraints();
            let peer = PointVar::new(
                cs.clone(),
                Some(point(&k["peer_public_key"])),
                arkml_gadgets::tensor::Visibility::Public,
            )
            .unwrap();
            let before_ecdh = cs.num_constraints();
            let sh = ecdh(&s, &peer).unwrap();
            assert_eq!(
                cs.num_constraints() - before_ecdh,
                babyjub_cost::ecdh_cost()
            );
            assert_eq!(sh.value().unwrap(), shared);
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(fixed, 1136, "fixed-base public key");
            assert_eq!(fixed, babyjub_cost::public_key_cost());
            // subgroup check 19 + 2, scalar bits 254, ladder 252 * 13 + 6 - ...: pinned
            assert_eq!(cs.num_constraints() - fixed, 2554, "ECDH");
        }
    }

    #[test]
    fn ecdh_witnesses_are_all_pinned() {
        let k = &vectors("babyjub")[0];
        let cs = common::cs();
        let s = FpVar::new_witness(cs.clone(), || Ok(Fr::from(big(&k["private_key"])))).unwrap();
        let peer = PointVar::new(
            cs.clone(),
            Some(point(&k["peer_public_key"])),
            arkml_gadgets::tensor::Visibility::Public,
        )
        .unwrap();
        let shared = PointVar::new(
            cs.clone(),
            Some(point(&k["shared"])),
            arkml_gadgets::tensor::Visibility::Public,
        )
        .unwrap();
        ecdh(&s, &peer).unwrap().enforce_equal(&shared).unwrap();
        let pk = PointVar::new(
            cs.clone(),
            Some(point(&k["public_key"])),
            arkml_gadgets::tensor::Visibility::Public,
        )
        .unwrap();
        public_key(&s).unwrap().enforce_equal(&pk).unwrap();
        cs.finalize();
        assert!(satisfied(&cs));
        // every slope, bit and intermediate point is determined: none can move alone
        assert_all_witnesses_pinned(&cs);
        // and a wrong shared point is unsatisfiable
        let cs = common::cs();
        let s = FpVar::new_witness(cs.clone(), || Ok(Fr::from(big(&k["private_key"])))).unwrap();
        let peer = PointVar::new(
            cs.clone(),
            Some(point(&k["peer_public_key"])),
            arkml_gadgets::tensor::Visibility::Public,
        )
        .unwrap();
        let wrong = native_mul(&point(&k["shared"]), &BigUint::from(2u32));
        let claimed = PointVar::new(
            cs.clone(),
            Some(wrong),
            arkml_gadgets::tensor::Visibility::Public,
        )
        .unwrap();
        ecdh(&s, &peer).unwrap().enforce_equal(&claimed).unwrap();
        cs.finalize();
        assert!(!satisfied(&cs));
    }

    #[test]
    fn edge_and_random_scalars_match_native() {
        use rand::{Rng, SeedableRng};
        let l: BigUint = <ark_ed_on_bn254::Fr as ark_ff::PrimeField>::MODULUS.into();
        let max = (BigUint::from(1u32) << 253u32) - 1u32;
        let mut scalars = vec![
            BigUint::from(0u32),
            BigUint::from(1u32),
            BigUint::from(2u32),
            &l - 1u32,
            l.clone(),
            &l + 1u32,
            max.clone(),
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for _ in 0..6 {
            let bytes: Vec<u8> = (0..32).map(|_| rng.gen()).collect();
            scalars.push(BigUint::from_bytes_le(&bytes) & &max);
        }
        let peer = native_public_key(&BigUint::from(987_654_321u64));
        for s in scalars {
            let cs = common::cs();
            let sv = FpVar::new_witness(cs.clone(), || Ok(Fr::from(s.clone()))).unwrap();
            let pv = PointVar::new(
                cs.clone(),
                Some(peer),
                arkml_gadgets::tensor::Visibility::Public,
            )
            .unwrap();
            assert_eq!(
                ecdh(&sv, &pv).unwrap().value().unwrap(),
                native_mul(&peer, &s),
                "{s}"
            );
            assert_eq!(
                public_key(&sv).unwrap().value().unwrap(),
                native_public_key(&s),
                "{s}"
            );
            assert!(cs.is_satisfied().unwrap(), "{s}");
        }
    }

    #[test]
    fn zkaggle_key_pairs() {
        let Some(keys) = zkaggle_keys() else { return };
        for k in keys.as_array().unwrap() {
            let s = big(&k["private_key"]);
            assert!(
                s.bits() > 251,
                "ZKaggle's keys exceed the subgroup order: 253 bits needed"
            );
            let expected = point(&k["public_key"]);
            assert_eq!(native_public_key(&s), expected);
            let cs = common::cs();
            let sv = FpVar::new_witness(cs.clone(), || Ok(Fr::from(s.clone()))).unwrap();
            let pk = public_key(&sv).unwrap();
            let public = PointVar::new(
                cs.clone(),
                Some(expected),
                arkml_gadgets::tensor::Visibility::Public,
            )
            .unwrap();
            pk.enforce_equal(&public).unwrap();
            assert!(cs.is_satisfied().unwrap());
            // another public key is unsatisfiable
            let cs = common::cs();
            let sv = FpVar::new_witness(cs.clone(), || Ok(Fr::from(s.clone()))).unwrap();
            let pk = public_key(&sv).unwrap();
            let wrong = Point {
                x: expected.x,
                y: expected.y + Fr::from(1u64),
            };
            let public = PointVar::new(
                cs.clone(),
                Some(wrong),
                arkml_gadgets::tensor::Visibility::Public,
            )
            .unwrap();
            pk.enforce_equal(&public).unwrap();
            cs.finalize();
            assert!(!satisfied(&cs));
        }
    }

    #[test]
    fn small_order_and_off_curve_points_are_rejected() {
        let mut bad = small_order_points();
        bad.push(Point::identity());
        let g = base8();
        bad.push(Point {
            x: g.x,
            y: g.y + Fr::from(1u64),
        }); // off the curve
            // a subgroup point plus a torsion point: on the curve, not in the subgroup
        let t = bad[1];
        // g + t, added with the gadget's complete formula on constants (no constraints)
        let mixed =
            arkml_gadgets::crypto::babyjub::add(&PointVar::constant(&g), &PointVar::constant(&t))
                .unwrap()
                .value()
                .unwrap();
        assert!(mixed.is_on_curve());
        bad.push(mixed);
        for p in bad {
            assert!(!p.is_valid_key(), "{p:?}");
            assert!(native_ecdh(&BigUint::from(5u32), &p).is_err());
            // the gadget refuses it, and a prover who forces the witness cannot satisfy it
            let cs = common::cs();
            let pv = PointVar::new(
                cs.clone(),
                Some(p),
                arkml_gadgets::tensor::Visibility::Public,
            )
            .unwrap();
            assert!(assert_in_subgroup(&pv).is_err());
            cs.finalize();
            assert!(!satisfied(&cs), "{p:?}");
        }
        // a valid point passes with every witness pinned
        let cs = common::cs();
        let pv = PointVar::new(
            cs.clone(),
            Some(native_public_key(&BigUint::from(77u32))),
            arkml_gadgets::tensor::Visibility::Public,
        )
        .unwrap();
        assert_in_subgroup(&pv).unwrap();
        cs.finalize();
        assert!(satisfied(&cs));
        assert_all_witnesses_pinned(&cs);
    }

    #[test]
    fn a_scalar_that_is_not_its_bits_fails() {
        let cs = common::cs();
        let s = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1234u64))).unwrap();
        let pk = public_key(&s).unwrap();
        let expected = native_public_key(&BigUint::from(1234u32));
        assert_eq!(pk.value().unwrap(), expected);
        cs.finalize();
        assert_all_witnesses_pinned(&cs);
        // a scalar of 254 bits is a typed error
        let cs = common::cs();
        let s = FpVar::new_witness(cs.clone(), || Ok(-Fr::from(1u64))).unwrap();
        assert!(public_key(&s).is_err());
    }
}

mod sha {
    use super::*;
    use arkml_gadgets::crypto::sha256::{
        cid_v1_raw, digest_of_cid, native_halves, native_sha256, sha256_block_cost, sha256_bytes,
        sha256_cost,
    };
    use arkml_gadgets::Error;

    fn message(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    fn circuit(
        data: &[u8],
        public: bool,
    ) -> (common::Cs, arkml_gadgets::crypto::sha256::Sha256Digest) {
        let cs = common::cs();
        let bytes: Vec<FpVar<Fr>> = data
            .iter()
            .map(|b| {
                if public {
                    FpVar::new_input(cs.clone(), || Ok(Fr::from(*b as u64))).unwrap()
                } else {
                    FpVar::new_witness(cs.clone(), || Ok(Fr::from(*b as u64))).unwrap()
                }
            })
            .collect();
        let d = sha256_bytes(&bytes).unwrap();
        (cs, d)
    }

    #[test]
    fn equals_sha2_on_every_padding_case() {
        for len in [0usize, 1, 3, 55, 56, 63, 64, 100, 119, 120] {
            let data = message(len, len as u8);
            let expected = native_sha256(&data);
            let (cs, d) = circuit(&data, false);
            let bytes: Vec<u8> = d
                .bytes
                .iter()
                .map(|b| b.value().unwrap().into_bigint().as_ref()[0] as u8)
                .collect();
            assert_eq!(bytes, expected, "length {len}");
            let (hi, lo) = native_halves(&expected);
            assert_eq!((d.hi.value().unwrap(), d.lo.value().unwrap()), (hi, lo));
            assert!(cs.is_satisfied().unwrap());
        }
    }
    use ark_ff::PrimeField;

    #[test]
    fn counts_are_pinned() {
        // one full block of variable bits; below circom's 29,725 and ark-crypto-primitives'
        // 34-39k, above bellman's 25,840
        assert_eq!(sha256_block_cost(), 25_813);
        // a 64-byte message: its second block is constant padding
        assert_eq!(sha256_cost(64), 45_280);
        // a further block of variable data, with a variable state
        assert_eq!(sha256_cost(119) - sha256_cost(55), 26_416);
        // bytes add 9 constraints each (8 booleans and the recomposition)
        let (cs, _) = circuit(&message(55, 0), false);
        assert_eq!(cs.num_constraints(), 25_813 + 55 * 9);
    }

    #[test]
    fn a_wrong_digest_a_non_byte_or_a_free_bit_is_caught() {
        let data = message(20, 7);
        let expected = native_sha256(&data);
        for flip in [None, Some(0usize), Some(255)] {
            let (cs, d) = circuit(&data, true);
            let mut claimed = expected;
            if let Some(bit) = flip {
                claimed[bit / 8] ^= 0x80 >> (bit % 8);
            }
            let (hi, lo) = native_halves(&claimed);
            d.hi.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(hi)).unwrap())
                .unwrap();
            d.lo.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(lo)).unwrap())
                .unwrap();
            cs.finalize();
            assert_eq!(satisfied(&cs), flip.is_none());
            if flip.is_none() {
                // every internal bit, carry and input bit is pinned: an input bit set to 2
                // (a non-boolean bit), a wrong carry or a flipped word bit breaks a constraint
                assert_all_witnesses_pinned(&cs);
            }
        }
        // a byte of 256 is a typed error, and forcing it leaves the system unsatisfied
        let cs = common::cs();
        let b = FpVar::new_witness(cs.clone(), || Ok(Fr::from(256u64))).unwrap();
        assert!(matches!(sha256_bytes(&[b]), Err(Error::OutOfRange { .. })));
    }

    #[test]
    fn cids() {
        let data = b"hello arkml";
        let cid = cid_v1_raw(data);
        assert!(cid.starts_with("bafkrei"), "{cid}");
        assert_eq!(digest_of_cid(&cid).unwrap(), native_sha256(data));
        assert!(
            digest_of_cid("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi").is_err()
        ); // dag-pb
        assert!(digest_of_cid("not a cid").is_err());
    }

    #[test]
    fn zkaggle_images_hash_to_their_cids() {
        let Some(dir) = common::zkaggle_dir() else {
            return;
        };
        let cids: Vec<String> = std::fs::read_to_string(dir.join("cid-0-4.txt"))
            .unwrap()
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(cids.len(), 5);
        for (i, cid) in cids.iter().enumerate() {
            let data = std::fs::read(dir.join(format!("{i}.pgm"))).unwrap();
            assert_eq!(&cid_v1_raw(&data), cid, "{i}.pgm");
            if i == 0 {
                // in circuit: private bytes, public CID digest halves
                let (cs, d) = circuit(&data, false);
                let (hi, lo) = native_halves(&digest_of_cid(cid).unwrap());
                d.hi.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(hi)).unwrap())
                    .unwrap();
                d.lo.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(lo)).unwrap())
                    .unwrap();
                assert!(cs.is_satisfied().unwrap());
                println!(
                    "{i}.pgm: {} bytes, {} constraints",
                    data.len(),
                    cs.num_constraints()
                );
            }
        }
    }
}

mod properties {
    use super::*;
    use arkml_gadgets::crypto::cipher::{encrypt, native_decrypt, native_encrypt};
    use arkml_gadgets::crypto::sha256::{native_sha256, sha256_bytes};
    use proptest::prelude::*;

    /// A field element biased to the edges: 0, 1, p - 1, 2^128 - 1, or random.
    fn field() -> impl Strategy<Value = Fr> {
        (0u8..6, any::<[u64; 4]>()).prop_map(|(kind, limbs)| match kind {
            0 => Fr::from(0u64),
            1 => Fr::from(1u64),
            2 => -Fr::from(1u64),
            3 => Fr::from(u128::MAX),
            _ => {
                let mut bytes = [0u8; 32];
                for (i, l) in limbs.iter().enumerate() {
                    bytes[8 * i..8 * i + 8].copy_from_slice(&l.to_le_bytes());
                }
                <Fr as ark_ff::PrimeField>::from_le_bytes_mod_order(&bytes)
            }
        })
    }

    fn vars(cs: &common::Cs, xs: &[Fr]) -> Vec<FpVar<Fr>> {
        xs.iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn poseidon_circuit_equals_native(xs in prop::collection::vec(field(), 1..=16)) {
            let cs = common::cs();
            let h = poseidon(&vars(&cs, &xs)).unwrap();
            prop_assert_eq!(h.value().unwrap(), native_poseidon(&xs).unwrap());
            prop_assert!(cs.is_satisfied().unwrap());
        }

        #[test]
        fn cipher_circuit_equals_native_and_decrypts(
            msg in prop::collection::vec(field(), 1..8),
            k0 in field(),
            k1 in field(),
            nonce in any::<u128>(),
        ) {
            let ct = native_encrypt(&msg, (k0, k1), nonce).unwrap();
            prop_assert_eq!(native_decrypt(&ct, (k0, k1), nonce, msg.len()).unwrap(), msg.clone());
            let cs = common::cs();
            let n = FpVar::new_witness(cs.clone(), || Ok(Fr::from(nonce))).unwrap();
            let k = vars(&cs, &[k0, k1]);
            let out = encrypt(&vars(&cs, &msg), (&k[0], &k[1]), &n).unwrap();
            prop_assert_eq!(out.value().unwrap(), ct);
            prop_assert!(cs.is_satisfied().unwrap());
        }

        #[test]
        fn commitment_circuit_equals_native(xs in prop::collection::vec(field(), 0..40), salt in field()) {
            let cs = common::cs();
            let s = FpVar::new_witness(cs.clone(), || Ok(salt)).unwrap();
            prop_assert_eq!(commit(&vars(&cs, &xs), &s).unwrap().value().unwrap(), native_commit(&xs, salt));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]

        #[test]
        fn sha256_circuit_equals_sha2(data in prop::collection::vec(any::<u8>(), 0..130)) {
            let cs = common::cs();
            let bytes: Vec<FpVar<Fr>> = data
                .iter()
                .map(|b| FpVar::new_witness(cs.clone(), || Ok(Fr::from(*b as u64))).unwrap())
                .collect();
            let d = sha256_bytes(&bytes).unwrap();
            let got: Vec<u8> = d
                .bytes
                .iter()
                .map(|b| <Fr as ark_ff::PrimeField>::into_bigint(b.value().unwrap()).as_ref()[0] as u8)
                .collect();
            prop_assert_eq!(got, native_sha256(&data).to_vec());
            prop_assert!(cs.is_satisfied().unwrap());
        }
    }
}
