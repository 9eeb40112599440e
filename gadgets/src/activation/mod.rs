//! Activations: ReLU (and the fused rescale + ReLU), LeakyReLU, Poly, and the cubic
//! sigmoid / tanh approximations.

pub mod cubic;
pub mod leaky;
pub mod poly;
pub mod product;
pub mod relu;
pub mod root;
pub mod sigmoid;
pub mod tensor;

pub use cubic::{cubic, cubic_cost, native_cubic, Cubic, ZANH, ZIGMOID};
pub use leaky::{leaky_relu, leaky_relu_cost, native_leaky_relu};
pub use poly::{native_poly, poly, poly_cost};
pub use product::{native_product, product, product_bound, product_cost};
pub use relu::{native_relu, relu, rescale_relu, rescale_relu_cost};
pub use root::{root, root_with_claim, Root};
pub use sigmoid::{
    erf_f64, kernel_parts, kernel_parts_cost, native_kernel_parts, native_sigmoid, sigmoid,
    sigmoid_bound, sigmoid_cost, sigmoid_f64, Kernel, SigmoidTable,
};
pub use tensor::{
    cubic_tensor, leaky_relu_tensor, poly_tensor, relu_cost, relu_tensor, rescale_relu_tensor,
};
