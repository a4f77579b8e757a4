//go:build !wasip1

package nexus

import (
	"time"
	"unsafe"
)

// Stand-ins so the package builds (and vets) off wasip1; see doc.go.

const notWasm = int32(ErrInternal)

func hostLog(int32, unsafe.Pointer, uint32) int32 { return notWasm }
func hostTimeNow() int64                          { return time.Now().UnixMilli() }
func hostKVGet(unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer) int32 {
	return notWasm
}
func hostKVSet(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 { return notWasm }
func hostKVCas(unsafe.Pointer, uint32, unsafe.Pointer, int32, unsafe.Pointer, uint32) int32 {
	return notWasm
}
func hostKVIncr(unsafe.Pointer, uint32, int64, unsafe.Pointer) int32 { return notWasm }
func hostHTTPGet(unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer) int32 {
	return notWasm
}
func hostHTTPPost(unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32,
	unsafe.Pointer, uint32, unsafe.Pointer) int32 {
	return notWasm
}
func hostLLMComplete(unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer) int32 {
	return notWasm
}
