// An HTTP handler agent: one request per run.
//
// Input, as JSON:  {"method":"GET","path":"/hello?name=naos","headers":{...},"body":"..."}
// Output, as JSON: {"status":200,"headers":{...},"body":"..."} ("headers" only when set)
//
// A request that is not valid JSON gets a 400 response; the run itself still
// succeeds, since answering bad requests is the handler's job.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"naos.dev/sdk/nexus"
)

type Request struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

type Response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body"`
}

func text(status int, body string) Response { return Response{Status: status, Body: body} }

// route answers one request. Add your endpoints here.
func route(req Request, u *url.URL) Response {
	type endpoint struct {
		method string
		handle func() Response
	}
	endpoints := map[string]endpoint{
		"/hello": {"GET", func() Response {
			name := u.Query().Get("name")
			if name == "" {
				name = "world"
			}
			return text(200, "Hello, "+name+"!")
		}},
		"/echo":   {"POST", func() Response { return text(200, req.Body) }},
		"/health": {"GET", func() Response { return text(200, "ok") }},
	}
	e, found := endpoints[u.Path]
	switch {
	case !found:
		return text(404, "not found: "+u.Path)
	case req.Method != e.method:
		r := text(405, "method not allowed: "+req.Method)
		r.Headers = map[string]string{"allow": e.method}
		return r
	}
	return e.handle()
}

// handle parses the request and routes it; the request is returned for the log.
func handle(input []byte) (Request, Response) {
	var req Request
	// Fields this handler does not know (a gateway may add some) are ignored.
	if err := json.Unmarshal(input, &req); err != nil {
		return req, text(400, "bad request: "+err.Error())
	}
	req.Method = strings.ToUpper(req.Method)
	if req.Method == "" {
		req.Method = "GET"
	}
	u, err := url.ParseRequestURI(req.Path)
	if err != nil || !strings.HasPrefix(req.Path, "/") {
		return req, text(400, fmt.Sprintf("bad request: path %q must start with /", req.Path))
	}
	return req, route(req, u)
}

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	req, resp := handle(input)
	nexus.Log(nexus.LevelInfo, fmt.Sprintf("%s %q -> %d", req.Method, req.Path, resp.Status))

	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // bodies are not embedded in HTML
	if err := enc.Encode(resp); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	os.Stdout.Write(bytes.TrimSuffix(out.Bytes(), []byte("\n")))
}
