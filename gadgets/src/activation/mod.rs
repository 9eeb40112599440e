//! Activations: ReLU and the fused rescale + ReLU.

pub mod relu;

pub use relu::{native_relu, relu, rescale_relu};
