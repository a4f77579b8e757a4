;; memory_steps: grows its memory 16 pages (1 MiB) at a time until a grow is
;; refused, then traps. Under a 64 MiB limit it stops at 63 MiB, more than a
;; page below the limit: the refusal, not the distance to the limit, makes
;; the outcome memory_limit_exceeded.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable))
