//! Tensors and samples: integer and float JSON, NumPy `.npy`, quantised inputs.

use super::*;

/// Loads a tensor file (`{"shape": .., "data": ..}`).
pub fn load_tensor(path: &Path) -> Result<ArrayD<BigInt>, FileError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    tensor_from_json(&text, &path.display().to_string())
}

/// Loads a tensor of real numbers — a tensor JSON file, or a NumPy `.npy` file of `float64`
/// or `float32` (read with `ndarray-npy`) — and quantises it at `scale` (round to nearest),
/// refusing a value that is not finite or that lands outside `[-2^bound, 2^bound)`, with
/// the element, the value and the bound.
pub fn load_float_tensor(
    path: &Path,
    scale: &BigUint,
    bound: u32,
) -> Result<ArrayD<BigInt>, FileError> {
    quantize_float_tensor(&read_float_tensor(path)?, scale, bound)
}

fn float_field(why: String) -> FileError {
    FileError::Field {
        layer: "-".into(),
        kind: "float tensor".into(),
        field: "data".into(),
        why,
    }
}

/// Reads a tensor of real numbers: a tensor JSON file (`{"shape": .., "data": ..}`), or a
/// NumPy `.npy` file of `float64` or `float32`.
pub fn read_float_tensor(path: &Path) -> Result<ArrayD<f64>, FileError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
    {
        return read_npy(path);
    }
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let tf: TensorFile = serde_json::from_str(&text).map_err(|source| FileError::Json {
        path: path.display().to_string(),
        source,
    })?;
    tf.to_f64_array().map_err(float_field)
}

fn read_npy(path: &Path) -> Result<ArrayD<f64>, FileError> {
    // read once: the header is checked on these bytes, then parsed from them
    let bytes = std::fs::read(path).map_err(io(path))?;
    check_npy_size(path, &bytes)?;
    let open = || std::io::Cursor::new(&bytes);
    match ndarray_npy::ReadNpyExt::read_npy(open()) {
        Ok(a) => Ok(a),
        Err(_) => {
            let a: ArrayD<f32> = ndarray_npy::ReadNpyExt::read_npy(open()).map_err(|e| {
                FileError::Serialization {
                    path: path.display().to_string(),
                    what: "NumPy array (float64 or float32)",
                    why: e.to_string(),
                }
            })?;
            Ok(a.mapv(f64::from))
        }
    }
}

/// Quantises real numbers at `scale` (round to nearest), refusing a value that is not
/// finite or lands outside `[-2^bound, 2^bound)`, naming the element, value and bound.
pub fn quantize_float_tensor(
    x: &ArrayD<f64>,
    scale: &BigUint,
    bound: u32,
) -> Result<ArrayD<BigInt>, FileError> {
    let s = num_traits::ToPrimitive::to_f64(scale).unwrap_or(f64::INFINITY);
    let q = x
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let r = (v * s).round();
            let q = num_traits::FromPrimitive::from_f64(r)
                .filter(|q: &BigInt| r.is_finite() && arkml_gadgets::fixed::fits_signed(q, bound))
                .ok_or_else(|| {
                    float_field(format!(
                        "element {i} ({v}) is {r} at scale {}, beyond the input bound [-2^{bound}, 2^{bound})",
                        crate::model::format_scale(scale)
                    ))
                })?;
            Ok(q)
        })
        .collect::<Result<Vec<_>, FileError>>()?;
    ArrayD::from_shape_vec(x.raw_dim(), q).map_err(|e| float_field(e.to_string()))
}

/// Fits a float tensor to a model's input `shape` (arkml's HWC). With `nchw`, `x` is in
/// ONNX's layout (`[C, H, W]` for `[H, W, C]`, `[C, L]` for `[L, C]`, optionally with a
/// batch axis of 1) and is transposed; without, its shape must be `shape` (a leading batch
/// axis of 1 is dropped). A flat `shape` (what the importer makes of several ONNX inputs,
/// or of one with another rank) takes a tensor of as many elements, row-major: ONNX's
/// order. Nothing else is reshaped.
pub fn fit_input(x: ArrayD<f64>, shape: &[usize], nchw: bool) -> Result<ArrayD<f64>, FileError> {
    let mut x = x;
    if x.ndim() == shape.len() + 1 && x.shape()[0] == 1 {
        x = x.index_axis_move(ndarray::Axis(0), 0);
    }
    // a flat input (several ONNX inputs, or one of another rank) takes the tensor's
    // elements row-major: ONNX's order
    if let [n] = shape {
        if x.ndim() > 1 && x.len() == *n {
            x = ArrayD::from_shape_vec(IxDyn(shape), x.iter().copied().collect())
                .expect("the same count");
        }
    }
    let onnx: Vec<usize> = match (nchw, shape) {
        (true, [h, w, c]) => vec![*c, *h, *w],
        (true, [l, c]) => vec![*c, *l],
        _ => shape.to_vec(),
    };
    if x.shape() != onnx.as_slice() {
        return Err(float_field(format!(
            "shape {:?}, the model takes {:?}{}",
            x.shape(),
            onnx,
            if nchw { " (ONNX layout)" } else { "" }
        )));
    }
    Ok(match shape.len() {
        3 if nchw => x
            .permuted_axes(IxDyn(&[1, 2, 0]))
            .as_standard_layout()
            .to_owned(),
        2 if nchw => x
            .permuted_axes(IxDyn(&[1, 0]))
            .as_standard_layout()
            .to_owned(),
        _ => x,
    })
}

