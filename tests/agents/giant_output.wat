;; giant_output: proves maxOutput holds: writes 64 KiB blocks to stdout forever
;; (it returns only if fd_write reports an error, so the limit must still be the outcome).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "_start")
    ;; iovec at 0 = {buf 16, len 65536}; nwritten at 8; buffer at 16
    (memory.fill (i32.const 16) (i32.const 120) (i32.const 65536))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $forever
      (br_if $forever
        (i32.eqz (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))))
