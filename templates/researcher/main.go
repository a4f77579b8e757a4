// A research agent: reads web pages, keeps notes, answers from them.
//
//   - Input a URL (http:// or https://): GET it, make a note (its title, its
//     word count and the first SummaryLength characters of its text), keep
//     the note in kv and print it as JSON.
//   - Input anything else: a question. Print the note sharing the most words
//     with it as {"question":...,"answer":...,"source":...}.
//   - Empty input or "help": print the usage line.
//
// kv holds "notes" (the URLs read, one a line) and "note:<sha256 of URL>" (a
// note, as JSON).
//
// With `llm: true` and a model (broker.llm in nexus.config.yaml), the model
// writes the summary and the answer; without one (no grant, no provider, a
// failed call) the agent cuts the text itself, so it works either way.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"regexp"
	"strings"

	"naos.dev/sdk/nexus"
)

const (
	Usage         = "usage: give me a URL to read, or ask a question about what I have read"
	SummaryLength = 280
	// What the model reads of a page, in characters, and may write, in tokens.
	ModelInputLength = 12000
	ModelMaxTokens   = 300
)

type Note struct {
	URL     string `json:"url"`
	Status  int    `json:"status"`
	Title   string `json:"title"`
	Words   int    `json:"words"`
	Summary string `json:"summary"`
}

type Answer struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Source   string `json:"source,omitempty"`
}

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	input := strings.TrimSpace(string(raw))
	switch {
	case input == "" || input == "help":
		fmt.Print(Usage)
	case strings.HasPrefix(input, "http://") || strings.HasPrefix(input, "https://"):
		note, err := read(input)
		if err != nil {
			fail(err)
		}
		emit(note)
	default:
		answer, err := ask(input)
		if err != nil {
			fail(err)
		}
		emit(answer)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}

// emit writes v as JSON, without HTML escaping or a trailing newline.
func emit(v any) {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fail(err)
	}
	os.Stdout.Write(bytes.TrimSuffix(out.Bytes(), []byte("\n")))
}

// read fetches url, makes a note of it and keeps the note.
func read(url string) (Note, error) {
	status, body, err := nexus.HTTPGet(url)
	if errors.Is(err, nexus.ErrTruncated) {
		nexus.Log(nexus.LevelWarn, "page truncated to 1 MiB: "+url)
	} else if err != nil {
		return Note{}, fmt.Errorf("GET %s: %w", url, err)
	}
	if status >= 400 {
		return Note{}, fmt.Errorf("GET %s: HTTP %d", url, status)
	}
	title, text := pageText(string(body))
	words := strings.Fields(text)
	summary, ok := model("Summarize this web page in at most three sentences. Answer with the summary only.",
		title+"\n\n"+cut(strings.Join(words, " "), ModelInputLength))
	if !ok {
		summary = cut(strings.Join(words, " "), SummaryLength)
	}
	note := Note{URL: url, Status: status, Title: title, Words: len(words), Summary: summary}
	if err := keep(note); err != nil {
		return Note{}, err
	}
	nexus.Log(nexus.LevelInfo, fmt.Sprintf("read %s: %d words", url, note.Words))
	return note, nil
}

var (
	titleTag = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	// Elements whose content is not text to read (Go's regexp has no
	// backreferences, hence one pattern per element).
	hiddenElements = []*regexp.Regexp{
		regexp.MustCompile(`(?is)<script[^>]*>.*?</script>`),
		regexp.MustCompile(`(?is)<style[^>]*>.*?</style>`),
		regexp.MustCompile(`(?is)<head[^>]*>.*?</head>`),
	}
	anyTag = regexp.MustCompile(`(?s)<[^>]*>`)
)

// pageText returns an HTML page's title and visible text; other bodies are
// their own text.
func pageText(body string) (title, text string) {
	if m := titleTag.FindStringSubmatch(body); m != nil {
		title = strings.Join(strings.Fields(html.UnescapeString(m[1])), " ")
	}
	if !strings.Contains(body, "<") {
		return title, body
	}
	text = body
	for _, hidden := range hiddenElements {
		text = hidden.ReplaceAllString(text, " ")
	}
	text = anyTag.ReplaceAllString(text, " ")
	return title, html.UnescapeString(text)
}

