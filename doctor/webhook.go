package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"caredesk/adapters/webhook"
)

// Bridge is a webhook source whose bridge takes replies.
type Bridge struct {
	Name     string // the source's name in the file
	Secret   string
	ReplyURL string // "" when the source takes no replies
	// HTTP makes the call; nil is a client with a 30 s timeout.
	HTTP *http.Client
	// Now signs the ping; nil is time.Now.
	Now func() time.Time
}

// KindPing is the kind of the body Ping sends.
const KindPing = "ping"

// Ping is the body POSTed to a bridge's reply_url to learn that it
// answers: signed like a reply, with nothing to post. It has every field
// docs/webhook-reply.schema.json requires, empty, so that a bridge that
// validates bodies against the schema takes it.
type Ping struct {
	Kind      string `json:"kind"`   // "ping"
	Source    string `json:"source"` // the source's name
	Ticket    int64  `json:"ticket"`
	ReplyID   int64  `json:"reply_id"`
	InReplyTo struct {
		MessageID      string `json:"message_id"`
		ConversationID string `json:"conversation_id"`
	} `json:"in_reply_to"`
	Text  string `json:"text"`
	Agent struct {
		Name string `json:"name"`
	} `json:"agent"`
	IdempotencyKey string `json:"idempotency_key"`
}

// NewPing is the ping for source name at now.
func NewPing(name string, now time.Time) Ping {
	return Ping{Kind: KindPing, Source: name, IdempotencyKey: fmt.Sprintf("caredesk-ping-%d", now.UnixNano())}
}

// BridgeCheck POSTs a signed ping to b's reply_url and passes when the
// bridge answers 2xx.
func BridgeCheck(b Bridge) Check {
	return Check{Name: fmt.Sprintf("webhook source %q: its reply_url answers a signed ping", b.Name), Run: func(ctx context.Context) error {
		if b.ReplyURL == "" {
			return Skip("it has no reply_url, so caredesk sends it nothing")
		}
		where := redact(b.ReplyURL)
		now := time.Now
		if b.Now != nil {
			now = b.Now
		}
		body, _ := json.Marshal(NewPing(b.Name, now()))
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.ReplyURL, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("the reply_url %s is not an address caredesk can POST to: fix it in the file named by CAREDESK_CONFIG", where)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "caredesk-webhook/1")
		webhook.SetSignature(req.Header, b.Secret, now(), body)
		client := b.HTTP
		if client == nil {
			client = &http.Client{Timeout: 30 * time.Second}
		}
		resp, err := client.Do(req)
		if err != nil {
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err // the URL, which may hold a key, is said redacted
			}
			return fmt.Errorf("no answer from %s (%v): start the %s bridge, or fix reply_url in the file named by CAREDESK_CONFIG", where, err, b.Name)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s answered %s to a ping: the bridge must answer kind \"ping\" with any 2xx (docs/webhooks.md, \"Is the bridge there?\"), and its replies would fail the same way", where, resp.Status)
		}
		return nil
	}}
}

// redact is raw without its query and user, which may hold keys.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an address that does not parse)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
