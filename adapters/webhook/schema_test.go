package webhook_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/bot"
	"caredesk/doctor"
)

// validate is a JSON Schema validator of the kind a bridge's builder uses:
// it checks that the schema is a valid draft 2020-12 schema, then prints
// whether each instance passes it.
const validate = `
import json, sys
from jsonschema import Draft202012Validator
job = json.load(sys.stdin)
Draft202012Validator.check_schema(job["schema"])
v = Draft202012Validator(job["schema"])
print(json.dumps([v.is_valid(i) for i in job["instances"]]))
`

// valid runs the validator on instances of the schema in docs/name.
func valid(t *testing.T, name string, instances []json.RawMessage) []bool {
	t.Helper()
	schema, err := os.ReadFile(filepath.Join(docs, name))
	if err != nil {
		t.Fatal(err)
	}
	job, _ := json.Marshal(map[string]any{"schema": json.RawMessage(schema), "instances": instances})
	cmd := exec.CommandContext(testContext(t), "python3", "-c", validate)
	cmd.Stdin = strings.NewReader(string(job))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("validating against %s: %v", name, err)
	}
	var got []bool
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(instances) {
		t.Fatalf("the validator printed %q", out)
	}
	return got
}

// needsValidator skips the test, saying what to install, unless Python's
// jsonschema is there.
func needsValidator(t *testing.T) {
	t.Helper()
	needs(t, "python3")
	if exec.Command("python3", "-c", "import jsonschema").Run() != nil {
		t.Skip("Python's jsonschema module is not installed (pip install jsonschema); the published schemas are not validated")
	}
}

// sentBodies returns the bodies caredesk's client sends for outs.
func sentBodies(t *testing.T, outs ...bot.Outgoing) []json.RawMessage {
	t.Helper()
	bodies := make(chan []byte, len(outs))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.URL, webhook.ClientOptions{})
	var out []json.RawMessage
	for _, m := range outs {
		if _, err := c.Send(testContext(t), m); err != nil {
			t.Fatal(err)
		}
		out = append(out, <-bodies)
	}
	return out
}

// TestSchemasValidateWhatCaredeskSends checks the reply schema with a
// validator: every kind caredesk sends passes it, and it holds each kind
// to what that kind needs.
func TestSchemasValidateWhatCaredeskSends(t *testing.T) {
	needsValidator(t)
	sent := sentBodies(t, reply, question, followUp, callRequest, movePrivate, acknowledgement)
	ping, _ := json.Marshal(doctor.NewPing("forum", time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)))
	sent = append(sent, ping) // caredesk doctor's, through the same reply_url
	wrong := []json.RawMessage{
		json.RawMessage(strings.Replace(string(sent[0]), `"reply_id":345`, `"reply_id":0`, 1)),                          // a reply nobody can report on
		json.RawMessage(strings.Replace(string(sent[1]), `,"scale":{"min":1,"max":5}`, "", 1)),                          // a question without its scale
		json.RawMessage(strings.Replace(string(sent[1]), `"ticket":12`, `"ticket":0`, 1)),                               // a question about no ticket
		json.RawMessage(strings.Replace(string(sent[2]), `"kind":"message"`, `"kind":"notice"`, 1)),                     // a kind not published
		json.RawMessage(strings.Replace(string(sent[0]), `"kind":"reply",`, "", 1)),                                     // no kind
		json.RawMessage(strings.Replace(string(sent[1]), `"scale":{"min":1,"max":5}`, `"scale":{"min":0,"max":10}`, 1)), // another scale
		json.RawMessage(strings.Replace(string(sent[3]), `"ticket":12`, `"ticket":0`, 1)),                               // a call about no ticket
		json.RawMessage(strings.Replace(string(sent[4]), `"ticket":12`, `"ticket":0`, 1)),                               // a move of no ticket
		json.RawMessage(strings.Replace(string(sent[5]), `"reply_id":0`, `"reply_id":7`, 1)),                            // caredesk's words to report on
		json.RawMessage(strings.Replace(string(ping), `"ticket":0`, `"ticket":5`, 1)),                                   // a ping about a ticket
	}
	got := valid(t, "webhook-reply.schema.json", append(append(readSchema(t, "webhook-reply.schema.json").Examples, sent...), wrong...))
	examples := len(got) - len(sent) - len(wrong)
	for i, ok := range got {
		switch {
		case i < examples && !ok:
			t.Errorf("reply example %d does not pass its schema", i)
		case i >= examples && i < examples+len(sent) && !ok:
			t.Errorf("what caredesk sends does not pass the reply schema: %s", sent[i-examples])
		case i >= examples+len(sent) && ok:
			t.Errorf("the reply schema lets through %s", wrong[i-examples-len(sent)])
		}
	}
}

