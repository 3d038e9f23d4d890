package slacksim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// event is one Events API event: its id and its event_callback body, the
// same bytes on every delivery.
type event struct {
	id   string
	body []byte
}

// newEventLocked wraps inner in an event_callback, as Slack sends it, and
// keeps it for Redeliver. The caller holds s.mu.
func (s *Server) newEventLocked(inner any) event {
	id := s.idLocked("Ev")
	body, _ := json.Marshal(map[string]any{
		"token": s.opts.VerificationToken, "team_id": s.opts.TeamID, "api_app_id": s.opts.AppID,
		"event": inner, "type": "event_callback", "event_id": id, "event_time": time.Now().Unix(),
		"event_context": "4-sim-" + id, "is_ext_shared_channel": false,
		"authorizations": []map[string]any{{
			"enterprise_id": nil, "team_id": s.opts.TeamID, "user_id": s.opts.BotUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
	})
	s.events[id] = body
	return event{id: id, body: body}
}

// messageEventLocked is the message event of m: a file_share when it
// shares files. The caller holds s.mu.
func (s *Server) messageEventLocked(m Message) event {
	inner := s.messageObjectLocked(m)
	inner["channel"], inner["event_ts"], inner["channel_type"] = m.Channel, m.TS, channelType(m.Channel)
	if len(m.Files) > 0 {
		// Slack leaves team out of file_share events.
		inner["subtype"] = "file_share"
	} else {
		inner["team"] = s.opts.TeamID
	}
	return s.newEventLocked(inner)
}

// messageChangedLocked is the message_changed event of m's latest edit,
// made at m.EditedTS; previous is m before it, as messageObjectLocked
// showed it. The caller holds s.mu.
func (s *Server) messageChangedLocked(m Message, previous map[string]any) event {
	return s.newEventLocked(map[string]any{
		"type": "message", "subtype": "message_changed", "hidden": true, "channel": m.Channel,
		"ts": m.EditedTS, "event_ts": m.EditedTS, "channel_type": channelType(m.Channel),
		"message": s.messageObjectLocked(m), "previous_message": previous,
	})
}

// channelType is the channel_type of message events in channel: "im" for
// a direct conversation, "channel" for the rest, which are public.
func channelType(channel string) string {
	if strings.HasPrefix(channel, "D") {
		return "im"
	}
	return "channel"
}

// deliverEvent hands ev to the bot as Slack does: once, then up to three
// retries while the bot answers non-2xx, is late, or does not ack.
func (s *Server) deliverEvent(ev event) error {
	var last Delivery
	for attempt := 0; attempt <= maxRetries; attempt++ {
		if s.ctx.Err() != nil {
			return errors.New("slacksim: closed")
		}
		if attempt > 0 && attempt <= len(s.opts.RetryDelays) {
			t := time.NewTimer(s.opts.RetryDelays[attempt-1])
			select {
			case <-t.C:
			case <-s.stop:
				t.Stop()
				return errors.New("slacksim: closed")
			}
		}
		last = s.pushEvent(ev, attempt, last.Reason)
		s.recordDelivery(last)
		if last.Acked {
			return nil
		}
		if last.Reason == "no_bot" {
			return errors.New("slacksim: no bot to deliver to: call SetRequestURL or connect through Socket Mode")
		}
	}
	return fmt.Errorf("slacksim: the bot did not acknowledge event %s in %d deliveries (last: %s, HTTP %d)",
		ev.id, maxRetries+1, last.Reason, last.Status)
}

// Redeliver sends event eventID once more as Slack's retry number
// retryNum for an http_timeout, whatever happened to it before, and
// returns the bot's HTTP status (200 for a Socket Mode ack, 0 for none).
func (s *Server) Redeliver(eventID string, retryNum int) (status int, err error) {
	s.mu.Lock()
	body, ok := s.events[eventID]
	s.mu.Unlock()
	if !ok {
		return 0, fmt.Errorf("slacksim: no event %s", eventID)
	}
	d := s.pushEvent(event{id: eventID, body: body}, retryNum, "http_timeout")
	s.recordDelivery(d)
	if d.Mode == "socket" && d.Acked {
		return http.StatusOK, nil
	}
	if d.Status == 0 {
		return 0, fmt.Errorf("slacksim: redelivery of %s: %s", eventID, d.Reason)
	}
	return d.Status, nil
}

// pushEvent makes one delivery of ev. reason is why the previous one
// failed, sent with retries.
func (s *Server) pushEvent(ev event, attempt int, reason string) Delivery {
	d := Delivery{Kind: "event", EventID: ev.id, Attempt: attempt}
	if target := s.requestTarget(); target != "" {
		d.Mode = "http"
		h := http.Header{}
		if attempt > 0 {
			h.Set("X-Slack-Retry-Num", strconv.Itoa(attempt))
			h.Set("X-Slack-Retry-Reason", reason)
		}
		status, _, _, why, err := s.post(target, ev.body, "application/json", h, time.Now(), true)
		d.Status, d.Reason = status, why
		d.Acked = err == nil && status/100 == 2
		return d
	}
	s.mu.Lock()
	connected := len(s.socket.conns) > 0
	s.mu.Unlock()
	if !connected {
		d.Reason = "no_bot"
		return d
	}
	d.Mode = "socket"
	if _, err := s.sendEnvelope("events_api", ev.body, false, attempt, reason); err != nil {
		d.Reason = "timeout"
		return d
	}
	d.Acked = true
	return d
}

func (s *Server) requestTarget() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requestURL
}

// post sends body to the bot's request URL, signed for time at unless
// signed is false, and returns its answer. reason says, in Slack's words,
// why the delivery failed: http_error, http_timeout, connection_failed.
func (s *Server) post(target string, body []byte, contentType string, h http.Header, at time.Time, signed bool) (status int, ctype string, resp []byte, reason string, err error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, "unknown_error", err
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	if signed {
		req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(at.Unix(), 10))
		req.Header.Set("X-Slack-Signature", s.Sign(at, string(body)))
	}
	res, err := s.client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, "", nil, "http_timeout", err
		}
		return 0, "", nil, "connection_failed", err
	}
	defer res.Body.Close()
	resp, err = io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return res.StatusCode, "", nil, "http_timeout", err
	}
	if res.StatusCode/100 != 2 {
		reason = "http_error"
	}
	return res.StatusCode, res.Header.Get("Content-Type"), resp, reason, nil
}

