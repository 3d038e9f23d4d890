package bot

import (
	"errors"
	"testing"
	"time"
)

// TestRetryWaitStaysWithinMax: CAREDESK_RETRY_MAX is a promise to the
// operator; the spread that keeps deliveries failing together from
// retrying together must not break it.
func TestRetryWaitStaysWithinMax(t *testing.T) {
	tests := []struct {
		name     string
		retry    Retry
		id       int64
		attempts int
		err      error
		want     time.Duration
	}{
		{"first wait, no spread", Retry{Min: time.Second, Max: 5 * time.Minute}, 10, 1, nil, time.Second},
		{"first wait, most spread", Retry{Min: time.Second, Max: 5 * time.Minute}, 4, 1, nil, 1400 * time.Millisecond},
		{"doubled", Retry{Min: time.Second, Max: 5 * time.Minute}, 2, 4, nil, 9600 * time.Millisecond},
		{"spread would pass max", Retry{Min: time.Second, Max: 5 * time.Minute}, 4, 9, nil, 5*time.Minute - 256*time.Second*4/10/2},
		{"at max, no spread", Retry{Min: time.Second, Max: 5 * time.Minute}, 5, 30, nil, 5 * time.Minute},
		{"at max, most spread", Retry{Min: time.Second, Max: 5 * time.Minute}, 4, 30, nil, 4 * time.Minute},
		{"min equals max", Retry{Min: time.Minute, Max: time.Minute}, 3, 1, nil, 51 * time.Second},
		{"the network said when", Retry{Min: time.Second, Max: 5 * time.Minute}, 4, 30, RetryAfter(10*time.Minute, errors.New("429")), 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err
			if err == nil {
				err = errors.New("503")
			}
			if got := tt.retry.wait(Delivery{ID: tt.id}, tt.attempts, err); got != tt.want {
				t.Errorf("wait(id %d, attempt %d) = %v, want %v", tt.id, tt.attempts, got, tt.want)
			}
		})
	}
}

// TestRetryWaitNeverPassesMax tries every spread and attempt.
func TestRetryWaitNeverPassesMax(t *testing.T) {
	for _, r := range []Retry{
		{Min: time.Second, Max: 5 * time.Minute},
		{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond},
		{Min: 3 * time.Second, Max: 10 * time.Second},
		{Min: time.Minute, Max: time.Minute},
	} {
		for id := range int64(5) {
			for attempts := 1; attempts <= 40; attempts++ {
				got := r.wait(Delivery{ID: id}, attempts, errors.New("503"))
				floor := r.backoff(attempts) * 8 / 10
				if got > r.Max || got < floor {
					t.Errorf("%+v: wait(id %d, attempt %d) = %v, want between %v and %v", r, id, attempts, got, floor, r.Max)
				}
			}
		}
	}
}
