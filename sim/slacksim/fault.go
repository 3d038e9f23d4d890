package slacksim

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Fault is how one Web API call fails: an HTTP error status, with
// Retry-After for 429, or Slack's {"ok":false,"error":Error} with 200.
type Fault struct {
	Status     int           // HTTP status; 0 means 200 with Error
	RetryAfter time.Duration // sent as whole seconds with a 429
	Error      string        // Slack's error code, for Status 0
	// Lost makes Slack carry the call out and then drop the connection
	// before answering: the caller cannot know the call succeeded, as
	// when a process dies between Slack's answer and recording it.
	Lost bool
}

// LostAnswer is a call that Slack carries out but whose answer never
// arrives.
func LostAnswer() Fault { return Fault{Lost: true} }

// RateLimited is Slack's 429 with Retry-After: d (rounded up to seconds).
func RateLimited(d time.Duration) Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: d, Error: "ratelimited"}
}

// ServerError is an HTTP 5xx with Slack's HTML body.
func ServerError(status int) Fault { return Fault{Status: status} }

// SlackError is {"ok":false,"error":code}, as Slack answers a call it refuses.
func SlackError(code string) Fault { return Fault{Error: code} }

// FailNext makes the next n calls of method (such as "chat.postMessage")
// fail with f, after the ones already queued.
func (s *Server) FailNext(method string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], f)
	}
}

// SetDown makes every Web API method answer 503, as during an outage,
// until SetDown(false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// takeFaultLocked pops the next fault of method. The caller holds s.mu.
func (s *Server) takeFaultLocked(method string) (Fault, bool) {
	if s.down {
		return ServerError(http.StatusServiceUnavailable), true
	}
	q := s.faults[method]
	if len(q) == 0 {
		return Fault{}, false
	}
	s.faults[method] = q[1:]
	return q[0], true
}

func (f Fault) write(w http.ResponseWriter) {
	if f.Status == 0 || f.Status == http.StatusOK {
		writeJSON(w, http.StatusOK, fail(f.Error))
		return
	}
	if f.Status == http.StatusTooManyRequests {
		secs := int(math.Ceil(f.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeJSON(w, f.Status, fail("ratelimited"))
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte("<html><body>" + http.StatusText(f.Status) + "</body></html>"))
}
