package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"caredesk/bodybudget"
	"caredesk/bot"
	"caredesk/quietlog"
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
	// Rater records customers' answers to the satisfaction question; the
	// core's *bot.Bot. nil: answers are acknowledged and dropped.
	Rater   Rater
	Counter Counter // told of every request turned away; nil counts nothing
	// Bodies is the memory shared by every endpoint that reads a body; a
	// request past it is answered 503 without its body being read. nil
	// bounds each body only.
	Bodies *bodybudget.Budget
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
	rater    Rater // nil: ratings are dropped
	counter  Counter
	bodies   *bodybudget.Budget
	maxText  int
	now      func() time.Time
	log      *slog.Logger
	quiet    *quietlog.Limiter // for what a flood or an outage repeats
}

// Handler returns the handler of the webhook endpoints; mount it at
// "/hooks/", with no method in the pattern, so that it answers every
// request under /hooks/ itself. It serves
//
//	POST /hooks/{name}         a complaint from the source's bridge
//	POST /hooks/{name}/status  the bridge's report on a reply
//	POST /hooks/{name}/rating  a customer's answer to the satisfaction question
//
// Every request is checked in this order, and the first failure answers:
// a source of that name exists (404), the method is POST (405), the
// declared length is at most MaxBodySize (413), the signature headers are
// there, well formed and within Tolerance of now (401) — all before the
// body is read — then the body fits in Options.Bodies (503 with
// Retry-After otherwise), is at most MaxBodySize (413), is signed with the
// source's secret (401), is a JSON object (400), and its fields are right
// (422). Only then does the core see it. A complaint is answered 202 once
// stored, a report or a rating 200 once recorded; the core's refusal is a
// 422 (a 404 for an unknown reply or ticket) and its failure a 503 with
// Retry-After, so that the bridge sends it again.
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
		sources: map[string]Source{}, receiver: o.Receiver, reporter: o.Reporter, rater: o.Rater,
		counter: o.Counter, bodies: o.Bodies, maxText: o.MaxText, now: o.Now, log: o.Logger,
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
	h.quiet = quietlog.New(h.log, time.Minute)
	mux := http.NewServeMux()
	// No methods in the patterns: an unknown source must be a 404 whatever
	// the method, and a wrong method a 405 with a JSON body.
	mux.HandleFunc("/hooks/{name}", h.complaint)
	mux.HandleFunc("/hooks/{name}/status", h.status)
	mux.HandleFunc("/hooks/{name}/rating", h.rating)
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
		h.refuseBody(w, req, src, fe)
		return
	}
	err := h.receiver.Receive(req.Context(), c.inbound(src))
	switch {
	case err == nil:
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "stored"})
	case bot.ErrorCode(err) != "":
		h.log.Warn("the core refused a complaint; the bridge is told not to send it again", "source", SourceName(src.Name), "id", c.ID, "err", err)
		h.refuse(w, req, src, http.StatusUnprocessableEntity, "refused", "", bot.ErrorMessage(err))
	default:
		// A full disk fails every complaint alike: one line a minute says so.
		h.quiet.Log(slog.LevelError, "store failed "+src.Name, "could not store a complaint; the bridge is told to send it again", "source", SourceName(src.Name), "id", c.ID, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
		h.refuse(w, req, src, http.StatusServiceUnavailable, "unavailable", "",
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
		h.refuseBody(w, req, src, fe)
		return
	}
	err := h.reporter.ReportReply(req.Context(), bot.ReplyReport{
		Source: SourceName(src.Name), Reply: r.ReplyID, Status: r.Status, Reason: r.Reason, URL: r.URL, EventID: r.ID,
	})
	h.recorded(w, req, src, err, "reply_id", "report", "caredesk could not record the report just now; send it again in a few seconds.", "reply_id", r.ReplyID)
}

// recorded answers a bridge with what the core made of its report or
// rating: 200 when recorded; the core's refusal as a 404 naming field (the
// thing it names is not there) or a 422; and, when it could not be
// stored, a 503 with Retry-After and the sentence again, so the bridge
// sends it once more. what names the request in the log, with logArgs.
func (h *handler) recorded(w http.ResponseWriter, req *http.Request, src Source, err error, field, what, again string, logArgs ...any) {
	switch code := bot.ErrorCode(err); {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]string{"status": "recorded"})
	case code == bot.ENOTFOUND:
		h.refuse(w, req, src, http.StatusNotFound, "refused", field, bot.ErrorMessage(err))
	case code != "":
		h.refuse(w, req, src, http.StatusUnprocessableEntity, "refused", "", bot.ErrorMessage(err))
	default:
		args := append([]any{"source", SourceName(src.Name)}, logArgs...)
		h.quiet.Log(slog.LevelError, what+" failed "+src.Name, "could not record a "+what+"; the bridge is told to send it again", append(args, "err", err)...)
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
		h.refuse(w, req, src, http.StatusServiceUnavailable, "unavailable", "", again)
	}
}

