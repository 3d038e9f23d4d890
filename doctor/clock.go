package doctor

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// MaxSkew is how far this machine's clock may be from the networks'
// before doctor fails it: well inside the five minutes signed requests
// (Slack's, the webhook bridges') are accepted in, and far outside the
// second the Date header is written to.
const MaxSkew = time.Minute

// Clock learns the time from the networks' answers: it is an
// http.RoundTripper that notes the Date header of the first answer, with
// this machine's time when it came.
type Clock struct {
	// Next makes the requests; nil is http.DefaultTransport.
	Next http.RoundTripper
	// Now is this machine's clock; nil is time.Now.
	Now func() time.Time

	mu    sync.Mutex
	host  string    // who answered
	said  time.Time // its Date
	local time.Time // this machine's time then
}

// RoundTrip makes req and notes the answer's Date.
func (c *Clock) RoundTrip(req *http.Request) (*http.Response, error) {
	next := c.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if date, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
		c.mu.Lock()
		if c.host == "" {
			c.host, c.said, c.local = req.URL.Host, date, c.now()
		}
		c.mu.Unlock()
	}
	return resp, nil
}

func (c *Clock) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Client is an http.Client through c, with a timeout.
func (c *Clock) Client(timeout time.Duration) *http.Client {
	return &http.Client{Transport: c, Timeout: timeout}
}

// Check compares this machine's clock with the first network's Date. Run
// it after the checks that call the networks.
func (c *Clock) Check() Check {
	return Check{Name: "the clock agrees with the networks' (within a minute)", Run: func(context.Context) error {
		c.mu.Lock()
		host, said, local := c.host, c.said, c.local
		c.mu.Unlock()
		if host == "" {
			return Skip("no network answered with its time")
		}
		// Date has whole seconds: a second of difference is rounding.
		skew := local.Truncate(time.Second).Sub(said)
		if skew.Abs() <= MaxSkew {
			return nil
		}
		way := "ahead of"
		if skew < 0 {
			way = "behind"
		}
		return fmt.Errorf("this machine's clock is %s %s %s's (%s there, %s here), and signed requests from Slack and the webhook bridges are refused when their time is 5 minutes off: "+
			"turn on time synchronisation (NTP, e.g. timedatectl set-ntp true) on this machine",
			skew.Abs().Round(time.Second), way, host, said.UTC().Format(time.RFC3339), local.UTC().Format(time.RFC3339))
	}}
}
