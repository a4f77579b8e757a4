;; unknown_nexus_import: proves a nexus function that does not exist is refused before running.
(module
  (import "nexus" "launch_missiles" (func $launch_missiles (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $launch_missiles))))
