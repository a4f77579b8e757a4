;; log_flood: calls nexus.log with a 64 KiB line (the most one call may
;; carry) for ever. Only the run's maxLog can stop it: without one, two
;; seconds of this wrote 3.35 GB to data/logs/. Prints "survived" if a log
;; call is ever refused with a return code instead.
(module
  (import "nexus" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "survived\n")
  (func (export "_start")
    ;; 64 KiB of 'a' at 64 KiB.
    (memory.fill (i32.const 65536) (i32.const 97) (i32.const 65536))
    (loop $again
      (br_if $again (i32.eqz (call $log (i32.const 1) (i32.const 65536) (i32.const 65536)))))
    ;; stdout: "survived\n"
    (i32.store (i32.const 32) (i32.const 0))
    (i32.store (i32.const 36) (i32.const 9))
    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 48)))))
