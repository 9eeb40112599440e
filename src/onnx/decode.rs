//! Decoding tensors (inline or in an external data file) and node attributes.

use super::*;

/// The bytes of one element of an ONNX element type the importer reads.
pub(super) fn element_bytes(data_type: i32) -> Option<usize> {
    Some(match data_type {
        data_type::UINT8 | data_type::INT8 | data_type::BOOL => 1,
        data_type::UINT16 | data_type::INT16 => 2,
        data_type::FLOAT | data_type::INT32 => 4,
        data_type::DOUBLE | data_type::INT64 => 8,
        _ => return None,
    })
}

/// A tensor's data kept outside the model file: `external_data`'s `location` (relative to
/// `dir`, never leaving it), `offset` and `length`, checked against the file's size and the
/// tensor's before anything is allocated.
pub(super) fn external_bytes(
    t: &TensorProto,
    dir: Option<&Path>,
    expected: usize,
    err: &dyn Fn(String) -> OnnxError,
) -> Result<Vec<u8>, OnnxError> {
    use std::io::{Read, Seek, SeekFrom};
    let key = |k: &str| {
        t.external_data
            .iter()
            .find(|e| e.key == k)
            .map(|e| e.value.as_str())
    };
    let location = key("location").ok_or_else(|| {
        err(format!(
            "tensor {:?} is stored externally but names no location",
            t.name
        ))
    })?;
    let dir = dir.ok_or_else(|| {
        err(format!(
            "tensor {:?} keeps its data in the file {location:?} beside the model: load the \
             model from its file (`load_onnx`, the CLI), or set `ImportOptions::data_dir`",
            t.name
        ))
    })?;
    let number = |k: &str| -> Result<Option<u64>, OnnxError> {
        key(k)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    err(format!(
                        "tensor {:?}: external {k} {v:?} is not a number",
                        t.name
                    ))
                })
            })
            .transpose()
    };
    let rel = Path::new(location);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(err(format!(
            "tensor {:?}: the external data location {location:?} leaves the model's folder",
            t.name
        )));
    }
    let path = dir.join(rel);
    let io = |e: std::io::Error| err(format!("tensor {:?}: {}: {e}", t.name, path.display()));
    // a symbolic link may still point out of the folder
    let (real, real_dir) = (
        path.canonicalize().map_err(io)?,
        dir.canonicalize().map_err(io)?,
    );
    if !real.starts_with(&real_dir) {
        return Err(err(format!(
            "tensor {:?}: the external data file {location:?} lies outside the model's folder",
            t.name
        )));
    }
    let mut f = std::fs::File::open(&real).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    let offset = number("offset")?.unwrap_or(0);
    let length = number("length")?.unwrap_or(expected as u64);
    if length != expected as u64 {
        return Err(err(format!(
            "tensor {:?}: {length} bytes of external data for a tensor of {expected}",
            t.name
        )));
    }
    if offset.checked_add(length).is_none_or(|end| end > size) {
        return Err(err(format!(
            "tensor {:?}: the external data file {location:?} holds {size} bytes, shorter \
             than the declared {length} at offset {offset}",
            t.name
        )));
    }
    f.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut bytes = vec![0u8; expected];
    f.read_exact(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// A constant tensor as f64, checking its size against its data (inline, or in an external
/// file under `dir`).
pub(super) fn tensor(
    t: &TensorProto,
    node: &str,
    dir: Option<&Path>,
) -> Result<ArrayD<f64>, OnnxError> {
    let err = |why: String| OnnxError::Graph {
        node: node.to_string(),
        why,
    };
    let mut shape = vec![];
    let mut n: usize = 1;
    for &d in &t.dims {
        let d = usize::try_from(d).map_err(|_| err(format!("dimension {d} of {:?}", t.name)))?;
        n = n
            .checked_mul(d)
            .filter(|&n| n <= crate::model::Limits::default().max_elements)
            .ok_or_else(|| err(format!("tensor {:?} is too large", t.name)))?;
        shape.push(d);
    }
    let size = element_bytes(t.data_type).ok_or_else(|| {
        err(format!(
            "tensor {:?} has element type {}; float, double and the integer and boolean \
             types are read",
            t.name, t.data_type
        ))
    })?;
    let external;
    let raw: &[u8] = if t.data_location == 1 {
        external = external_bytes(t, dir, n * size, &err)?;
        &external
    } else {
        &t.raw_data
    };
    if !raw.is_empty() && raw.len() != n * size {
        return Err(err(format!(
            "tensor {:?} has {} bytes of data for shape {shape:?}",
            t.name,
            raw.len()
        )));
    }
    let data: Vec<f64> = if !raw.is_empty() {
        let c = raw.chunks_exact(size);
        match t.data_type {
            data_type::FLOAT => c
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect(),
            data_type::DOUBLE => c
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
            data_type::INT64 => c
                .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")) as f64)
                .collect(),
            data_type::INT32 => c
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect(),
            data_type::INT16 => c.map(|c| i16::from_le_bytes([c[0], c[1]]) as f64).collect(),
            data_type::UINT16 => c.map(|c| u16::from_le_bytes([c[0], c[1]]) as f64).collect(),
            data_type::INT8 => c.map(|c| c[0] as i8 as f64).collect(),
            _ => c.map(|c| c[0] as f64).collect(), // UINT8, BOOL
        }
    } else {
        match t.data_type {
            data_type::FLOAT => t.float_data.iter().map(|&v| v as f64).collect(),
            data_type::DOUBLE => t.double_data.clone(),
            data_type::INT64 => t.int64_data.iter().map(|&v| v as f64).collect(),
            // the small integer and boolean types are stored widened in int32_data
            _ => t.int32_data.iter().map(|&v| v as f64).collect(),
        }
    };
    if data.len() != n {
        return Err(err(format!(
            "tensor {:?} has {} values for shape {shape:?}",
            t.name,
            data.len()
        )));
    }
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("length checked"))
}

pub(super) fn attr<'n>(n: &'n NodeProto, name: &str) -> Option<&'n AttributeProto> {
    n.attribute.iter().find(|a| a.name == name)
}

pub(super) fn attr_int(n: &NodeProto, name: &str, default: i64) -> i64 {
    attr(n, name)
        .filter(|a| a.r#type == attr_type::INT || a.r#type == 0)
        .map_or(default, |a| a.i)
}

pub(super) fn attr_float(n: &NodeProto, name: &str, default: f32) -> f32 {
    attr(n, name)
        .filter(|a| a.r#type == attr_type::FLOAT || a.r#type == 0)
        .map_or(default, |a| a.f)
}

pub(super) fn attr_ints(n: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(n, name)
        .filter(|a| a.r#type == attr_type::INTS || a.r#type == 0)
        .map(|a| a.ints.clone())
}

/// A list of counts (strides, dilations): the attribute's values (negative ones as 0), or
/// `d` ones when it is absent.
pub(super) fn attr_counts(n: &NodeProto, name: &str, d: usize) -> Vec<usize> {
    attr_ints(n, name)
        .map(|v| v.iter().map(|&x| x.max(0) as usize).collect())
        .unwrap_or_else(|| vec![1; d])
}

pub(super) fn attr_str(n: &NodeProto, name: &str) -> Option<String> {
    attr(n, name)
        .filter(|a| a.r#type == attr_type::STRING || a.r#type == 0)
        .map(|a| String::from_utf8_lossy(&a.s).into_owned())
}

pub(super) fn node_name(n: &NodeProto) -> String {
    if n.name.is_empty() {
        n.output.first().cloned().unwrap_or_default()
    } else {
        n.name.clone()
    }
}
