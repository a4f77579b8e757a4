;; kv_flood: calls nexus.kv_get on a missing key until a call returns
;; something other than NEXUS_E_NOT_FOUND (or 20,000 calls), then prints
;; "<calls that succeeded> <last code>", e.g. "10000 -6".
(module
  (import "nexus" "kv_get" (func $kv_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 128) "missing")
  ;; Writes n as decimal text followed by the byte `end` to stdout. Scratch:
  ;; iovec at 0, nwritten at 8, digits built backwards ending at 64.
  (func $print_i32 (param $n i32) (param $end i32)
    (local $p i32) (local $neg i32)
    (i32.store8 (i32.const 64) (local.get $end))
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
    (i32.store (i32.const 4) (i32.sub (i32.const 65) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (local $calls i32) (local $rc i32)
    (block $done
      (loop $again
        (local.set $rc (call $kv_get (i32.const 128) (i32.const 7) (i32.const 256) (i32.const 64) (i32.const 320)))
        (br_if $done (i32.ne (local.get $rc) (i32.const -2)))
        (local.set $calls (i32.add (local.get $calls) (i32.const 1)))
        (br_if $again (i32.lt_u (local.get $calls) (i32.const 20000)))))
    (call $print_i32 (local.get $calls) (i32.const 32))
    (call $print_i32 (local.get $rc) (i32.const 10))))
