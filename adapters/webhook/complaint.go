package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"caredesk/bot"
)

// DefaultMaxText is the longest complaint text taken when Options.MaxText
// is 0, in characters. Slack cuts a message's text at 40,000 characters,
// so a longer complaint would reach the agent with its end silently gone;
// it is refused instead, and the bridge can say so or split it.
const DefaultMaxText = 40_000

// Limits of the other fields, in characters. They keep one complaint from
// filling the desk with a name or an id, and match the JSON Schema in
// docs/webhook-complaint.schema.json.
const (
	maxID          = 256
	maxHandle      = 100
	maxName        = 200
	maxURL         = 2048
	maxLanguage    = 35 // the longest BCP 47 tags in use
	maxTimeZone    = 64 // twice the longest IANA zone name
	maxAttachments = 20
)

// Complaint is a customer's message as a bridge sends it, after
// ParseComplaint checked and normalised it. Encoded as JSON it is a valid
// complaint body that parses to the same value.
type Complaint struct {
	ID string `json:"id"` // the network's id of the message, unique within its conversation
	// ConversationID is where the customer's later posts and caredesk's
	// replies belong (a thread, a DM); the author's id when the bridge
	// sends none, so that one person's posts share one ticket.
	ConversationID string    `json:"conversation_id"`
	Author         Author    `json:"author"`
	Text           string    `json:"text"`                  // trimmed, never empty
	URL            string    `json:"url,omitempty"`         // the original post
	Language       string    `json:"language,omitempty"`    // BCP 47, like "en" or "pt-BR"
	Timestamp      time.Time `json:"timestamp,omitzero"`    // UTC; zero means "when caredesk got it"
	Attachments    []string  `json:"attachments,omitempty"` // URLs of pictures and files
	// Private says the conversation is the customer's alone with the brand
	// (a DM), where caredesk acknowledges a new complaint; false, the
	// default, is a public post, where it does not.
	Private bool `json:"private,omitempty"`
	// TimeZone is the customer's IANA zone, like "Europe/Istanbul", when
	// the network said; the acknowledgement's deadline is written in it.
	TimeZone string `json:"time_zone,omitempty"`
}

// Author is who wrote a complaint, as their network knows them.
type Author struct {
	ID         string `json:"id"`
	Handle     string `json:"handle,omitempty"` // without "@"
	Name       string `json:"name,omitempty"`
	ProfileURL string `json:"profile_url,omitempty"`
	Followers  int    `json:"followers,omitempty"` // 0 when unknown
}

// FieldError says what is wrong with a body, in a sentence for the person
// who builds the bridge.
type FieldError struct {
	// Field is the JSON path of the culprit ("author.id", "attachments[2]");
	// "" when the body as a whole is wrong.
	Field string
	// Malformed means the body is no JSON object at all (HTTP 400); a
	// well-formed body with a wrong field is not (HTTP 422).
	Malformed bool
	Message   string
}

// Error returns the sentence.
func (e *FieldError) Error() string { return e.Message }

// fieldErr returns a FieldError about a field.
func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// wireComplaint is a complaint body as decoded, before checking. Ids may
// come as JSON numbers and counts as strings, because low-code tools make
// either easy to get wrong (fields mapped in Zapier's editor are text).
type wireComplaint struct {
	ID             looseString       `json:"id"`
	ConversationID looseString       `json:"conversation_id"`
	Author         *wireAuthor       `json:"author"`
	Text           string            `json:"text"`
	URL            string            `json:"url"`
	Language       string            `json:"language"`
	Timestamp      string            `json:"timestamp"`
	Attachments    []json.RawMessage `json:"attachments"`
	Private        looseBool         `json:"private"`
	TimeZone       string            `json:"time_zone"`
}

type wireAuthor struct {
	ID         looseString `json:"id"`
	Handle     string      `json:"handle"`
	Name       string      `json:"name"`
	ProfileURL string      `json:"profile_url"`
	Followers  looseInt    `json:"followers"`
}

