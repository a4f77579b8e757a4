;; infinite_loop: proves a run that never yields is stopped (timeout / fuel_exhausted).
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever (br $forever))))
