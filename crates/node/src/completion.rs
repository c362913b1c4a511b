//! Settles the promises of a store's calls on the JS thread. Results wait in one list per store;
//! one thread-safe function call asks the JS thread to settle everything in it, so results that
//! finish while the JS thread is busy are settled together. The function keeps the event loop
//! alive only while calls are pending.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use fast_langgraph_core::store::{Done, Pruned, StoreStats, TypedValue};
use napi::bindgen_prelude::{Buffer, PromiseRaw, ToNapiValue};
use napi::{check_status, sys, Env};

use crate::cache::CachedValue;
use crate::checkpoint::{CheckpointStorePruned, CheckpointStoreStats};

/// What a call resolves to.
#[derive(Default)]
pub enum Reply {
    #[default]
    Undefined,
    Bytes(Vec<u8>),
    /// Cache values, `null` for a miss.
    Values(Vec<Option<TypedValue>>),
    Stats(StoreStats),
    Pruned(Pruned),
}

struct Shared {
    env: sys::napi_env,
    /// The thread-safe function while it may be used; null once released, or once the environment
    /// began to tear down. Changed only under a write lock of `calls`.
    tsfn: AtomicPtr<sys::napi_threadsafe_function__>,
    /// Calls into `tsfn` from other threads hold it for reading; release and teardown take it for
    /// writing, so neither pulls the function from under a call. The JS thread's hot path takes no lock.
    calls: RwLock<()>,
    /// Whether `teardown` is still registered, and so owns a reference to this.
    hook: AtomicBool,
    /// Calls started and not yet settled; touched on the JS thread only.
    pending: AtomicUsize,
    /// Results not yet settled. Whoever makes it non-empty asks the JS thread to drain it.
    ready: Mutex<Vec<Completion>>,
}

// SAFETY: N-API allows napi_call/release_threadsafe_function from any thread; `env` is only
// used on the JS thread.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    fn tsfn(&self) -> Option<sys::napi_threadsafe_function> {
        Some(self.tsfn.load(Ordering::Acquire)).filter(|tsfn| !tsfn.is_null())
    }

    /// Stops all use of the thread-safe function once calls in progress are done; returns it if it was live.
    fn retire(&self) -> Option<sys::napi_threadsafe_function> {
        let _calls = self.calls.write().unwrap_or_else(PoisonError::into_inner);
        Some(self.tsfn.swap(ptr::null_mut(), Ordering::AcqRel)).filter(|tsfn| !tsfn.is_null())
    }
}

/// Held by the store object and by every pending call: the thread-safe function is released
/// with the last of them, from whichever thread that is.
struct Handle(Arc<Shared>);

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(tsfn) = self.0.retire() {
            unsafe { sys::napi_release_threadsafe_function(tsfn, sys::ThreadsafeFunctionReleaseMode::release) };
        }
    }
}

struct Completion {
    deferred: sys::napi_deferred,
    result: fast_langgraph_core::Result<Reply>,
}

#[derive(Clone)]
pub struct Completer(Arc<Handle>);

