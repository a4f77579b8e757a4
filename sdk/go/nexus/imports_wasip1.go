//go:build wasip1

package nexus

import "unsafe"

// The raw imports, exactly as docs/abi.md lists them. Pointers are offsets
// into the module's linear memory; Go's heap does not move, so passing the
// address of a live slice is safe for the duration of the call.

//go:wasmimport nexus log
//go:noescape
func hostLog(level int32, msg unsafe.Pointer, msgLen uint32) int32

//go:wasmimport nexus time_now
func hostTimeNow() int64

//go:wasmimport nexus kv_get
//go:noescape
func hostKVGet(key unsafe.Pointer, keyLen uint32, out unsafe.Pointer, outCap uint32, outLen unsafe.Pointer) int32

//go:wasmimport nexus kv_set
//go:noescape
func hostKVSet(key unsafe.Pointer, keyLen uint32, value unsafe.Pointer, valueLen uint32) int32

//go:wasmimport nexus kv_cas
//go:noescape
func hostKVCas(key unsafe.Pointer, keyLen uint32, expected unsafe.Pointer, expectedLen int32,
	value unsafe.Pointer, valueLen uint32) int32

//go:wasmimport nexus kv_incr
//go:noescape
func hostKVIncr(key unsafe.Pointer, keyLen uint32, delta int64, out unsafe.Pointer) int32

//go:wasmimport nexus http_get
//go:noescape
func hostHTTPGet(url unsafe.Pointer, urlLen uint32, out unsafe.Pointer, outCap uint32, outLen unsafe.Pointer) int32

//go:wasmimport nexus http_post
//go:noescape
func hostHTTPPost(url unsafe.Pointer, urlLen uint32, body unsafe.Pointer, bodyLen uint32,
	contentType unsafe.Pointer, contentTypeLen uint32, out unsafe.Pointer, outCap uint32, outLen unsafe.Pointer) int32

//go:wasmimport nexus llm_complete
//go:noescape
func hostLLMComplete(request unsafe.Pointer, requestLen uint32, out unsafe.Pointer, outCap uint32, outLen unsafe.Pointer) int32