// Sign returns the X-Slack-Signature Slack sends with body at time at:
// "v0=" and the hex HMAC-SHA256, keyed with the signing secret, of
// "v0:<unix seconds>:<body>".
func (s *Server) Sign(at time.Time, body string) string {
	mac := hmac.New(sha256.New, []byte(s.opts.SigningSecret))
	fmt.Fprintf(mac, "v0:%d:%s", at.Unix(), body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Forge sends body to the bot's request URL the way an impostor would:
// with signature (none when "") and timestamp at (none when zero), and
// returns the bot's HTTP status. A body starting with "{" goes as JSON,
// anything else as a form.
func (s *Server) Forge(body, signature string, at time.Time) (status int, err error) {
	target := s.requestTarget()
	if target == "" {
		return 0, errors.New("slacksim: no request URL; call SetRequestURL")
	}
	ctype := "application/x-www-form-urlencoded"
	if strings.HasPrefix(strings.TrimSpace(body), "{") {
		ctype = "application/json"
	}
	h := http.Header{}
	if signature != "" {
		h.Set("X-Slack-Signature", signature)
	}
	if !at.IsZero() {
		h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(at.Unix(), 10))
	}
	status, _, _, _, err = s.post(target, []byte(body), ctype, h, at, false)
	return status, err
}
