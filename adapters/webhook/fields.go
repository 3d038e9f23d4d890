package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"caredesk/outside"
)

// decode reads a JSON object into v, turning the decoder's errors into
// sentences that name the field.
func decode(body []byte, v any) *FieldError {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return &FieldError{Malformed: true, Message: "The body is empty: send a JSON object."}
	}
	if trimmed[0] != '{' {
		return &FieldError{Malformed: true, Message: "The body must be a JSON object, {…}."}
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return &FieldError{Malformed: true, Message: fmt.Sprintf("The body is not valid JSON: %v (at byte %d).", syntax, syntax.Offset)}
	case errors.As(err, &typ) && typ.Field != "":
		return fieldErr(typ.Field, "%s must be %s, not %s.", typ.Field, expected(typ.Field), described(typ.Value))
	}
	return &FieldError{Malformed: true, Message: "The body is not a JSON object of the documented shape: " + err.Error() + "."}
}

// expected describes the JSON type a field must have.
func expected(field string) string {
	switch field {
	case "id", "conversation_id", "author.id", "customer_id", "event_id":
		return "a string (a whole number is taken too)"
	case "author":
		return "an object"
	case "author.followers", "reply_id", "ticket", "score":
		return "a whole number (or one in a string)"
	case "attachments":
		return "an array of URLs"
	case "private":
		return "true or false (\"true\" and \"false\" in a string are taken too)"
	}
	return "a string"
}

// described turns encoding/json's name of a value ("number 1.5",
// "object") into words; the loose types below already use words.
func described(value string) string {
	switch {
	case value == "string":
		return "a string"
	case value == "object":
		return "an object"
	case value == "array":
		return "an array"
	case value == "bool":
		return "a boolean"
	case strings.HasPrefix(value, "number"):
		return "the " + value
	}
	return value
}

// looseString is a JSON string, or a whole number taken as its digits:
// network ids are often numbers in a bridge's hands.
type looseString string

// UnmarshalJSON takes a string, a whole number, or null (absent).
func (s *looseString) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case b[0] == '"':
		var v string
		err := json.Unmarshal(b, &v)
		*s = looseString(v)
		return err
	case isDigits(string(b)):
		*s = looseString(b)
		return nil
	}
	return &json.UnmarshalTypeError{Value: kindOf(b), Type: reflect.TypeFor[string]()}
}

// looseInt is a whole JSON number, or one written in a string; "" and null
// are absent (0).
type looseInt int64

// UnmarshalJSON takes a whole number, a string of one, "" or null.
func (n *looseInt) UnmarshalJSON(b []byte) error {
	text := string(b)
	if text == "null" {
		return nil
	}
	if b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		if text = strings.TrimSpace(text); text == "" {
			return nil
		}
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return &json.UnmarshalTypeError{Value: kindOf(b), Type: reflect.TypeFor[int64]()}
	}
	*n = looseInt(v)
	return nil
}

// looseBool is a JSON boolean, or one written in a string ("true",
// "false"), as low-code tools map it; "" and null are absent (false).
type looseBool bool