// ParseComplaint checks a complaint body and returns it normalised: text
// and names trimmed and without control characters, the handle without
// "@", the conversation defaulted to the author, the timestamp in UTC. An
// empty string counts as absent. Fields it does not know are ignored, since
// bridges pass on whatever the network gave them. Text may hold at most
// maxText characters (DefaultMaxText when maxText <= 0).
//
// It is a pure function of its input, shared by the handler and the fuzz
// test.
func ParseComplaint(body []byte, maxText int) (Complaint, *FieldError) {
	if maxText <= 0 {
		maxText = DefaultMaxText
	}
	var w wireComplaint
	if fe := decode(body, &w); fe != nil {
		return Complaint{}, fe
	}
	if w.Author == nil {
		return Complaint{}, fieldErr("author", "author is required: an object with at least the author's id on the network, {\"id\": \"…\"}.")
	}
	var c Complaint
	var fe *FieldError
	if c.ID, fe = checkID("id", string(w.ID), true); fe != nil {
		return Complaint{}, fe
	}
	if c.Author, fe = parseAuthor(w.Author); fe != nil {
		return Complaint{}, fe
	}
	if c.ConversationID, fe = checkID("conversation_id", string(w.ConversationID), false); fe != nil {
		return Complaint{}, fe
	}
	if c.ConversationID == "" {
		c.ConversationID = c.Author.ID
	}
	c.Text = cleanText(w.Text)
	if fe = checkText(c.Text, maxText); fe != nil {
		return Complaint{}, fe
	}
	if c.URL, fe = checkURL("url", w.URL); fe != nil {
		return Complaint{}, fe
	}
	if c.Language, fe = checkLanguage(w.Language); fe != nil {
		return Complaint{}, fe
	}
	if c.Timestamp, fe = checkTimestamp(w.Timestamp); fe != nil {
		return Complaint{}, fe
	}
	if c.Attachments, fe = checkAttachments(w.Attachments); fe != nil {
		return Complaint{}, fe
	}
	if c.TimeZone, fe = checkTimeZone(w.TimeZone); fe != nil {
		return Complaint{}, fe
	}
	c.Private = bool(w.Private)
	return c, nil
}

// parseAuthor checks and normalises the author object.
func parseAuthor(w *wireAuthor) (Author, *FieldError) {
	a := Author{
		Handle:    strings.TrimLeftFunc(cleanLine(w.Handle), isSpaceOrAt),
		Name:      cleanLine(w.Name),
		Followers: int(w.Followers),
	}
	var fe *FieldError
	if a.ID, fe = checkID("author.id", string(w.ID), true); fe != nil {
		return Author{}, fe
	}
	if fe = checkLength("author.handle", a.Handle, maxHandle); fe != nil {
		return Author{}, fe
	}
	if fe = checkLength("author.name", a.Name, maxName); fe != nil {
		return Author{}, fe
	}
	if w.Followers < 0 || int64(a.Followers) != int64(w.Followers) {
		return Author{}, fieldErr("author.followers", "author.followers must be a whole number of 0 or more, not %d.", w.Followers)
	}
	if a.ProfileURL, fe = checkURL("author.profile_url", w.ProfileURL); fe != nil {
		return Author{}, fe
	}
	return a, nil
}

// checkText checks the complaint's words, already cleaned.
func checkText(text string, maxText int) *FieldError {
	if text == "" {
		return fieldErr("text", "text is required: the customer's words, not empty or only spaces.")
	}
	if n := utf8.RuneCountInString(text); n > maxText {
		return fieldErr("text", "text has %d characters, more than the %d the desk can show: shorten it, or send it as several complaints with the same conversation_id.", n, maxText)
	}
	return nil
}

// checkAttachments checks that every attachment is an absolute http(s) URL.
func checkAttachments(raw []json.RawMessage) ([]string, *FieldError) {
	if len(raw) > maxAttachments {
		return nil, fieldErr("attachments", "attachments has %d URLs, more than %d: send the first %d, or link the rest from the text.", len(raw), maxAttachments, maxAttachments)
	}
	var out []string
	for i, r := range raw {
		field := fmt.Sprintf("attachments[%d]", i)
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return nil, fieldErr(field, "%s must be a URL in a JSON string.", field)
		}
		u, fe := checkURL(field, s)
		if fe != nil {
			return nil, fe
		}
		if u == "" {
			return nil, fieldErr(field, "%s is empty: leave it out of the list instead.", field)
		}
		out = append(out, u)
	}
	return out, nil
}

// inbound is the complaint as the core files it, from source src; its
// attachments are files to fetch too when src says so.
func (c Complaint) inbound(src Source) bot.Inbound {
	var files []bot.Attachment
	if src.FetchAttachments {
		files = attachmentFiles(src, c.Attachments)
	}
	return bot.Inbound{
		Files:        files,
		Source:       SourceName(src.Name),
		MessageID:    c.ID,
		Conversation: c.ConversationID,
		Customer: bot.Customer{
			ID: c.Author.ID, Name: c.Author.Name, Handle: c.Author.Handle,
			ProfileURL: c.Author.ProfileURL, Followers: c.Author.Followers,
		},
		Text:        c.Text,
		At:          c.Timestamp,
		Network:     src.network(),
		PostURL:     c.URL,
		Language:    c.Language,
		Attachments: c.Attachments,
		Private:     c.Private,
		TimeZone:    c.TimeZone,
	}
}
