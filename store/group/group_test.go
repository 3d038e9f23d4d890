package group_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	"caredesk/bot"
	"caredesk/store/group"
)

// recorder is a commit that runs each fn with no transaction and
// remembers the size of each group.
type recorder struct {
	mu     sync.Mutex
	groups []int
	fail   error // the commit fails with this, when set
}

func (r *recorder) commit(_ context.Context, updates []*group.Update) []group.Outcome {
	out := make([]group.Outcome, len(updates))
	for i, u := range updates {
		out[i] = group.Call(u, nil)
	}
	r.mu.Lock()
	r.groups = append(r.groups, len(updates))
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		group.Fail(out, fail)
	}
	return out
}

func TestDo(t *testing.T) {
	refused := errors.New("refused")
	lost := errors.New("disk full")
	tests := []struct {
		name       string
		fn         func(bot.Tx) error
		commitFail error
		wantErr    error
		wantPanic  bool
		wantExit   bool
	}{
		{"stored", func(bot.Tx) error { return nil }, nil, nil, false, false},
		{"fn refuses", func(bot.Tx) error { return refused }, nil, refused, false, false},
		{"the commit fails", func(bot.Tx) error { return nil }, lost, lost, false, false},
		{"fn's own error wins over the commit's", func(bot.Tx) error { return refused }, lost, refused, false, false},
		{"fn panics", func(bot.Tx) error { panic("boom") }, nil, nil, true, false},
		{"fn calls Goexit", func(bot.Tx) error { runtime.Goexit(); return nil }, nil, nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{fail: tt.commitFail}
			w := group.Start(r.commit)
			defer w.Close()
			var err error
			var panicked any
			returned := false
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer func() { panicked = recover() }()
				err = w.Do(context.Background(), tt.fn)
				returned = true
			}()
			<-done
			if !errors.Is(err, tt.wantErr) || (panicked != nil) != tt.wantPanic || returned == tt.wantExit && !tt.wantPanic {
				t.Errorf("Do: err %v, panic %v, returned %v; want err %v, panic %v, Goexit %v", err, panicked, returned, tt.wantErr, tt.wantPanic, tt.wantExit)
			}
			if err := w.Do(context.Background(), func(bot.Tx) error { return nil }); err != tt.commitFail {
				t.Errorf("the next Do: %v; the writer must go on", err)
			}
		})
	}
}

func TestAfterClose(t *testing.T) {
	w := group.Start((&recorder{}).commit)
	w.Close()
	if err := w.Do(context.Background(), func(bot.Tx) error { return nil }); !errors.Is(err, group.ErrClosed) {
		t.Errorf("Do after Close: %v, want ErrClosed", err)
	}
}

// TestGroupsShareACommit: Updates that wait together go in one group, at
// most Max of them.
func TestGroupsShareACommit(t *testing.T) {
	r := &recorder{}
	block := make(chan struct{})
	w := group.Start(func(ctx context.Context, u []*group.Update) []group.Outcome {
		<-block // the first group holds the writer while the others queue
		return r.commit(ctx, u)
	})
	defer w.Close()
	var wg sync.WaitGroup
	const n = 3 * group.Max
	for range n {
		wg.Go(func() {
			if err := w.Do(context.Background(), func(bot.Tx) error { return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	close(block)
	wg.Wait()
	total := 0
	for _, g := range r.groups {
		if g > group.Max {
			t.Errorf("a group of %d, more than %d", g, group.Max)
		}
		total += g
	}
	if total != n {
		t.Errorf("%d Updates committed, want %d", total, n)
	}
}
