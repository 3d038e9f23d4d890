package change_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"caredesk/sim/change"
)

func TestWaitWakesOnChange(t *testing.T) {
	var s change.Signal
	var n atomic.Int32
	done := make(chan error)
	go func() { done <- s.Wait(context.Background(), func() bool { return n.Load() == 3 }) }()
	for range 3 {
		n.Add(1)
		s.Notify()
	}
	if err := <-done; err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

func TestWaitEndsWithContext(t *testing.T) {
	var s change.Signal
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Wait(ctx, func() bool { return false }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait returned %v, want context.Canceled", err)
	}
}
