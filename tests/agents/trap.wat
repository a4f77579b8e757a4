;; trap: proves a trap ends the run with error "trap" and its message.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    unreachable))
