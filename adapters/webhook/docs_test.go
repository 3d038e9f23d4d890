package webhook_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/bot"
)

// docs is where docs/webhooks.md and the JSON Schemas live.
const docs = "../../docs"

// schema is the part of a JSON Schema these tests read.
type schema struct {
	Required   []string          `json:"required"`
	Properties map[string]schema `json:"properties"`
	MaxLength  int               `json:"maxLength"`
	Items      *schema           `json:"items"`
	Examples   []json.RawMessage `json:"examples"`
}

func readSchema(t *testing.T, name string) schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(docs, name))
	if err != nil {
		t.Fatal(err)
	}
	var s schema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s is not JSON: %v", name, err)
	}
	return s
}

// jsonFields returns the JSON names of a struct type's fields.
func jsonFields(v any) []string {
	var out []string
	typ := reflect.TypeOf(v)
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func keys(m map[string]schema) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// TestSchemasMatchTheCode keeps the published JSON Schemas and the code
// that reads and writes the bodies in step, and checks that the schemas'
// examples are bodies the code takes.
func TestSchemasMatchTheCode(t *testing.T) {
	complaint := readSchema(t, "webhook-complaint.schema.json")
	author := complaint.Properties["author"]
	reply := readSchema(t, "webhook-reply.schema.json")
	status := readSchema(t, "webhook-status.schema.json")
	rating := readSchema(t, "webhook-rating.schema.json")
	// caredesk always sends every field of a reply but the scale, which
	// only a csat_request has, the message_id of an edit or a delete, and
	// the attachments of a reply with files.
	replyRequired := slices.DeleteFunc(jsonFields(webhook.Reply{}), func(f string) bool {
		return f == "scale" || f == "message_id" || f == "attachments"
	})
	var attachment schema
	if items := reply.Properties["attachments"].Items; items != nil {
		attachment = *items
	}
	tests := []struct {
		name             string
		schema           schema
		fields, required []string
	}{
		{"complaint", complaint, jsonFields(webhook.Complaint{}), []string{"author", "id", "text"}},
		{"complaint author", author, jsonFields(webhook.Author{}), []string{"id"}},
		{"reply", reply, jsonFields(webhook.Reply{}), replyRequired},
		{"reply in_reply_to", reply.Properties["in_reply_to"], jsonFields(webhook.InReplyTo{}), jsonFields(webhook.InReplyTo{})},
		{"reply scale", reply.Properties["scale"], jsonFields(webhook.Scale{}), jsonFields(webhook.Scale{})},
		{"reply attachments", attachment, jsonFields(webhook.FileLink{}), jsonFields(webhook.FileLink{})},
		{"status report", status, jsonFields(webhook.Report{}), []string{"reply_id", "status"}},
		{"rating", rating, jsonFields(webhook.Rating{}), []string{"customer_id", "score", "ticket"}},
	}
	for _, tc := range tests {
		if got := keys(tc.schema.Properties); !slices.Equal(got, tc.fields) {
			t.Errorf("%s: the schema has the fields %v, the code %v", tc.name, got, tc.fields)
		}
		if got := sorted(tc.schema.Required); !slices.Equal(got, tc.required) {
			t.Errorf("%s: the schema requires %v, the code %v", tc.name, got, tc.required)
		}
	}
	if complaint.Properties["text"].MaxLength != webhook.DefaultMaxText {
		t.Errorf("the schema's text maxLength is %d, the code's default %d", complaint.Properties["text"].MaxLength, webhook.DefaultMaxText)
	}

	for i, ex := range complaint.Examples {
		if _, fe := webhook.ParseComplaint(ex, 0); fe != nil {
			t.Errorf("complaint example %d is refused: %v", i, fe)
		}
	}
	for i, ex := range status.Examples {
		if _, fe := webhook.ParseReport(ex); fe != nil {
			t.Errorf("status example %d is refused: %v", i, fe)
		}
	}
	for i, ex := range rating.Examples {
		if _, fe := webhook.ParseRating(ex); fe != nil {
			t.Errorf("rating example %d is refused: %v", i, fe)
		}
	}
	for i, ex := range reply.Examples {
		var r webhook.Reply
		dec := json.NewDecoder(bytes.NewReader(ex))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Errorf("reply example %d is not what caredesk sends: %v", i, err)
		}
		again, _ := json.Marshal(r)
		var a, b any
		_ = json.Unmarshal(ex, &a)
		_ = json.Unmarshal(again, &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("reply example %d lacks fields caredesk sends:\n%s\n%s", i, ex, again)
		}
	}
}

