package nexus

import (
	"time"
	"unsafe"
)

// ABIVersion is the version of docs/abi.md this package implements.
const ABIVersion = 1

// Level is a log level for Log.
type Level int32

const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// MaxResponse is the size of the buffer HTTPGet and HTTPPost read a body into.
const MaxResponse = 1 << 20

func strPtr(s string) (unsafe.Pointer, uint32) {
	return unsafe.Pointer(unsafe.StringData(s)), uint32(len(s))
}

func bytesPtr(b []byte) (unsafe.Pointer, uint32) {
	return unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b))
}

// Log appends one line to the agent's log.
func Log(level Level, msg string) error {
	p, n := strPtr(msg)
	return check(hostLog(int32(level), p, n))
}

// TimeNow is the host's clock, to the millisecond.
func TimeNow() time.Time {
	return time.UnixMilli(hostTimeNow())
}

// KVGet returns the value stored under key, or ErrNotFound.
func KVGet(key string) ([]byte, error) {
	kp, kn := strPtr(key)
	buf := make([]byte, 256)
	// A value can change between calls (another run), hence the loop.
	for {
		var n uint32
		rc := hostKVGet(kp, kn, unsafe.Pointer(unsafe.SliceData(buf)), uint32(len(buf)), unsafe.Pointer(&n))
		if rc == int32(ErrTooSmall) && int(n) > len(buf) {
			buf = make([]byte, n)
			continue
		}
		if err := check(rc); err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

// KVSet stores value under key (1-256 bytes; value at most 1 MiB).
func KVSet(key string, value []byte) error {
	kp, kn := strPtr(key)
	vp, vn := bytesPtr(value)
	return check(hostKVSet(kp, kn, vp, vn))
}

// KVCompareAndSet stores value under key only if the key now holds exactly
// expected; a nil expected means "only if the key is absent". It returns
// ErrConflict when the key held something else: read it again and retry.
// Many instances of one agent may update a key at once; KVGet + KVSet would
// lose updates, this does not.
func KVCompareAndSet(key string, expected, value []byte) error {
	kp, kn := strPtr(key)
	vp, vn := bytesPtr(value)
	ep, en := unsafe.Pointer(nil), int32(-1)
	if expected != nil {
		var n uint32
		ep, n = bytesPtr(expected)
		en = int32(n)
	}
	return check(hostKVCas(kp, kn, ep, en, vp, vn))
}

// KVIncr adds delta to the decimal integer stored under key (absent counts
// as 0), atomically, and returns the new value. ErrInvalid when the value is
// not a decimal integer or the sum would overflow.
func KVIncr(key string, delta int64) (int64, error) {
	kp, kn := strPtr(key)
	var sum int64
	if err := check(hostKVIncr(kp, kn, delta, unsafe.Pointer(&sum))); err != nil {
		return 0, err
	}
	return sum, nil
}

// HTTPGet fetches url and returns the HTTP status and body. A body over
// MaxResponse bytes comes back cut, with ErrTruncated.
func HTTPGet(url string) (status int, body []byte, err error) {
	up, un := strPtr(url)
	buf := make([]byte, MaxResponse)
	var n uint32
	rc := hostHTTPGet(up, un, unsafe.Pointer(unsafe.SliceData(buf)), uint32(len(buf)), unsafe.Pointer(&n))
	return response(rc, buf, n)
}

// HTTPPost sends body to url with the given Content-Type and returns the HTTP
// status and response body, like HTTPGet.
func HTTPPost(url, contentType string, body []byte) (int, []byte, error) {
	up, un := strPtr(url)
	cp, cn := strPtr(contentType)
	bp, bn := bytesPtr(body)
	buf := make([]byte, MaxResponse)
	var n uint32
	rc := hostHTTPPost(up, un, bp, bn, cp, cn, unsafe.Pointer(unsafe.SliceData(buf)), uint32(len(buf)), unsafe.Pointer(&n))
	return response(rc, buf, n)
}

func response(rc int32, buf []byte, n uint32) (int, []byte, error) {
	if err := check(rc); err != nil {
		return 0, nil, err
	}
	if int(n) > len(buf) {
		return int(rc), buf, ErrTruncated
	}
	return int(rc), buf[:n], nil
}
