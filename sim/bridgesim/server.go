// Package bridgesim is a local webhook bridge, the kind a team builds with
// n8n, Zapier or a script between caredesk and a network caredesk has no
// adapter for. It speaks caredesk's webhook protocol (docs/webhooks.md) in
// both directions over loopback: it POSTs signed complaints, status
// reports and customers' ratings to caredesk (SendComplaint, ReportStatus,
// SendRating, SendRaw for forgeries), and takes caredesk's signed replies
// and satisfaction questions at ReplyURL, checking their signature as a
// bridge should, with their files as links to caredesk (Download), and
// the edits and deletes of replies it took.
//
// Tests, end-to-end runs of the binary and `caredesk demo` use it to play
// the network's customers, to watch what caredesk sent (Replies, Edits,
// Deletes, Attempts) and to make the bridge fail on purpose (FailNext,
// Throttle, Reject, RefuseCorrections). It
// is ordinary code, not a test helper, because the shipped demo runs it.
//
// Its types mirror the documented JSON rather than reuse the adapter's, so
// that a mistake in the adapter's field names shows up in tests; only the
// signature code is shared (webhook.Sign and webhook.Verify), and the
// adapter's tests check that against a known answer.
package bridgesim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"caredesk/sim/change"
)

// Options configure a simulated bridge. Secret is required.
type Options struct {
	// Secret is shared with caredesk's webhook source (its secret_env): it
	// signs what the bridge sends and checks what it receives.
	Secret string
	// Now is the bridge's clock, for signing and for checking signatures'
	// timestamps; time.Now when nil.
	Now func() time.Time
	// Download makes the bridge download every attachment of a reply
	// before it answers, as one that uploads files to its network must;
	// Reply.Attachments[i].Data then holds the bytes. A link caredesk
	// refuses makes it refuse the reply (422).
	Download bool
}

// Server is a running bridge. All methods are safe for concurrent use.
type Server struct {
	secret    string
	now       func() time.Time
	downloads bool
	ln        net.Listener
	srv       *http.Server
	client    *http.Client
	done      chan struct{} // closed when Serve returned

	mu       sync.Mutex
	changed  change.Signal // see Wait
	replies  []Reply
	attempts []Attempt
	faults   []fault
	reject   *fault
	ids      map[string]string // idempotency key → the id answered

	edits, deletes    []Reply
	refuseCorrections *fault          // see RefuseCorrections
	corrected         map[string]bool // idempotency keys of edits and deletes taken
	deleted           map[string]bool // ids of messages deleted
}

// fault is how the bridge answers a reply instead of taking it.
type fault struct {
	status     int
	message    string
	retryAfter time.Duration
}

// New starts a bridge on a free loopback port.
func New(o Options) (*Server, error) {
	if o.Secret == "" {
		return nil, errors.New("bridgesim: the secret is empty")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bridgesim: listen on loopback: %w", err)
	}
	s := &Server{
		secret: o.Secret, now: o.Now, downloads: o.Download, ln: ln, done: make(chan struct{}),
		client: &http.Client{Timeout: 30 * time.Second},
		ids:    map[string]string{}, corrected: map[string]bool{}, deleted: map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/replies", s.takeReply)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// URL is the bridge's base address.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// ReplyURL is where the bridge takes replies: the reply_url of caredesk's
// webhook source.
func (s *Server) ReplyURL() string { return s.URL() + "/replies" }

// Close stops the bridge; requests under way are cut off.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
	s.client.CloseIdleConnections()
}

// Wait returns nil as soon as cond is true, re-checking it whenever the
// bridge's state changes (a reply arrives or is turned away), or ctx's
// error when ctx ends first. cond must not block; it may call the Server's
// methods. Tests use Wait instead of sleeping.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	if err := s.changed.Wait(ctx, cond); err != nil {
		return fmt.Errorf("bridgesim: condition not met: %w", err)
	}
	return nil
}

// FailNext makes the bridge answer the next n replies with status (500, a
// 502 of a proxy…) and {"error": "simulated failure"}, after the failures
// already queued. Replies with a wrong signature do not use them up.
func (s *Server) FailNext(n, status int) {
	s.queue(n, fault{status: status, message: fmt.Sprintf("simulated failure (%d)", status)})
}

// Throttle makes the bridge answer the next n replies with 429 and
// Retry-After: wait (in whole seconds, at least 1).
func (s *Server) Throttle(n int, wait time.Duration) {
	s.queue(n, fault{status: http.StatusTooManyRequests, message: "slow down", retryAfter: max(wait, time.Second)})
}

func (s *Server) queue(n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// Reject makes the bridge refuse every reply, edit and delete from now on
// with status and {"error": message}, as a bridge whose network will not take it does
// (422 "the tweet was deleted"), until Accept.
func (s *Server) Reject(status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = &fault{status: status, message: message}
}

// Accept ends Reject: replies are taken again.
func (s *Server) Accept() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = nil
}

// RefuseCorrections makes the bridge refuse every edit and delete from
// now on with status and {"error": message}, as a bridge whose network
// cannot change or take back a post does (422 "X does not let a post be
// edited"), until AcceptCorrections. Replies are still taken.
func (s *Server) RefuseCorrections(status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseCorrections = &fault{status: status, message: message}
}

// AcceptCorrections ends RefuseCorrections.
func (s *Server) AcceptCorrections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseCorrections = nil
}

// Edits returns the edits the bridge took, in order: Kind "edit", the
// new Text, and the MessageID (and ID) of the reply changed.
func (s *Server) Edits() []Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reply(nil), s.edits...)
}

// Deletes returns the deletes the bridge took, in order: Kind "delete"
// and the MessageID (and ID) of the reply taken back.
func (s *Server) Deletes() []Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reply(nil), s.deletes...)
}

// Replies returns the replies the bridge took (answered 2xx), in order;
// edits and deletes are not among them (Edits, Deletes). A reply sent
// again with the same idempotency key after it was taken is listed again
// with Repeat set, so that a test can see it came twice.
func (s *Server) Replies() []Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reply(nil), s.replies...)
}

// Attempts returns every request to ReplyURL, in order, with the bridge's
// answer: taken, failed on purpose, rejected, or turned away for a wrong
// signature or shape.
func (s *Server) Attempts() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Attempt(nil), s.attempts...)
}
