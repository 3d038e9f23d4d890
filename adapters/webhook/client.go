package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"caredesk/bot"
)

// DefaultTimeout is how long one reply may take to be taken by a bridge
// when neither the caller's context nor ClientOptions set a limit, so that
// a bridge that hangs cannot stop the source's queue for good.
const DefaultTimeout = 30 * time.Second

// The most of a bridge's answer that is read, and the most of its text
// that is quoted in an error the agent reads.
const (
	maxAnswer = 64 << 10
	maxQuoted = 300
)

// ClientOptions configure a Client. The zero value is ready to use.
type ClientOptions struct {
	// HTTPClient sends the requests; a plain http.Client when nil. Its
	// redirect policy is not used: a reply is never re-sent elsewhere.
	HTTPClient *http.Client
	Timeout    time.Duration    // per reply; DefaultTimeout when 0
	Now        func() time.Time // signs requests and links; time.Now when nil
	Logger     *slog.Logger     // slog.Default() when nil
	// PublicURL is caredesk's address as the internet reaches it
	// (CAREDESK_PUBLIC_URL), under which Files serves the owner's files to
	// the bridge; "" refuses files (TakeFile), since a bridge cannot be
	// given bytes any other way.
	PublicURL string
	// LinkTTL is how long a download link in a reply works (files:
	// link_ttl); DefaultLinkTTL when 0.
	LinkTTL time.Duration
	// MaxFile is the largest complaint attachment Fetch takes, in bytes
	// (files: max_file); bot.DefaultFilePolicy's when 0.
	MaxFile int64
	// AllowAddr says whether Fetch may connect to an address. nil allows
	// public addresses only (PublicAddr), so that a complaint cannot make
	// caredesk read its own network; tests and a demo on loopback widen it.
	AllowAddr func(netip.Addr) bool
}

// DefaultLinkTTL is how long a download link works when ClientOptions set
// none: a week, long enough for a bridge that queues, short enough that a
// leaked link dies.
const DefaultLinkTTL = 7 * 24 * time.Hour

// Client sends agents' replies, with their files as links, and their
// edits and deletions, to one webhook source's bridge, and downloads its
// complaints' attachments. It is the source as the core's delivery
// workers see it (bot.Source, bot.FileTaker, bot.Corrector, bot.Fetcher),
// and is safe for concurrent use.
type Client struct {
	src       Source
	http      *http.Client
	timeout   time.Duration
	now       func() time.Time
	log       *slog.Logger
	publicURL string        // "" refuses files
	linkTTL   time.Duration // how long a download link works
	maxFile   int64         // the largest attachment Fetch takes
	fetcher   *http.Client  // Fetch's, which dials public addresses only
}

// A Client sends files as links, fetches complaints' attachments and
// changes or takes back what it sent.
var (
	_ bot.Source    = (*Client)(nil)
	_ bot.FileTaker = (*Client)(nil)
	_ bot.Fetcher   = (*Client)(nil)
	_ bot.Corrector = (*Client)(nil)
)

// NewClient returns the Client that sends replies to src.ReplyURL.
func NewClient(src Source, o ClientOptions) *Client {
	hc := http.Client{}
	if o.HTTPClient != nil {
		hc = *o.HTTPClient
	}
	// A redirect would turn the POST into a GET (301, 302) and a 2xx from
	// the new address would count as delivered; the bridge's 3xx is
	// reported instead.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{
		src: src, http: &hc, timeout: o.Timeout, now: o.Now, log: o.Logger,
		publicURL: strings.TrimRight(o.PublicURL, "/"), linkTTL: o.LinkTTL, maxFile: o.MaxFile,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.linkTTL <= 0 {
		c.linkTTL = DefaultLinkTTL
	}
	if c.maxFile <= 0 {
		c.maxFile = bot.DefaultFilePolicy().MaxFile
	}
	allow := o.AllowAddr
	if allow == nil {
		allow = PublicAddr
	}
	c.fetcher = newFetcher(allow)
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.log = c.log.With("source", SourceName(src.Name))
	return c
}

