package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"caredesk/bot"
)

// retryAfter is what a bridge is told to wait when the core could not
// store a complaint: long enough for a database to come back from a
// hiccup, short enough that the complaint is not late for its SLA.
const retryAfter = 5 * time.Second

// Options configure Handler. Sources, Receiver and Reporter are required.
type Options struct {
	Sources  []Source
	Receiver Receiver // stores complaints; the core's *bot.Bot
	Reporter Reporter // records reports on replies; the core's *bot.Bot
	Counter  Counter  // told of every request turned away; nil counts nothing
	// MaxText is the longest complaint text taken, in characters;
	// DefaultMaxText (Slack's limit on a message) when 0.
	MaxText int
	Now     func() time.Time // checks signatures' timestamps; time.Now when nil
	Logger  *slog.Logger     // slog.Default() when nil
}

// handler serves the webhook endpoints of all sources.
type handler struct {
	sources  map[string]Source
	receiver Receiver
	reporter Reporter
	counter  Counter
	maxText  int
	now      func() time.Time
	log      *slog.Logger
}

// Handler returns the handler of the webhook endpoints; mount it at
// "/hooks/", with no method in the pattern, so that it answers every
// request under /hooks/ itself. It serves
//
//	POST /hooks/{name}         a complaint from the source's bridge
//	POST /hooks/{name}/status  the bridge's report on a reply
//
// Every request is checked in this order, and the first failure answers:
// a source of that name exists (404, before the body is read), the method
// is POST (405), the body is at most MaxBodySize (413), it is signed with
// the source's secret within Tolerance of now (401), it is a JSON object
// (400), its fields are right (422). Only then does the core see it. A
// complaint is answered 202 once stored; the core's refusal is a 422 and
// its failure a 503 with Retry-After, so that the bridge sends it again.
// Every answer is a JSON object: {"status": …} on success, {"error": …,
// "field": …} otherwise, "field" naming the JSON field or header at fault.
//
// Run CheckSources on the sources first: a source without a secret turns
// every request away.
func Handler(o Options) http.Handler {
	if o.Receiver == nil || o.Reporter == nil {
		panic("webhook.Handler: Options.Receiver and Options.Reporter are required")
	}
	h := &handler{
		sources: map[string]Source{}, receiver: o.Receiver, reporter: o.Reporter,
		counter: o.Counter, maxText: o.MaxText, now: o.Now, log: o.Logger,
	}
	for _, s := range o.Sources {
		if _, dup := h.sources[s.Name]; !dup {
			h.sources[s.Name] = s
		}
	}
	if h.maxText <= 0 {
		h.maxText = DefaultMaxText
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.log = h.log.With("part", "webhook")
	mux := http.NewServeMux()
	// No methods in the patterns: an unknown source must be a 404 whatever
	// the method, and a wrong method a 405 with a JSON body.
	mux.HandleFunc("/hooks/{name}", h.complaint)
	mux.HandleFunc("/hooks/{name}/status", h.status)
	mux.HandleFunc("/hooks/", h.nowhere)
	return mux
}

// complaint files one complaint.
func (h *handler) complaint(w http.ResponseWriter, req *http.Request) {
	src, body, ok := h.accept(w, req)
	if !ok {
		return
	}
	c, fe := ParseComplaint(body, h.maxText)
	if fe != nil {
		h.refuseBody(w, src, fe)
		return
	}
	err := h.receiver.Receive(req.Context(), c.inbound(src))
	switch {
	case err == nil:
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "stored"})
	case bot.ErrorCode(err) != "":
		h.log.Warn("the core refused a complaint; the bridge is told not to send it again", "source", SourceName(src.Name), "id", c.ID, "err", err)
		h.refuse(w, src, http.StatusUnprocessableEntity, "refused", "", bot.ErrorMessage(err))
	default:
		h.log.Error("could not store a complaint; the bridge is told to send it again", "source", SourceName(src.Name), "id", c.ID, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
		h.refuse(w, src, http.StatusServiceUnavailable, "unavailable", "",
			fmt.Sprintf("caredesk could not store the complaint just now; send it again in a few seconds with the same id (look for id %q in caredesk's log).", c.ID))
	}
}