// TestSchemasAgreeWithTheCode checks with a validator that the schemas
// bridges read take what the handler takes and refuse what it refuses.
func TestSchemasAgreeWithTheCode(t *testing.T) {
	needsValidator(t)
	ratings := []string{
		`{"ticket":12,"score":4,"customer_id":"u1","event_id":"r-1"}`,
		`{"ticket":"12","score":" 5 ","customer_id":44196397,"event_id":7}`,
		`{"ticket":12,"score":1,"customer_id":"u1","event_id":null}`,
		`{"ticket":12,"score":0,"customer_id":"u1"}`,
		`{"ticket":12,"score":6,"customer_id":"u1"}`,
		`{"ticket":12,"score":"6","customer_id":"u1"}`,
		`{"ticket":12,"score":4.5,"customer_id":"u1"}`,
		`{"ticket":0,"score":4,"customer_id":"u1"}`,
		`{"score":4,"customer_id":"u1"}`,
		`{"ticket":12,"customer_id":"u1"}`,
		`{"ticket":12,"score":4}`,
		`{"ticket":12,"score":4,"customer_id":" "}`,
		`{"ticket":12,"score":4,"customer_id":"u1","event_id":"` + strings.Repeat("x", 257) + `"}`,
	}
	var instances []json.RawMessage
	for _, r := range ratings {
		instances = append(instances, json.RawMessage(r))
	}
	instances = append(instances, readSchema(t, "webhook-rating.schema.json").Examples...)
	for i, ok := range valid(t, "webhook-rating.schema.json", instances) {
		_, fe := webhook.ParseRating(instances[i])
		if ok != (fe == nil) {
			t.Errorf("the schema says valid=%v, the handler refuses with %v: %s", ok, fe, instances[i])
		}
	}
	// The zone database is the code's alone: the schema checks a zone
	// name's shape, so only names of the right shape and in the database
	// are tried here.
	var complaints []json.RawMessage
	for _, extra := range []string{
		`"private":true`, `"private":false`, `"private":"true"`, `"private":"false"`, `"private":null`, `"private":""`,
		`"private":1`, `"private":"yes"`, `"private":{}`,
		`"time_zone":"Europe/Istanbul"`, `"time_zone":"America/Argentina/Buenos_Aires"`, `"time_zone":"Etc/GMT+3"`, `"time_zone":"UTC"`,
		`"time_zone":""`, `"time_zone":null`, `"time_zone":"+03:00"`, `"time_zone":3`, `"time_zone":"../etc/passwd"`, `"time_zone":"/etc/localtime"`,
	} {
		complaints = append(complaints, json.RawMessage(`{"id":"1","author":{"id":"u1"},"text":"hi",`+extra+`}`))
	}
	for i, ok := range valid(t, "webhook-complaint.schema.json", complaints) {
		_, fe := webhook.ParseComplaint(complaints[i], 0)
		if ok != (fe == nil) {
			t.Errorf("the schema says valid=%v, the handler refuses with %v: %s", ok, fe, complaints[i])
		}
	}
	for _, name := range []string{"webhook-complaint.schema.json", "webhook-status.schema.json"} {
		for i, ok := range valid(t, name, readSchema(t, name).Examples) {
			if !ok {
				t.Errorf("%s: example %d does not pass its schema", name, i)
			}
		}
	}
}

