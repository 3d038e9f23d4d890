package telegram

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/bodybudget"
	"caredesk/quietlog"
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
	if err := params.AddInterface("allowed_updates", allowedUpdates); err != nil {
		return err // a list of strings always encodes
	}
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

// WebhookOptions guard WebhookHandler against what anyone on the internet
// can send. The zero value bounds each body only.
type WebhookOptions struct {
	// Bodies is the memory shared by every endpoint that reads a body; an
	// update past it is answered 503 without its body being read, and
	// Telegram pushes it again.
	Bodies  *bodybudget.Budget
	Counter Counter // told of every request turned away; nil counts nothing
}

// Counter is told of every request WebhookHandler turns away, for
// metrics. reason is one of:
//
//	secret       the secret token header is missing or wrong (401)
//	method       not a POST (405)
//	too_large    the body is over 1 MiB (413)
//	malformed    the body is not a Telegram update (400)
//	busy         the bodies being read hold the whole budget (503)
//	unavailable  the core could not store the message, rating or block; Telegram pushes it again (500)
type Counter interface {
	Rejected(reason string)
}

// WebhookHandler returns the handler for the URL Telegram pushes updates to
// (POST /telegram/webhook). It answers 200 only after r stored the message
// (or Options.Rater the press of a rating button, or Options.Reacher a
// block of the bot), and 500 when it could not, so that Telegram delivers
// it again. Requests
// without the right secret are turned away before their body is read, and
// bodies are read within o.Bodies.
func (c *Client) WebhookHandler(r Receiver, o WebhookOptions) http.Handler {
	// One line per sender, kind and minute: a flood of forgeries or a full
	// disk would otherwise write one per request.
	quiet := quietlog.New(c.log, time.Minute)
	refuse := func(w http.ResponseWriter, status int, reason, text string) {
		if o.Counter != nil {
			o.Counter.Rejected(reason)
		}
		bodybudget.Close(w) // whatever is left of the body is not read
		http.Error(w, text, status)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got := req.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		// An unset secret matches nothing, not an absent header.
		if c.secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.secret)) != 1 {
			host := bodybudget.RemoteHost(req)
			quiet.Log(slog.LevelWarn, "secret from "+host, "refused a request to the Telegram webhook without its secret token", "remote", host)
			refuse(w, http.StatusUnauthorized, "secret", "wrong or missing secret token")
			return
		}
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			refuse(w, http.StatusMethodNotAllowed, "method", "use POST")
			return
		}
		body, err := o.Bodies.Read(w, req, maxUpdateSize)
		var tooBig *http.MaxBytesError
		switch {
		case errors.Is(err, bodybudget.ErrBusy):
			bodybudget.RetryLater(w)
			quiet.Log(slog.LevelWarn, "busy", "refused Telegram updates unread: the budget for request bodies is used up; Telegram pushes them again")
			refuse(w, http.StatusServiceUnavailable, "busy", err.Error())
			return
		case errors.As(err, &tooBig):
			refuse(w, http.StatusRequestEntityTooLarge, "too_large", "the body is not a Telegram update: it is over 1 MiB")
			return
		case err != nil:
			refuse(w, http.StatusBadRequest, "malformed", "the body could not be read to its end")
			return
		}
		u, err := parseUpdate(body)
		if err != nil {
			refuse(w, http.StatusBadRequest, "malformed", "the body is not a Telegram update")
			return
		}
		if err := c.take(req.Context(), r, u); err != nil {
			quiet.Log(slog.LevelError, "store failed", "could not store a Telegram update; Telegram will push it again", "update_id", u.UpdateID, "err", c.redact(err))
			if o.Counter != nil {
				o.Counter.Rejected("unavailable")
			}
			http.Error(w, "not stored, try again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
