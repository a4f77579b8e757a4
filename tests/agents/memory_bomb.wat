;; memory_bomb: proves memoryLimit holds: grows 1 page at a time until refused, then traps.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (block $refused
      (loop $grow
        (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $grow)))
    unreachable))
