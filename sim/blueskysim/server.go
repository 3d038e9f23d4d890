// Package blueskysim is a local Bluesky entryway: a PDS that also answers
// the AppView's app.bsky.* queries, as bsky.social does by proxying them.
// It speaks the documented XRPC endpoints caredesk's Bluesky listener uses
// over loopback — sessions (createSession, refreshSession), notifications,
// searchPosts, getPosts, getProfile, createRecord and getRecord — and the
// chat service's direct messages (chat.bsky.convo.*, forwarded when the
// atproto-proxy header names it), with XRPC's error shape
// {"error": …, "message": …}.
//
// Tests play the network's people through its helpers (Post, Mention,
// Reply, Quote, Delete, DM), watch what the brand posted (BrandPosts) and
// wrote in private (Messages), and make the network misbehave on purpose
// (ExpireSessions, RevokePassword, DenyDMs, FailNext, Throttle). Its types mirror the documented JSON rather than
// reuse the adapter's, so that a mistake in the adapter's field names
// shows up in tests.
package blueskysim

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"caredesk/sim/change"
)

// Options configure a simulated entryway. Handle and AppPassword are the
// brand's account.
type Options struct {
	Handle      string // the brand's handle, like "acme.bsky.social"
	AppPassword string // the app password createSession takes
	// Now is the network's clock (indexedAt, createdAt of helpers' posts,
	// rate limit resets); time.Now when nil.
	Now func() time.Time
}

// Server is a running entryway. All methods are safe for concurrent use.
type Server struct {
	now  func() time.Time
	ln   net.Listener
	srv  *http.Server
	done chan struct{}

	mu       sync.Mutex
	changed  change.Signal
	brand    Account
	password string
	accounts map[string]*Account // by handle and by DID
	access   map[string]bool     // access token → still valid (false: expired)
	refresh  map[string]bool     // refresh token → usable
	posts    []*Post             // in the order they were made
	byURI    map[string]*Post
	notes    []notification
	convos   map[string]*convo  // by the customer's DID and by id
	noDMs    bool               // the app password lacks access to direct messages
	faults   map[string][]fault // NSID → answers to give instead
	calls    map[string]int     // NSID → requests
	seq      int
}

// Account is a person on the simulated network.
type Account struct {
	DID         string
	Handle      string
	DisplayName string
	Followers   int
}

// fault is how the entryway answers a call instead of serving it.
type fault struct {
	status int
	reset  time.Time // for 429: RateLimit-Reset
}

// New starts an entryway on a free loopback port, with the brand's
// account.
func New(o Options) (*Server, error) {
	if o.Handle == "" || o.AppPassword == "" {
		return nil, errors.New("blueskysim: the brand's handle and app password are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("blueskysim: listen on loopback: %w", err)
	}
	s := &Server{
		now: o.Now, ln: ln, done: make(chan struct{}), password: o.AppPassword,
		accounts: map[string]*Account{}, access: map[string]bool{}, refresh: map[string]bool{},
		byURI: map[string]*Post{}, convos: map[string]*convo{}, faults: map[string][]fault{}, calls: map[string]int{},
	}
	s.brand = *s.account(o.Handle)
	s.brand.DisplayName = "Brand"
	mux := http.NewServeMux()
	mux.HandleFunc("/xrpc/{nsid}", s.serve)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // http.ErrServerClosed after Close
	}()
	return s, nil
}

// URL is the entryway's base address, the listener's Service.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the entryway.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
}

// Brand is the brand's account (its DID, for checking authors).
func (s *Server) Brand() Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.brand
}

// Wait returns nil as soon as cond is true, re-checking it whenever the
// network's state changes (a post, a call), or ctx's error when ctx ends
// first. Tests use it instead of sleeping.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	if err := s.changed.Wait(ctx, cond); err != nil {
		return fmt.Errorf("blueskysim: condition not met: %w", err)
	}
	return nil
}

// SetProfile gives handle's account a display name and a number of
// followers, as getProfile then answers.
func (s *Server) SetProfile(handle, displayName string, followers int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(handle)
	a.DisplayName, a.Followers = displayName, followers
}

// ExpireSessions makes every access token issued so far expired: the next
// call with one answers 400 ExpiredToken, as a PDS does after two hours.
// Refresh tokens still work.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.access {
		s.access[tok] = false
	}
}

// RevokePassword revokes the brand's app password, as its owner does under
// Settings → App passwords: its sessions end and createSession refuses it.
func (s *Server) RevokePassword() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.password = ""
	clear(s.access)
	clear(s.refresh)
}

// RestorePassword makes password the brand's app password again, as a new
// one the owner created.
func (s *Server) RestorePassword(password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.password = password
}

// FailNext makes the next n calls of nsid (like
// "app.bsky.notification.listNotifications") answer status with an XRPC
// error, after the failures already queued. A 429 comes with
// RateLimit-Reset a minute ahead.
func (s *Server) FailNext(nsid string, n, status int) {
	s.queue(nsid, n, fault{status: status, reset: s.now().Add(time.Minute)})
}