// UnmarshalJSON takes true, false, "true", "false", "" or null.
func (v *looseBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`:
		*v = true
		return nil
	case "false", `"false"`, `""`, "null":
		*v = false
		return nil
	}
	return &json.UnmarshalTypeError{Value: kindOf(b), Type: reflect.TypeFor[bool]()}
}

// kindOf names the JSON value b for an error message.
func kindOf(b []byte) string {
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "the string " + clip(string(b), 40)
	}
	return "the number " + clip(string(b), 40)
}

func isDigits(s string) bool {
	return s != "" && strings.TrimLeft(s, "0123456789") == ""
}

// cleanText removes what would act instead of being read (escape
// sequences whole, not only their ESC byte; control characters other than
// line breaks and tabs; bidi overrides; see outside.Clean; a NUL cannot even
// be stored in PostgreSQL), makes every line break a "\n", and trims spaces
// at both ends.
func cleanText(s string) string { return strings.TrimSpace(outside.Clean(s)) }

// cleanLine is cleanText on one line: every run of spaces and line breaks
// becomes one space, so that a name cannot break the desk's layout.
func cleanLine(s string) string { return strings.Join(strings.Fields(cleanText(s)), " ") }

func isSpaceOrAt(r rune) bool  { return r == '@' || unicode.IsSpace(r) }
func hasControl(s string) bool { return strings.IndexFunc(s, unicode.IsControl) >= 0 }

// checkID checks an id: absent ("" or only spaces) is an error when
// required; otherwise it is kept exactly as sent, since it is compared with
// the same id on the next retry.
func checkID(field, id string, required bool) (string, *FieldError) {
	if strings.TrimSpace(id) == "" {
		if !required {
			return "", nil
		}
		why := map[string]string{
			"id":          "the network's id of the message, the same on every retry, so that caredesk files it once",
			"author.id":   "the author's id on the network, so that their later posts join their ticket",
			"customer_id": "the author.id of the customer who answered, as in their complaints, since only they may rate their ticket",
		}[field]
		return "", fieldErr(field, "%s is required: %s.", field, why)
	}
	if hasControl(id) {
		return "", fieldErr(field, "%s must not contain control characters.", field)
	}
	if fe := checkLength(field, id, maxID); fe != nil {
		return "", fe
	}
	return id, nil
}

// checkLength checks that s has at most limit characters.
func checkLength(field, s string, limit int) *FieldError {
	if n := utf8.RuneCountInString(s); n > limit {
		return fieldErr(field, "%s has %d characters, more than %d.", field, n, limit)
	}
	return nil
}

// unsafeInURL are characters a URL must not hold unencoded. They let a
// link end early or change meaning where the desk shows it (Slack writes
// links as <url|text>), and browsers read "\" as "/".
const unsafeInURL = " \"<>\\^`{|}"

// checkURL checks an optional absolute http(s) URL and returns it as sent.
func checkURL(field, s string) (string, *FieldError) {
	if s == "" {
		return "", nil
	}
	if fe := checkLength(field, s, maxURL); fe != nil {
		return "", fe
	}
	if hasControl(s) || strings.ContainsAny(s, unsafeInURL) {
		return "", fieldErr(field, "%s must be a URL with spaces and the characters %s percent-encoded.", field, strings.TrimSpace(unsafeInURL))
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", fieldErr(field, "%s must be an absolute http:// or https:// URL, not %s.", field, strconv.Quote(clip(s, 80)))
	}
	if u.User != nil {
		// https://x.com@evil.example looks like x.com to a hurried reader.
		return "", fieldErr(field, "%s must not contain a user name or password (the part before @).", field)
	}
	return s, nil
}

// language is a BCP 47 tag, loosely: a language and optional subtags.
var language = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)

// checkLanguage checks an optional language tag. "pt_BR", as some APIs
// write it, is taken as "pt-BR".
func checkLanguage(s string) (string, *FieldError) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	if s == "" {
		return "", nil
	}
	if len(s) > maxLanguage || !language.MatchString(s) {
		return "", fieldErr("language", "language must be a language tag like \"en\" or \"pt-BR\", not %s.", strconv.Quote(clip(s, 40)))
	}
	return s, nil
}

// checkTimeZone checks an optional IANA time zone name, such as
// "Europe/Istanbul", against the zone database caredesk will read it
// with. "Local" is refused: it would mean caredesk's own zone.
func checkTimeZone(s string) (string, *FieldError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	bad := len(s) > maxTimeZone || hasControl(s) || s == "Local"
	if !bad {
		_, err := time.LoadLocation(s)
		bad = err != nil
	}
	if bad {
		return "", fieldErr("time_zone", "time_zone must be the name of an IANA time zone like \"Europe/Istanbul\" or \"America/Sao_Paulo\", not %s.", strconv.Quote(clip(s, 40)))
	}
	return s, nil
}

// checkTimestamp parses an optional RFC 3339 time into UTC.
func checkTimestamp(s string) (time.Time, *FieldError) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fieldErr("timestamp", "timestamp must be an RFC 3339 date and time like \"2024-05-01T09:30:00Z\", not %s.", strconv.Quote(clip(s, 40)))
	}
	t = t.UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fieldErr("timestamp", "timestamp %s is out of range.", strconv.Quote(clip(s, 40)))
	}
	return t, nil
}

// clip cuts s to at most n characters, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// redactURL shows where url points without its path and query, which
// often hold a token (Zapier's and Make's webhook addresses are secret).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a URL that cannot be parsed)"
	}
	out := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		out += "/…"
	}
	return out
}