// status records a bridge's report on a reply.
func (h *handler) status(w http.ResponseWriter, req *http.Request) {
	src, body, ok := h.accept(w, req)
	if !ok {
		return
	}
	r, fe := ParseReport(body)
	if fe != nil {
		h.refuseBody(w, src, fe)
		return
	}
	err := h.reporter.ReportReply(req.Context(), bot.ReplyReport{
		Source: SourceName(src.Name), Reply: r.ReplyID, Status: r.Status, Reason: r.Reason, URL: r.URL, EventID: r.ID,
	})
	switch code := bot.ErrorCode(err); {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]string{"status": "recorded"})
	case code == bot.ENOTFOUND:
		h.refuse(w, src, http.StatusNotFound, "refused", "reply_id", bot.ErrorMessage(err))
	case code != "":
		h.refuse(w, src, http.StatusUnprocessableEntity, "refused", "", bot.ErrorMessage(err))
	default:
		h.log.Error("could not record a report on a reply; the bridge is told to send it again", "source", SourceName(src.Name), "reply_id", r.ReplyID, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
		h.refuse(w, src, http.StatusServiceUnavailable, "unavailable", "", "caredesk could not record the report just now; send it again in a few seconds.")
	}
}

// nowhere answers paths under /hooks/ that are no endpoint.
func (h *handler) nowhere(w http.ResponseWriter, req *http.Request) {
	h.refuse(w, Source{}, http.StatusNotFound, "unknown_source", "",
		fmt.Sprintf("There is nothing at %s: complaints go to POST /hooks/NAME, reports on replies to POST /hooks/NAME/status.", clip(req.URL.Path, 100)))
}

// accept runs the checks every request passes before its body is parsed.
// When ok is false it has answered.
func (h *handler) accept(w http.ResponseWriter, req *http.Request) (src Source, body []byte, ok bool) {
	name := req.PathValue("name")
	src, known := h.sources[name]
	if !known {
		h.refuse(w, Source{}, http.StatusNotFound, "unknown_source", "",
			fmt.Sprintf("No webhook source is named %q: NAME in /hooks/NAME must be the name of a source under sources.webhook in caredesk's configuration.", clip(name, 100)))
		return Source{}, nil, false
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, src, http.StatusMethodNotAllowed, "method", "", fmt.Sprintf("Use POST, not %s.", clip(req.Method, 20)))
		return Source{}, nil, false
	}
	tooLarge := fmt.Sprintf("The body is larger than %d bytes.", MaxBodySize)
	if req.ContentLength > MaxBodySize {
		h.refuse(w, src, http.StatusRequestEntityTooLarge, "too_large", "", tooLarge)
		return Source{}, nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBodySize))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		h.refuse(w, src, http.StatusRequestEntityTooLarge, "too_large", "", tooLarge)
		return Source{}, nil, false
	case err != nil:
		h.refuse(w, src, http.StatusBadRequest, "malformed", "", "The body could not be read to its end.")
		return Source{}, nil, false
	}
	if err := Verify(src.Secret, req.Header, body, h.now()); err != nil {
		reason := "signature"
		if errors.Is(err, ErrStale) {
			reason = "stale"
		}
		h.refuse(w, src, http.StatusUnauthorized, reason, headerAt(err), sentence(err.Error()))
		return Source{}, nil, false
	}
	return src, body, true
}

// refuseBody answers a body ParseComplaint or ParseReport found wrong.
func (h *handler) refuseBody(w http.ResponseWriter, src Source, fe *FieldError) {
	if fe.Malformed {
		h.refuse(w, src, http.StatusBadRequest, "malformed", fe.Field, fe.Message)
		return
	}
	h.refuse(w, src, http.StatusUnprocessableEntity, "invalid", fe.Field, fe.Message)
}

// refuse answers a request turned away, counts it and logs it. The log is
// at debug level: anyone on the internet can send these, and the bridge's
// builder reads the answer, not caredesk's log.
func (h *handler) refuse(w http.ResponseWriter, src Source, status int, reason, field, message string) {
	source := ""
	if src.Name != "" {
		source = SourceName(src.Name)
	}
	if h.counter != nil {
		h.counter.Rejected(source, reason)
	}
	h.log.Debug("webhook request turned away", "source", source, "status", status, "reason", reason, "field", field, "error", message)
	writeJSON(w, status, problem{Error: message, Field: field})
}

// problem is the body of every answer that is not a success.
type problem struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// writeJSON answers with v as JSON. HTML characters are left as they are,
// for people reading answers in n8n or curl: the answer is never HTML
// (nosniff).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // only maps and structs of strings reach here
		b.Reset()
		b.WriteString(`{"error":"internal error"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// sentence makes a sentence of an error message: a capital first, a full
// stop last.
func sentence(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}
