use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::{ToNapiValue, TypeName};
use napi::{Env, Status, Task};

/// One call into the core, run on the libuv thread pool. The input stays in the job, so JS
/// values it holds (buffers) are released on the JS thread, never on a worker.
pub struct Job<I, O, J> {
    input: I,
    work: fn(&I) -> fast_langgraph_core::Result<O>,
    _js: PhantomData<fn() -> J>,
}

impl<I, O, J> Job<I, O, J> {
    pub fn new(input: I, work: fn(&I) -> fast_langgraph_core::Result<O>) -> Self {
        Job { input, work, _js: PhantomData }
    }
}

/// Errors cross into JS as `"<CODE>: <message>"`; the TS packages turn the prefix into `error.code`.
pub fn to_napi_error(err: fast_langgraph_core::Error) -> napi::Error {
    napi::Error::new(Status::GenericFailure, err.to_string())
}

impl<I: Send, O: Send + 'static, J: ToNapiValue + TypeName + From<O>> Task for Job<I, O, J> {
    type Output = O;
    type JsValue = J;

    fn compute(&mut self) -> napi::Result<O> {
        // A panic must never unwind into Node: it becomes an FLG_INTERNAL error.
        match catch_unwind(AssertUnwindSafe(|| (self.work)(&self.input))) {
            Ok(result) => result.map_err(to_napi_error),
            Err(panic) => {
                let detail = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(napi::Error::new(
                    Status::GenericFailure,
                    format!("FLG_INTERNAL: fast-langgraph panicked ({detail})"),
                ))
            }
        }
    }

    fn resolve(&mut self, _env: Env, output: O) -> napi::Result<J> {
        Ok(J::from(output))
    }
}