impl Completer {
    pub fn new(env: &Env) -> napi::Result<Self> {
        let env = env.raw();
        let shared = Arc::new(Shared {
            env,
            tsfn: AtomicPtr::new(ptr::null_mut()),
            calls: RwLock::new(()),
            hook: AtomicBool::new(false),
            pending: AtomicUsize::new(0),
            ready: Mutex::new(Vec::new()),
        });
        let name = "fast-langgraph-store";
        let mut resource_name = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_create_string_utf8(env, name.as_ptr().cast(), name.len() as isize, &mut resource_name)
        })?;
        // The thread-safe function owns one reference, given back in `finalize`.
        let owned = Arc::into_raw(shared.clone()).cast_mut().cast::<c_void>();
        let mut tsfn = ptr::null_mut();
        let created = check_status!(unsafe {
            sys::napi_create_threadsafe_function(
                env,
                ptr::null_mut(),
                ptr::null_mut(),
                resource_name,
                0,
                1,
                owned,
                Some(finalize),
                owned,
                Some(call_js),
                &mut tsfn,
            )
        });
        if let Err(err) = created {
            drop(unsafe { Arc::from_raw(owned.cast::<Shared>()) });
            return Err(err);
        }
        shared.tsfn.store(tsfn, Ordering::Release);
        let handle = Handle(shared);
        // Registered after the thread-safe function, so it runs before the latter's own cleanup.
        let hooked = Arc::into_raw(handle.0.clone()).cast_mut().cast::<c_void>();
        if let Err(err) = check_status!(unsafe { sys::napi_add_env_cleanup_hook(env, Some(teardown), hooked) }) {
            drop(unsafe { Arc::from_raw(hooked.cast::<Shared>()) });
            return Err(err);
        }
        handle.0.hook.store(true, Ordering::Release);
        // Idle until a call starts: an open store alone does not keep the process alive.
        check_status!(unsafe { sys::napi_unref_threadsafe_function(env, tsfn) })?;
        Ok(Completer(Arc::new(handle)))
    }

    /// Starts a call: its promise, and the callback that settles it from any thread.
    pub fn start<'env, T>(&self, env: &'env Env) -> napi::Result<(PromiseRaw<'env, T>, Done<Reply>)> {
        let raw_env = env.raw();
        let shared = &self.0 .0;
        let Some(tsfn) = shared.tsfn() else {
            return Err(napi::Error::from_reason("FLG_CLOSED: the environment is shutting down"));
        };
        // Results that finished since the JS thread last ran its event loop are settled now: a JS
        // thread that never yields (nodes that await nothing) would otherwise see none of them
        // until it does, and LangGraph starts each checkpoint's put only after the previous resolved.
        unsafe { drain(raw_env, shared) };
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        check_status!(unsafe { sys::napi_create_promise(raw_env, &mut deferred, &mut promise) })?;
        if shared.pending.fetch_add(1, Ordering::Relaxed) == 0 {
            check_status!(unsafe { sys::napi_ref_threadsafe_function(raw_env, tsfn) })?;
        }
        let mut settle = Settle { handle: Some(self.0.clone()), deferred };
        let done: Done<Reply> = Box::new(move |result| settle.send(result));
        Ok((PromiseRaw::new(raw_env, promise), done))
    }
}

/// Settles one promise, exactly once.
struct Settle {
    handle: Option<Arc<Handle>>,
    deferred: sys::napi_deferred,
}

// SAFETY: the deferred is only used on the JS thread, in `call_js`.
unsafe impl Send for Settle {}
unsafe impl Send for Completion {}

impl Settle {
    fn send(&mut self, result: fast_langgraph_core::Result<Reply>) {
        let Some(handle) = self.handle.take() else { return };
        let shared = &handle.0;
        let _calls = shared.calls.read().unwrap_or_else(PoisonError::into_inner);
        // Without the function the environment is shutting down: nobody is left to settle.
        let Some(tsfn) = shared.tsfn() else { return };
        let first = {
            let mut ready = shared.ready.lock().unwrap_or_else(PoisonError::into_inner);
            ready.push(Completion { deferred: self.deferred, result });
            ready.len() == 1
        };
        if first {
            // A failure means the environment is shutting down; the list is dropped with it.
            unsafe {
                sys::napi_call_threadsafe_function(tsfn, ptr::null_mut(), sys::ThreadsafeFunctionCallMode::nonblocking)
            };
        }
    }
}

impl Drop for Settle {
    /// A call dropped unanswered (a bug) still rejects, so no promise hangs and no loop stays alive.
    fn drop(&mut self) {
        self.send(Err(fast_langgraph_core::Error::new(
            fast_langgraph_core::ErrorCode::Internal,
            "a call was dropped without a result",
        )));
    }
}