// cut shortens s to at most n characters, at a word boundary, marking the cut.
func cut(s string, n int) string {
	runes := []rune(s)
	if len(runes) <= n {
		return s
	}
	short := string(runes[:n])
	if i := strings.LastIndex(short, " "); i > 0 {
		short = short[:i]
	}
	return short + " ..."
}

func noteKey(url string) string {
	sum := sha256.Sum256([]byte(url))
	return "note:" + hex.EncodeToString(sum[:16])
}

// keep stores the note and adds its URL to the index.
func keep(note Note) error {
	value, err := json.Marshal(note)
	if err != nil {
		return err
	}
	if err := nexus.KVSet(noteKey(note.URL), value); err != nil {
		return fmt.Errorf("keeping the note: %w", err)
	}
	urls, err := index()
	if err != nil {
		return err
	}
	for _, u := range urls {
		if u == note.URL {
			return nil
		}
	}
	urls = append(urls, note.URL)
	if err := nexus.KVSet("notes", []byte(strings.Join(urls, "\n"))); err != nil {
		return fmt.Errorf("keeping the index: %w", err)
	}
	return nil
}

// index lists the URLs read so far, oldest first.
func index() ([]string, error) {
	v, err := nexus.KVGet("notes")
	if errors.Is(err, nexus.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the index: %w", err)
	}
	return strings.Split(string(v), "\n"), nil
}

// ask answers from the note that shares the most words with the question;
// on a tie, the newest note wins.
func ask(question string) (Answer, error) {
	urls, err := index()
	if err != nil {
		return Answer{}, err
	}
	wanted := words(question)
	var best Note
	bestScore := 0
	for _, url := range urls {
		v, err := nexus.KVGet(noteKey(url))
		if err != nil {
			continue // a note lost or unreadable is skipped, not fatal
		}
		var note Note
		if json.Unmarshal(v, &note) != nil {
			continue
		}
		have := words(note.Title + " " + note.Summary)
		score := 0
		for w := range wanted {
			if have[w] {
				score++
			}
		}
		if score > 0 && score >= bestScore {
			best, bestScore = note, score
		}
	}
	if bestScore == 0 {
		return Answer{Question: question, Answer: "I have read nothing about that yet; give me a URL to read."}, nil
	}
	if answer, ok := model("Answer the question from the note only; say so if the note does not tell.",
		"Note on "+best.URL+" ("+best.Title+"): "+best.Summary+"\n\nQuestion: "+question); ok {
		return Answer{Question: question, Answer: answer, Source: best.URL}, nil
	}
	answer := best.Summary
	if best.Title != "" {
		answer = best.Title + ": " + answer
	}
	return Answer{Question: question, Answer: answer, Source: best.URL}, nil
}

// model asks the project's LLM; ok is false when the agent has none (no
// `llm: true`, no provider or model configured) or the call failed, and the
// caller then does without. Why is logged (at debug when llm is not granted).
func model(system, prompt string) (text string, ok bool) {
	reply, err := nexus.LLMComplete(nexus.LLMRequest{System: system, Prompt: prompt, MaxTokens: ModelMaxTokens})
	if err != nil {
		level := nexus.LevelWarn
		if errors.Is(err, nexus.ErrDenied) {
			level = nexus.LevelDebug
		}
		nexus.Log(level, err.Error()+"; writing it without the model")
		return "", false
	}
	text = strings.TrimSpace(reply.Text)
	return text, text != ""
}

// words is the set of lower-case words of at least three letters in s,
// without the commonest English ones.
func words(s string) map[string]bool {
	common := map[string]bool{"the": true, "and": true, "for": true, "what": true, "who": true, "how": true,
		"why": true, "does": true, "are": true, "was": true, "this": true, "that": true, "with": true, "about": true}
	set := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	}) {
		if len(w) >= 3 && !common[w] {
			set[w] = true
		}
	}
	return set
}