// Throttle makes the next n calls of nsid answer 429 RateLimitExceeded
// with the RateLimit-* headers of Bluesky's limiter, RateLimit-Reset
// being reset (unix seconds). Bluesky sends no Retry-After.
func (s *Server) Throttle(nsid string, n int, reset time.Time) {
	s.queue(nsid, n, fault{status: http.StatusTooManyRequests, reset: reset})
}

func (s *Server) queue(nsid string, n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[nsid] = append(s.faults[nsid], f)
	}
}

// Calls is how many requests of nsid the entryway was asked, answered or
// not.
func (s *Server) Calls(nsid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[nsid]
}

// serve routes one XRPC call.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	nsid := r.PathValue("nsid")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[nsid]++
	defer s.changed.Notify()
	if f, ok := s.takeFault(nsid); ok {
		if f.status == http.StatusTooManyRequests {
			h := w.Header()
			h.Set("RateLimit-Limit", "3000")
			h.Set("RateLimit-Remaining", "0")
			h.Set("RateLimit-Reset", strconv.FormatInt(f.reset.Unix(), 10))
			h.Set("RateLimit-Policy", "3000;w=300")
			xrpcError(w, f.status, "RateLimitExceeded", "Rate Limit Exceeded")
			return
		}
		xrpcError(w, f.status, "InternalServerError", fmt.Sprintf("simulated failure (%d)", f.status))
		return
	}
	switch nsid {
	case "com.atproto.server.createSession":
		s.createSession(w, r)
		return
	case "com.atproto.server.refreshSession":
		s.refreshSession(w, r)
		return
	}
	if !s.authorized(w, r) || s.serveChat(w, r, nsid) {
		return
	}
	switch nsid {
	case "app.bsky.notification.listNotifications":
		s.listNotifications(w, r)
	case "app.bsky.feed.searchPosts":
		s.searchPosts(w, r)
	case "app.bsky.feed.getPosts":
		s.getPosts(w, r)
	case "app.bsky.actor.getProfile":
		s.getProfile(w, r)
	case "com.atproto.repo.createRecord":
		s.createRecord(w, r)
	case "com.atproto.repo.getRecord":
		s.getRecord(w, r)
	default:
		xrpcError(w, http.StatusNotImplemented, "MethodNotImplemented", "Method Not Implemented")
	}
}

func (s *Server) takeFault(nsid string) (fault, bool) {
	q := s.faults[nsid]
	if len(q) == 0 {
		return fault{}, false
	}
	s.faults[nsid] = q[1:]
	return q[0], true
}

// createSession logs the brand in with its handle (or DID) and app
// password.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		xrpcError(w, http.StatusMethodNotAllowed, "InvalidRequest", "createSession is a procedure: POST it")
		return
	}
	var in struct {
		Identifier string `json:"identifier"`
		Password   string `json:"password"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Identifier == "" || in.Password == "" {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Input must have the properties \"identifier\" and \"password\"")
		return
	}
	id := strings.TrimPrefix(in.Identifier, "@")
	if (id != s.brand.Handle && id != s.brand.DID) || s.password == "" || in.Password != s.password {
		xrpcError(w, http.StatusUnauthorized, "AuthenticationRequired", "Invalid identifier or password")
		return
	}
	s.session(w)
}

// refreshSession trades a refresh token for a new pair; the old refresh
// token is used up, as on a real PDS.
func (s *Server) refreshSession(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ContentLength > 0 {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "A request body was provided when none was expected")
		return
	}
	tok := bearer(r)
	if !s.refresh[tok] {
		xrpcError(w, http.StatusBadRequest, "ExpiredToken", "Token has been revoked")
		return
	}
	delete(s.refresh, tok)
	s.session(w)
}

func (s *Server) session(w http.ResponseWriter) {
	access, refresh := "acc."+randomHex(), "ref."+randomHex()
	s.access[access], s.refresh[refresh] = true, true
	writeJSON(w, map[string]any{
		"accessJwt": access, "refreshJwt": refresh,
		"did": s.brand.DID, "handle": s.brand.Handle, "active": true,
	})
}

// authorized checks the access token of a call, answering as a PDS does
// when it is missing, unknown or expired.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok := bearer(r)
	valid, known := s.access[tok]
	switch {
	case tok == "":
		xrpcError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
	case !known:
		xrpcError(w, http.StatusUnauthorized, "AuthenticationRequired", "Token could not be verified")
	case !valid:
		xrpcError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
	default:
		return true
	}
	return false
}

func bearer(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

// account returns handle's account, making it on first use with a DID
// derived from the handle.
func (s *Server) account(handle string) *Account {
	handle = strings.TrimPrefix(handle, "@")
	if a := s.accounts[handle]; a != nil {
		return a
	}
	sum := sha256.Sum256([]byte(handle))
	did := "did:plc:" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:24]
	a := &Account{DID: did, Handle: handle}
	s.accounts[handle], s.accounts[did] = a, a
	return a
}

func xrpcError(w http.ResponseWriter, status int, name, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": name, "message": message})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
