//! Groth16 proving and verifying keys (with their circuit header) and proofs.

use super::*;

fn from_bytes_checked<T: CanonicalDeserialize>(
    path: &Path,
    what: &'static str,
    bytes: &[u8],
) -> Result<T, FileError> {
    let mut slice = bytes;
    let v = T::deserialize_compressed(&mut slice).map_err(ser_err(path, what))?;
    if !slice.is_empty() {
        return Err(bad(path, what, format!("{} trailing bytes", slice.len())));
    }
    Ok(v)
}

/// What a key file records about its circuit, beside the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyMeta {
    /// The circuit's fingerprint ([`crate::groth16::Fingerprint`]), hex.
    pub fingerprint: String,
    /// The circuit's constraint count.
    pub constraints: usize,
    /// The public inputs' roles and counts, in order.
    pub public: Vec<Part>,
    /// How the key is stored: `"compressed"` (checked on loading) or `"uncompressed"`
    /// (proving keys: loaded without re-validating each point, guarded by `checksum`).
    #[serde(default = "compressed")]
    pub encoding: String,
    /// SHA-256 of the stored key bytes (hex), for uncompressed keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// The header's version: 1 (no `version` field, before 2026-12-03) or 2 (records the
    /// input shape). A later version is refused rather than misread.
    #[serde(default = "version_one")]
    pub version: u32,
    /// The model input's shape (version 2), so a verifier's expected input of another
    /// shape with the same count is refused even without the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_shape: Option<Vec<usize>>,
}

fn version_one() -> u32 {
    1
}

/// The key header version [`KeyMeta::new`] writes.
pub const KEY_HEADER_VERSION: u32 = 2;

fn compressed() -> String {
    "compressed".into()
}

impl KeyMeta {
    /// The record for a circuit with this shape and public-input layout.
    pub fn new(info: &crate::groth16::CircuitInfo, public: Vec<Part>) -> Self {
        KeyMeta {
            fingerprint: info.fingerprint.to_hex(),
            constraints: info.constraints,
            public,
            encoding: compressed(),
            checksum: None,
            version: KEY_HEADER_VERSION,
            input_shape: None,
        }
    }

