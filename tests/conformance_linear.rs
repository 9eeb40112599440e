//! circomlib-ml v2's Keras-generated vectors for the linear layers: the native twins
//! reproduce every `out` and `remainder`, and the circuits are satisfied on them.
mod common;
use common::{circomlib_ml, tensor};

use ark_bn254::Fr;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::ConstraintSystem;
use arkml_gadgets::layers::*;
use arkml_gadgets::range::enforce_bound;
use arkml_gadgets::rescale::{native_rescale_tensor, rescale_tensor};
use arkml_gadgets::tensor::{
    abs, alloc_tensor, bound_of, linear_bound, tensor_values, worst_case, Scalar, Visibility,
};
use arkml_gadgets::Result;
use ndarray::{ArrayD, Ix1, Ix2, Ix3, Ix4};
use num_bigint::BigUint;
use serde_json::Value;

fn v1<T>(a: &ArrayD<T>) -> ndarray::ArrayView1<'_, T> {
    a.view().into_dimensionality::<Ix1>().unwrap()
}
fn v2<T>(a: &ArrayD<T>) -> ndarray::ArrayView2<'_, T> {
    a.view().into_dimensionality::<Ix2>().unwrap()
}
fn v3<T>(a: &ArrayD<T>) -> ndarray::ArrayView3<'_, T> {
    a.view().into_dimensionality::<Ix3>().unwrap()
}
fn v4<T>(a: &ArrayD<T>) -> ndarray::ArrayView4<'_, T> {
    a.view().into_dimensionality::<Ix4>().unwrap()
}

trait Linear {
    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>>;
}

/// Native: `floor(layer(x) / n)` equals `out` and the remainder `remainder`. Circuit (input
/// private; weights constant, then private and range-checked to their width): the same
/// values, satisfied.
fn check(layer: &impl Linear, d: &Value, params: &[&str], n: BigUint) {
    let x = tensor(&d["in"]);
    let p: Vec<_> = params.iter().map(|k| tensor(&d[*k])).collect();
    let (q, r) = native_rescale_tensor(&layer.run(&x, &p).unwrap(), &n);
    assert_eq!(
        q,
        tensor(&d["out"])
            .into_shape_with_order(q.raw_dim())
            .unwrap(),
        "out"
    );
    assert_eq!(
        r,
        tensor(&d["remainder"])
            .into_shape_with_order(r.raw_dim())
            .unwrap(),
        "remainder"
    );

    let xb = bound_of(&x);
    for vis in [Visibility::Constant, Visibility::Private] {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let xv = alloc_tensor(cs.clone(), &x, Visibility::Private).unwrap();
        let mut worst = Vec::new();
        let pv: Vec<ArrayD<FpVar<Fr>>> = p
            .iter()
            .map(|t| {
                let v = alloc_tensor(cs.clone(), t, vis).unwrap();
                if vis == Visibility::Private {
                    let wb = bound_of(t);
                    v.iter().for_each(|w| drop(enforce_bound(w, wb).unwrap()));
                    worst.push(worst_case(t.shape(), wb));
                } else {
                    worst.push(abs(t));
                }
                v
            })
            .collect();
        let bound = linear_bound(&layer.run(&worst_case(x.shape(), xb), &worst).unwrap());
        let out = rescale_tensor(&layer.run(&xv, &pv).unwrap(), bound, &n).unwrap();
        assert_eq!(tensor_values(&out.quotient).unwrap(), q);
        assert_eq!(tensor_values(&out.remainder).unwrap(), r);
        assert!(cs.is_satisfied().unwrap(), "{vis:?}");
    }
}

fn pow10(k: u32) -> BigUint {
    BigUint::from(10u32).pow(k)
}

struct DenseL;
impl Linear for DenseL {
    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        Ok(dense(v1(x), v2(&p[0]), v1(&p[1]))?.into_dyn())
    }
}
struct ConvL(Conv2dConfig);
impl Linear for ConvL {
    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        Ok(conv2d(v3(x), v4(&p[0]), v1(&p[1]), &self.0)?.into_dyn())
    }
}
struct Conv1L(usize);
impl Linear for Conv1L {
    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        let w = p[0].view().into_dimensionality::<Ix3>().unwrap();
        Ok(conv1d(v2(x), w, v1(&p[1]), self.0, Padding::Valid, 1)?.into_dyn())
    }
}
struct PointwiseL;
impl Linear for PointwiseL {
    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        Ok(pointwise_conv2d(v3(x), v2(&p[0]), v1(&p[1]))?.into_dyn())
    }
}
struct NormL;
impl Linear for NormL {
    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        batch_norm(x.view(), v1(&p[0]), v1(&p[1]))
    }
}

#[test]
fn dense_20_10() {
    let Some(d) = circomlib_ml("dense") else {
        return;
    };
    check(&DenseL, &d, &["weights", "bias"], pow10(36));
}

#[test]
fn conv2d_valid() {
    let Some(d) = circomlib_ml("conv2D") else {
        return;
    };
    check(
        &ConvL(Conv2dConfig::default()),
        &d,
        &["weights", "bias"],
        pow10(36),
    );
}

