;; deep_recursion: proves unbounded recursion ends as stack_overflow, not a host crash.
(module
  (memory (export "memory") 1)
  (func $recurse (param $n i64) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64)
    (local.set $a (i64.add (local.get $n) (i64.const 1)))
    (local.set $b (i64.mul (local.get $a) (i64.const 3)))
    (local.set $c (i64.xor (local.get $b) (local.get $n)))
    (local.set $d (i64.rotl (local.get $c) (i64.const 7)))
    ;; not a tail call: the locals are used after it returns
    (i64.add
      (call $recurse (local.get $a))
      (i64.add (local.get $b) (i64.add (local.get $c) (local.get $d)))))
  (func (export "_start")
    (drop (call $recurse (i64.const 0)))))
