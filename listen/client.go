package listen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of Client.
const (
	// DefaultPerHost is how often a listener asks one host, at most: one
	// request every two seconds, with bursts of 3. Feeds, Mastodon
	// instances and Bluesky's AppView are other people's servers.
	DefaultPerHost = rate.Limit(0.5)
	DefaultBurst   = 3
	// DefaultMaxBody is the most bytes read of one answer: a feed of a
	// few hundred items, or a page of posts, is far less.
	DefaultMaxBody = 4 << 20
)

// Client asks other people's servers politely: every request says it is
// caredesk (User-Agent), each host is asked at most at PerHost, and a
// host that answered 429 or 503 is not asked again before the time it
// named (see retryAfter).
type Client struct {
	HTTP      *http.Client // nil: a client with a 30 s timeout
	UserAgent string       // "caredesk" when empty
	PerHost   rate.Limit   // DefaultPerHost when 0
	Burst     int          // DefaultBurst when 0

	mu         sync.Mutex
	hosts      map[string]*rate.Limiter
	pausedTill map[string]time.Time // host → when it may be asked again
}

// defaultHTTP is the client of a Client without one: one for all, so
// that its connections are kept between polls.
var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// BusyError is a host that asked caredesk to wait (429 or 503) until
// Until.
type BusyError struct {
	Host   string
	Status string
	Until  time.Time
}

// Error says who asked to wait, and until when.
func (e *BusyError) Error() string {
	return fmt.Sprintf("%s answered %s: asking again after %s", e.Host, e.Status, e.Until.UTC().Format(time.RFC3339))
}

// Do sends req once the host may be asked, with caredesk's User-Agent.
// A 429 or a 503 comes back as a *BusyError, its body closed; any other
// answer is the caller's to read and close.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	host := req.URL.Host
	if until, paused := c.paused(host); paused {
		return nil, &BusyError{Host: host, Status: "429 Too Many Requests earlier", Until: until}
	}
	if err := c.limiter(host).Wait(req.Context()); err != nil {
		return nil, err
	}
	ua := c.UserAgent
	if ua == "" {
		ua = "caredesk"
	}
	req.Header.Set("User-Agent", ua)
	client := c.HTTP
	if client == nil {
		client = defaultHTTP
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		until := time.Now().Add(retryAfter(resp.Header, time.Now()))
		c.pause(host, until)
		return nil, &BusyError{Host: host, Status: resp.Status, Until: until}
	}
	return resp, nil
}

// retryAfter reads how long the host asked to wait: Retry-After, in
// seconds or as a date; else the rate-limit reset that Bluesky
// (RateLimit-Reset, Unix seconds) and Mastodon (X-RateLimit-Reset, an ISO
// 8601 time) send instead; else a minute. At most an hour, so that a
// wrong header does not silence a listener for days.
func retryAfter(h http.Header, now time.Time) time.Duration {
	d := time.Minute
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			d = time.Duration(s) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			d = t.Sub(now)
		}
	} else if s, err := strconv.ParseInt(h.Get("RateLimit-Reset"), 10, 64); err == nil && s > 0 {
		d = time.Unix(s, 0).Sub(now)
	} else if t, err := time.Parse(time.RFC3339, h.Get("X-RateLimit-Reset")); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, time.Second), time.Hour)
}

func (c *Client) limiter(host string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hosts == nil {
		c.hosts = map[string]*rate.Limiter{}
	}
	l := c.hosts[host]
	if l == nil {
		per, burst := c.PerHost, c.Burst
		if per == 0 {
			per = DefaultPerHost
		}
		if burst == 0 {
			burst = DefaultBurst
		}
		l = rate.NewLimiter(per, burst)
		c.hosts[host] = l
	}
	return l
}

func (c *Client) paused(host string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.pausedTill[host]
	return until, ok && time.Now().Before(until)
}

func (c *Client) pause(host string, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pausedTill == nil {
		c.pausedTill = map[string]time.Time{}
	}
	c.pausedTill[host] = until
}

// ReadBody reads resp's body, at most max bytes (DefaultMaxBody when 0),
// and closes it. A longer body is a *TooLargeError, not a cut one: half a
// feed or half a JSON page would parse wrong. A body that says its length
// is refused before it is read.
func ReadBody(resp *http.Response, max int64) ([]byte, error) {
	defer resp.Body.Close()
	if max <= 0 {
		max = DefaultMaxBody
	}
	tooLarge := &TooLargeError{Host: resp.Request.URL.Host, Max: max}
	if resp.ContentLength > max {
		return nil, tooLarge
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, tooLarge
	}
	return b, nil
}

// TooLargeError is an answer longer than ReadBody takes.
type TooLargeError struct {
	Host string
	Max  int64 // the bytes ReadBody took at most
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the answer of %s is larger than %d bytes", e.Host, e.Max)
}

// MaxBackoff is the longest wait of a listener after failed polls: a
// source that is down for a day is still asked every half hour.
const MaxBackoff = 30 * time.Minute

// Backoff is how long a listener polling every every waits after
// failures failed polls in a row: every doubled for each, at most
// MaxBackoff, and never less than every.
func Backoff(every time.Duration, failures int) time.Duration {
	d := every
	for range failures {
		if d >= MaxBackoff {
			break
		}
		d *= 2
	}
	return max(min(d, MaxBackoff), every)
}

// Time reads a time as Mastodon and Bluesky write them (RFC 3339); zero
// when s is not one, which a listener takes as "now".
func Time(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Wait sleeps d, or until ctx ends; it reports whether d passed.
func Wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// IsBusy reports whether err is a host asking to wait, and until when.
func IsBusy(err error) (time.Time, bool) {
	var b *BusyError
	if errors.As(err, &b) {
		return b.Until, true
	}
	return time.Time{}, false
}
