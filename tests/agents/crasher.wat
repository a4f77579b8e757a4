;; The smallest agent that crashes on start: one log line (so a benchmark sees
;; it running), then a trap. bench/restart_latency uses it beside an Erlang
;; process that crashes on start, so both sides restart the least they can.
(module
  (import "nexus" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "crash")
  (func (export "_start")
    (drop (call $log (i32.const 3) (i32.const 16) (i32.const 5)))
    unreachable))
