package webhook_test

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"caredesk/adapters/webhook"
)

func TestParseComplaintNormalises(t *testing.T) {
	tests := []struct {
		name string
		body string
		want webhook.Complaint
	}{
		{
			"every field",
			`{"id":"tw-1","conversation_id":"thread-9","author":{"id":"u1","handle":"jane","name":"Jane Doe","profile_url":"https://x.com/jane","followers":25000},
			  "text":"my order never came","url":"https://x.com/jane/status/1","language":"en","timestamp":"2025-03-14T09:29:00Z",
			  "attachments":["https://pbs.example/1.jpg","https://pbs.example/2.jpg"]}`,
			webhook.Complaint{
				ID: "tw-1", ConversationID: "thread-9",
				Author: webhook.Author{ID: "u1", Handle: "jane", Name: "Jane Doe", ProfileURL: "https://x.com/jane", Followers: 25000},
				Text:   "my order never came", URL: "https://x.com/jane/status/1", Language: "en",
				Timestamp:   time.Date(2025, 3, 14, 9, 29, 0, 0, time.UTC),
				Attachments: []string{"https://pbs.example/1.jpg", "https://pbs.example/2.jpg"},
			},
		},
		{
			"the least: the conversation is the author's",
			`{"id":"1","author":{"id":"u1"},"text":"hi"}`,
			webhook.Complaint{ID: "1", ConversationID: "u1", Author: webhook.Author{ID: "u1"}, Text: "hi"},
		},
		{
			"numbers for ids and a string for followers, as low-code tools send them",
			`{"id":1234567890123456789,"conversation_id":77,"author":{"id":42,"followers":"1200"},"text":"hi"}`,
			webhook.Complaint{ID: "1234567890123456789", ConversationID: "77", Author: webhook.Author{ID: "42", Followers: 1200}, Text: "hi"},
		},
		{
			"empty strings and nulls are absent",
			`{"id":"1","conversation_id":"","author":{"id":"u1","handle":"","followers":"","profile_url":null},"text":"hi","url":"","language":"","timestamp":"","attachments":null,"private":null,"time_zone":""}`,
			webhook.Complaint{ID: "1", ConversationID: "u1", Author: webhook.Author{ID: "u1"}, Text: "hi"},
		},
		{
			"text and names cleaned, the handle without @",
			"{\"id\":\"1\",\"author\":{\"id\":\"u1\",\"handle\":\" @@jane \",\"name\":\" Jane\\n\\tDoe\\u0000 \"},\"text\":\"  line one\\r\\nline two\\u0000\\u0007\\n \"}",
			webhook.Complaint{ID: "1", ConversationID: "u1", Author: webhook.Author{ID: "u1", Handle: "jane", Name: "Jane Doe"}, Text: "line one\nline two"},
		},
		{
			"escape sequences go whole, bidi overrides too, not only their ESC byte",
			"{\"id\":\"1\",\"author\":{\"id\":\"u1\",\"name\":\"Bob\\u202egpj.exe \\u001b[31mRED\\u001b[0m\"},\"text\":\"a\\u001b[2J\\u001b]8;;http://evil\\u0007link\\u001b]8;;\\u0007\"}",
			webhook.Complaint{ID: "1", ConversationID: "u1", Author: webhook.Author{ID: "u1", Name: "Bobgpj.exe RED"}, Text: "alink"},
		},
		{
			"a time with an offset is kept as UTC; pt_BR is pt-BR",
			`{"id":"1","author":{"id":"u1"},"text":"olá","timestamp":"2025-03-14T12:29:00.5+03:00","language":"pt_BR"}`,
			webhook.Complaint{ID: "1", ConversationID: "u1", Author: webhook.Author{ID: "u1"}, Text: "olá", Language: "pt-BR",
				Timestamp: time.Date(2025, 3, 14, 9, 29, 0, 500_000_000, time.UTC)},
		},
		{
			"a private message with the customer's zone",
			`{"id":"dm-1","conversation_id":"thread-9","author":{"id":"u1"},"text":"hi","private":true,"time_zone":" Europe/Istanbul "}`,
			webhook.Complaint{ID: "dm-1", ConversationID: "thread-9", Author: webhook.Author{ID: "u1"}, Text: "hi", Private: true, TimeZone: "Europe/Istanbul"},
		},
		{
			"private and public in strings, as low-code tools map them",
			`{"id":"1","author":{"id":"u1"},"text":"hi","private":"true"}`,
			webhook.Complaint{ID: "1", ConversationID: "u1", Author: webhook.Author{ID: "u1"}, Text: "hi", Private: true},
		},
		{
			"a public post said so, in the zone database's own names",
			`{"id":"1","author":{"id":"u1"},"text":"hi","private":"false","time_zone":"Etc/GMT-3"}`,
			webhook.Complaint{ID: "1", ConversationID: "u1", Author: webhook.Author{ID: "u1"}, Text: "hi", TimeZone: "Etc/GMT-3"},
		},
		{
			"unknown fields are ignored",
			`{"id":"1","author":{"id":"u1","verified":true},"text":"hi","sentiment":-0.8,"raw":{"anything":[1,2]}}`,
			webhook.Complaint{ID: "1", ConversationID: "u1", Author: webhook.Author{ID: "u1"}, Text: "hi"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, fe := webhook.ParseComplaint([]byte(tc.body), 0)
			if fe != nil {
				t.Fatalf("ParseComplaint: %v (field %q)", fe, fe.Field)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseComplaint =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestParseComplaintRefuses(t *testing.T) {
	const maxText = 280
	valid := `"id":"1","author":{"id":"u1"}`
	tests := []struct {
		name      string
		body      string
		field     string // "" for the body as a whole
		malformed bool
	}{
		{"empty body", ``, "", true},
		{"not JSON", `id=1&text=hi`, "", true},
		{"cut short", `{"id":"1","author":{"id":"u1"},"text":"hi`, "", true},
		{"an array", `[{"id":"1"}]`, "", true},
		{"JSON after the object", `{` + valid + `,"text":"hi"} {}`, "", true},
		{"no id", `{"author":{"id":"u1"},"text":"hi"}`, "id", false},
		{"id only spaces", `{"id":"  ","author":{"id":"u1"},"text":"hi"}`, "id", false},
		{"id an object", `{"id":{"x":1},"author":{"id":"u1"},"text":"hi"}`, "id", false},
		{"id a fraction", `{"id":1.5,"author":{"id":"u1"},"text":"hi"}`, "id", false},
		{"id with a control character", `{"id":"a\u0000b","author":{"id":"u1"},"text":"hi"}`, "id", false},
		{"id too long", `{"id":"` + strings.Repeat("x", 257) + `","author":{"id":"u1"},"text":"hi"}`, "id", false},
		{"no author", `{"id":"1","text":"hi"}`, "author", false},
		{"author a string", `{"id":"1","author":"jane","text":"hi"}`, "author", false},
		{"no author id", `{"id":"1","author":{"handle":"jane"},"text":"hi"}`, "author.id", false},
		{"conversation an array", `{` + valid + `,"conversation_id":["a"],"text":"hi"}`, "conversation_id", false},
		{"no text", `{` + valid + `}`, "text", false},
		{"text only spaces and controls", `{` + valid + `,"text":" \n\u0000\t "}`, "text", false},
		{"text a number", `{` + valid + `,"text":12}`, "text", false},
		{"text one character too long", `{` + valid + `,"text":"` + strings.Repeat("😡", maxText+1) + `"}`, "text", false},
		{"handle too long", `{"id":"1","author":{"id":"u1","handle":"` + strings.Repeat("h", 101) + `"},"text":"hi"}`, "author.handle", false},
		{"name too long", `{"id":"1","author":{"id":"u1","name":"` + strings.Repeat("n", 201) + `"},"text":"hi"}`, "author.name", false},
		{"negative followers", `{"id":"1","author":{"id":"u1","followers":-1},"text":"hi"}`, "author.followers", false},
		{"followers a fraction", `{"id":"1","author":{"id":"u1","followers":1.5},"text":"hi"}`, "author.followers", false},
		{"followers a word", `{"id":"1","author":{"id":"u1","followers":"many"},"text":"hi"}`, "author.followers", false},
		{"profile URL relative", `{"id":"1","author":{"id":"u1","profile_url":"/jane"},"text":"hi"}`, "author.profile_url", false},
		{"post URL javascript", `{` + valid + `,"text":"hi","url":"javascript:alert(1)"}`, "url", false},
		{"post URL ftp", `{` + valid + `,"text":"hi","url":"ftp://x.example/1"}`, "url", false},
		{"post URL with a user", `{` + valid + `,"text":"hi","url":"https://x.com@evil.example/1"}`, "url", false},
		{"post URL that ends a Slack link", `{` + valid + `,"text":"hi","url":"https://x.com/a|click here>"}`, "url", false},
		{"post URL with a space", `{` + valid + `,"text":"hi","url":"https://x.com/a b"}`, "url", false},
		{"post URL without a host", `{` + valid + `,"text":"hi","url":"https:///a"}`, "url", false},
		{"post URL too long", `{` + valid + `,"text":"hi","url":"https://x.com/` + strings.Repeat("a", 2048) + `"}`, "url", false},
		{"language a sentence", `{` + valid + `,"text":"hi","language":"English please"}`, "language", false},
		{"timestamp in Unix seconds", `{` + valid + `,"text":"hi","timestamp":"1741944540"}`, "timestamp", false},
		{"timestamp a number", `{` + valid + `,"text":"hi","timestamp":1741944540}`, "timestamp", false},
		{"timestamp without a zone", `{` + valid + `,"text":"hi","timestamp":"2025-03-14T09:29:00"}`, "timestamp", false},
		{"private a number", `{` + valid + `,"text":"hi","private":1}`, "private", false},
		{"private a word", `{` + valid + `,"text":"hi","private":"yes"}`, "private", false},
		{"time zone an offset", `{` + valid + `,"text":"hi","time_zone":"+03:00"}`, "time_zone", false},
		{"time zone not in the database", `{` + valid + `,"text":"hi","time_zone":"Europe/Atlantis"}`, "time_zone", false},
		{"time zone caredesk's own", `{` + valid + `,"text":"hi","time_zone":"Local"}`, "time_zone", false},
		{"time zone a path", `{` + valid + `,"text":"hi","time_zone":"../../etc/passwd"}`, "time_zone", false},
		{"time zone a number", `{` + valid + `,"text":"hi","time_zone":3}`, "time_zone", false},
		{"attachments a string", `{` + valid + `,"text":"hi","attachments":"https://x.example/1.jpg"}`, "attachments", false},
		{"an attachment not a URL", `{` + valid + `,"text":"hi","attachments":["https://x.example/1.jpg","photo.jpg"]}`, "attachments[1]", false},
		{"an attachment a number", `{` + valid + `,"text":"hi","attachments":[1]}`, "attachments[0]", false},
		{"an attachment empty", `{` + valid + `,"text":"hi","attachments":[""]}`, "attachments[0]", false},
		{"21 attachments", `{` + valid + `,"text":"hi","attachments":[` + strings.Repeat(`"https://x.example/1.jpg",`, 20) + `"https://x.example/1.jpg"]}`, "attachments", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, fe := webhook.ParseComplaint([]byte(tc.body), maxText)
			if fe == nil {
				t.Fatalf("ParseComplaint took it: %+v", c)
			}
			if fe.Field != tc.field || fe.Malformed != tc.malformed {
				t.Errorf("field %q, malformed %v: %s; want field %q, malformed %v", fe.Field, fe.Malformed, fe, tc.field, tc.malformed)
			}
			if tc.field != "" && !strings.HasPrefix(fe.Message, tc.field+" ") {
				t.Errorf("the message %q does not start with the field's name", fe.Message)
			}
			if !strings.HasSuffix(fe.Message, ".") {
				t.Errorf("the message %q is not a sentence", fe.Message)
			}
		})
	}
}

func TestParseComplaintCountsCharactersNotBytes(t *testing.T) {
	text := strings.Repeat("😡", 280) // 1120 bytes
	body, _ := json.Marshal(map[string]any{"id": "1", "author": map[string]any{"id": "u1"}, "text": text})
	if _, fe := webhook.ParseComplaint(body, 280); fe != nil {
		t.Errorf("280 emoji refused with a limit of 280 characters: %v", fe)
	}
}

// TestSeedCorpusMeansWhatItsNameSays keeps the hand-written seeds honest:
// a seed named valid-… is taken, invalid-… refused for a field, and
// malformed-… refused as a whole. Seeds the fuzzer found have hex names
// and are not checked here.
func TestSeedCorpusMeansWhatItsNameSays(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParseComplaint")
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		kind, _, _ := strings.Cut(f.Name(), "-")
		if kind != "valid" && kind != "invalid" && kind != "malformed" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		header, literal, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		body, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(literal, "[]byte("), ")"))
		if header != "go test fuzz v1" || err != nil {
			t.Fatalf("%s is not a fuzz corpus file with one []byte: %v", f.Name(), err)
		}
		_, fe := webhook.ParseComplaint([]byte(body), 280)
		switch {
		case kind == "valid" && fe != nil:
			t.Errorf("%s is refused: %v", f.Name(), fe)
		case kind == "invalid" && (fe == nil || fe.Malformed):
			t.Errorf("%s: %v, want a field refused", f.Name(), fe)
		case kind == "malformed" && (fe == nil || !fe.Malformed):
			t.Errorf("%s: %v, want the body refused as a whole", f.Name(), fe)
		}
	}
}

// FuzzParseComplaint feeds the parser arbitrary bodies. It must never
// panic; what it takes must satisfy the documented invariants; and a taken
// complaint, encoded again as JSON, must parse to the same value, so that
// normalising is stable. The seed corpus, hand-written and found by
// fuzzing, is in testdata/fuzz/FuzzParseComplaint.
func FuzzParseComplaint(f *testing.F) {
	f.Add([]byte(`{"id":"1","author":{"id":"u1"},"text":"hi"}`))
	const maxText = 280
	f.Fuzz(func(t *testing.T, body []byte) {
		c, fe := webhook.ParseComplaint(body, maxText)
		if fe != nil {
			if fe.Message == "" {
				t.Fatalf("an error without a message: %+v", fe)
			}
			if fe.Malformed && fe.Field != "" {
				t.Fatalf("a malformed body blames the field %q", fe.Field)
			}
			return
		}
		checkInvariants(t, c, maxText)
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("a taken complaint does not encode: %v\n%+v", err, c)
		}
		c2, fe := webhook.ParseComplaint(again, maxText)
		if fe != nil {
			t.Fatalf("the re-encoded complaint is refused: %v (field %q)\n%s", fe, fe.Field, again)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("the re-encoded complaint parses differently:\n%+v\n%+v", c, c2)
		}
	})
}

