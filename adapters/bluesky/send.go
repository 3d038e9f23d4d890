package bluesky

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"caredesk/adapters/chunk"
	"caredesk/bot"
	"caredesk/listen"
)

// postLimit is Bluesky's limit on a post's text: 300 graphemes. Runes
// are counted, which is never fewer than graphemes, so a piece never
// exceeds the limit (an emoji of several runes only makes it shorter).
var postLimit = chunk.Limit{Max: 300}

// Send posts m as a reply to the customer's post m.ReplyTo, else
// m.Conversation (at:// URIs), in that post's thread; a text longer than
// a post goes as a thread of replies, each answering the one before. It
// returns the at:// URI of the first.
//
// A retry with the same m.Key posts nothing twice: each piece's record
// key is derived from the key (see replyKey), and a piece whose record
// already exists is taken as posted.
//
// A ticket that went private (OpenPrivate) has a "dm:" conversation:
// its replies go there as direct messages, and the ref is
// "dm:CONVO/MESSAGE".
func (l *Listener) Send(ctx context.Context, m bot.Outgoing) (string, error) {
	if strings.TrimSpace(m.Text) == "" {
		return "", bot.Permanent(errors.New("the reply is empty, and Bluesky does not take an empty post"))
	}
	if id, ok := strings.CutPrefix(m.Conversation, dmPrefix); ok && id != "" {
		return l.sendDM(ctx, id, m)
	}
	to := m.Conversation
	if strings.HasPrefix(m.ReplyTo, "at://") {
		to = m.ReplyTo // the customer's latest post, in the same thread
	}
	if !strings.HasPrefix(to, "at://") {
		return "", bot.Permanent(fmt.Errorf("the ticket's conversation %q is not a Bluesky post, so the reply has nowhere to go", m.Conversation))
	}
	target, err := l.post(ctx, to)
	if err != nil {
		return "", l.sendError(err)
	}
	if target == nil {
		who := "the customer"
		if h := m.Ticket.Customer.Handle; h != "" {
			who = "@" + h
		}
		return "", bot.Permanent(fmt.Errorf("the customer's Bluesky post was deleted, so the reply cannot be attached to it: write to %s in a new post if it still needs an answer", who))
	}
	s, err := l.session(ctx)
	if err != nil {
		return "", l.sendError(err)
	}
	parent := strongRef{URI: target.URI, CID: target.CID}
	root := parent
	if target.Record.Reply != nil && target.Record.Reply.Root.URI != "" {
		root = target.Record.Reply.Root
	}
	base := listen.Time(target.IndexedAt)
	if base.IsZero() {
		base = listen.Time(target.Record.CreatedAt)
	}
	var langs []string
	if m.Ticket.Language != "" {
		langs = []string{m.Ticket.Language}
	}
	first := ""
	for i, piece := range chunk.Split(m.Text, postLimit) {
		rec := postRecord{
			Type: "app.bsky.feed.post", Text: piece, Langs: langs,
			CreatedAt: l.now().UTC().Format("2006-01-02T15:04:05.000Z"),
			Reply:     &reply{Root: root, Parent: parent},
		}
		rkey := ""
		if m.Key != "" {
			rkey = replyKey(m.Key, i, base)
		}
		made, err := l.create(ctx, s.did, rkey, rec)
		if err != nil {
			return "", l.sendError(err)
		}
		if first == "" {
			first = made.URI
		}
		parent = made
	}
	return first, nil
}

// post looks up the post uri; nil when it was deleted.
func (l *Listener) post(ctx context.Context, uri string) (*postView, error) {
	var page struct {
		Posts []postView `json:"posts"`
	}
	if err := l.call(ctx, "app.bsky.feed.getPosts", url.Values{"uris": {uri}}, nil, &page); err != nil {
		return nil, err
	}
	for _, p := range page.Posts {
		if p.URI == uri {
			return &p, nil
		}
	}
	return nil, nil
}

