package listen

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"seconds", http.Header{"Retry-After": {"30"}}, 30 * time.Second},
		{"a date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second},
		{"Bluesky's reset", http.Header{"Ratelimit-Reset": {"1796540520"}}, time.Unix(1796540520, 0).Sub(now)},
		{"Mastodon's reset", http.Header{"X-Ratelimit-Reset": {now.Add(4 * time.Minute).Format(time.RFC3339)}}, 4 * time.Minute},
		{"nothing said", http.Header{}, time.Minute},
		{"a day", http.Header{"Retry-After": {"86400"}}, time.Hour},
		{"in the past", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, time.Second},
		{"nonsense", http.Header{"Retry-After": {"soon"}}, time.Minute},
	} {
		if got := retryAfter(tc.header, now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		every    time.Duration
		failures int
		want     time.Duration
	}{
		{5 * time.Minute, 0, 5 * time.Minute},
		{5 * time.Minute, 1, 10 * time.Minute},
		{5 * time.Minute, 2, 20 * time.Minute},
		{5 * time.Minute, 3, 30 * time.Minute},
		{time.Minute, 1000, 30 * time.Minute},
		{3 * time.Hour, 25, 3 * time.Hour}, // never sooner than a working poll, and no overflow
	} {
		if got := Backoff(tc.every, tc.failures); got != tc.want {
			t.Errorf("Backoff(%v, %d) = %v, want %v", tc.every, tc.failures, got, tc.want)
		}
	}
}