// checkInvariants fails t unless c is a complaint the parser may take.
func checkInvariants(t *testing.T, c webhook.Complaint, maxText int) {
	t.Helper()
	for field, id := range map[string]string{"id": c.ID, "author.id": c.Author.ID, "conversation_id": c.ConversationID} {
		if strings.TrimSpace(id) == "" || utf8.RuneCountInString(id) > 256 || strings.IndexFunc(id, unicode.IsControl) >= 0 {
			t.Fatalf("%s %q taken", field, id)
		}
	}
	if c.Text == "" || c.Text != strings.TrimSpace(c.Text) || utf8.RuneCountInString(c.Text) > maxText || !utf8.ValidString(c.Text) {
		t.Fatalf("text %q taken", c.Text)
	}
	if strings.ContainsFunc(c.Text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
		t.Fatalf("text with control characters taken: %q", c.Text)
	}
	for _, s := range []string{c.Author.Name, c.Author.Handle} {
		if s != strings.Join(strings.Fields(s), " ") || strings.IndexFunc(s, unicode.IsControl) >= 0 {
			t.Fatalf("name or handle %q taken", s)
		}
	}
	if strings.HasPrefix(c.Author.Handle, "@") || c.Author.Followers < 0 {
		t.Fatalf("author %+v taken", c.Author)
	}
	if len(c.Attachments) > 20 {
		t.Fatalf("%d attachments taken", len(c.Attachments))
	}
	for _, u := range append([]string{c.URL, c.Author.ProfileURL}, c.Attachments...) {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Hostname() == "" || p.User != nil || strings.ContainsAny(u, " <>|\"\\") {
			t.Fatalf("URL %q taken", u)
		}
	}
	if !c.Timestamp.IsZero() && c.Timestamp.Location() != time.UTC {
		t.Fatalf("timestamp %v not in UTC", c.Timestamp)
	}
}
