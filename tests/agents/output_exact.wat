;; output_exact: proves the maxOutput boundary: exactly 1000 bytes of 'a' on stdout.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    ;; iovec at 0 = {ptr, len}; nwritten at 8; buffer at 16
    (memory.fill (i32.const 16) (i32.const 97) (i32.const 1000))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 1000))
    ;; write until the iovec is empty (a write may be partial); stop on error
    (block $done
      (loop $more
        (br_if $done (i32.eqz (i32.load (i32.const 4))))
        (br_if $done (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.load (i32.const 8))))
        (i32.store (i32.const 4) (i32.sub (i32.load (i32.const 4)) (i32.load (i32.const 8))))
        (br $more)))))
