package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// maxUpdateSize bounds a webhook body. Updates are a few KiB; the bound
// keeps a hostile client from making the process read without end.
const maxUpdateSize = 1 << 20

// SetWebhook tells Telegram to push updates to Options.WebhookURL with
// Options.WebhookSecret in every request. Updates already waiting are kept.
func (c *Client) SetWebhook(ctx context.Context) error {
	if c.hookURL == "" {
		return errors.New("TELEGRAM_WEBHOOK_URL is empty: set it to the public https:// address of /telegram/webhook, or receive by polling")
	}
	api, stop := c.call(ctx, callTimeout)
	defer stop()
	// The library's WebhookConfig (v5.5.1) predates secret_token, so the
	// call is made by hand.
	params := tgbotapi.Params{"url": c.hookURL, "secret_token": c.secret}
	if _, err := api.MakeRequest("setWebhook", params); err != nil {
		var apiErr *tgbotapi.Error
		if errors.As(err, &apiErr) {
			return c.redact(fmt.Errorf("telegram refused the webhook %s (%d %s): check TELEGRAM_WEBHOOK_URL (public, HTTPS on port 443, 80, 88 or 8443) and TELEGRAM_WEBHOOK_SECRET", c.hookURL, apiErr.Code, apiErr.Message))
		}
		return c.redact(fmt.Errorf("could not set the webhook at the Telegram Bot API %s: %w", c.apiURL, err))
	}
	c.log.Info("receiving Telegram updates by webhook", "bot", "@"+c.Username(), "webhook", c.hookURL)
	return nil
}

// WebhookHandler returns the handler for the URL Telegram pushes updates to
// (POST /telegram/webhook). It answers 200 only after r stored the message,
// and 500 when it could not, so that Telegram delivers it again. Requests
// without the right secret are turned away before their body is read.
func (c *Client) WebhookHandler(r Receiver) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got := req.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		// An unset secret matches nothing, not an absent header.
		if c.secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.secret)) != 1 {
			http.Error(w, "wrong or missing secret token", http.StatusUnauthorized)
			return
		}
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "use POST", http.StatusMethodNotAllowed)
			return
		}
		var u tgbotapi.Update
		if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, maxUpdateSize)).Decode(&u); err != nil {
			http.Error(w, "the body is not a Telegram update", http.StatusBadRequest)
			return
		}
		in, ok := inbound(u)
		if !ok {
			c.log.Debug("ignored a Telegram update that is no customer message", "update_id", u.UpdateID)
			w.WriteHeader(http.StatusOK)
			return
		}
		if err := r.Receive(req.Context(), in); err != nil {
			if !refused(err) {
				c.log.Error("could not store a Telegram update; Telegram will push it again", "update_id", u.UpdateID, "err", c.redact(err))
				http.Error(w, "not stored, try again", http.StatusInternalServerError)
				return
			}
			c.log.Warn("the core refused a Telegram message; it is dropped", "update_id", u.UpdateID, "err", c.redact(err))
		}
		w.WriteHeader(http.StatusOK)
	})
}
