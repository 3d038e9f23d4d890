// Package webhook connects caredesk to any network a team can bridge with
// plain HTTP: X, Facebook, forums, complaint sites, an email parser. The
// bridge (n8n, Zapier, Make, the team's own scraper) POSTs each complaint
// as signed JSON to /hooks/{name}; caredesk POSTs the owner's reply, signed
// the same way, to the source's reply_url; and the bridge may POST back
// whether the reply was posted (/hooks/{name}/status). After a ticket is
// resolved, caredesk POSTs the satisfaction question there too (kind
// csat_request), and the bridge POSTs the customer's score back
// (/hooks/{name}/rating). The owner's files go to the bridge as signed
// links that expire, which Files serves at /files/; the owner's edits and
// deletions as kinds edit and delete. A source may have caredesk fetch
// its complaints' attachments (FetchAttachments), from public hosts only.
// docs/webhooks.md describes the protocol for the people who build
// bridges.
//
// Two promises shape it, as for every source. A complaint is answered 2xx
// only after the core stored it, and the same complaint sent twice is
// filed once, so a bridge may retry anything that did not get a 2xx. And
// a source's secret never appears in an error, a log line or an answer.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"

	"caredesk/bot"
)

// MaxBodySize bounds a request body. A complaint with 40,000 characters of
// text and 20 attachments is under 200 KiB; the bound keeps a hostile client
// from making caredesk read without end.
const MaxBodySize = 1 << 20

// minSecretLen is the shortest secret CheckSources accepts. A signature is
// sent with every request; a short secret could be found from one of them
// by trying every possibility offline.
const minSecretLen = 16

// sourceName is what a source's name may look like: it is part of a URL
// path and of the core's source name, so it stays plain.
var sourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Source is one webhook source, as the configuration declares it
// (sources.webhook[] in caredesk's YAML file).
type Source struct {
	Name     string // in the URL (/hooks/twitter) and the core's source name (webhook:twitter)
	Secret   string // shared with the bridge; signs both directions
	ReplyURL string // where replies are POSTed; "" when the bridge takes none
	Display  string // how people call the network, "X (Twitter)"; Name when ""
	// FetchAttachments makes a complaint's attachment URLs files too
	// (bot.Inbound.Files), which the core downloads through the source's
	// Client (Fetch) and shows in the thread; the links stay in the text.
	// Off by default: caredesk then reaches out to any host a bridge
	// names, public ones only.
	FetchAttachments bool
}

// network is the name the desk shows for the source.
func (s Source) network() string {
	if s.Display != "" {
		return s.Display
	}
	return s.Name
}

// SourceName is the core's name of the webhook source called name, as it
// appears in tickets, deliveries and metrics: "webhook:twitter".
func SourceName(name string) string { return "webhook:" + name }

// CheckSources finds the mistakes in a configuration of webhook sources:
// bad or repeated names, missing or short secrets, reply URLs that are not
// absolute http(s) URLs. Its errors name the source and say what to do;
// they never show a secret. Call it before Handler and NewClient.
func CheckSources(sources []Source) error {
	var errs []error
	seen := map[string]bool{}
	for i, s := range sources {
		label := fmt.Sprintf("webhook source %q", s.Name)
		if !sourceName.MatchString(s.Name) {
			errs = append(errs, fmt.Errorf("webhook source #%d: the name %q must be 1 to 63 lower-case letters, digits, _ or -, starting with a letter or digit (it becomes the URL /hooks/NAME)", i+1, s.Name))
		} else if seen[s.Name] {
			errs = append(errs, fmt.Errorf("%s is declared twice: each source needs its own name", label))
		}
		seen[s.Name] = true
		if len(s.Secret) < minSecretLen {
			errs = append(errs, fmt.Errorf("%s: the secret is empty or shorter than %d characters; set the environment variable named by its secret_env to a long random value (openssl rand -hex 32) and give the bridge the same", label, minSecretLen))
		}
		if s.ReplyURL != "" {
			if u, err := url.Parse(s.ReplyURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("%s: reply_url %s is not an absolute http(s) URL; give the address where the bridge receives replies", label, redactURL(s.ReplyURL)))
			}
		}
	}
	return errors.Join(errs...)
}

// Receiver takes a customer's message and stores it. The core's *bot.Bot is
// one. A complaint is answered 2xx only after Receive returned nil. An
// application error (bot.ErrorCode(err) != "") means the core will never
// file it, and the bridge is told so with a 422; any other error means "not
// stored, send it again" (503).
type Receiver interface {
	Receive(ctx context.Context, in bot.Inbound) error
}

// Reporter records what a bridge says about a reply after it took it. The
// core's *bot.Bot is one. An application error with code bot.ENOTFOUND
// means the report names no reply of that source.
type Reporter interface {
	ReportReply(ctx context.Context, r bot.ReplyReport) error
}

// Rater records a customer's answer to the satisfaction question. The
// core's *bot.Bot is one. An application error with code bot.ENOTFOUND
// means the ticket is not that customer's on the source, or they were not
// asked about it; any other application error is another refusal; any
// other error means "not recorded, send it again" (503).
type Rater interface {
	Rate(ctx context.Context, r bot.Rating) error
}

// Counter is told of every request turned away, for metrics. source is the
// core's source name ("webhook:twitter"), or "" when the request names no
// configured source: the name comes from whoever sent the request, and a
// metric label per made-up name would grow without end. reason is one of:
//
//	unknown_source  no source of that name (404)
//	method          not a POST (405)
//	too_large       the body is over MaxBodySize (413)
//	signature       missing or wrong signature or timestamp header (401)
//	stale           the signed timestamp is outside Tolerance (401)
//	malformed       the body is not a JSON object (400)
//	invalid         a field is missing or wrong (422)
//	refused         the core will never take it (422, or 404 for a report on an unknown reply or a rating of a ticket not asked about)
//	unavailable     the core could not store it now; the bridge retries (503)
type Counter interface {
	Rejected(source, reason string)
}
