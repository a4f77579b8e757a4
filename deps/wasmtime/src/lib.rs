// Re-export the C API so its `extern "C"` symbols end up in this staticlib.
pub use wasmtime_c_api::*;

mod memory_limiter;