    /// The same record, naming the model input's shape.
    pub fn with_input_shape(mut self, shape: &[usize]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// The recorded fingerprint, parsed.
    pub fn fingerprint(&self) -> Option<crate::groth16::Fingerprint> {
        crate::groth16::Fingerprint::from_hex(&self.fingerprint)
    }
}

const PK_MAGIC: &[u8; 8] = b"arkml-pk";
const VK_MAGIC: &[u8; 8] = b"arkml-vk";
/// The largest key header read (the layout of a statement is a few runs).
const MAX_META: usize = 1 << 20;

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `magic | u32 LE header length | header JSON | key bytes`.
fn write_key(path: &Path, magic: &[u8; 8], meta: &KeyMeta, body: &[u8]) -> Result<(), FileError> {
    let header = serde_json::to_vec(meta).map_err(|source| FileError::Json {
        path: path.display().to_string(),
        source,
    })?;
    let mut out = Vec::with_capacity(12 + header.len() + body.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(body);
    std::fs::write(path, out).map_err(io(path))
}

/// Splits a key file into its header and body; typed errors for a file that is not one.
fn split_key<'a>(
    path: &Path,
    what: &'static str,
    magic: &[u8; 8],
    bytes: &'a [u8],
) -> Result<(KeyMeta, &'a [u8]), FileError> {
    if bytes.len() < 12 || &bytes[..8] != magic {
        let other = if magic == PK_MAGIC {
            VK_MAGIC
        } else {
            PK_MAGIC
        };
        let why = if bytes.len() >= 8 && &bytes[..8] == other {
            "this is the other kind of key file".to_string()
        } else {
            "no arkml key header (keys written before circuit fingerprints must be made \
             again with `arkml setup`)"
                .to_string()
        };
        return Err(bad(path, what, why));
    }
    let n = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    if n > MAX_META || 12 + n > bytes.len() {
        return Err(bad(path, what, "truncated header"));
    }
    let meta: KeyMeta = serde_json::from_slice(&bytes[12..12 + n])
        .map_err(|e| bad(path, what, format!("header: {e}")))?;
    if meta.version == 0 || meta.version > KEY_HEADER_VERSION {
        return Err(bad(
            path,
            what,
            format!(
                "header version {}: this arkml reads versions 1 to {KEY_HEADER_VERSION}",
                meta.version
            ),
        ));
    }
    if meta.fingerprint().is_none() {
        return Err(bad(path, what, "header: fingerprint is not 64 hex digits"));
    }
    if crate::circuit::layout_len(&meta.public).is_none() {
        return Err(bad(path, what, "header: public-input counts overflow"));
    }
    Ok((meta, &bytes[12 + n..]))
}

/// Checks that the key's public-input count is its header's layout.
fn check_layout(
    path: &Path,
    what: &'static str,
    meta: &KeyMeta,
    vk: &VerifyingKey<Bn254>,
) -> Result<(), FileError> {
    let n = crate::circuit::layout_len(&meta.public).unwrap_or(usize::MAX);
    if vk.gamma_abc_g1.len() != n.saturating_add(1) {
        return Err(bad(
            path,
            what,
            format!(
                "the header lists {n} public inputs, the key has {}",
                vk.gamma_abc_g1.len().saturating_sub(1)
            ),
        ));
    }
    Ok(())
}

/// Saves a proving key with its circuit record. The key is stored uncompressed with a
/// SHA-256 checksum, so [`load_proving_key`] skips the per-point decompression and
/// subgroup checks that made loading 15x slower than proving.
pub fn save_proving_key(
    path: &Path,
    pk: &ProvingKey<Bn254>,
    meta: &KeyMeta,
) -> Result<(), FileError> {
    let mut body = Vec::new();
    pk.serialize_uncompressed(&mut body)
        .map_err(ser_err(path, "proving key"))?;
    let mut meta = meta.clone();
    meta.encoding = "uncompressed".into();
    meta.checksum = Some(sha256_hex(&body));
    write_key(path, PK_MAGIC, &meta, &body)
}

/// Loads a proving key written by [`save_proving_key`]. An uncompressed key is checked
/// against its checksum and then read without re-validating each point (the file is the
/// one `setup` wrote; a prover trusts its proving key's maker in any case); a compressed
/// key is checked point by point. A key that does not match its header is an error.
pub fn load_proving_key(path: &Path) -> Result<(ProvingKey<Bn254>, KeyMeta), FileError> {
    load_proving_key_with(path, false)
}

/// As [`load_proving_key`], validating every point even in an uncompressed key (for keys
/// from elsewhere).
pub fn load_proving_key_checked(path: &Path) -> Result<(ProvingKey<Bn254>, KeyMeta), FileError> {
    load_proving_key_with(path, true)
}

fn load_proving_key_with(
    path: &Path,
    validate: bool,
) -> Result<(ProvingKey<Bn254>, KeyMeta), FileError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    proving_key_from_bytes(&bytes, path, validate)
}

