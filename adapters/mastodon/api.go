package mastodon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"caredesk/listen"
	"caredesk/outside"
)

// The parts of Mastodon's entities that caredesk reads. Ids are strings:
// they are numbers too large for a float64.
type (
	account struct {
		ID             string `json:"id"`
		Acct           string `json:"acct"`
		Username       string `json:"username"`
		DisplayName    string `json:"display_name"`
		URL            string `json:"url"`
		FollowersCount int    `json:"followers_count"`
	}
	status struct {
		ID          string   `json:"id"`
		URI         string   `json:"uri"`
		URL         string   `json:"url"`
		CreatedAt   string   `json:"created_at"`
		Content     string   `json:"content"`
		SpoilerText string   `json:"spoiler_text"`
		Language    string   `json:"language"`
		Visibility  string   `json:"visibility"`
		InReplyToID string   `json:"in_reply_to_id"`
		Account     *account `json:"account"`
		Reblog      *status  `json:"reblog"`
	}
	notification struct {
		ID        string  `json:"id"`
		Type      string  `json:"type"`
		CreatedAt string  `json:"created_at"`
		Status    *status `json:"status"`
	}
	// threadContext is GET /api/v1/statuses/:id/context: the statuses
	// above a status in its thread, oldest first, and the replies below
	// it, those the brand may see.
	threadContext struct {
		Ancestors   []status `json:"ancestors"`
		Descendants []status `json:"descendants"`
	}
)

// apiError is an answer of the instance that is not a 2xx (429 and 503
// are listen.BusyError instead).
type apiError struct {
	Code    int
	Message string // Mastodon's "error", or the status text
	Route   string // what was asked, like "the notifications"
}

func (e *apiError) Error() string {
	return fmt.Sprintf("the Mastodon instance answered %d to a request for %s: %s", e.Code, e.Route, e.Message)
}

// call sends a request to the instance with the brand's token and
// decodes a 2xx JSON answer into v. form, when not nil, is the POST's
// body; key is its Idempotency-Key. what names the request in errors.
func (l *Listener) call(ctx context.Context, method, path string, query, form url.Values, key, what string, v any) error {
	u := l.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("the instance address %q cannot be used: %w", l.o.Instance, err)
	}
	req.Header.Set("Authorization", "Bearer "+l.o.Token)
	req.Header.Set("Accept", "application/json")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	b, err := listen.ReadBody(resp, 0) // 4 MiB: a page of 40 statuses is far less
	if err != nil {
		return fmt.Errorf("reading %s: %w", what, err)
	}
	if resp.StatusCode/100 != 2 {
		return &apiError{Code: resp.StatusCode, Message: errorText(resp, b), Route: what}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s is not the JSON Mastodon answers (%v): is %s a Mastodon server?", what, err, l.base)
	}
	return nil
}

// errorText is Mastodon's {"error": …}, or the status text.
func errorText(resp *http.Response, b []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && strings.TrimSpace(e.Error) != "" {
		msg := outside.Line(e.Error)
		if r := []rune(msg); len(r) > 300 {
			msg = string(r[:300]) + "…"
		}
		return msg
	}
	return http.StatusText(resp.StatusCode)
}
