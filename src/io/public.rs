//! Public-input files: each entry with its role, in the circuit's order.

use super::*;

/// One public input as a file holds it: its role (absent in version-1 files, a bare array)
/// and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicEntry {
    /// What it is, when the file says.
    pub role: Option<Role>,
    /// The value.
    pub value: Fr,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicEntryFile {
    role: Role,
    value: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicFile {
    format: String,
    version: u32,
    public: Vec<PublicEntryFile>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AnyPublicFile {
    V2(PublicFile),
    V1(Vec<String>),
}

/// Parses a decimal integer strictly: ASCII digits only (no sign, no `_`, no spaces), at
/// most 80 digits, below the BN254 scalar field's modulus.
pub fn parse_field_decimal(s: &str) -> Result<Fr, String> {
    if s.is_empty() || s.len() > 80 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not a decimal integer"));
    }
    let n: BigUint = s
        .parse()
        .map_err(|_| format!("{s:?} is not a decimal integer"))?;
    if n >= arkml_gadgets::fixed::modulus::<Fr>() {
        return Err(format!("{s:?} is not below the field modulus"));
    }
    Ok(Fr::from(n))
}

/// Saves public inputs with their roles:
/// `{"format": "arkml-public", "version": 2, "public": [{"role": "output", "value": "7"}, ..]}`.
/// `layout` must describe `inputs` (a panic-free error otherwise).
pub fn save_public(path: &Path, layout: &[Part], inputs: &[Fr]) -> Result<(), FileError> {
    if crate::circuit::layout_len(layout) != Some(inputs.len()) {
        return Err(FileError::Field {
            layer: "-".into(),
            kind: "public inputs".into(),
            field: "public".into(),
            why: format!("{} values for a layout of {:?}", inputs.len(), layout),
        });
    }
    let public = inputs
        .iter()
        .enumerate()
        .map(|(i, f)| PublicEntryFile {
            role: crate::circuit::role_at(layout, i).unwrap_or(Role::Output),
            value: BigUint::from(*f).to_string(),
        })
        .collect();
    let f = PublicFile {
        format: "arkml-public".into(),
        version: 2,
        public,
    };
    std::fs::write(
        path,
        serde_json::to_string_pretty(&f).expect("serialisable"),
    )
    .map_err(io(path))
}

/// Loads public inputs: version 2 (with roles) or version 1 (a bare array of decimal
/// strings). Each value must be a plain decimal integer below the field modulus.
pub fn load_public(path: &Path) -> Result<Vec<PublicEntry>, FileError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    public_from_str(&text, &path.display().to_string())
}

/// A public file's text as [`load_public`] reads it (`path` only names it in errors).
pub fn public_from_str(text: &str, path: &str) -> Result<Vec<PublicEntry>, FileError> {
    let any: AnyPublicFile = serde_json::from_str(text).map_err(|source| FileError::Json {
        path: path.to_string(),
        source,
    })?;
    let entries: Vec<(Option<Role>, String)> = match any {
        AnyPublicFile::V1(v) => v.into_iter().map(|s| (None, s)).collect(),
        AnyPublicFile::V2(f) => {
            if f.format != "arkml-public" || f.version != 2 {
                return Err(FileError::Field {
                    layer: "-".into(),
                    kind: "public inputs".into(),
                    field: "format".into(),
                    why: format!(
                        "{:?} version {}: expected \"arkml-public\" version 2",
                        f.format, f.version
                    ),
                });
            }
            f.public
                .into_iter()
                .map(|e| (Some(e.role), e.value))
                .collect()
        }
    };
    entries
        .into_iter()
        .enumerate()
        .map(|(i, (role, s))| {
            let value = parse_field_decimal(&s).map_err(|why| FileError::Field {
                layer: "-".into(),
                kind: "public inputs".into(),
                field: i.to_string(),
                why,
            })?;
            Ok(PublicEntry { role, value })
        })
        .collect()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutFile {
    format: String,
    version: u32,
    public: Vec<Part>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_shape: Option<Vec<usize>>,
}

/// Saves a statement's layout ([`crate::verify::Layout`]) for verifiers whose key records
/// none (snarkjs' `verification_key.json`, a ceremony's zkey):
/// `{"format": "arkml-layout", "version": 1, "public": [{"role": "output", "count": 1}],
/// "input_shape": [64]}`.
pub fn save_layout(path: &Path, layout: &crate::verify::Layout) -> Result<(), FileError> {
    let f = LayoutFile {
        format: "arkml-layout".into(),
        version: 1,
        public: layout.public.clone(),
        input_shape: layout.input_shape.clone(),
    };
    std::fs::write(
        path,
        serde_json::to_string_pretty(&f).expect("serialisable"),
    )
    .map_err(io(path))
}

/// Loads a layout file ([`save_layout`]).
pub fn load_layout(path: &Path) -> Result<crate::verify::Layout, FileError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    layout_from_str(&text, &path.display().to_string())
}

/// A layout file's text as [`load_layout`] reads it (`path` only names it in errors).
pub fn layout_from_str(text: &str, path: &str) -> Result<crate::verify::Layout, FileError> {
    let f: LayoutFile = serde_json::from_str(text).map_err(|source| FileError::Json {
        path: path.to_string(),
        source,
    })?;
    let field = |field: &str, why: String| FileError::Field {
        layer: "-".into(),
        kind: "layout".into(),
        field: field.into(),
        why,
    };
    if f.format != "arkml-layout" || f.version != 1 {
        return Err(field(
            "format",
            format!(
                "{:?} version {}: expected \"arkml-layout\" version 1",
                f.format, f.version
            ),
        ));
    }
    if crate::circuit::layout_len(&f.public).is_none() {
        return Err(field("public", "the counts overflow".into()));
    }
    Ok(crate::verify::Layout {
        public: f.public,
        input_shape: f.input_shape,
    })
}