/// A proving key file's bytes as [`load_proving_key`] (`validate`: as
/// [`load_proving_key_checked`]) reads them; `path` only names the file in errors.
pub fn proving_key_from_bytes(
    bytes: &[u8],
    path: &Path,
    validate: bool,
) -> Result<(ProvingKey<Bn254>, KeyMeta), FileError> {
    use ark_serialize::{Compress, Validate};
    const WHAT: &str = "proving key";
    let (meta, body) = split_key(path, WHAT, PK_MAGIC, bytes)?;
    let (compress, validate) = match meta.encoding.as_str() {
        "compressed" => (Compress::Yes, Validate::Yes),
        "uncompressed" => {
            let sum = meta
                .checksum
                .as_deref()
                .ok_or_else(|| bad(path, WHAT, "uncompressed key without a checksum"))?;
            if sha256_hex(body) != sum {
                return Err(bad(path, WHAT, "checksum mismatch: the file is corrupted"));
            }
            let v = if validate {
                Validate::Yes
            } else {
                Validate::No
            };
            (Compress::No, v)
        }
        other => return Err(bad(path, WHAT, format!("unknown encoding {other:?}"))),
    };
    let mut slice = body;
    let pk = ProvingKey::<Bn254>::deserialize_with_mode(&mut slice, compress, validate)
        .map_err(ser_err(path, WHAT))?;
    if !slice.is_empty() {
        return Err(bad(path, WHAT, format!("{} trailing bytes", slice.len())));
    }
    check_layout(path, WHAT, &meta, &pk.vk)?;
    // the header's constraint count against the key's own H query (one point per power
    // below the QAP domain's size)
    use ark_poly::EvaluationDomain;
    let public = crate::circuit::layout_len(&meta.public).unwrap_or(usize::MAX);
    let h = meta
        .constraints
        .checked_add(public)
        .and_then(|n| n.checked_add(1))
        .and_then(ark_poly::GeneralEvaluationDomain::<Fr>::new)
        .map(|d| d.size() - 1);
    if h != Some(pk.h_query.len()) {
        return Err(bad(
            path,
            WHAT,
            format!(
                "the header's {} constraints do not match the key (its H query has {} points)",
                meta.constraints,
                pk.h_query.len()
            ),
        ));
    }
    Ok((pk, meta))
}

/// Proves `evaluated` with the proving key in the file at `path` ([`save_proving_key`]'s
/// form), reading the key part by part ([`crate::groth16::Evaluated::prove_streaming`]):
/// the key is never whole in memory, and neither is the file. The checksum of an
/// uncompressed key is computed as it is read and compared before the proof is returned
/// (a corrupted file gives an error, never its proof); `validate` checks every point, as
/// [`load_proving_key_checked`] does. The caller compares the header's fingerprint with the
/// circuit's first ([`proving_key_meta`]).
pub fn prove_with_key_file<R: ark_std::rand::RngCore + ark_std::rand::CryptoRng>(
    path: &Path,
    evaluated: crate::groth16::Evaluated,
    validate: bool,
    rng: &mut R,
) -> Result<Proof<Bn254>, FileError> {
    use ark_serialize::{Compress, Validate};
    use sha2::{Digest, Sha256};
    use std::io::Read;
    const WHAT: &str = "proving key";
    let meta = proving_key_meta(path)?;
    let (compress, validate) = match meta.encoding.as_str() {
        "compressed" => (Compress::Yes, Validate::Yes),
        "uncompressed" if meta.checksum.is_none() => {
            return Err(bad(path, WHAT, "uncompressed key without a checksum"))
        }
        "uncompressed" if validate => (Compress::No, Validate::Yes),
        "uncompressed" => (Compress::No, Validate::No),
        other => return Err(bad(path, WHAT, format!("unknown encoding {other:?}"))),
    };
    let file = key_body(path, 1 << 20)?;

    /// Hashes what passes through.
    struct Hashing<R> {
        inner: R,
        hash: Sha256,
    }
    impl<R: Read> Read for Hashing<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.hash.update(&buf[..n]);
            Ok(n)
        }
    }
    let mut body = Hashing {
        inner: file,
        hash: Sha256::new(),
    };
    let proof = evaluated
        .prove_streaming(&mut body, compress, validate, rng)
        .map_err(|e| match e {
            crate::groth16::ProveError::KeyRead(e) => ser_err(path, WHAT)(e),
            e => FileError::Prove(e),
        })?;
    let mut rest = [0u8; 1];
    if body.read(&mut rest).map_err(io(path))? != 0 {
        let more = std::io::copy(&mut body, &mut std::io::sink()).map_err(io(path))? + 1;
        return Err(bad(path, WHAT, format!("{more} trailing bytes")));
    }
    if let Some(sum) = &meta.checksum {
        let got: String = body
            .hash
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if &got != sum {
            return Err(bad(path, WHAT, "checksum mismatch: the file is corrupted"));
        }
    }
    Ok(proof)
}