// Reply is the body of a reply POSTed to a bridge; see
// docs/webhook-reply.schema.json.
type Reply struct {
	// Kind says what the bridge is to post: an agent's reply (KindReply),
	// the satisfaction question (KindRatingRequest), a request for a
	// phone number (KindCallRequest), an invitation to go on in private
	// (KindMovePrivate), caredesk's own words (KindMessage), or a change
	// to a reply the bridge took (KindEdit, KindDelete).
	Kind      string    `json:"kind"`
	Source    string    `json:"source"`   // the source's name, "twitter"
	Ticket    int64     `json:"ticket"`   // the ticket's number, #12 for people
	ReplyID   int64     `json:"reply_id"` // the reply's id, for the bridge's report (POST /hooks/{name}/status); 0 when nothing reports on it (csat_request, message)
	InReplyTo InReplyTo `json:"in_reply_to"`
	Text      string    `json:"text"`
	Agent     Agent     `json:"agent"`
	// IdempotencyKey is the same on every attempt at the reply, so that a
	// bridge that got it once can answer 2xx to a repeat and not post
	// twice. It is also sent as the Idempotency-Key header.
	IdempotencyKey string `json:"idempotency_key"`
	// Scale is the range of scores the customer chooses from, for
	// KindRatingRequest only; the answer comes back to
	// POST /hooks/{name}/rating.
	Scale *Scale `json:"scale,omitempty"`
	// MessageID is the message a KindEdit or KindDelete changes: the id
	// the bridge answered when it took it. "" in other kinds.
	MessageID string `json:"message_id,omitempty"`
	// Attachments are the files that go with Text, as links the bridge
	// downloads from caredesk (Files); none in an edit or a deletion.
	Attachments []FileLink `json:"attachments,omitempty"`
}

// FileLink is a file of a reply, as the bridge gets it: a signed link to
// its bytes on caredesk, which works until ExpiresAt.
type FileLink struct {
	Name      string    `json:"name"` // with its extension, "invoice.pdf"
	MIME      string    `json:"mime"` // "application/pdf"; application/octet-stream when caredesk does not know
	Size      int64     `json:"size"` // in bytes; 0 when unknown
	URL       string    `json:"url"`  // GET it, as it is, for the bytes
	ExpiresAt time.Time `json:"expires_at"`
}

// The kinds of Reply.
const (
	KindReply         = "reply"        // an agent's answer to the customer
	KindRatingRequest = "csat_request" // "how did we do?", to be answered with a score of Scale
	// KindCallRequest asks the customer for a phone number to be called
	// on, the network's way; their answer comes back as a complaint in
	// the same conversation, or not at all.
	KindCallRequest = "call_request"
	// KindMovePrivate invites the customer to go on in private on the
	// network (an X DM); the bridge sends their private messages as
	// complaints with the same conversation_id, so they join the ticket.
	KindMovePrivate = "move_private"
	KindMessage     = "message" // caredesk's own words: a greeting, an acknowledgement, the follow-up after a low score
	// KindEdit changes the words of a reply the bridge took (MessageID)
	// to Text, because its author changed it on the desk.
	KindEdit = "edit"
	// KindDelete takes back from the customer a reply the bridge took
	// (MessageID), because its author deleted it on the desk.
	KindDelete = "delete"
)

// replyKind is the kind of Reply that carries a message of purpose p.
// Words without an agent's reply to report on are a message, whatever
// they were meant for.
func replyKind(p bot.Purpose, replyID int64) string {
	switch p {
	case bot.ForRating:
		return KindRatingRequest
	case bot.ForCall:
		return KindCallRequest
	case bot.ForPrivate:
		return KindMovePrivate
	case bot.ForReply:
		if replyID > 0 {
			return KindReply
		}
	}
	return KindMessage
}

// needsTicket says why a message of purpose p cannot go without a ticket
// ("" when it can): the bridge files the customer's answer under it.
func needsTicket(p bot.Purpose) string {
	switch p {
	case bot.ForRating:
		return "the satisfaction question names no ticket, so its answer could not be counted"
	case bot.ForCall:
		return "the request for a phone number names no ticket, so the bridge could not tell whose call it is"
	case bot.ForPrivate:
		return "the invitation to go on in private names no ticket, so the bridge could not tell which conversation moves"
	}
	return ""
}

