package slack

import (
	"context"
	"errors"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
	"golang.org/x/time/rate"
)

// pacer paces chat.postMessage per channel once Slack has said it posts
// too fast there. Slack allows about one message a second per channel,
// with short bursts; caredesk posts freely until the first 429 of a
// channel, then keeps to that rate there for a while, so that a storm of
// new tickets meets one 429, not one every few posts. Retry-After is still
// what the courier waits, exactly; pacing only spaces the posts after it.
type pacer struct {
	every rate.Limit    // posts a second while paced
	burst int           // posts at once while paced
	hold  time.Duration // how long a channel stays paced after its last 429

	mu    sync.Mutex
	paced map[string]*paced // by channel
}

type paced struct {
	lim   *rate.Limiter
	until time.Time
}

// wait blocks until channel may be posted to, when it is paced.
func (p *pacer) wait(ctx context.Context, channel string) error {
	p.mu.Lock()
	c, ok := p.paced[channel]
	if ok && time.Now().After(c.until) {
		delete(p.paced, channel)
		ok = false
	}
	p.mu.Unlock()
	if !ok {
		return nil
	}
	return c.lim.Wait(ctx)
}

// limited paces channel after Slack refused a post there with 429.
func (p *pacer) limited(channel string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paced == nil {
		p.paced = map[string]*paced{}
	}
	c, ok := p.paced[channel]
	if !ok {
		// Empty at first: the channel's bucket at Slack is empty too.
		c = &paced{lim: rate.NewLimiter(p.every, p.burst)}
		c.lim.AllowN(time.Now(), p.burst)
		p.paced[channel] = c
	}
	c.until = time.Now().Add(p.hold)
}

// post is chat.postMessage, paced.
func (d *Desk) post(ctx context.Context, channel string, opts ...slackapi.MsgOption) (string, string, error) {
	if err := d.pace.wait(ctx, channel); err != nil {
		return "", "", err
	}
	ch, ts, err := d.api.PostMessageContext(ctx, channel, opts...)
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		d.pace.limited(channel)
	}
	return ch, ts, err
}