/// A proving key file opened past its header (which [`proving_key_meta`] reads and checks),
/// buffered by `capacity` bytes: where the key itself starts.
fn key_body(path: &Path, capacity: usize) -> Result<std::io::BufReader<std::fs::File>, FileError> {
    use std::io::Read;
    let mut file =
        std::io::BufReader::with_capacity(capacity, std::fs::File::open(path).map_err(io(path))?);
    let mut head = [0u8; 12];
    file.read_exact(&mut head).map_err(io(path))?;
    let n = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as u64;
    std::io::copy(&mut (&mut file).take(n), &mut std::io::sink()).map_err(io(path))?;
    Ok(file)
}

/// Reads only a proving key's header (cheap: the key itself is not parsed), so a caller can
/// compare the circuit's fingerprint before loading a large key.
pub fn proving_key_meta(path: &Path) -> Result<KeyMeta, FileError> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut head = [0u8; 12];
    f.read_exact(&mut head)
        .map_err(|_| bad(path, "proving key", "truncated header"))?;
    let n = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize;
    let mut bytes = head.to_vec();
    if &head[..8] == PK_MAGIC && n <= MAX_META {
        let mut meta = vec![0u8; n];
        f.read_exact(&mut meta)
            .map_err(|_| bad(path, "proving key", "truncated header"))?;
        bytes.extend_from_slice(&meta);
    }
    Ok(split_key(path, "proving key", PK_MAGIC, &bytes)?.0)
}

/// Saves a verifying key (compressed) with its circuit record.
pub fn save_verifying_key(
    path: &Path,
    vk: &VerifyingKey<Bn254>,
    meta: &KeyMeta,
) -> Result<(), FileError> {
    let mut body = Vec::new();
    vk.serialize_compressed(&mut body)
        .map_err(ser_err(path, "verifying key"))?;
    write_key(path, VK_MAGIC, meta, &body)
}

/// Loads a verifying key and its circuit record, checking every point and that the key's
/// public-input count is the record's.
pub fn load_verifying_key(path: &Path) -> Result<(VerifyingKey<Bn254>, KeyMeta), FileError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    verifying_key_from_bytes(&bytes, path)
}

/// A verifying key file's bytes as [`load_verifying_key`] reads them.
pub fn verifying_key_from_bytes(
    bytes: &[u8],
    path: &Path,
) -> Result<(VerifyingKey<Bn254>, KeyMeta), FileError> {
    const WHAT: &str = "verifying key";
    let (meta, body) = split_key(path, WHAT, VK_MAGIC, bytes)?;
    let vk: VerifyingKey<Bn254> = from_bytes_checked(path, WHAT, body)?;
    check_layout(path, WHAT, &meta, &vk)?;
    {
        use ark_ec::AffineRepr;
        if vk.alpha_g1.is_zero()
            || vk.beta_g2.is_zero()
            || vk.gamma_g2.is_zero()
            || vk.delta_g2.is_zero()
        {
            return Err(bad(
                path,
                WHAT,
                "an identity alpha, beta, gamma or delta: such a key accepts forged proofs",
            ));
        }
    }
    Ok((vk, meta))
}
/// The first bytes of a proof file ([`save_proof`]): `arkml-pf`, then a little-endian `u32`
/// version, then the compressed proof. Proofs written before the header (the 128 bytes
/// alone) still read.
pub const PROOF_MAGIC: &[u8; 8] = b"arkml-pf";
/// The proof format version [`save_proof`] writes.
pub const PROOF_VERSION: u32 = 1;
/// A compressed BN254 Groth16 proof's size (the header-less form of the first versions).
const PROOF_BYTES: usize = 128;

/// Saves a proof: [`PROOF_MAGIC`], the version, the compressed proof.
pub fn save_proof(path: &Path, proof: &Proof<Bn254>) -> Result<(), FileError> {
    std::fs::write(path, proof_to_bytes(proof)).map_err(io(path))
}

/// A proof's bytes as [`save_proof`] writes them.
pub fn proof_to_bytes(proof: &Proof<Bn254>) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + PROOF_BYTES);
    out.extend_from_slice(PROOF_MAGIC);
    out.extend_from_slice(&PROOF_VERSION.to_le_bytes());
    proof
        .serialize_compressed(&mut out)
        .expect("writing to a Vec cannot fail");
    out
}

