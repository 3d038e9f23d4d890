// Package change lets the users of a simulator wait for a condition on its
// state without sleeping: every change wakes every waiter, which checks its
// condition again.
package change

import (
	"context"
	"sync"
)

// Signal announces changes. The zero Signal is ready to use.
type Signal struct {
	mu sync.Mutex
	ch chan struct{} // closed and replaced on every change
}

// Changed returns a channel closed at the next change, for a select that
// waits on other things too. Take it before checking the state it guards.
func (s *Signal) Changed() <-chan struct{} { return s.current() }

func (s *Signal) current() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Notify wakes everyone waiting. It never blocks, and may be called while
// holding the simulator's own lock.
func (s *Signal) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
	}
	s.ch = make(chan struct{})
}

// Wait returns nil once cond is true, checking it at once and after every
// change, or ctx's error if ctx ends first. The channel is taken before cond
// runs, so a change that happens while cond runs is not missed.
func (s *Signal) Wait(ctx context.Context, cond func() bool) error {
	for {
		ch := s.current()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