unsafe extern "C" fn call_js(env: sys::napi_env, _js: sys::napi_value, context: *mut c_void, _data: *mut c_void) {
    if env.is_null() {
        return;
    }
    // Valid here: the thread-safe function's own reference is given back only in `finalize`.
    unsafe { drain(env, &*context.cast::<Shared>()) };
}

/// Settles every result waiting in the list, on the JS thread.
unsafe fn drain(env: sys::napi_env, shared: &Shared) {
    let batch = std::mem::take(&mut *shared.ready.lock().unwrap_or_else(PoisonError::into_inner));
    if batch.is_empty() {
        return;
    }
    let settled = batch.len();
    for completion in batch {
        unsafe { settle(env, completion) };
    }
    if shared.pending.fetch_sub(settled, Ordering::Relaxed) == settled {
        if let Some(tsfn) = shared.tsfn() {
            unsafe { sys::napi_unref_threadsafe_function(env, tsfn) };
        }
    }
}

unsafe fn settle(env: sys::napi_env, Completion { deferred, result }: Completion) {
    unsafe {
        let settled = match result {
            Ok(reply) => reply_value(env, reply).map(|value| sys::napi_resolve_deferred(env, deferred, value)),
            Err(err) => error_value(env, &err.to_string()).map(|value| sys::napi_reject_deferred(env, deferred, value)),
        };
        if settled.is_err() {
            // Converting failed (out of memory): reject with what can still be made.
            if let Ok(value) = error_value(env, "FLG_INTERNAL: could not convert a result") {
                sys::napi_reject_deferred(env, deferred, value);
            }
        }
    }
}

/// The thread-safe function is gone (released, or torn down with the environment). Takes no lock:
/// Node may call this while holding locks of its own.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let shared = unsafe { Arc::from_raw(data.cast::<Shared>()) };
    if shared.hook.swap(false, Ordering::AcqRel) {
        unsafe {
            sys::napi_remove_env_cleanup_hook(shared.env, Some(teardown), data);
            Arc::decrement_strong_count(data.cast::<Shared>());
        }
    }
}

/// The environment is tearing down: from here on nothing may use the thread-safe function, which
/// Node is about to destroy. A call in progress on another thread finishes first (it holds the lock).
unsafe extern "C" fn teardown(data: *mut c_void) {
    let shared = unsafe { &*data.cast::<Shared>() };
    shared.retire();
    if shared.hook.swap(false, Ordering::AcqRel) {
        unsafe { Arc::decrement_strong_count(data.cast::<Shared>()) };
    }
}

unsafe fn reply_value(env: sys::napi_env, reply: Reply) -> napi::Result<sys::napi_value> {
    match reply {
        Reply::Undefined => {
            let mut value = ptr::null_mut();
            check_status!(unsafe { sys::napi_get_undefined(env, &mut value) })?;
            Ok(value)
        }
        Reply::Bytes(bytes) => unsafe { Buffer::to_napi_value(env, Buffer::from(bytes)) },
        Reply::Values(values) => {
            let values: Vec<Option<CachedValue>> = values.into_iter().map(|v| v.map(CachedValue::from)).collect();
            unsafe { Vec::to_napi_value(env, values) }
        }
        Reply::Stats(stats) => unsafe { CheckpointStoreStats::to_napi_value(env, stats.into()) },
        Reply::Pruned(pruned) => unsafe { CheckpointStorePruned::to_napi_value(env, pruned.into()) },
    }
}

/// Errors cross as `"<CODE>: <message>"`; the TS packages turn the prefix into `error.code`.
unsafe fn error_value(env: sys::napi_env, message: &str) -> napi::Result<sys::napi_value> {
    let mut text = ptr::null_mut();
    let mut error = ptr::null_mut();
    unsafe {
        check_status!(sys::napi_create_string_utf8(env, message.as_ptr().cast(), message.len() as isize, &mut text))?;
        check_status!(sys::napi_create_error(env, ptr::null_mut(), text, &mut error))?;
    }
    Ok(error)
}