// Scale is the range of a satisfaction score: 1 (bad) to 5 (great).
type Scale struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// ratingScale is the one scale caredesk asks with.
var ratingScale = Scale{Min: 1, Max: 5}

// Agent is who wrote a reply.
type Agent struct {
	Name string `json:"name"` // the agent's display name; may be ""
}

// InReplyTo is what a reply answers.
type InReplyTo struct {
	MessageID      string `json:"message_id"`      // the customer's latest message, as the complaint's id; may be ""
	ConversationID string `json:"conversation_id"` // the complaint's conversation_id
}

// Send POSTs m to the bridge as signed JSON and returns the id the bridge
// answered ({"id": …}), or "" when it answered none. Its "kind" tells the
// bridge what it is: an agent's reply, the satisfaction question
// (purpose ForRating: "csat_request" with the scale 1–5, whose answer the bridge
// POSTs to /hooks/{name}/rating), a request for a phone number (ForCall:
// "call_request"), an invitation to go on in private (ForPrivate:
// "move_private"), or caredesk's own words (ForNotice, or no reply to
// report on: "message"). m's Files go as "attachments": signed links to
// their bytes under PublicURL, which Files serves; Text may then be empty.
//
// Errors are classified for the delivery workers: a 429 carries the
// bridge's Retry-After (bot.RetryAfter); a 3xx or 4xx other than 408 and
// 425 is the bridge refusing the reply for good (bot.Permanent, with its
// message, shown in the ticket's thread); a 5xx, a timeout or a network
// error is temporary, and the reply is sent again with the same
// idempotency key. Neither the secret nor the reply URL's path, which may
// hold a token, appear in an error.
func (c *Client) Send(ctx context.Context, m bot.Outgoing) (string, error) {
	if err := c.canPost("replies"); err != nil {
		return "", err
	}
	if strings.TrimSpace(m.Text) == "" && len(m.Files) == 0 {
		return "", bot.Permanent(errors.New("the reply is empty, and an empty reply cannot be posted"))
	}
	if why := needsTicket(m.Purpose); why != "" && m.Ticket.ID <= 0 {
		return "", bot.Permanent(errors.New(why))
	}
	r := c.reply(m)
	if len(m.Files) > 0 {
		links, err := c.links(m.Files)
		if err != nil {
			return "", err
		}
		r.Attachments = links
	}
	answer, err := c.post(ctx, "reply", m.Key, r)
	if err != nil {
		return "", err
	}
	ref := answerID(answer)
	c.log.Debug("reply taken by the bridge", "ticket", m.Ticket.ID, "reply_id", m.MessageID, "ref", ref, "files", len(m.Files))
	return ref, nil
}

// canPost says why nothing can be POSTed to the bridge, or nil. what is
// what was to go: "replies", "changes to replies".
func (c *Client) canPost(what string) error {
	if c.src.ReplyURL == "" {
		return bot.Permanent(fmt.Errorf("%s cannot be sent to %s: the source has no reply_url; set reply_url of the %q webhook source in caredesk's configuration to the address where its bridge takes replies", what, c.src.network(), c.src.Name))
	}
	return nil
}

// post POSTs r to the bridge as signed JSON, with the idempotency key key,
// and returns the bridge's 2xx answer. Its errors are classified for the
// delivery workers as Send describes; what names r in them ("reply",
// "edit", "deletion").
func (c *Client) post(ctx context.Context, what, key string, r Reply) ([]byte, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, bot.Permanent(fmt.Errorf("encode the %s to %s: %w", what, c.src.Name, err))
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.src.ReplyURL, bytes.NewReader(body))
	if err != nil {
		return nil, bot.Permanent(fmt.Errorf("the reply_url of the %q webhook source, %s, is not usable: fix it in caredesk's configuration", c.src.Name, redactURL(c.src.ReplyURL)))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	SetSignature(req.Header, c.src.Secret, c.now(), body)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("could not reach the %s bridge at %s: %w; the %s will be sent again", c.src.Name, redactURL(c.src.ReplyURL), c.unlinked(err), what)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode/100 == 2 {
		return answer, nil
	}
	return nil, c.answerError(resp, answer, what)
}

