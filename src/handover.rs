//! The weight hand-over of a bounty (ZKaggle's flow, done soundly): a model owner proves
//! that a public ciphertext encrypts, to a recipient's public Baby Jubjub key, exactly the
//! weights behind a public Poseidon commitment; the recipient decrypts natively and checks
//! the commitment.
//!
//! Statement (public inputs, in this order): the commitment, the owner's public key
//! `S = s * Base8` (x, y), the recipient's public key `R` (x, y), the nonce, the
//! ciphertext. Private: the weights, the commitment's salt, the owner's secret `s`. The
//! circuit proves `commit(weights, salt) = commitment`, `S = s * Base8`, that `R` is in the
//! prime-order subgroup, and `ciphertext = encrypt(weights ‖ salt, s * R, nonce)`. The
//! shared key `s * R` never becomes public (ZKaggleV2 publishes it, so anyone can decrypt).
//!
//! ```
//! use arkml::handover::{Handover, decrypt};
//! use arkml_gadgets::crypto::babyjub::native_public_key;
//! use ark_bn254::Fr;
//! use num_bigint::BigUint;
//! let recipient_secret = BigUint::from(424242u32);
//! let h = Handover::new(
//!     vec![Fr::from(3u64), -Fr::from(5u64)],
//!     Fr::from(77u64),
//!     BigUint::from(1234u32),
//!     native_public_key(&recipient_secret),
//!     9,
//! ).unwrap();
//! let (weights, salt) = decrypt(&h.public(), &recipient_secret).unwrap();
//! assert_eq!(weights, vec![Fr::from(3u64), -Fr::from(5u64)]);
//! assert_eq!(salt, Fr::from(77u64));
//! ```

use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use arkml_gadgets::crypto::babyjub::{self, native_ecdh, native_public_key, Point, PointVar};
use arkml_gadgets::crypto::{cipher, commit, native_commit};
use arkml_gadgets::Error;
use num_bigint::BigUint;

/// What the verifier (and the recipient) sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandoverPublic {
    /// Poseidon commitment to the weights.
    pub commitment: Fr,
    /// The owner's public key.
    pub owner: Point,
    /// The recipient's public key.
    pub recipient: Point,
    /// The nonce (below `2^128`).
    pub nonce: u128,
    /// The ciphertext of `weights ‖ salt`.
    pub ciphertext: Vec<Fr>,
    /// The number of weights.
    pub len: usize,
}

impl HandoverPublic {
    /// The public inputs in the verifier's order.
    pub fn inputs(&self) -> Vec<Fr> {
        let mut v = vec![
            self.commitment,
            self.owner.x,
            self.owner.y,
            self.recipient.x,
            self.recipient.y,
            Fr::from(self.nonce),
            Fr::from(self.len as u64),
        ];
        v.extend_from_slice(&self.ciphertext);
        v
    }
}

/// The hand-over circuit with its witness.
#[derive(Clone, Debug)]
pub struct Handover {
    /// The weights (private).
    pub weights: Vec<Fr>,
    /// The commitment's salt (private).
    pub salt: Fr,
    /// The owner's secret scalar (private, up to 253 bits).
    pub secret: BigUint,
    public: HandoverPublic,
}

impl Handover {
    /// Computes the commitment and the ciphertext natively. Errors for a recipient key that
    /// is not in the prime-order subgroup or a secret wider than 253 bits.
    pub fn new(
        weights: Vec<Fr>,
        salt: Fr,
        secret: BigUint,
        recipient: Point,
        nonce: u128,
    ) -> Result<Self, Error> {
        if secret.bits() > babyjub::SCALAR_BITS as u64 {
            return Err(Error::param("owner secret", "wider than 253 bits"));
        }
        // s = 0 mod l makes the owner key and the shared key the identity: anyone decrypts
        let l: BigUint = <ark_ed_on_bn254::Fr as ark_ff::PrimeField>::MODULUS.into();
        if (&secret % &l) == BigUint::from(0u32) {
            return Err(Error::param(
                "owner secret",
                "a multiple of the subgroup order: the shared key would be the identity",
            ));
        }
        let key = native_ecdh(&secret, &recipient)?;
        let mut plain = weights.clone();
        plain.push(salt);
        let public = HandoverPublic {
            commitment: native_commit(&weights, salt),
            owner: native_public_key(&secret),
            recipient,
            nonce,
            ciphertext: cipher::native_encrypt(&plain, key, nonce)?,
            len: weights.len(),
        };
        Ok(Handover {
            weights,
            salt,
            secret,
            public,
        })
    }

