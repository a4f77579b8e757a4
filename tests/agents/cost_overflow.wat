;; cost_overflow: a hostile agent that tries to wrap the cost ledger. It calls
;; nexus.cost_record with INT64_MAX twice, then with exactly the cap
;; ($10,000,000 = 10^15 micro-cents) and with one micro-cent more, and prints
;; the four results separated by spaces: "-4 -4 0 -4" when amounts above the
;; cap are NEXUS_E_INVALID and the cap itself is recorded.
;; Used by tests/cli_cost_test.cc.
(module
  (import "nexus" "cost_record" (func $cost_record (param i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 128) "overflow")
  (data (i32.const 160) " ")
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
  (func $print_space
    (i32.store (i32.const 0) (i32.const 160))
    (i32.store (i32.const 4) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (call $print_i32 (call $cost_record (i64.const 9223372036854775807) (i32.const 128) (i32.const 8)))
    (call $print_space)
    (call $print_i32 (call $cost_record (i64.const 9223372036854775807) (i32.const 128) (i32.const 8)))
    (call $print_space)
    (call $print_i32 (call $cost_record (i64.const 1000000000000000) (i32.const 128) (i32.const 8)))
    (call $print_space)
    (call $print_i32 (call $cost_record (i64.const 1000000000000001) (i32.const 128) (i32.const 8)))))