// userAgent is how caredesk names itself to bridges and to the hosts of
// attachments.
const userAgent = "caredesk-webhook/1"

// reply is the JSON body of m.
func (c *Client) reply(m bot.Outgoing) Reply {
	kind, scale, replyID := replyKind(m.Purpose, m.MessageID), (*Scale)(nil), m.MessageID
	switch kind {
	case KindRatingRequest:
		scale, replyID = &ratingScale, 0 // the answer is a rating, not a report
	case KindMessage:
		replyID = 0 // caredesk's own words: nothing reports on them
	}
	return Reply{
		Kind:           kind,
		Scale:          scale,
		Source:         c.src.Name,
		Ticket:         m.Ticket.ID,
		ReplyID:        replyID,
		InReplyTo:      InReplyTo{MessageID: m.ReplyTo, ConversationID: m.Conversation},
		Text:           m.Text,
		Agent:          Agent{Name: m.AgentName},
		IdempotencyKey: m.Key,
	}
}

// answerError classifies a bridge's answer that is not a 2xx to a what
// ("reply", "edit", "deletion").
func (c *Client) answerError(resp *http.Response, answer []byte, what string) error {
	code := resp.StatusCode
	msg := quote(answer)
	if msg == "" {
		msg = http.StatusText(code)
	}
	switch {
	case code == http.StatusTooManyRequests:
		err := fmt.Errorf("the %s bridge asks caredesk to slow down (429): %s", c.src.Name, msg)
		if wait, ok := retryAfterOf(resp.Header.Get("Retry-After"), c.now()); ok {
			return bot.RetryAfter(wait, err)
		}
		return err
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code >= 500:
		return fmt.Errorf("the %s bridge failed to take the %s (%d): %s; it will be sent again", c.src.Name, what, code, msg)
	case code >= 300 && code < 400:
		return bot.Permanent(fmt.Errorf("the %s bridge answered the %s with a redirect (%d) instead of taking it: set reply_url of the source to the bridge's current address", c.src.Name, what, code))
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return bot.Permanent(fmt.Errorf("the %s bridge refused the %s (%d): %s — do the bridge and caredesk share the same secret?", c.src.Name, what, code, msg))
	}
	return bot.Permanent(fmt.Errorf("the %s bridge refused the %s (%d): %s", c.src.Name, what, code, msg))
}

// unlinked takes the URL out of a transport error: url.Error prints the
// whole reply URL, and its path may be a secret (a Zapier catch hook).
func (c *Client) unlinked(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &redacted{msg: "no answer in time", err: err}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &redacted{msg: ue.Err.Error(), err: err}
	}
	return err
}

// redacted is an error told without the secret parts of its message that
// still unwraps to its cause (context.DeadlineExceeded, a net.Error).
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// answerID returns the "id" of a bridge's JSON answer, "" when it has none.
func answerID(answer []byte) string {
	var a struct {
		ID looseString `json:"id"`
	}
	if json.Unmarshal(answer, &a) != nil {
		return ""
	}
	return clip(cleanLine(string(a.ID)), maxID)
}

// quote is what a bridge said: the "error" or "message" of a JSON answer
// ({"error": {"message": …}} too), or the start of a text one, on one line.
func quote(answer []byte) string {
	var a struct {
		Error   any `json:"error"`
		Message any `json:"message"`
	}
	if json.Unmarshal(answer, &a) == nil {
		if nested, ok := a.Error.(map[string]any); ok {
			a.Error = nested["message"]
		}
		for _, v := range []any{a.Error, a.Message} {
			if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
				return clip(cleanLine(s), maxQuoted)
			}
		}
	}
	s := strings.ToValidUTF8(string(answer), "\uFFFD")
	if len(s) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !utf8.RuneStart(s[cut]) { // do not cut a character in half
			cut--
		}
		s = s[:cut] + "…"
	}
	return cleanLine(s)
}

// retryAfterOf reads a Retry-After header: seconds, or an HTTP date.
func retryAfterOf(h string, now time.Time) (time.Duration, bool) {
	if h == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil {
		return time.Duration(s) * time.Second, s > 0
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now), true
	}
	return 0, false
}
