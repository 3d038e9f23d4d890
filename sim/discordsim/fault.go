package discordsim

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Fault is how one REST call fails, with Discord's JSON error body.
type Fault struct {
	Status  int    // HTTP status
	Code    int    // Discord's JSON error code, such as 10003 Unknown Channel
	Message string // Discord's message; a default for the status when empty
	// RetryAfter is a 429's wait, sent as retry_after (seconds, with
	// decimals) in the body and in Retry-After and X-RateLimit-Reset-After.
	RetryAfter time.Duration
	Global     bool // a 429 for every route (X-RateLimit-Global)
	// Lost makes Discord carry the call out and then drop the connection
	// before answering: the caller cannot know the call succeeded, as when
	// a process dies between Discord's answer and recording it.
	Lost bool
}

// LostAnswer is a call that Discord carries out but whose answer never
// arrives.
func LostAnswer() Fault { return Fault{Lost: true} }

// standardFault is how Discord usually answers with status.
func standardFault(status int, retryAfter time.Duration) Fault {
	f := Fault{Status: status, RetryAfter: retryAfter}
	switch status {
	case http.StatusBadRequest:
		f.Code, f.Message = 50035, "Invalid Form Body"
	case http.StatusUnauthorized:
		f.Message = "401: Unauthorized"
	case http.StatusForbidden:
		f.Code, f.Message = 50001, "Missing Access"
	case http.StatusNotFound:
		f.Code, f.Message = 10003, "Unknown Channel"
	case http.StatusTooManyRequests:
		f.Message = "You are being rate limited."
	default:
		f.Message = fmt.Sprintf("%d: %s", status, http.StatusText(status))
	}
	return f
}

// FailNext makes the next n calls of route (a Route constant) fail with
// status as Discord answers it: 429 with retryAfter in Retry-After, the
// X-RateLimit-* headers and the JSON body discordgo reads; 404 Unknown
// Channel (10003); 403 Missing Access (50001); 400 Invalid Form Body
// (50035); 5xx with Discord's JSON. They queue after faults already set.
//
// discordgo itself retries a 502 up to Session.MaxRestRetries times, and
// a 429 too unless ShouldRetryOnRateLimit is off; after a 429 it also
// waits out the route's bucket (X-RateLimit-Reset-After) before the next
// call on it. Keep retryAfter short in tests.
func (s *Server) FailNext(route string, n int, status int, retryAfter time.Duration) {
	s.FailWith(route, n, standardFault(status, retryAfter))
}

// FailWith makes the next n calls of route fail with f.
func (s *Server) FailWith(route string, n int, f Fault) {
	if f.Message == "" && !f.Lost {
		std := standardFault(f.Status, f.RetryAfter)
		f.Message = std.Message
		if f.Code == 0 {
			f.Code = std.Code
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[route] = append(s.faults[route], f)
	}
}

// SetDown makes every REST call answer 503 and the gateway refuse new
// connections, as during an outage, until SetDown(false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// takeFaultLocked pops the next fault of route. The caller holds s.mu.
func (s *Server) takeFaultLocked(route string) (Fault, bool) {
	if s.down {
		return standardFault(http.StatusServiceUnavailable, 0), true
	}
	q := s.faults[route]
	if len(q) == 0 {
		return Fault{}, false
	}
	s.faults[route] = q[1:]
	return q[0], true
}

func (f Fault) write(w http.ResponseWriter) {
	if f.Status != http.StatusTooManyRequests {
		writeError(w, f.Status, f.Code, f.Message)
		return
	}
	secs := f.RetryAfter.Seconds()
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
	h.Set("X-RateLimit-Limit", "5")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(time.Now().Add(f.RetryAfter).UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
	h.Set("X-RateLimit-Bucket", "discordsim-bucket")
	scope := "user"
	if f.Global {
		h.Set("X-RateLimit-Global", "true")
		scope = "global"
	}
	h.Set("X-RateLimit-Scope", scope)
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"message": f.Message, "retry_after": math.Round(secs*1000) / 1000, "global": f.Global,
	})
}
