// Package mastodonsim is a local Mastodon instance: it speaks the
// documented REST API (docs.joinmastodon.org) over loopback, with Bearer
// token auth on every call, so that caredesk's Mastodon listener can be
// driven without the internet.
//
// It serves what the listener uses: GET /api/v1/accounts/verify_credentials,
// GET /api/v1/notifications, GET /api/v2/search (type=statuses),
// GET /api/v1/timelines/tag/:hashtag, GET /api/v1/statuses/:id,
// GET /api/v1/statuses/:id/context and POST /api/v1/statuses (with Idempotency-Key kept for an hour, as
// Mastodon does). Tests, end-to-end runs and demos play people on the
// fediverse (Post, Mention, Direct, Delete), watch what the brand posted
// (Replies, Calls) and break the instance on purpose (FailNext,
// RevokeToken). It is ordinary code, not a test helper, so that a demo can
// run it.
//
// Its types mirror Mastodon's documented JSON rather than reuse the
// adapter's, so that a mistake in the adapter's field names shows up in
// tests.
package mastodonsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"caredesk/sim/change"
)

// The routes of the simulator, as Calls and FailNext name them.
const (
	RouteVerify        = "verify_credentials" // GET /api/v1/accounts/verify_credentials
	RouteNotifications = "notifications"      // GET /api/v1/notifications
	RouteSearch        = "search"             // GET /api/v2/search
	RouteTag           = "tag"                // GET /api/v1/timelines/tag/:hashtag
	RouteStatus        = "status"             // GET /api/v1/statuses/:id
	RouteContext       = "context"            // GET /api/v1/statuses/:id/context
	RoutePost          = "post_status"        // POST /api/v1/statuses
)

// RateLimit is how many calls a token may make in a window of
// RateWindow by default, Mastodon's limit for API calls.
const (
	RateLimit  = 300
	RateWindow = 5 * time.Minute
)

// MaxChars is the most characters a status may have, Mastodon's default.
const MaxChars = 500

// Options configure a simulated instance. Token is required.
type Options struct {
	Token     string // the brand's access token, sent as "Authorization: Bearer …"
	BrandAcct string // the brand's username on the instance; "acme" when empty
	// Now is the instance's clock, for created_at, the rate limit's
	// window and the hour an Idempotency-Key is kept; time.Now when nil.
	Now func() time.Time
	// RateLimit is how many calls the token may make in RateWindow before
	// the instance answers 429, as Mastodon does: with X-RateLimit-Reset
	// and no Retry-After. RateLimit (300) when 0; tests that poll every
	// few milliseconds raise it.
	RateLimit int
}

// Server is a running instance. All methods are safe for concurrent use.
type Server struct {
	token, brand string
	now          func() time.Time
	limit        int
	ln           net.Listener
	srv          *http.Server
	done         chan struct{}

	mu            sync.Mutex
	changed       change.Signal
	revoked       bool
	calls         map[string]int
	faults        map[string][]fault
	nextID        int64
	accounts      map[string]*account // by acct
	statuses      []*status           // in order of id
	byID          map[string]*status
	notifications []notification
	replies       []Reply
	keys          map[string]keyed // token + "\x00" + Idempotency-Key → the status it made
	window        time.Time        // when the current rate-limit window started
	used          int              // calls in it
}

// fault is a FailNext or an AnswerNext.
type fault struct {
	status     int
	retryAfter time.Duration
	raw        []byte // AnswerNext's body, sent as it is; nil for FailNext's error
}

// keyed is a status made under an Idempotency-Key, and when.
type keyed struct {
	id string
	at time.Time
}

// firstID is the first id the instance hands out: Mastodon's ids are
// large numbers sent as strings, and a client that parses them as
// float64 or int32 breaks here as it would on a real instance.
const firstID = 113000000000000001