// nowhere answers paths under /hooks/ that are no endpoint.
func (h *handler) nowhere(w http.ResponseWriter, req *http.Request) {
	h.refuse(w, req, Source{}, http.StatusNotFound, "unknown_source", "",
		fmt.Sprintf("There is nothing at %s: complaints go to POST /hooks/NAME, reports on replies to POST /hooks/NAME/status, ratings to POST /hooks/NAME/rating.", clip(req.URL.Path, 100)))
}

// accept runs the checks every request passes before its body is parsed.
// When ok is false it has answered.
func (h *handler) accept(w http.ResponseWriter, req *http.Request) (src Source, body []byte, ok bool) {
	name := req.PathValue("name")
	src, known := h.sources[name]
	if !known {
		h.refuse(w, req, Source{}, http.StatusNotFound, "unknown_source", "",
			fmt.Sprintf("No webhook source is named %q: NAME in /hooks/NAME must be the name of a source under sources.webhook in caredesk's configuration.", clip(name, 100)))
		return Source{}, nil, false
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, req, src, http.StatusMethodNotAllowed, "method", "", fmt.Sprintf("Use POST, not %s.", clip(req.Method, 20)))
		return Source{}, nil, false
	}
	tooLarge := fmt.Sprintf("The body is larger than %d bytes.", MaxBodySize)
	if req.ContentLength > MaxBodySize {
		h.refuse(w, req, src, http.StatusRequestEntityTooLarge, "too_large", "", tooLarge)
		return Source{}, nil, false
	}
	// The headers first: a request that cannot be signed right is turned
	// away before its body takes any memory.
	if err := CheckHeaders(req.Header, h.now()); err != nil {
		h.refuseSignature(w, req, src, err)
		return Source{}, nil, false
	}
	body, err := h.bodies.Read(w, req, MaxBodySize)
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, bodybudget.ErrBusy):
		bodybudget.RetryLater(w)
		h.quiet.Log(slog.LevelWarn, "busy", "refused webhook requests unread: the budget for request bodies is used up", "source", SourceName(src.Name), "remote", bodybudget.RemoteHost(req))
		h.refuse(w, req, src, http.StatusServiceUnavailable, "busy", "", sentence(err.Error()))
		return Source{}, nil, false
	case errors.As(err, &maxErr):
		h.refuse(w, req, src, http.StatusRequestEntityTooLarge, "too_large", "", tooLarge)
		return Source{}, nil, false
	case err != nil:
		h.refuse(w, req, src, http.StatusBadRequest, "malformed", "", "The body could not be read to its end.")
		return Source{}, nil, false
	}
	if err := Verify(src.Secret, req.Header, body, h.now()); err != nil {
		h.refuseSignature(w, req, src, err)
		return Source{}, nil, false
	}
	return src, body, true
}

// refuseSignature answers a request whose signature Verify or
// CheckHeaders did not accept.
func (h *handler) refuseSignature(w http.ResponseWriter, req *http.Request, src Source, err error) {
	reason := "signature"
	if errors.Is(err, ErrStale) {
		reason = "stale"
	}
	h.refuse(w, req, src, http.StatusUnauthorized, reason, headerAt(err), sentence(err.Error()))
}

// refuseBody answers a body ParseComplaint, ParseReport or ParseRating
// found wrong.
func (h *handler) refuseBody(w http.ResponseWriter, req *http.Request, src Source, fe *FieldError) {
	if fe.Malformed {
		h.refuse(w, req, src, http.StatusBadRequest, "malformed", fe.Field, fe.Message)
		return
	}
	h.refuse(w, req, src, http.StatusUnprocessableEntity, "invalid", fe.Field, fe.Message)
}

// refuse answers a request turned away, counts it and logs it. Anyone on
// the internet can send these, so the log has one line per sender, kind
// and minute, with a count: a warning for a forgery, which an operator
// should hear of, and a debug line for the rest, since the bridge's
// builder reads the answer, not caredesk's log. Whatever is left of the
// body is not read: the connection is closed after the answer.
func (h *handler) refuse(w http.ResponseWriter, req *http.Request, src Source, status int, reason, field, message string) {
	source := ""
	if src.Name != "" {
		source = SourceName(src.Name)
	}
	if h.counter != nil {
		h.counter.Rejected(source, reason)
	}
	level, msg := slog.LevelDebug, "webhook request turned away"
	if status == http.StatusUnauthorized {
		level, msg = slog.LevelWarn, "refused a webhook request its source did not sign"
	}
	host := bodybudget.RemoteHost(req)
	h.quiet.Log(level, reason+" from "+host, msg, "source", source, "remote", host, "status", status, "reason", reason, "field", field, "error", message)
	bodybudget.Close(w)
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
