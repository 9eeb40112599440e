//! circomlib-ml v2 vectors for MaxPooling, GlobalMaxPooling and model1
//! (Dense(3,2) -> ReLU -> Dense(2,1) at scale 10^36).
mod common;
use common::{circomlib_ml, tensor};

use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use arkml_gadgets::activation::{native_relu, rescale_relu};
use arkml_gadgets::compare::diff_bound;
use arkml_gadgets::layers::{
    dense, global_max_pool2d, max_pool2d, native_global_max_pool2d, native_max_pool2d, Padding,
    Pool2dConfig,
};
use arkml_gadgets::rescale::{native_rescale_tensor, rescale_tensor};
use arkml_gadgets::tensor::{
    abs, alloc_tensor, bound_of, linear_bound, tensor_values, worst_case, Visibility,
};
use ndarray::{Array1, Ix1, Ix2, Ix3};
use num_bigint::BigUint;

fn check_max_pool(name: &str, size: usize, stride: usize) {
    let Some(d) = circomlib_ml(name) else { return };
    let x = tensor(&d["in"]).into_dimensionality::<Ix3>().unwrap();
    let cfg = Pool2dConfig {
        size: (size, size),
        stride: (stride, stride),
        padding: Padding::Valid,
    };
    let native = native_max_pool2d(x.view(), &cfg).unwrap();
    assert_eq!(native.clone().into_dyn(), tensor(&d["out"]));
    let cs = ConstraintSystem::<Fr>::new_ref();
    let xv = alloc_tensor(cs.clone(), &x, Visibility::Private).unwrap();
    let out = max_pool2d(xv.view(), diff_bound(bound_of(&x), false), &cfg).unwrap();
    assert_eq!(tensor_values(&out).unwrap(), native);
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn max_pooling2d() {
    check_max_pool("maxPooling2D", 2, 2);
}

#[test]
fn max_pooling2d_stride() {
    check_max_pool("maxPooling2D_stride", 2, 3);
}

#[test]
fn global_max_pooling2d() {
    let Some(d) = circomlib_ml("globalMaxPooling2D") else {
        return;
    };
    let x = tensor(&d["in"]).into_dimensionality::<Ix3>().unwrap();
    let native = native_global_max_pool2d(x.view()).unwrap();
    assert_eq!(native.clone().into_dyn(), tensor(&d["out"]));
    let cs = ConstraintSystem::<Fr>::new_ref();
    let xv = alloc_tensor(cs.clone(), &x, Visibility::Private).unwrap();
    let out = global_max_pool2d(xv.view(), diff_bound(bound_of(&x), false)).unwrap();
    assert_eq!(tensor_values(&out).unwrap(), native);
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn model1_dense_relu_dense() {
    let Some(d) = circomlib_ml("model1") else {
        return;
    };
    let n = BigUint::from(10u32).pow(36);
    let x = tensor(&d["in"]).into_dimensionality::<Ix1>().unwrap();
    let w1 = tensor(&d["Dense32weights"])
        .into_dimensionality::<Ix2>()
        .unwrap();
    let b1 = tensor(&d["Dense32bias"])
        .into_dimensionality::<Ix1>()
        .unwrap();
    let w2 = tensor(&d["Dense21weights"])
        .into_dimensionality::<Ix2>()
        .unwrap();
    let b2 = tensor(&d["Dense21bias"])
        .into_dimensionality::<Ix1>()
        .unwrap();

    // native
    let (h, hr) = native_rescale_tensor(&dense(x.view(), w1.view(), b1.view()).unwrap(), &n);
    assert_eq!(h.clone().into_dyn(), tensor(&d["Dense32out"]));
    assert_eq!(hr.into_dyn(), tensor(&d["Dense32remainder"]));
    let a = h.map(native_relu);
    assert_eq!(a.clone().into_dyn(), tensor(&d["ReLUout"]));
    let (y, yr) = native_rescale_tensor(&dense(a.view(), w2.view(), b2.view()).unwrap(), &n);
    assert_eq!(y.clone().into_dyn(), tensor(&d["Dense21out"]));
    assert_eq!(yr.clone().into_dyn(), tensor(&d["Dense21remainder"]));

    // circuit: private input, constant weights, fused rescale + ReLU
    let cs = ConstraintSystem::<Fr>::new_ref();
    let xv = alloc_tensor(cs.clone(), &x, Visibility::Private).unwrap();
    let c = |t: &ndarray::Array2<_>| alloc_tensor(cs.clone(), t, Visibility::Constant).unwrap();
    let (w1v, w2v) = (c(&w1), c(&w2));
    let b1v = alloc_tensor(cs.clone(), &b1, Visibility::Constant).unwrap();
    let b2v = alloc_tensor(cs.clone(), &b2, Visibility::Constant).unwrap();
    let worst = worst_case(&[x.len()], bound_of(&x))
        .into_dimensionality::<Ix1>()
        .unwrap();
    let bound1 = linear_bound(&dense(worst.view(), abs(&w1).view(), abs(&b1).view()).unwrap());
    let acc1 = dense(xv.view(), w1v.view(), b1v.view()).unwrap();
    let mut act = Vec::new();
    let mut qb = 0;
    for v in acc1.iter() {
        let (r, out) = rescale_relu(v, bound1, &n).unwrap();
        qb = r.quotient_bound;
        act.push(out);
    }
    let act = Array1::from_vec(act);
    assert_eq!(tensor_values(&act).unwrap(), a);
    let worst = worst_case(&[act.len()], qb)
        .into_dimensionality::<Ix1>()
        .unwrap();
    let bound2 = linear_bound(&dense(worst.view(), abs(&w2).view(), abs(&b2).view()).unwrap());
    let out = rescale_tensor(
        &dense(act.view(), w2v.view(), b2v.view()).unwrap(),
        bound2,
        &n,
    )
    .unwrap();
    assert_eq!(tensor_values(&out.quotient).unwrap(), y);
    assert_eq!(tensor_values(&out.remainder).unwrap(), yr);
    assert!(cs.is_satisfied().unwrap());
    println!("model1 constraints: {}", cs.num_constraints());
}
