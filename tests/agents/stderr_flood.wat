;; stderr_flood: one fd_write to stderr with 64 iovecs that all point at the
;; same 1 MiB of newlines: 64 Mi log lines from a single host call. It must
;; stop at the run's timeout: the deadline holds inside a host call. Prints
;; "survived" if the call ever returns.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 18)
  (data (i32.const 2048) "survived\n")
  (func (export "_start")
    (local $i i32)
    ;; 1 MiB of '\n' at 64 KiB.
    (memory.fill (i32.const 65536) (i32.const 10) (i32.const 1048576))
    ;; 64 iovecs at 0: { buf = 65536, len = 1 MiB }.
    (loop $iov
      (i32.store (i32.mul (local.get $i) (i32.const 8)) (i32.const 65536))
      (i32.store (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4)) (i32.const 1048576))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $iov (i32.lt_u (local.get $i) (i32.const 64))))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 64) (i32.const 1024)))
    ;; stdout: "survived\n"
    (i32.store (i32.const 1032) (i32.const 2048))
    (i32.store (i32.const 1036) (i32.const 9))
    (drop (call $fd_write (i32.const 1) (i32.const 1032) (i32.const 1) (i32.const 1024)))))