// codeBlock returns the first fenced block after marker in docs/webhooks.md.
func codeBlock(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(docs, "webhooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), marker)
	if !ok {
		t.Fatalf("docs/webhooks.md has no %q", marker)
	}
	m := regexp.MustCompile("(?s)```[a-z]*\n(.*?)```").FindStringSubmatch(after)
	if m == nil {
		t.Fatalf("no code block after %q", marker)
	}
	return m[1]
}

// needs skips the test unless the commands are installed.
func needs(t *testing.T, commands ...string) {
	t.Helper()
	for _, c := range commands {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is not installed", c)
		}
	}
}

// TestDocsCurlExamplesAreSigned pastes the documentation's curl examples
// into a shell, as a reader would, against a real handler with the wall
// clock.
func TestDocsCurlExamplesAreSigned(t *testing.T) {
	needs(t, "sh", "curl", "openssl", "date", "sed")
	tests := []struct {
		marker, want string
		check        func(t *testing.T, rec *receiver, r *rater)
	}{
		{"<!-- curl-example", `{"status":"stored"}`, func(t *testing.T, rec *receiver, _ *rater) {
			if _, stored := rec.got(); len(stored) != 1 || stored[0].MessageID != "tw-1" || stored[0].Customer.Followers != 25000 {
				t.Errorf("stored %+v", stored)
			}
		}},
		{"<!-- curl-rating-example", `{"status":"recorded"}`, func(t *testing.T, _ *receiver, r *rater) {
			want := bot.Rating{Source: "webhook:twitter", TicketID: 12, CustomerID: "u1", Score: 4, EventID: "rate-1"}
			if got := r.got(); len(got) != 1 || got[0] != want {
				t.Errorf("the core got %+v, want %+v", got, want)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.marker, func(t *testing.T) {
			script := codeBlock(t, tc.marker)
			rec, r := newReceiver(), &rater{}
			srv := httptest.NewServer(webhook.Handler(webhook.Options{
				Sources:  []webhook.Source{{Name: "twitter", Secret: twitterSecret}},
				Receiver: rec, Reporter: &reporter{}, Rater: r,
			}))
			t.Cleanup(srv.Close)
			script = regexp.MustCompile(`(?m)^CAREDESK=.*$`).ReplaceAllString(script, "CAREDESK="+srv.URL)

			cmd := exec.CommandContext(testContext(t), "sh", "-c", script)
			cmd.Env = append(os.Environ(), "TWITTER_HOOK_SECRET="+twitterSecret)
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != tc.want {
				t.Fatalf("the example printed %q (%v), want %s", out, err, tc.want)
			}
			tc.check(t, rec, r)
		})
	}
}

// TestDocsReceiverExampleVerifies runs the documentation's example reply
// receiver and sends it replies with caredesk's client.
func TestDocsReceiverExampleVerifies(t *testing.T) {
	needs(t, "python3")
	program := filepath.Join(t.TempDir(), "receiver.py")
	if err := os.WriteFile(program, []byte(codeBlock(t, "<!-- receiver-example")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(testContext(t), "python3", program)
	cmd.Env = append(os.Environ(), "TWITTER_HOOK_SECRET="+twitterSecret, "PORT=0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("the receiver printed nothing: %v", lines.Err())
	}
	port := regexp.MustCompile(`(\d+)\)$`).FindStringSubmatch(lines.Text())
	if port == nil {
		t.Fatalf("the receiver printed %q, want its address", lines.Text())
	}
	replyURL := "http://127.0.0.1:" + port[1] + "/"

	good := webhook.NewClient(webhook.Source{Name: "twitter", Secret: twitterSecret, ReplyURL: replyURL}, webhook.ClientOptions{Now: time.Now})
	ref, err := good.Send(testContext(t), reply)
	if err != nil || ref != "posted-caredesk-77" {
		t.Fatalf("Send = %q, %v; want the receiver's id posted-caredesk-77", ref, err)
	}
	if !lines.Scan() || lines.Text() != "#12 Alice -> thread-9: "+reply.Text {
		t.Errorf("the receiver printed %q", lines.Text())
	}
	forged := webhook.NewClient(webhook.Source{Name: "twitter", Secret: forumSecret, ReplyURL: replyURL}, webhook.ClientOptions{Now: time.Now})
	if _, err := forged.Send(testContext(t), reply); !bot.IsPermanent(err) || !strings.Contains(err.Error(), "(401)") {
		t.Errorf("a reply with the wrong secret: %v, want the receiver's 401", err)
	}
	stale := webhook.NewClient(webhook.Source{Name: "twitter", Secret: twitterSecret, ReplyURL: replyURL}, webhook.ClientOptions{Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	if _, err := stale.Send(testContext(t), reply); !strings.Contains(fmtErr(err), "(401)") {
		t.Errorf("a reply signed an hour ago: %v, want the receiver's 401", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
