//! Linear layers and shape layers, each written once over [`Scalar`](crate::tensor::Scalar):
//! at `BigInt` they are the native twins, at `FpVar` the gadgets.
//!
//! Linear layers return the **unscaled** accumulator (scale `S_x * S_w`); follow them with
//! [`rescale_tensor`](crate::rescale::rescale_tensor) to come back to the activation scale.
//! Their constraint cost is the number of multiplications whose two factors are both
//! variables (one constraint each); with constant weights it is zero.

pub mod conv;
pub mod dense;
pub mod norm;
pub mod pool;
pub mod reshape;

pub use conv::{
    conv1d, conv2d, conv2d_cost, conv_taps, depthwise_conv2d, depthwise_conv2d_cost,
    pointwise_conv2d, separable_conv2d, separable_conv2d_cost, window_taps, Conv2dConfig, Padding,
};
pub use dense::{dense, dense_cost};
pub use norm::{batch_norm, batch_norm_cost};
pub use pool::{
    avg_pool2d, avg_pool2d_cost, global_avg_pool2d, global_avg_pool2d_cost, global_max_pool2d,
    global_max_pool2d_cost, global_sum_pool2d, max_pool2d, max_pool2d_cost, native_avg_pool2d,
    native_global_avg_pool2d, native_global_max_pool2d, native_max_pool2d, sum_pool2d,
    Pool2dConfig,
};
pub use reshape::{flatten, reshape, upsample2d};
