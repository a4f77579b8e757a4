// Package nexus is the naos agent SDK for Go (ABI version 1, docs/abi.md).
//
// Build an agent as a WASI preview 1 command module:
//
//	GOOS=wasip1 GOARCH=wasm go build -o agent.wasm .
//
// stdin is the agent's input, stdout its result and stderr its log; this
// package wraps the host functions of the `nexus` import module. Log and
// TimeNow are always granted; KVGet/KVSet need `kv: true`, HTTPGet/HTTPPost
// a network grant and LLMComplete `llm: true`. A call the grant does not cover returns ErrDenied, but a
// module is refused before it runs only if it links a function it was not
// granted, and the Go linker drops unused wrappers, so importing the package
// costs nothing.
//
// Outside wasip1 the package compiles, but every host call returns ErrInternal
// (TimeNow uses the local clock), so agents can be vetted and unit-tested on
// the build machine.
package nexus