/// Reads calibration samples: a `.npy` array whose first axis counts the samples, a JSON
/// array of arrays, a JSON object whose `"x"` is one (numbers or decimal strings), or a
/// tensor file whose first axis counts the samples. Each sample is fitted to `shape` as
/// [`fit_input`] does; a flat row is in ONNX's CHW order with `nchw`, else arkml's HWC.
pub fn load_samples(
    path: &Path,
    shape: &[usize],
    nchw: bool,
) -> Result<Vec<ArrayD<f64>>, FileError> {
    let batch: ArrayD<f64> = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
    {
        read_npy(path)?
    } else {
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| FileError::Json {
                path: path.display().to_string(),
                source,
            })?;
        let rows = match &v {
            serde_json::Value::Object(o) if o.contains_key("shape") => {
                let tf: TensorFile =
                    serde_json::from_value(v.clone()).map_err(|source| FileError::Json {
                        path: path.display().to_string(),
                        source,
                    })?;
                return split_batch(tf.to_f64_array().map_err(float_field)?, shape, nchw);
            }
            serde_json::Value::Object(o) => o.get("x").cloned().unwrap_or_default(),
            other => other.clone(),
        };
        let rows = rows.as_array().ok_or_else(|| {
            float_field("expected an array of samples (or {\"x\": [...]})".into())
        })?;
        let num = |v: &serde_json::Value| match v {
            serde_json::Value::Number(n) => n.to_string().parse::<f64>().ok(),
            serde_json::Value::String(s) => s.parse::<f64>().ok(),
            _ => None,
        };
        let mut out = vec![];
        for (i, r) in rows.iter().enumerate() {
            let vals = r
                .as_array()
                .and_then(|a| a.iter().map(num).collect::<Option<Vec<f64>>>())
                .ok_or_else(|| float_field(format!("sample {i} is not a flat array of numbers")))?;
            out.push(
                flat_sample(vals, shape, nchw)
                    .map_err(|e| float_field(format!("sample {i}: {e}")))?,
            );
        }
        return Ok(out);
    };
    split_batch(batch, shape, nchw)
}

fn split_batch(
    batch: ArrayD<f64>,
    shape: &[usize],
    nchw: bool,
) -> Result<Vec<ArrayD<f64>>, FileError> {
    if batch.ndim() == 0 {
        return Err(float_field("a scalar, not a batch of samples".into()));
    }
    batch
        .outer_iter()
        .enumerate()
        .map(|(i, row)| {
            let row = row.to_owned();
            if row.ndim() == 1 && shape.len() > 1 {
                flat_sample(row.iter().copied().collect(), shape, nchw)
                    .map_err(|e| float_field(format!("sample {i}: {e}")))
            } else {
                fit_input(row, shape, nchw)
            }
        })
        .collect()
}

/// A flat row as a sample of `shape`: in ONNX's (CHW) order with `nchw`, else in arkml's
/// (HWC).
fn flat_sample(vals: Vec<f64>, shape: &[usize], nchw: bool) -> Result<ArrayD<f64>, String> {
    let n: usize = shape.iter().product();
    if vals.len() != n {
        return Err(format!(
            "{} values, the model takes {n} ({shape:?})",
            vals.len()
        ));
    }
    let onnx: Vec<usize> = match (nchw, shape) {
        (true, [h, w, c]) => vec![*c, *h, *w],
        (true, [l, c]) => vec![*c, *l],
        _ => shape.to_vec(),
    };
    let x = ArrayD::from_shape_vec(IxDyn(&onnx), vals).map_err(|e| e.to_string())?;
    fit_input(x, shape, nchw).map_err(|e| e.to_string())
}

/// Refuses a `.npy` file whose header declares more data than the file holds (or a shape
/// whose element count overflows), before the reader allocates for it.
fn check_npy_size(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let bad = |why: &str| FileError::Serialization {
        path: path.display().to_string(),
        what: "NumPy array (float64 or float32)",
        why: why.into(),
    };
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("no NumPy magic"));
    }
    let (hlen, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(bad("unknown format version")),
    };
    let header = bytes
        .get(start..start.saturating_add(hlen))
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("truncated header"))?;
    let shape = header
        .split("'shape':")
        .nth(1)
        .and_then(|r| r.split('(').nth(1))
        .and_then(|r| r.split(')').next())
        .ok_or_else(|| bad("no shape in the header"))?;
    let count = shape
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .try_fold(1usize, |a, d| {
            d.parse::<usize>().ok().and_then(|d| a.checked_mul(d))
        })
        .ok_or_else(|| bad("the shape's element count overflows"))?;
    let data = bytes.len() - (start + hlen);
    if count.checked_mul(4).is_none_or(|n| n > data) {
        return Err(bad("the header declares more elements than the file holds"));
    }
    Ok(())
}

/// Parses a tensor file's text (`path` only names it in errors).
pub fn tensor_from_json(text: &str, path: &str) -> Result<ArrayD<BigInt>, FileError> {
    let tf: TensorFile = serde_json::from_str(text).map_err(|source| FileError::Json {
        path: path.to_string(),
        source,
    })?;
    tf.to_array().map_err(|why| FileError::Field {
        layer: "-".into(),
        kind: "tensor".into(),
        field: "data".into(),
        why,
    })
}
