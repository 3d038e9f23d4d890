package telegramsim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"
)

// The pauses between attempts to push an update to a failing webhook.
// Telegram waits longer; the simulator keeps tests and demos quick.
const (
	minPushBackoff = 20 * time.Millisecond
	maxPushBackoff = time.Second
)

// secretToken is what Telegram accepts as a webhook's secret_token.
var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// webhook is the webhook registered with setWebhook.
type webhook struct {
	url, secret string
	gen         int // bumped by every setWebhook and deleteWebhook
	errorDate   int64
	errorText   string
}

// WebhookURL returns the URL set with setWebhook, "" when none is set.
func (s *Server) WebhookURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hook.url
}

// setWebhook registers the URL updates are pushed to; an empty url removes
// the webhook, as in the real API.
func (s *Server) setWebhook(_ *http.Request, p map[string]string) answer {
	raw, secret := p["url"], p["secret_token"]
	if raw == "" {
		return s.deleteWebhook(nil, p)
	}
	if _, err := parseURL(raw); err != nil {
		return fail(http.StatusBadRequest, "Bad Request: bad webhook: "+err.Error())
	}
	if secret != "" && !secretToken.MatchString(secret) {
		return fail(http.StatusBadRequest, "Bad Request: secret token contains unallowed characters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.allowLocked(p); err != nil {
		return fail(http.StatusBadRequest, "Bad Request: "+err.Error())
	}
	s.dropPendingLocked(p)
	s.hook = webhook{url: raw, secret: secret, gen: s.hook.gen + 1}
	s.notifyLocked()
	return answer{result: true, desc: "Webhook was set"}
}

// deleteWebhook removes the webhook, so that getUpdates works again.
func (s *Server) deleteWebhook(_ *http.Request, p map[string]string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropPendingLocked(p)
	if s.hook.url == "" {
		return answer{result: true, desc: "Webhook is already deleted"}
	}
	s.hook = webhook{gen: s.hook.gen + 1}
	s.notifyLocked()
	return answer{result: true, desc: "Webhook was deleted"}
}

// dropPendingLocked honours drop_pending_updates.
func (s *Server) dropPendingLocked(p map[string]string) {
	if p["drop_pending_updates"] == "true" {
		s.confirmLocked(s.updates.nextID)
	}
}

// getWebhookInfo reports the webhook and the last push error, if any.
func (s *Server) getWebhookInfo(*http.Request, map[string]string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := map[string]any{
		"url": s.hook.url, "has_custom_certificate": false, "pending_update_count": len(s.updates.pending),
	}
	if s.hook.url != "" {
		info["max_connections"] = 40
	}
	if s.hook.errorText != "" {
		info["last_error_date"] = s.hook.errorDate
		info["last_error_message"] = s.hook.errorText
	}
	return ok(info)
}

// pushLoop pushes pending updates to the webhook one at a time, in order,
// retrying each until the webhook answers 2xx, as Telegram does. It runs
// until Close.
func (s *Server) pushLoop() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	client := &http.Client{Timeout: 10 * time.Second}
	backoff := minPushBackoff
	for {
		hook, q, open := s.nextPush()
		if !open {
			return
		}
		err := push(ctx, client, hook, q)
		s.mu.Lock()
		if s.hook.gen == hook.gen {
			if err == nil {
				s.confirmLocked(q.id + 1)
			} else {
				s.hook.errorDate, s.hook.errorText = time.Now().Unix(), err.Error()
			}
		}
		s.notifyLocked()
		s.mu.Unlock()
		if err == nil {
			backoff = minPushBackoff
			continue
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-s.stop:
			t.Stop()
			return
		}
		backoff = min(2*backoff, maxPushBackoff)
	}
}

// nextPush waits until there is an update to push and a webhook to push it
// to; open is false once the simulator is closed.
func (s *Server) nextPush() (hook webhook, q queued, open bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.closed && (s.hook.url == "" || s.down || len(s.updates.pending) == 0) {
		ch := s.changed.Changed()
		s.mu.Unlock()
		select {
		case <-ch:
		case <-s.stop:
		}
		s.mu.Lock()
	}
	if s.closed {
		return webhook{}, queued{}, false
	}
	return s.hook, s.updates.pending[0], true
}

// push POSTs one update to the webhook the way Telegram does.
func push(ctx context.Context, client *http.Client, hook webhook, q queued) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.url, bytes.NewReader(q.raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if hook.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hook.secret)
	}
	resp, err := client.Do(req)
	if err != nil {
		//lint:ignore ST1005 Telegram's own wording, shown in last_error_message
		return fmt.Errorf("Connection failed: %v", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		//lint:ignore ST1005 Telegram's own wording, shown in last_error_message
		return fmt.Errorf("Wrong response from the webhook: %s", resp.Status)
	}
	return nil
}
