// Package telegram connects caredesk to customers on Telegram through the
// Bot API, with the go-telegram-bot-api library: it turns updates (by long
// polling or a webhook) into bot.Inbound values, sends agents' replies,
// asks the satisfaction question with five buttons whose presses become
// bot.Rating values, asks for a phone number with a button that shares it,
// and tells the core when a customer blocks the bot (bot.Reachability).
//
// Two promises shape it. A complaint, a rating or a block is acknowledged
// to Telegram only after the core stored it: the polling offset moves, and
// the webhook answers 200, only once Receive (or Rate, or Reachable)
// returned nil. And the bot token, which Telegram puts in every URL, never
// appears in an error or a log line.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Defaults of Options.
const (
	DefaultAPIURL      = "https://api.telegram.org"
	DefaultPollTimeout = 30 * time.Second
	DefaultBackoff     = time.Second
)

// The longest a call may take when the caller's context sets no deadline,
// so that a connection that hangs cannot stop a worker for good.
const (
	callTimeout  = 30 * time.Second
	pollOverhead = 15 * time.Second // added to the long-poll timeout
	maxBackoff   = time.Minute
)

// secretToken is what Telegram accepts as a webhook's secret_token.
var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// Options configure a Client. Only Token is required.
type Options struct {
	Token  string // from @BotFather (TELEGRAM_BOT_TOKEN)
	APIURL string // base of the Bot API; DefaultAPIURL when empty, a local Bot API server or a simulator otherwise
	// WebhookURL is the public HTTPS URL Telegram pushes updates to, for
	// SetWebhook; empty when the Client polls.
	WebhookURL string
	// WebhookSecret is sent by Telegram in X-Telegram-Bot-Api-Secret-Token
	// and checked by WebhookHandler; required with WebhookURL, because
	// without it anyone could post fake complaints.
	WebhookSecret string
	PollTimeout   time.Duration // how long one getUpdates waits for news; DefaultPollTimeout when 0
	// Backoff is the first pause after a failed poll or Receive; it doubles
	// on each further failure, up to a minute. DefaultBackoff when 0.
	Backoff    time.Duration
	HTTPClient *http.Client // http.DefaultClient's settings when nil; its Timeout must exceed PollTimeout
	Logger     *slog.Logger // slog.Default() when nil
	// OnState, when set, hears after each poll whether Telegram gives
	// caredesk its updates: ok, or not with a sentence that says why and
	// what to do (a revoked token, another program polling). nil: no one
	// listens.
	OnState func(ok bool, reason string)
	// Rater takes customers' answers to the satisfaction question (their
	// presses of its buttons), by polling and by webhook alike; the core's
	// *bot.Bot. nil: answers are acknowledged and dropped.
	Rater Rater
	// Reacher hears that a customer blocked the bot in their private chat,
	// or started it again (Telegram's my_chat_member), by polling and by
	// webhook alike; the core's *bot.Bot. nil: the news is acknowledged
	// and dropped, and replies to a blocked customer fail when sent.
	Reacher Reacher
}

// Client talks to the Telegram Bot API for one bot. It is safe for
// concurrent use: Poll, Send and the webhook handler may run at once.
type Client struct {
	api     *tgbotapi.BotAPI // read-only after New; see call
	http    *http.Client
	token   string
	apiURL  string
	hookURL string
	secret  string
	poll    time.Duration
	backoff time.Duration
	log     *slog.Logger
	onState func(ok bool, reason string)
	rater   Rater   // nil: ratings are dropped
	reacher Reacher // nil: blocks are dropped

	life context.Context // cancelled by Close: ends every call in flight
	end  context.CancelFunc

	mu       sync.Mutex
	progress map[string]progress // see Send

	rating sync.Mutex      // held across Rate; see rated
	shown  map[string]bool // questions whose answer is shown, guarded by rating
}

// New checks the token with getMe and returns a Client for the bot. Its
// errors say what to fix.
func New(ctx context.Context, o Options) (*Client, error) {
	if err := check(o); err != nil {
		return nil, err
	}
	c := &Client{
		token:   o.Token,
		apiURL:  strings.TrimRight(o.APIURL, "/"),
		hookURL: o.WebhookURL,
		secret:  o.WebhookSecret,
		poll:    o.PollTimeout,
		backoff: o.Backoff,
		http:    o.HTTPClient,
		log:     o.Logger,
		onState: o.OnState,
		rater:   o.Rater,
		reacher: o.Reacher,
	}
	if c.apiURL == "" {
		c.apiURL = DefaultAPIURL
	}
	if c.poll <= 0 {
		c.poll = DefaultPollTimeout
	}
	c.poll = max(c.poll, time.Second) // getUpdates counts in seconds; 0 would be a busy loop
	if c.backoff <= 0 {
		c.backoff = DefaultBackoff
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.onState == nil {
		c.onState = func(bool, string) {}
	}
	c.log = c.log.With("source", "telegram")
	c.life, c.end = context.WithCancel(context.Background())

	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	// The library's endpoint is a format string: a literal % in the URL
	// must not be read as a verb.
	endpoint := strings.ReplaceAll(c.apiURL, "%", "%%") + "/bot%s/%s"
	api, err := tgbotapi.NewBotAPIWithClient(c.token, endpoint, c.doer(ctx))
	if err != nil {
		c.end()
		return nil, c.redact(c.connectError(err))
	}
	api.Client = c.doer(c.life) // call replaces it for each request; this only guards the unbound copy
	c.api = api
	return c, nil
}

// check finds the mistakes in o that need no network to see.
func check(o Options) error {
	if strings.TrimSpace(o.Token) == "" {
		return errors.New("TELEGRAM_BOT_TOKEN is empty: create a bot with @BotFather and set the token it gives you")
	}
	if o.WebhookURL == "" {
		return nil
	}
	if u, err := url.Parse(o.WebhookURL); err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("TELEGRAM_WEBHOOK_URL %q is not an absolute URL: give the public https:// address of /telegram/webhook", o.WebhookURL)
	}
	if !secretToken.MatchString(o.WebhookSecret) {
		return errors.New("TELEGRAM_WEBHOOK_SECRET must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - when TELEGRAM_WEBHOOK_URL is set: without it anyone could post fake updates")
	}
	return nil
}

