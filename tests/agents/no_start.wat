;; no_start: proves a valid module without _start is refused as invalid_module.
(module
  (memory (export "memory") 1)
  (func (export "main")))