// New starts an instance on a free loopback port.
func New(o Options) (*Server, error) {
	if o.Token == "" {
		return nil, errors.New("mastodonsim: the token is empty")
	}
	if o.BrandAcct == "" {
		o.BrandAcct = "acme"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RateLimit <= 0 {
		o.RateLimit = RateLimit
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mastodonsim: listen on loopback: %w", err)
	}
	s := &Server{
		token: o.Token, brand: o.BrandAcct, now: o.Now, limit: o.RateLimit, ln: ln, done: make(chan struct{}),
		calls: map[string]int{}, faults: map[string][]fault{}, nextID: firstID,
		accounts: map[string]*account{}, byID: map[string]*status{}, keys: map[string]keyed{},
	}
	s.accountLocked(o.BrandAcct) // the brand's account has the first id
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/accounts/verify_credentials", s.route(RouteVerify, s.verifyCredentials))
	mux.HandleFunc("GET /api/v1/notifications", s.route(RouteNotifications, s.listNotifications))
	mux.HandleFunc("GET /api/v2/search", s.route(RouteSearch, s.search))
	mux.HandleFunc("GET /api/v1/timelines/tag/{hashtag}", s.route(RouteTag, s.tagTimeline))
	mux.HandleFunc("GET /api/v1/statuses/{id}", s.route(RouteStatus, s.getStatus))
	mux.HandleFunc("GET /api/v1/statuses/{id}/context", s.route(RouteContext, s.statusContext))
	mux.HandleFunc("POST /api/v1/statuses", s.route(RoutePost, s.postStatus))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found")
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// URL is the instance's address, like https://mastodon.example: the
// listener's Instance.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the instance; requests under way are cut off.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
}

// Wait returns nil as soon as cond is true, re-checking it whenever the
// instance's state changes (a call arrives, a status is posted), or ctx's
// error when ctx ends first. cond must not block; it may call the
// Server's methods. Tests use Wait instead of sleeping.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	if err := s.changed.Wait(ctx, cond); err != nil {
		return fmt.Errorf("mastodonsim: condition not met: %w", err)
	}
	return nil
}

// Calls returns how many times route (RouteNotifications…) was called,
// refused and failed calls included.
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// FailNext makes the next n calls of route answer status with
// {"error": …}, after the failures already queued. A retryAfter above 0
// is sent as Retry-After (whole seconds); a 429 also carries Mastodon's
// X-RateLimit-Remaining: 0 and X-RateLimit-Reset.
func (s *Server) FailNext(route string, n, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[route] = append(s.faults[route], fault{status: status, retryAfter: retryAfter})
	}
}

// AnswerNext makes the next n calls of route answer status with body as
// it is (Content-Type application/json), after the failures already
// queued: for answers no real instance should give, like an HTML error
// page, a status without an id or a body of many megabytes.
func (s *Server) AnswerNext(route string, n, status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[route] = append(s.faults[route], fault{status: status, raw: body})
	}
}

// RevokeToken makes the instance refuse the brand's token, as after the
// application was deleted under Preferences → Development: every call
// answers 401 {"error":"The access token is invalid"} until RestoreToken.
func (s *Server) RevokeToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
	s.changed.Notify()
}

// RestoreToken ends RevokeToken, as if the operator had set a new token.
func (s *Server) RestoreToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = false
	s.changed.Notify()
}

// route wraps a handler with what every call goes through: counting,
// the Bearer token, the rate limit and FailNext.
func (s *Server) route(name string, h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.admit(name, w, r) {
			return
		}
		h(w, r)
		s.mu.Lock()
		s.changed.Notify()
		s.mu.Unlock()
	}
}

// admit counts the call and answers it when it is refused or fails on
// purpose; it reports whether the handler is to run.
func (s *Server) admit(name string, w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changed.Notify()
	s.calls[name]++
	if r.Header.Get("Authorization") != "Bearer "+s.token || s.revoked {
		writeError(w, http.StatusUnauthorized, "The access token is invalid")
		return false
	}
	now := s.now()
	if now.Sub(s.window) >= RateWindow {
		s.window, s.used = now, 0
	}
	s.used++
	reset := s.window.Add(RateWindow).UTC().Format(time.RFC3339Nano)
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(s.limit-s.used, 0)))
	w.Header().Set("X-RateLimit-Reset", reset)
	if s.used > s.limit {
		writeError(w, http.StatusTooManyRequests, "Too many requests")
		return false
	}
	if q := s.faults[name]; len(q) > 0 {
		f := q[0]
		s.faults[name] = q[1:]
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(max(f.retryAfter, time.Second)/time.Second)))
		}
		if f.raw != nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(f.status)
			_, _ = w.Write(f.raw)
			return false
		}
		if f.status == http.StatusTooManyRequests {
			w.Header().Set("X-RateLimit-Remaining", "0")
		}
		writeError(w, f.status, fmt.Sprintf("simulated failure (%d)", f.status))
		return false
	}
	return true
}

// writeError answers status with Mastodon's error entity.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
