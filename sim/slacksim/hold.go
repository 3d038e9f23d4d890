package slacksim

import (
	"net/http"
	"sync"
)

// hold is one call frozen between its effect and its answer, see HoldNext.
type hold struct {
	held     chan struct{} // closed once the call has been carried out
	released chan struct{} // closed by release
	once     sync.Once
}

func (h *hold) release() { h.once.Do(func() { close(h.released) }) }

// HoldNext freezes the next call of method between its effect and its
// answer, for tests of a bot killed at that moment: the call is carried
// out in full and recorded, then held is closed, and the HTTP answer waits
// until release is called, the caller goes away, or the simulator closes.
// method is a Web API method (apps.connections.open aside) such as
// "files.completeUploadExternal", or UploadURLMethod, or DownloadMethod. A
// call refused for its token or scope, or failed by FailNext, is answered
// at once and does not take the hold; a LostAnswer fault still loses the
// answer once released. Holds on one method are taken in the order they
// were asked for; release may be called more than once, and before the
// call arrives.
func (s *Server) HoldNext(method string) (held <-chan struct{}, release func()) {
	h := &hold{held: make(chan struct{}), released: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds[method] = append(s.holds[method], h)
	return h.held, h.release
}

// takeHoldLocked pops the next hold of method, or nil. The caller holds
// s.mu.
func (s *Server) takeHoldLocked(method string) *hold {
	q := s.holds[method]
	if len(q) == 0 {
		return nil
	}
	s.holds[method] = q[1:]
	return q[0]
}

// await announces that the call r holds h for was carried out, and
// returns true when h is released, false when the caller went away or the
// simulator closed first: then there is no one to answer. A nil h is
// released already.
func (s *Server) await(h *hold, r *http.Request) bool {
	if h == nil {
		return true
	}
	close(h.held)
	select {
	case <-h.released:
		return true
	case <-r.Context().Done():
	case <-s.stop:
	}
	return false
}