#[test]
fn conv2d_stride() {
    let Some(d) = circomlib_ml("conv2D_stride") else {
        return;
    };
    let cfg = Conv2dConfig::new((3, 3), Padding::Valid);
    check(&ConvL(cfg), &d, &["weights", "bias"], pow10(36));
}

#[test]
fn conv2d_same() {
    let Some(d) = circomlib_ml("conv2Dsame") else {
        return;
    };
    let cfg = Conv2dConfig::new((1, 1), Padding::Same);
    check(&ConvL(cfg), &d, &["weights", "bias"], pow10(36));
}

#[test]
fn conv2d_same_stride() {
    let Some(d) = circomlib_ml("conv2Dsame_stride") else {
        return;
    };
    let cfg = Conv2dConfig::new((3, 3), Padding::Same);
    check(&ConvL(cfg), &d, &["weights", "bias"], pow10(36));
}

#[test]
fn conv1d_20_3_2_4_3() {
    let Some(d) = circomlib_ml("conv1D") else {
        return;
    };
    check(&Conv1L(3), &d, &["weights", "bias"], pow10(36));
}

#[test]
fn pointwise_conv2d_5_5_3_6() {
    let Some(d) = circomlib_ml("pointwiseConv2D") else {
        return;
    };
    check(&PointwiseL, &d, &["weights", "bias"], pow10(15));
}

#[test]
fn batch_normalization() {
    let Some(d) = circomlib_ml("batchNormalization") else {
        return;
    };
    check(&NormL, &d, &["a", "b"], pow10(36));
}

fn check_avg_pool(name: &str, size: usize, stride: usize) {
    let Some(d) = circomlib_ml(name) else { return };
    let x = tensor(&d["in"]).into_dimensionality::<Ix3>().unwrap();
    let cfg = Pool2dConfig {
        size: (size, size),
        stride: (stride, stride),
        padding: Padding::Valid,
    };
    let (q, r) = native_avg_pool2d(x.view(), &cfg).unwrap();
    assert_eq!(q.clone().into_dyn(), tensor(&d["out"]));
    assert_eq!(r.clone().into_dyn(), tensor(&d["remainder"]));
    let cs = ConstraintSystem::<Fr>::new_ref();
    let xv = alloc_tensor(cs.clone(), &x, Visibility::Private).unwrap();
    let out = avg_pool2d(xv.view(), bound_of(&x), &cfg).unwrap();
    assert_eq!(tensor_values(&out.quotient).unwrap(), q);
    assert_eq!(tensor_values(&out.remainder).unwrap(), r);
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn average_pooling2d() {
    check_avg_pool("averagePooling2D", 2, 2);
}

#[test]
fn average_pooling2d_stride() {
    check_avg_pool("averagePooling2D_stride", 3, 2);
}

#[test]
fn global_average_pooling2d() {
    let Some(d) = circomlib_ml("globalAveragePooling2D") else {
        return;
    };
    let x = tensor(&d["in"]).into_dimensionality::<Ix3>().unwrap();
    let (q, r) = native_global_avg_pool2d(x.view());
    assert_eq!(q.clone().into_dyn(), tensor(&d["out"]));
    assert_eq!(r.clone().into_dyn(), tensor(&d["remainder"]));
    let cs = ConstraintSystem::<Fr>::new_ref();
    let xv = alloc_tensor(cs.clone(), &x, Visibility::Private).unwrap();
    let out = global_avg_pool2d(xv.view(), bound_of(&x)).unwrap();
    assert_eq!(tensor_values(&out.quotient).unwrap(), q);
    assert_eq!(tensor_values(&out.remainder).unwrap(), r);
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn flatten2d() {
    let Some(d) = circomlib_ml("flatten2D") else {
        return;
    };
    let x = tensor(&d["in"]);
    let expected = tensor(&d["out"]);
    // circomlib-ml's test feeds the flat 75 values; read them as the (5,5,3) HWC tensor.
    let hwc = reshape(x.view(), &[5, 5, 3]).unwrap();
    assert_eq!(flatten(hwc.view()).into_dyn(), expected);
    let cs = ConstraintSystem::<Fr>::new_ref();
    let xv = alloc_tensor(cs.clone(), &hwc, Visibility::Private).unwrap();
    assert_eq!(
        tensor_values(&flatten(xv.view())).unwrap().into_dyn(),
        expected
    );
    assert_eq!(cs.num_constraints(), 0);
}

#[test]
fn upsampling2d() {
    let Some(d) = circomlib_ml("upSampling2D") else {
        return;
    };
    let x = tensor(&d["in"]).into_dimensionality::<Ix3>().unwrap();
    let expected = tensor(&d["out"]);
    assert_eq!(upsample2d(x.view(), (2, 2)).unwrap().into_dyn(), expected);
    let cs = ConstraintSystem::<Fr>::new_ref();
    let xv = alloc_tensor(cs.clone(), &x, Visibility::Private).unwrap();
    let up = upsample2d(xv.view(), (2, 2)).unwrap();
    assert_eq!(tensor_values(&up).unwrap().into_dyn(), expected);
}

#[test]
fn conformance_dir_is_present_under_ci() {
    if std::env::var_os("CI").is_some() {
        assert!(common::conformance_dir()
            .join("circomlib-ml/dense.json")
            .exists());
    }
}
