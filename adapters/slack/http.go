package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"caredesk/bodybudget"
	"caredesk/handlers"
)

// maxBody is the largest request caredesk reads; Slack's are far smaller.
const maxBody = 1 << 20

// HTTPOptions guard Handler against what anyone on the internet can send.
// The zero value bounds each body only.
type HTTPOptions struct {
	// Bodies is the memory shared by every endpoint that reads a body; a
	// request past it is answered 503 without its body being read.
	Bodies  *bodybudget.Budget
	Counter Counter // told of every request turned away; nil counts nothing
}

// Counter is told of every request Handler turns away, for metrics.
// reason is one of:
//
//	method       not a POST (405)
//	signature    a signature or timestamp header missing, malformed or wrong (401)
//	stale        the timestamp is more than five minutes off (401)
//	too_large    the body is over 1 MiB (413)
//	busy         the bodies being read hold the whole budget (503)
//	unavailable  the core could not take an event; Slack sends it again (500)
type Counter interface {
	Rejected(reason string)
}

// Handler serves Slack's requests in HTTP mode, all at one URL as Bolt
// apps do: mount it at /slack/events and give that URL to Event
// Subscriptions, Interactivity and every slash command. Every request is
// checked against the signing secret before anything else: its signature
// and timestamp headers before its body is read, so that a forgery costs
// no memory, then the signature of the body, which is read within
// o.Bodies. r.Actor must be set.
func (d *Desk) Handler(r handlers.Runner, o HTTPOptions) http.Handler {
	refuse := func(w http.ResponseWriter, req *http.Request, status int, reason, text string) {
		if o.Counter != nil {
			o.Counter.Rejected(reason)
		}
		if status == http.StatusUnauthorized {
			// Anyone can send these: one line per address and minute.
			host := bodybudget.RemoteHost(req)
			d.quiet.Log(slog.LevelWarn, "/slack/events "+reason+" from "+host,
				"refused a request that Slack did not sign", "remote", host, "reason", text)
		}
		bodybudget.Close(w) // the body, if any is left, is not worth reading
		http.Error(w, text, status)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			refuse(w, req, http.StatusMethodNotAllowed, "method", "Slack requests are POSTs")
			return
		}
		sv, err := slackapi.NewSecretsVerifier(req.Header, d.opts.SigningSecret)
		if err != nil {
			reason := "signature"
			if errors.Is(err, slackapi.ErrExpiredTimestamp) {
				reason = "stale"
			}
			refuse(w, req, http.StatusUnauthorized, reason, "invalid signature")
			return
		}
		body, err := o.Bodies.Read(w, req, maxBody)
		var tooBig *http.MaxBytesError
		switch {
		case errors.Is(err, bodybudget.ErrBusy):
			bodybudget.RetryLater(w)
			d.quiet.Log(slog.LevelWarn, "/slack/events busy", "refused a Slack request unread: the budget for request bodies is used up", "remote", bodybudget.RemoteHost(req))
			refuse(w, req, http.StatusServiceUnavailable, "busy", err.Error())
			return
		case errors.As(err, &tooBig):
			refuse(w, req, http.StatusRequestEntityTooLarge, "too_large", "request too large")
			return
		case err != nil:
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		_, _ = sv.Write(body) // a hash.Hash never fails to write
		if err := sv.Ensure(); err != nil {
			refuse(w, req, http.StatusUnauthorized, "signature", "invalid signature")
			return
		}
		ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
		switch ct {
		case "application/json":
			d.serveEvent(w, req, r, body, o.Counter)
		case "application/x-www-form-urlencoded":
			d.serveForm(w, req, r, body)
		default:
			http.Error(w, "unexpected content type", http.StatusUnsupportedMediaType)
		}
	})
}

// serveEvent answers the Events API: the URL check, and events, which are
// acknowledged only once the core has them.
func (d *Desk) serveEvent(w http.ResponseWriter, req *http.Request, r handlers.Runner, body []byte, counter Counter) {
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
			// Not acknowledged: Slack delivers it again. handleEvent logged it.
			if counter != nil {
				counter.Rejected("unavailable")
			}
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
