package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"caredesk/handlers"
)

// maxBody is the largest request caredesk reads; Slack's are far smaller.
const maxBody = 1 << 20

// Handler serves Slack's requests in HTTP mode, all at one URL as Bolt
// apps do: mount it at /slack/events and give that URL to Event
// Subscriptions, Interactivity and every slash command. Every request is
// checked against the signing secret before anything else. r.Actor must
// be set.
func (d *Desk) Handler(r handlers.Runner) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "Slack requests are POSTs", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		if err := d.verify(req.Header, body); err != nil {
			d.log.Warn("refused a request that Slack did not sign", "remote", req.RemoteAddr, "reason", err)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
		switch ct {
		case "application/json":
			d.serveEvent(w, req, r, body)
		case "application/x-www-form-urlencoded":
			d.serveForm(w, req, r, body)
		default:
			http.Error(w, "unexpected content type", http.StatusUnsupportedMediaType)
		}
	})
}

// verify checks Slack's signature of body and that it is at most five
// minutes old, so that a captured request cannot be replayed later.
func (d *Desk) verify(h http.Header, body []byte) error {
	sv, err := slackapi.NewSecretsVerifier(h, d.opts.SigningSecret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

// serveEvent answers the Events API: the URL check, and events, which are
// acknowledged only once the core has them.
func (d *Desk) serveEvent(w http.ResponseWriter, req *http.Request, r handlers.Runner, body []byte) {
	var outer struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event type caredesk did not subscribe to and slack-go does
		// not know: acknowledged, or Slack would send it again for nothing.
		d.log.Debug("ignored an event caredesk cannot read", "type", outer.Type, "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		v, _ := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if v == nil {
			http.Error(w, "malformed url_verification", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, v.Challenge)
	case slackevents.CallbackEvent:
		retry, _ := strconv.Atoi(req.Header.Get("X-Slack-Retry-Num"))
		if err := d.handleEvent(req.Context(), r, ev, retry); err != nil {
			http.Error(w, "caredesk could not take the event now; deliver it again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// serveForm answers slash commands (a "command" field) and interactions
// (a "payload" field), which Slack sends as forms.
func (d *Desk) serveForm(w http.ResponseWriter, req *http.Request, r handlers.Runner, body []byte) {
	// slack-go's parsers read the request; give them the body again.
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err := req.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	switch {
	case req.PostForm.Has("payload"):
		cb, err := slackapi.InteractionCallbackParse(req)
		if err != nil {
			http.Error(w, "malformed payload", http.StatusBadRequest)
			return
		}
		d.interaction(req.Context(), r, cb)
		w.WriteHeader(http.StatusOK)
	case req.PostForm.Has("command"):
		cmd, err := slackapi.SlashCommandParse(req)
		if err != nil {
			http.Error(w, "malformed command", http.StatusBadRequest)
			return
		}
		answer := d.command(req.Context(), r, cmd)
		if answer == "" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ephemeral(answer))
	default:
		http.Error(w, "neither a command nor an interaction", http.StatusBadRequest)
	}
}

// ephemeral is a slash command's answer that only its author sees.
func ephemeral(text string) map[string]string {
	return map[string]string{"response_type": "ephemeral", "text": text}
}