    /// The public statement.
    pub fn public(&self) -> HandoverPublic {
        self.public.clone()
    }
}

/// The recipient's side: derive the shared key from its secret and the owner's public key,
/// decrypt (checking the tag and padding), and check the commitment. Returns the weights and
/// the salt.
pub fn decrypt(
    public: &HandoverPublic,
    recipient_secret: &BigUint,
) -> Result<(Vec<Fr>, Fr), Error> {
    let key = native_ecdh(recipient_secret, &public.owner)?;
    let mut plain = cipher::native_decrypt(
        &public.ciphertext,
        (key.x, key.y),
        public.nonce,
        public.len + 1,
    )?;
    let salt = plain.pop().expect("len + 1 elements");
    if native_commit(&plain, salt) != public.commitment {
        return Err(Error::Decryption(
            "the decrypted weights do not match the commitment".into(),
        ));
    }
    Ok((plain, salt))
}

impl ConstraintSynthesizer<Fr> for Handover {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let p = &self.public;
        let input = |v: Fr| FpVar::new_input(cs.clone(), || Ok(v));
        let commitment = input(p.commitment)?;
        let owner = PointVar {
            x: input(p.owner.x)?,
            y: input(p.owner.y)?,
        };
        let recipient = PointVar {
            x: input(p.recipient.x)?,
            y: input(p.recipient.y)?,
        };
        let nonce = input(Fr::from(p.nonce))?;
        // the plaintext length is part of the statement (the recipient decrypts that many)
        input(Fr::from(p.len as u64))?
            .enforce_equal(&FpVar::Constant(Fr::from(self.weights.len() as u64)))?;
        let ciphertext = p
            .ciphertext
            .iter()
            .map(|c| input(*c))
            .collect::<Result<Vec<_>, _>>()?;

        let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
        let weights = self
            .weights
            .iter()
            .map(|w| witness(*w))
            .collect::<Result<Vec<_>, _>>()?;
        let salt = witness(self.salt)?;
        let secret = witness(Fr::from(self.secret.clone()))?;

        commit(&weights, &salt)?.enforce_equal(&commitment)?;
        let bits = babyjub::scalar_bits(&secret)?;
        babyjub::mul_base8(&bits)?.enforce_equal(&owner)?;
        babyjub::assert_in_subgroup(&recipient)?;
        let key = babyjub::mul(&recipient, &bits)?;
        // neither the owner key nor the shared key is the identity (0, 1): in the prime-order
        // subgroup x = 0 only there
        let zero = FpVar::Constant(Fr::from(0u64));
        owner.x.enforce_not_equal(&zero)?;
        key.x.enforce_not_equal(&zero)?;
        let mut plain = weights;
        plain.push(salt);
        let ct = cipher::encrypt(&plain, &key, &nonce)?;
        if ct.len() != ciphertext.len() {
            return Err(SynthesisError::Unsatisfiable);
        }
        for (a, b) in ct.iter().zip(&ciphertext) {
            a.enforce_equal(b)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;

    /// A lying owner who bypasses `Handover::new` with a secret of `l` (the subgroup order):
    /// the owner key and the shared key are the identity and the ciphertext is encrypted to
    /// the identity's coordinates, which anyone could decrypt. The circuit refuses it.
    #[test]
    fn a_secret_of_the_subgroup_order_is_refused_in_circuit() {
        let l: BigUint = <ark_ed_on_bn254::Fr as ark_ff::PrimeField>::MODULUS.into();
        let recipient = native_public_key(&BigUint::from(99u32));
        let honest = Handover::new(
            vec![Fr::from(5u64)],
            Fr::from(6u64),
            BigUint::from(7u32),
            recipient,
            3,
        )
        .unwrap();
        let id = Point::identity();
        let mut plain = honest.weights.clone();
        plain.push(honest.salt);
        let mut lie = honest.clone();
        lie.secret = l;
        lie.public.owner = id;
        lie.public.ciphertext = cipher::native_encrypt(&plain, (id.x, id.y), 3).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        lie.generate_constraints(cs.clone()).unwrap();
        assert!(!cs.is_satisfied().unwrap());
        // the honest hand-over is satisfied
        let cs = ConstraintSystem::<Fr>::new_ref();
        honest.generate_constraints(cs.clone()).unwrap();
        assert!(cs.is_satisfied().unwrap());
    }
}