// create posts rec with the record key rkey ("" lets the PDS choose), or
// finds the record an earlier attempt made with it. A PDS refuses a key
// already used (with a 500 before the lexicon named the error, with an
// error of its own since), so when creating fails, the record is looked
// up: if it is there with the same text, it was this reply's and counts
// as posted; if another text holds the key (two replies whose keys hash
// alike), the piece is posted under a key the PDS picks.
func (l *Listener) create(ctx context.Context, did, rkey string, rec postRecord) (strongRef, error) {
	in := map[string]any{"repo": did, "collection": "app.bsky.feed.post", "record": rec}
	if rkey != "" {
		in["rkey"] = rkey
	}
	var made strongRef
	err := l.call(ctx, "com.atproto.repo.createRecord", nil, in, &made)
	var xe *xrpcError
	if err == nil || rkey == "" || !errors.As(err, &xe) || xe.Status == http.StatusTooManyRequests || xe.expired() {
		return made, err
	}
	var got struct {
		URI   string     `json:"uri"`
		CID   string     `json:"cid"`
		Value postRecord `json:"value"`
	}
	q := url.Values{"repo": {did}, "collection": {"app.bsky.feed.post"}, "rkey": {rkey}}
	if gerr := l.call(ctx, "com.atproto.repo.getRecord", q, nil, &got); gerr != nil {
		return made, err // not there: the first error is the one to tell
	}
	if got.Value.Text == rec.Text {
		l.log.Info("a reply's post was already made by an earlier attempt", "uri", got.URI)
		return strongRef{URI: got.URI, CID: got.CID}, nil
	}
	delete(in, "rkey")
	err = l.call(ctx, "com.atproto.repo.createRecord", nil, in, &made)
	return made, err
}

// replyKey is the record key (a TID) of piece i of the reply whose
// idempotency key is key, the same on every attempt.
//
// A TID is 64 bits, the top one 0: 53 bits of microseconds since 1970 and
// a 10-bit clock id, written in base32-sortable. A PDS takes any valid TID
// as a post's key, but a plausible one keeps the brand's repository in
// time order, so the time part is one no attempt can change: the second
// the customer's post was indexed (base), plus up to 0.9 s of
// microseconds from the key's hash, plus i so a thread's pieces sort in
// order. The clock id is 10 more bits of the hash. Two replies to one
// post thus share a key only with odds of about one in 10⁹, and create
// tells even that case from a retry by the record's text.
func replyKey(key string, i int, base time.Time) string {
	h := sha256.Sum256([]byte(key))
	if base.IsZero() || base.Year() < 2023 {
		base = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC) // Bluesky's early days: still a plausible time
	}
	micros := base.Truncate(time.Second).UnixMicro() + int64(binary.BigEndian.Uint32(h[0:4])%900_000) + int64(i)
	clock := uint64(binary.BigEndian.Uint16(h[4:6]) & 1023)
	return tid(uint64(micros)<<10 | clock)
}

// tidAlphabet is base32-sortable: TIDs compare as their times do.
const tidAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// tid writes v, top bit cleared, as a 13-character TID.
func tid(v uint64) string {
	v &^= 1 << 63
	b := make([]byte, 13)
	for i := 12; i >= 0; i-- {
		b[i] = tidAlphabet[v&31]
		v >>= 5
	}
	return string(b)
}

// sendError classifies an error of Send for the delivery workers: a rate
// limit waits until Bluesky's reset, an XRPC refusal (4xx) is permanent,
// with what Bluesky said; anything else is tried again.
func (l *Listener) sendError(err error) error {
	if until, busy := listen.IsBusy(err); busy {
		return bot.RetryAfter(max(until.Sub(l.now()), time.Second), fmt.Errorf("the Bluesky server asked caredesk to slow down; the reply is sent again after %s", until.UTC().Format(time.RFC3339)))
	}
	var ae *authError
	if errors.As(err, &ae) {
		return fmt.Errorf("%w; the reply is sent again once it works", ae)
	}
	var xe *xrpcError
	if errors.As(err, &xe) && xe.Status >= 400 && xe.Status < 500 && xe.Status != http.StatusRequestTimeout && !xe.expired() {
		return bot.Permanent(fmt.Errorf("the Bluesky server refused the reply: %s", strings.TrimSuffix(cmp.Or(xe.Message, xe.Name), ".")))
	}
	return fmt.Errorf("the reply could not reach Bluesky (%v); it is sent again", err)
}
