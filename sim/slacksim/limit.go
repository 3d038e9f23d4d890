package slacksim

import (
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// limitLocked answers a post to channel over Options.PostRate with
// Slack's 429 and the wait its bucket needs. The caller holds s.mu.
func (s *Server) limitLocked(channel string) (Fault, bool) {
	if s.opts.PostRate <= 0 {
		return Fault{}, false
	}
	if s.limits == nil {
		s.limits = map[string]*rate.Limiter{}
	}
	lim, ok := s.limits[channel]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(s.opts.PostRate), max(s.opts.PostBurst, 1))
		s.limits[channel] = lim
	}
	r := lim.Reserve()
	wait := r.Delay()
	if wait <= 0 {
		return Fault{}, false
	}
	r.Cancel()
	s.limited++
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: max(wait, time.Second)}, true
}

// Limited counts the posts answered 429 because of Options.PostRate.
func (s *Server) Limited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}
