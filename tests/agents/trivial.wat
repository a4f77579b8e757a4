;; trivial: proves the smallest valid agent (no imports, empty _start) runs and succeeds.
(module
  (memory (export "memory") 1)
  (func (export "_start")))
