package bluesky

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"caredesk/listen"
	"caredesk/outside"
)

// session is the brand's login: tokens and who it is.
type session struct {
	access, refresh string
	did, handle     string
}

// xrpcError is an XRPC call's answer that is not a 2xx:
// {"error": Name, "message": Message}.
type xrpcError struct {
	NSID    string
	Status  int
	Name    string
	Message string
}

func (e *xrpcError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Name != "" {
		return fmt.Sprintf("%s answered %d %s: %s", e.NSID, e.Status, e.Name, msg)
	}
	return fmt.Sprintf("%s answered %d: %s", e.NSID, e.Status, msg)
}

// expired says the access (or refresh) token is no good any more: a
// PDS answers 400 ExpiredToken, or 401 for a token it cannot verify.
func (e *xrpcError) expired() bool {
	if e.badScope() {
		return false
	}
	return e.Name == "ExpiredToken" || e.Name == "InvalidToken" || e.Status == http.StatusUnauthorized
}

// badScope says the session may not make the call: an app password
// without access to direct messages calling the chat service.
func (e *xrpcError) badScope() bool {
	return strings.Contains(strings.ToLower(e.Message), "bad token scope")
}

// authError is Bluesky refusing the brand's handle or app password.
type authError struct{ name string }

func (e *authError) Error() string {
	return fmt.Sprintf("Bluesky refused the app password of source %s: create one under Settings → Privacy and security → App passwords", e.name)
}

// call makes one XRPC call as the brand: a query (GET, body nil) or a
// procedure (POST of body as JSON), decoding a 2xx answer into out. An
// expired access token is refreshed, and the call made again, once.
func (l *Listener) call(ctx context.Context, nsid string, query url.Values, body, out any) error {
	return l.callVia(ctx, "", nsid, query, body, out)
}

// callVia is call through the PDS to the service proxy names in an
// atproto-proxy header (the chat service), or to the PDS itself when "".
func (l *Listener) callVia(ctx context.Context, proxy, nsid string, query url.Values, body, out any) error {
	s, err := l.session(ctx)
	if err != nil {
		return err
	}
	err = l.do(ctx, nsid, s.access, proxy, query, body, out)
	var xe *xrpcError
	if !errors.As(err, &xe) || !xe.expired() {
		return err
	}
	if s, err = l.renew(ctx, s); err != nil {
		return err
	}
	return l.do(ctx, nsid, s.access, proxy, query, body, out)
}

// session returns the current session, logging in when there is none.
func (l *Listener) session(ctx context.Context) (session, error) {
	l.mu.Lock()
	s := l.sess
	l.mu.Unlock()
	if s.access != "" {
		return s, nil
	}
	return l.renew(ctx, session{})
}

// renew replaces the session stale (the one whose token was refused): by
// refreshSession when it has a refresh token, by createSession when that
// fails too. A session another goroutine renewed meanwhile is used as it is.
func (l *Listener) renew(ctx context.Context, stale session) (session, error) {
	l.sessMu.Lock()
	defer l.sessMu.Unlock()
	l.mu.Lock()
	current := l.sess
	l.mu.Unlock()
	if current.access != "" && current.access != stale.access {
		return current, nil
	}
	var next session
	err := errors.New("no refresh token")
	if stale.refresh != "" {
		err = l.do(ctx, "com.atproto.server.refreshSession", stale.refresh, "", nil, noInput{}, &next)
		next.did, next.handle = cmp.Or(next.did, stale.did), cmp.Or(next.handle, stale.handle)
	}
	var xe *xrpcError
	if err != nil && (stale.refresh == "" || errors.As(err, &xe) && xe.expired()) {
		next, err = l.login(ctx)
	}
	if err != nil {
		return session{}, err
	}
	if next.access == "" || next.did == "" {
		return session{}, fmt.Errorf("the answer of the Bluesky server to logging in as %s held no session", l.handle)
	}
	l.mu.Lock()
	l.sess = next
	l.mu.Unlock()
	return next, nil
}

// login opens a new session with the app password; Bluesky refusing it
// is an *authError.
func (l *Listener) login(ctx context.Context) (session, error) {
	var s session
	err := l.do(ctx, "com.atproto.server.createSession", "", "", nil, map[string]string{"identifier": l.handle, "password": l.password}, &s)
	var xe *xrpcError
	if errors.As(err, &xe) && (xe.Status == http.StatusUnauthorized || xe.Name == "AuthenticationRequired" || xe.Name == "AccountTakedown") {
		return session{}, &authError{name: l.name}
	}
	return s, err
}

// UnmarshalJSON reads a session as createSession and refreshSession
// answer it.
func (s *session) UnmarshalJSON(b []byte) error {
	var a struct {
		AccessJwt  string `json:"accessJwt"`
		RefreshJwt string `json:"refreshJwt"`
		DID        string `json:"did"`
		Handle     string `json:"handle"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*s = session{access: a.AccessJwt, refresh: a.RefreshJwt, did: a.DID, handle: a.Handle}
	return nil
}

// noInput is the body of a procedure that takes none (refreshSession):
// XRPC servers refuse a body where their lexicon expects none.
type noInput struct{}

// do sends one XRPC request with token as its bearer ("" for none),
// through proxy when not "".
func (l *Listener) do(ctx context.Context, nsid, token, proxy string, query url.Values, body, out any) error {
	u := l.service + "/xrpc/" + nsid
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var req *http.Request
	var err error
	switch body.(type) {
	case nil:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	case noInput:
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	default:
		b, merr := json.Marshal(body)
		if merr != nil {
			return fmt.Errorf("encode %s: %w", nsid, merr)
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", nsid, err)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if proxy != "" {
		req.Header.Set("Atproto-Proxy", proxy)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	answer, err := listen.ReadBody(resp, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", nsid, err)
	}
	if resp.StatusCode/100 != 2 {
		xe := &xrpcError{NSID: nsid, Status: resp.StatusCode}
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		if json.Unmarshal(answer, &e) == nil {
			xe.Name, xe.Message = clip(e.Error, 80), clip(e.Message, 300)
		}
		return xe
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("%s answered what is not its JSON: %w", nsid, err)
	}
	return nil
}

// clip shortens what another server said to at most n bytes, on a rune
// boundary, on one line.
func clip(s string, n int) string {
	s = outside.Line(strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
