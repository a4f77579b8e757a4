package nexus

import (
	"errors"
	"strconv"
)

// Error is a negative NEXUS_E_* code returned by a host function.
type Error int32

// One error per NEXUS_E_* code of docs/abi.md.
const (
	ErrDenied   Error = -1 // the grant does not cover this call
	ErrNotFound Error = -2 // no such key
	ErrTooSmall Error = -3 // the output buffer is too small
	ErrInvalid  Error = -4 // a bad argument (pointer, UTF-8, URL, log level)
	ErrNetwork  Error = -5 // DNS, connect, TLS or timeout failure
	ErrLimit    Error = -6 // a size limit
	ErrInternal Error = -7 // a host-side failure; the run may retry
	ErrConflict Error = -8 // KVCompareAndSet: the key held something else
)

// ErrTruncated is returned with the first part of an HTTP response body when
// the full body did not fit in the SDK's buffer (MaxResponse bytes).
var ErrTruncated = errors.New("nexus: response body truncated")

// Code is the raw ABI value of the error.
func (e Error) Code() int32 { return int32(e) }

func (e Error) Error() string {
	switch e {
	case ErrDenied:
		return "nexus: denied"
	case ErrNotFound:
		return "nexus: not_found"
	case ErrTooSmall:
		return "nexus: too_small"
	case ErrInvalid:
		return "nexus: invalid"
	case ErrNetwork:
		return "nexus: network"
	case ErrLimit:
		return "nexus: limit"
	case ErrInternal:
		return "nexus: internal"
	case ErrConflict:
		return "nexus: conflict"
	}
	return "nexus: error " + strconv.Itoa(int(e))
}

// check turns a host return value into an error: nil for 0 and positive values.
func check(rc int32) error {
	if rc < 0 {
		return Error(rc)
	}
	return nil
}
