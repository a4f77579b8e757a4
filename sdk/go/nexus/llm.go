package nexus

import (
	"encoding/json"
	"unsafe"
)

// LLMMessage is one turn of a conversation: Role is "user", "assistant" or
// "system".
type LLMMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// LLMRequest asks the project's LLM for a completion (docs/abi.md
// "llm_complete"). Give Prompt or Messages. Provider and Model may be left
// empty for the project's defaults (broker.llm in nexus.config.yaml).
type LLMRequest struct {
	Provider  string       `json:"provider,omitempty"`
	Model     string       `json:"model,omitempty"`
	System    string       `json:"system,omitempty"`
	Prompt    string       `json:"prompt,omitempty"`
	Messages  []LLMMessage `json:"messages,omitempty"`
	MaxTokens int          `json:"max_tokens,omitempty"`
	TimeoutMs int          `json:"timeout_ms,omitempty"`
}

// LLMUsage is what the call consumed, in tokens.
type LLMUsage struct {
	InputTokens       int64 `json:"input_tokens"`
	OutputTokens      int64 `json:"output_tokens"`
	CachedInputTokens int64 `json:"cached_input_tokens"`
}

// LLMReply is a completion and what it cost (in micro-cents: 1e-8 dollars).
type LLMReply struct {
	Text           string   `json:"text"`
	Provider       string   `json:"provider"`
	Model          string   `json:"model"`
	StopReason     string   `json:"stop_reason"`
	Usage          LLMUsage `json:"usage"`
	CostMicrocents int64    `json:"cost_microcents"`
}

// LLMError is a failed LLMComplete: the NEXUS_E_* code (errors.Is works with
// ErrDenied, ErrNetwork, ...) and the host's explanation, such as
// "anthropic: HTTP 429 rate_limit_error: ...".
type LLMError struct {
	Err     Error
	Code    string
	Message string
}

func (e *LLMError) Error() string { return "nexus: llm: " + e.Message }
func (e *LLMError) Unwrap() error { return e.Err }

// LLMComplete asks the project's LLM (needs `llm: true`). Without the grant
// it returns ErrDenied (in an *LLMError); with the grant but no provider
// configured, ErrInternal.
func LLMComplete(request LLMRequest) (LLMReply, error) {
	body, err := json.Marshal(request)
	if err != nil {
		return LLMReply{}, err
	}
	rp, rn := bytesPtr(body)
	buf := make([]byte, MaxResponse)
	var n uint32
	rc := hostLLMComplete(rp, rn, unsafe.Pointer(unsafe.SliceData(buf)), uint32(len(buf)), unsafe.Pointer(&n))
	if int(n) > len(buf) {
		return LLMReply{}, ErrTruncated
	}
	if rc < 0 {
		failure := &LLMError{Err: Error(rc), Message: Error(rc).Error()}
		var reply struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(buf[:n], &reply) == nil && reply.Error.Message != "" {
			failure.Code, failure.Message = reply.Error.Code, reply.Error.Message
		}
		return LLMReply{}, failure
	}
	var reply LLMReply
	if err := json.Unmarshal(buf[:n], &reply); err != nil {
		return LLMReply{}, err
	}
	return reply, nil
}