/// Loads a proof, checking every point.
pub fn load_proof(path: &Path) -> Result<Proof<Bn254>, FileError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    proof_from_bytes(&bytes, path)
}

/// A proof file's bytes as [`load_proof`] reads them: the header and version, or the 128
/// header-less bytes of the first format. Nothing is guessed from a byte's value.
pub fn proof_from_bytes(bytes: &[u8], path: &Path) -> Result<Proof<Bn254>, FileError> {
    const WHAT: &str = "proof";
    if let Some(rest) = bytes.strip_prefix(PROOF_MAGIC) {
        let (v, body) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| bad(path, WHAT, "truncated header"))?;
        let v = u32::from_le_bytes(*v);
        if v != PROOF_VERSION {
            return Err(bad(
                path,
                WHAT,
                format!("proof format version {v}: this arkml reads version {PROOF_VERSION}"),
            ));
        }
        return from_bytes_checked(path, WHAT, body);
    }
    if bytes.len() == PROOF_BYTES {
        return from_bytes_checked(path, WHAT, bytes);
    }
    Err(bad(
        path,
        WHAT,
        format!(
            "no arkml-pf header, and {} bytes is not a header-less proof's {PROOF_BYTES}",
            bytes.len()
        ),
    ))
}

/// What a proof file holds, told by its content: an arkml proof (its header, or the 128
/// bytes of the header-less form), else snarkjs' `proof.json` (a JSON object with
/// `"protocol": "groth16"`). A binary proof is never read as JSON, whatever its first byte.
pub fn proof_from_any_bytes(bytes: &[u8], path: &Path) -> Result<Proof<Bn254>, FileError> {
    if bytes.starts_with(PROOF_MAGIC) || bytes.len() == PROOF_BYTES {
        return proof_from_bytes(bytes, path);
    }
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        bad(
            path,
            "proof",
            format!("neither an arkml proof (no arkml-pf header) nor snarkjs JSON ({e})"),
        )
    })?;
    crate::snarkjs::proof_from_json(&v).map_err(|e| bad(path, "proof", e.to_string()))
}

/// A verifying key told by its content: arkml's (`arkml-vk` header, with its record), else
/// snarkjs' `verification_key.json` (no record: it names no circuit).
pub fn verifying_key_from_any_bytes(
    bytes: &[u8],
    path: &Path,
) -> Result<(VerifyingKey<Bn254>, Option<KeyMeta>), FileError> {
    const WHAT: &str = "verifying key";
    if bytes.starts_with(VK_MAGIC) {
        let (k, m) = verifying_key_from_bytes(bytes, path)?;
        return Ok((k, Some(m)));
    }
    if bytes.starts_with(PK_MAGIC) {
        return Err(bad(
            path,
            WHAT,
            "this is the other kind of key file (a proving key): give the verifying key `arkml setup --vk` wrote",
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        bad(
            path,
            WHAT,
            format!("neither an arkml verifying key (no arkml-vk header) nor snarkjs JSON ({e})"),
        )
    })?;
    let vk = crate::snarkjs::vk_from_json(&v).map_err(|e| bad(path, WHAT, e.to_string()))?;
    Ok((vk, None))
}

/// The verifying key inside a proving key file (the first part of its body), read without
/// the rest of the key: what [`prove_with_key_file`]'s caller checks its proof against.
pub fn verifying_key_of_proving_key_file(path: &Path) -> Result<VerifyingKey<Bn254>, FileError> {
    use ark_serialize::{Compress, Validate};
    const WHAT: &str = "proving key";
    let meta = proving_key_meta(path)?;
    let compress = match meta.encoding.as_str() {
        "compressed" => Compress::Yes,
        "uncompressed" => Compress::No,
        other => return Err(bad(path, WHAT, format!("unknown encoding {other:?}"))),
    };
    let mut file = key_body(path, 8 << 10)?;
    let vk = VerifyingKey::<Bn254>::deserialize_with_mode(&mut file, compress, Validate::Yes)
        .map_err(ser_err(path, WHAT))?;
    check_layout(path, WHAT, &meta, &vk)?;
    Ok(vk)
}