// TestSchemaValidatesFilesEditsAndDeletes checks the reply schema with a
// validator on what caredesk sends with files, to edit and to delete, and
// that it holds each to what a bridge relies on.
func TestSchemaValidatesFilesEditsAndDeletes(t *testing.T) {
	needsValidator(t)
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.URL, webhook.ClientOptions{PublicURL: "https://caredesk.example.com"})
	pdf := bot.Attachment{ID: 57, Name: "invoice.pdf", MIME: "application/pdf", Size: 48213}
	calls := []func() error{
		func() error { _, err := c.Send(testContext(t), withFiles("Here is your invoice.", pdf)); return err },
		func() error {
			_, err := c.Send(testContext(t), withFiles("", pdf, bot.Attachment{ID: 58, Name: "photo"}))
			return err
		},
		func() error { return c.EditSent(testContext(t), "bridge-1", edited) },
		func() error { return c.DeleteSent(testContext(t), edited.Ticket, "bridge-1", start) },
	}
	var sent []string
	for _, call := range calls {
		if err := call(); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, string(<-bodies))
	}
	files, filesOnly, edit, del := sent[0], sent[1], sent[2], sent[3]
	wrong := []string{
		alter(t, edit, func(b map[string]any) { delete(b, "message_id") }),                          // an edit of no message
		alter(t, del, func(b map[string]any) { delete(b, "message_id") }),                           // a delete of no message
		alter(t, del, func(b map[string]any) { b["text"] = "bye" }),                                 // a delete with words
		alter(t, edit, func(b map[string]any) { b["text"] = "" }),                                   // an edit to nothing
		alter(t, edit, func(b map[string]any) { b["reply_id"] = 0 }),                                // an edit of no reply
		alter(t, files, func(b map[string]any) { b["kind"], b["message_id"] = "edit", "bridge-1" }), // an edit with files
		alter(t, files, func(b map[string]any) { b["text"] = ""; delete(b, "attachments") }),        // no words, no files
		alter(t, files, func(b map[string]any) { b["attachments"] = []any{} }),                      // an empty list of files
		alter(t, files, func(b map[string]any) { b["message_id"] = "bridge-1" }),                    // a reply naming a message
		alter(t, files, func(b map[string]any) { delete(file(b), "mime") }),                         // a file without its type
		alter(t, files, func(b map[string]any) { file(b)["url"] = "ftp://caredesk.example.com/x" }), // a link that is no http(s)
		alter(t, files, func(b map[string]any) { file(b)["size"] = -1 }),                            // a negative size
	}
	var instances []json.RawMessage
	for _, b := range append(sent, wrong...) {
		instances = append(instances, json.RawMessage(b))
	}
	got := valid(t, "webhook-reply.schema.json", instances)
	for i, ok := range got {
		switch {
		case i < len(sent) && !ok:
			t.Errorf("what caredesk sends does not pass the reply schema: %s", sent[i])
		case i >= len(sent) && ok:
			t.Errorf("the reply schema lets through %s", wrong[i-len(sent)])
		}
	}
	if !strings.Contains(filesOnly, `"text":""`) || !strings.Contains(filesOnly, `"name":"photo","mime":"application/octet-stream","size":0`) {
		t.Errorf("a reply of files only: %s", filesOnly)
	}
}

// alter returns the JSON object body changed by change.
func alter(t *testing.T, body string, change func(map[string]any)) string {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	change(b)
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// file is the first attachment of a decoded reply body.
func file(b map[string]any) map[string]any {
	return b["attachments"].([]any)[0].(map[string]any)
}

// TestDocsExamplesOfFilesEditsAndDeletes checks the documentation's
// examples of the new kinds with the validator, and that they are bodies
// caredesk sends, field for field.
func TestDocsExamplesOfFilesEditsAndDeletes(t *testing.T) {
	needsValidator(t)
	var examples []json.RawMessage
	for _, marker := range []string{"<!-- files-example", "<!-- edit-example", "<!-- delete-example"} {
		ex := json.RawMessage(codeBlock(t, marker))
		var r webhook.Reply
		dec := json.NewDecoder(bytes.NewReader(ex))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Errorf("%s is not what caredesk sends: %v", marker, err)
		}
		examples = append(examples, ex)
	}
	for i, ok := range valid(t, "webhook-reply.schema.json", examples) {
		if !ok {
			t.Errorf("the example %s does not pass the reply schema", examples[i])
		}
	}
}
