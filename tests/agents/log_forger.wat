;; log_forger: tries to forge log lines. One nexus.log call whose message
;; holds a newline, a fake timestamp and level, and ANSI colour escapes; then
;; a stderr line that clears the screen. Each must show in `naos logs` as one
;; line of its own event, with the escapes neutralized.
(module
  (import "nexus" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 55 bytes: "real\n2030-01-01T00:00:00.000Z error FORGED \1b[31mred\1b[0m"
  (data (i32.const 256) "real\n2030-01-01T00:00:00.000Z error FORGED \1b[31mred\1b[0m")
  ;; 12 bytes: "\1b[2Jwiped\07\0d\n" (clear screen, bell, carriage return)
  (data (i32.const 512) "\1b[2Jwiped\07\0d\n")
  (func (export "_start")
    (drop (call $log (i32.const 1) (i32.const 256) (i32.const 55)))
    (i32.store (i32.const 0) (i32.const 512))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))))
