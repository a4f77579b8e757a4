// naos_store_memory_limiter — `wasmtime_store_limiter` for memory, plus a
// record that a grow was refused. The C API's limiter answers a refused
// `memory.grow` with -1 and tells nobody, so naos could only guess from the
// memory's size whether a later trap came from the limit; a module growing
// 16 pages at a time is refused 1 MiB below it. With this record the run is
// classified by what happened, whatever the distance to the limit.
//
// Declared for C++ in src/sandbox/memory_limiter.h.
use wasmtime_c_api::wasmtime::{Error, ResourceLimiter, Result};
use wasmtime_c_api::{wasmtime_store_t, WasmtimeStore};

struct RecordingLimiter {
    memory_bytes: usize,
    // Set to true when a grow is refused because of `memory_bytes`; owned by
    // the caller, who keeps it alive longer than the store.
    refused: *mut bool,
    // Whether the last grow asked for was within the memory's own declared
    // maximum: a failure past that maximum is the module's, not naos's limit.
    within_declared_maximum: bool,
}

impl RecordingLimiter {
    fn record_refusal(&mut self) {
        // SAFETY: the caller of naos_store_memory_limiter keeps `refused`
        // valid for the store's lifetime, and a store is used by one thread.
        unsafe { *self.refused = true };
    }
}

impl ResourceLimiter for RecordingLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, maximum: Option<usize>) -> Result<bool> {
        self.within_declared_maximum = maximum.map_or(true, |max| desired <= max);
        if desired <= self.memory_bytes {
            return Ok(true);
        }
        if self.within_declared_maximum {
            self.record_refusal();
        }
        Ok(false)
    }

    // The limiter allowed the grow but the memory could not grow (its slot in
    // the pooling allocator is smaller than asked): to the agent this is the
    // same refusal.
    fn memory_grow_failed(&mut self, _error: Error) -> Result<()> {
        if self.within_declared_maximum {
            self.record_refusal();
        }
        Ok(())
    }

    fn table_growing(&mut self, _current: usize, _desired: usize, _maximum: Option<usize>) -> Result<bool> {
        Ok(true)
    }
}

// The store's limiter closure must be Send and Sync, and the limiter holds a
// raw pointer.
// SAFETY: a store and its limiter are used by one thread at a time; the
// pointer is only written from the thread running the store.
unsafe impl Send for RecordingLimiter {}
unsafe impl Sync for RecordingLimiter {}

/// Limits linear memory to `memory_bytes` and sets `*refused` to true when a
/// grow is refused for that limit (never back to false). `refused` must stay
/// valid until the store is deleted.
///
/// # Safety
/// `store` must be a live store and `refused` a valid pointer as above.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn naos_store_memory_limiter(store: *mut wasmtime_store_t, memory_bytes: u64, refused: *mut bool) {
    // SAFETY: wasmtime_store_t is #[repr(C)] with one field, the Store: a
    // pointer to it is a pointer to that Store.
    let store = unsafe { &mut *(store as *mut WasmtimeStore) };
    let mut owned = Box::new(RecordingLimiter {
        memory_bytes: usize::try_from(memory_bytes).unwrap_or(usize::MAX),
        refused,
        within_declared_maximum: true,
    });
    store.limiter(move |_| {
        let limiter: *mut RecordingLimiter = &mut *owned;
        // SAFETY: the box lives in this closure, which the store owns for its
        // whole life; the reference does not outlive the store's borrow.
        unsafe { &mut *limiter as &mut dyn ResourceLimiter }
    });
}
