package slack

import (
	"context"
	"errors"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
	"golang.org/x/time/rate"
)

// pacer paces calls of one method to one channel (chat.postMessage,
// chat.update) once Slack has said caredesk calls it too fast there. Slack allows about one message a second per channel,
// with short bursts; caredesk posts freely until the first 429 of a
// channel, then keeps to that rate there for a while, so that a storm of
// new tickets meets one 429, not one every few posts. Retry-After is still
// what the courier waits, exactly; pacing only spaces the posts after it.
type pacer struct {
	every rate.Limit    // posts a second while paced
	burst int           // posts at once while paced
	hold  time.Duration // how long a channel stays paced after its last 429

	mu    sync.Mutex
	paced map[[2]string]*paced // by method and channel
}

type paced struct {
	lim   *rate.Limiter
	until time.Time
}

// wait blocks until method may be called on channel, when it is paced.
func (p *pacer) wait(ctx context.Context, method, channel string) error {
	key := [2]string{method, channel}
	p.mu.Lock()
	c, ok := p.paced[key]
	if ok && time.Now().After(c.until) {
		delete(p.paced, key)
		ok = false
	}
	p.mu.Unlock()
	if !ok {
		return nil
	}
	return c.lim.Wait(ctx)
}

// limited paces method on channel after Slack refused a call with 429.
func (p *pacer) limited(method, channel string) {
	key := [2]string{method, channel}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paced == nil {
		p.paced = map[[2]string]*paced{}
	}
	c, ok := p.paced[key]
	if !ok {
		// Empty at first: the channel's bucket at Slack is empty too.
		c = &paced{lim: rate.NewLimiter(p.every, p.burst)}
		c.lim.AllowN(time.Now(), p.burst)
		p.paced[key] = c
	}
	c.until = time.Now().Add(p.hold)
}

// post is chat.postMessage, paced.
func (d *Desk) post(ctx context.Context, channel string, opts ...slackapi.MsgOption) (string, string, error) {
	if err := d.pace.wait(ctx, "chat.postMessage", channel); err != nil {
		return "", "", err
	}
	ch, ts, err := d.api.PostMessageContext(ctx, channel, opts...)
	d.paceAfter(err, "chat.postMessage", channel)
	return ch, ts, err
}

// update is chat.update, paced.
func (d *Desk) update(ctx context.Context, channel, ts string, opts ...slackapi.MsgOption) error {
	if err := d.pace.wait(ctx, "chat.update", channel); err != nil {
		return err
	}
	_, _, _, err := d.api.UpdateMessageContext(ctx, channel, ts, opts...)
	d.paceAfter(err, "chat.update", channel)
	return err
}

// paceAfter paces method on channel when err is Slack's 429.
func (d *Desk) paceAfter(err error, method, channel string) {
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		d.pace.limited(method, channel)
	}
}
