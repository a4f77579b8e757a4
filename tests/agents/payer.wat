;; payer: declares a cost of one cent (1,000,000 micro-cents) with the note
;; "pay" through nexus.cost_record and prints the call's result ("0", or
;; "-6" = NEXUS_E_LIMIT when a budget refuses it). Used by
;; tests/concurrency_test.cc.
(module
  (import "nexus" "cost_record" (func $cost_record (param i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 128) "pay")
  ;; Writes n as decimal text (no newline) to stdout. Scratch: iovec at 0,
  ;; nwritten at 8, digits built backwards ending at 64.
  (func $print_i32 (param $n i32)
    (local $p i32) (local $neg i32)
    (local.set $p (i32.const 64))
    (local.set $neg (i32.lt_s (local.get $n) (i32.const 0)))
    (if (local.get $neg) (then (local.set $n (i32.sub (i32.const 0) (local.get $n)))))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $n)))
    (if (local.get $neg) (then
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.const 45))))
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (i32.sub (i32.const 64) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (call $print_i32 (call $cost_record (i64.const 1000000) (i32.const 128) (i32.const 3)))))
