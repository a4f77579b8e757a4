// go-greeter: proves a Go (wasip1) agent runs, logs and uses kv through the Go SDK.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"naos.dev/sdk/nexus"
)

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	input := strings.TrimSpace(string(raw))
	if input == "count" {
		n, err := count()
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(2)
		}
		fmt.Println(n)
		return
	}
	nexus.Log(nexus.LevelInfo, "greeting "+input)
	fmt.Printf("Hello, %s!\n", input)
}

// count increments the kv key "greetings" and returns its new value.
func count() (int, error) {
	n := 0
	v, err := nexus.KVGet("greetings")
	switch {
	case errors.Is(err, nexus.ErrNotFound):
	case err != nil:
		return 0, err
	default:
		if n, err = strconv.Atoi(string(v)); err != nil {
			return 0, fmt.Errorf("stored greetings %q is not a number", v)
		}
	}
	n++
	return n, nexus.KVSet("greetings", []byte(strconv.Itoa(n)))
}