// connectError turns a failed getMe into advice.
func (c *Client) connectError(err error) error {
	var apiErr *tgbotapi.Error
	switch {
	case errors.As(err, &apiErr) && (apiErr.Code == http.StatusUnauthorized || apiErr.Code == http.StatusNotFound):
		// Telegram answers 401 for a revoked token and 404 for a malformed one.
		return fmt.Errorf("TELEGRAM_BOT_TOKEN was rejected by Telegram (%d %s): copy the token from @BotFather again", apiErr.Code, apiErr.Message)
	case errors.As(err, &apiErr):
		return fmt.Errorf("the Telegram Bot API at %s refused getMe (%d %s): %w", c.apiURL, apiErr.Code, apiErr.Message, err)
	default:
		return fmt.Errorf("could not reach the Telegram Bot API at %s: %w — check TELEGRAM_API_URL and the network", c.apiURL, err)
	}
}

// Username returns the bot's @username (without "@") as getMe reported it.
func (c *Client) Username() string { return c.api.Self.UserName }

// Close ends every call in flight, a long poll included. The Client must not
// be used afterwards.
func (c *Client) Close() error {
	c.end()
	return nil
}

// call returns the library's client bound to ctx: every request it makes
// ends when ctx ends, when Close is called, or after timeout if ctx has no
// earlier deadline. The library's methods take no context, so each call
// gets a shallow copy of the BotAPI whose HTTP client carries one; the
// copy shares everything else. stop must be called when the call returned.
func (c *Client) call(ctx context.Context, timeout time.Duration) (api *tgbotapi.BotAPI, stop func()) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	unlink := context.AfterFunc(c.life, cancel)
	bound := *c.api
	bound.Client = c.doer(ctx)
	return &bound, func() {
		unlink()
		cancel()
	}
}

// doer returns the HTTP client the library uses for one call.
func (c *Client) doer(ctx context.Context) tgbotapi.HTTPClient {
	return doer{ctx: ctx, client: c.http, token: c.token, apiURL: c.apiURL}
}

// doer sends the library's requests with a context, takes the token out of
// transport errors, and turns an answer that is not JSON (a proxy's error
// page) into an error that says so instead of a JSON syntax error.
type doer struct {
	ctx    context.Context
	client *http.Client
	token  string
	apiURL string
	// status, when set, gets the HTTP status of the answer: the library's
	// UploadFiles leaves it out of its errors (see callKeepingStatus).
	status *int
}

// Do sends req with the doer's context.
func (d doer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.client.Do(req.WithContext(d.ctx))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// url.Error prints the whole URL, and the URL holds the token.
			ue.URL = strings.ReplaceAll(ue.URL, d.token, "<token>")
		}
		return nil, err
	}
	if d.status != nil {
		*d.status = resp.StatusCode
	}
	if ctype := resp.Header.Get("Content-Type"); ctype != "" {
		if mt, _, _ := mime.ParseMediaType(ctype); mt != "application/json" {
			resp.Body.Close()
			return nil, &notAPIError{status: resp.Status, ctype: mt, apiURL: d.apiURL}
		}
	}
	return resp, nil
}

// notAPIError is an answer that did not come from the Bot API: an HTML
// error page of a proxy, or a wrong TELEGRAM_API_URL.
type notAPIError struct {
	status, ctype, apiURL string
}

func (e *notAPIError) Error() string {
	return fmt.Sprintf("%s answered %s with %s instead of a Bot API answer (a failing proxy, or TELEGRAM_API_URL does not point at the Bot API)", e.apiURL, e.status, e.ctype)
}

// redact replaces the token wherever err would print it. The doer already
// cleans transport errors; this is the last guard before an error leaves
// the package or reaches the log.
func (c *Client) redact(err error) error {
	if err == nil || !strings.Contains(err.Error(), c.token) {
		return err
	}
	return &explained{msg: strings.ReplaceAll(err.Error(), c.token, "<token>"), err: err}
}

// explained is an error told in a sentence of caredesk's own (advice, or a
// message with the token taken out) that still unwraps to its cause, so
// that errors.Is and errors.As keep working (context.Canceled, a
// *tgbotapi.Error).
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }
