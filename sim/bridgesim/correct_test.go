package bridgesim_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"caredesk/sim/bridgesim"
)

// editOf and deleteOf are an edit and a delete of the message id, as
// docs/webhooks.md describes them.
func editOf(id, key string) string {
	return `{"kind":"edit","source":"twitter","ticket":12,"reply_id":345,"in_reply_to":{"message_id":"","conversation_id":"thread-9"},"text":"Hi Jane, fixed","agent":{"name":"Alice"},"idempotency_key":"` + key + `","message_id":"` + id + `"}`
}

func deleteOf(id, key string) string {
	return `{"kind":"delete","source":"twitter","ticket":12,"reply_id":0,"in_reply_to":{"message_id":"","conversation_id":"thread-9"},"text":"","agent":{"name":""},"idempotency_key":"` + key + `","message_id":"` + id + `"}`
}

func TestEditsAndDeletesOfRepliesTaken(t *testing.T) {
	s := start(t)
	if status, answer, _ := post(t, s, secret, validReply, "caredesk-7", "application/json"); status != 200 || answer["id"] != "bridge-1" {
		t.Fatalf("the reply: %d %v", status, answer)
	}
	steps := []struct {
		name, body, key string
		status          int
		says            string
	}{
		{"an edit", editOf("bridge-1", "caredesk-8"), "caredesk-8", 200, ""},
		{"the edit again", editOf("bridge-1", "caredesk-8"), "caredesk-8", 200, ""},
		{"an edit of a message never taken", editOf("bridge-7", "caredesk-9"), "caredesk-9", 404, "there is no message bridge-7 here to edit"},
		{"a delete", deleteOf("bridge-1", "caredesk-delete-1"), "caredesk-delete-1", 200, ""},
		{"a delete of a message gone", deleteOf("bridge-1", "caredesk-delete-2"), "caredesk-delete-2", 200, ""},
		{"an edit of a message deleted", editOf("bridge-1", "caredesk-10"), "caredesk-10", 404, "was deleted"},
	}
	for _, st := range steps {
		status, answer, _ := post(t, s, secret, st.body, st.key, "application/json")
		if status != st.status || !strings.Contains(answer["error"], st.says) || (st.status == 200 && answer["id"] != "bridge-1") {
			t.Errorf("%s: %d %v, want %d %q", st.name, status, answer, st.status, st.says)
		}
	}
	edits, deletes := s.Edits(), s.Deletes()
	if len(edits) != 2 || edits[0].Text != "Hi Jane, fixed" || edits[0].MessageID != "bridge-1" || edits[0].Repeat || !edits[1].Repeat {
		t.Errorf("edits %+v", edits)
	}
	if len(deletes) != 2 || deletes[0].MessageID != "bridge-1" || deletes[0].Kind != "delete" {
		t.Errorf("deletes %+v", deletes)
	}
	if len(s.Replies()) != 1 {
		t.Errorf("replies %+v: edits and deletes are not among them", s.Replies())
	}
}

func TestRefusesCorrectionsOnPurpose(t *testing.T) {
	s := start(t)
	post(t, s, secret, validReply, "caredesk-7", "application/json")
	s.RefuseCorrections(http.StatusUnprocessableEntity, "X does not let a post be edited")
	if status, answer, _ := post(t, s, secret, editOf("bridge-1", "caredesk-8"), "caredesk-8", "application/json"); status != 422 || answer["error"] != "X does not let a post be edited" {
		t.Errorf("a refused edit: %d %v", status, answer)
	}
	if status, _, _ := post(t, s, secret, strings.Replace(validReply, "caredesk-7", "caredesk-11", 1), "caredesk-11", "application/json"); status != 200 {
		t.Errorf("a reply while corrections are refused: %d, want it taken", status)
	}
	s.AcceptCorrections()
	if status, answer, _ := post(t, s, secret, editOf("bridge-1", "caredesk-8"), "caredesk-8", "application/json"); status != 200 {
		t.Errorf("the edit again: %d %v", status, answer)
	}
	if len(s.Edits()) != 1 {
		t.Errorf("edits %+v", s.Edits())
	}
}

func TestTurnsAwayMalformedCorrectionsAndFiles(t *testing.T) {
	const link = `"attachments":[{"name":"a.pdf","mime":"application/pdf","size":3,"url":"https://caredesk.example.com/files/1/a.pdf?sig=x","expires_at":"2025-03-21T09:30:00Z"}]`
	tests := []struct {
		name, body, key string
		says            string
	}{
		{"an edit of no message", strings.Replace(editOf("bridge-1", "k1"), `,"message_id":"bridge-1"`, "", 1), "k1", "lacks message_id"},
		{"a delete with words", strings.Replace(deleteOf("bridge-1", "k2"), `"text":""`, `"text":"bye"`, 1), "k2", "a delete has no text"},
		{"an edit with files", strings.Replace(editOf("bridge-1", "k3"), `,"message_id":"bridge-1"`, ","+link+`,"message_id":"bridge-1"`, 1), "k3", "an edit has no attachments"},
		{"a file without a link", strings.Replace(validReply, `"idempotency_key"`, strings.Replace(link, `"url":"https://caredesk.example.com/files/1/a.pdf?sig=x",`, "", 1)+`,"idempotency_key"`, 1), "caredesk-7", "attachments[0] lacks"},
		{"a file with a bad expiry", strings.Replace(validReply, `"idempotency_key"`, strings.Replace(link, "2025-03-21T09:30:00Z", "next week", 1)+`,"idempotency_key"`, 1), "caredesk-7", "not an RFC 3339 time"},
	}
	for _, tc := range tests {
		s := start(t)
		post(t, s, secret, validReply, "caredesk-7", "application/json")
		if status, answer, _ := post(t, s, secret, tc.body, tc.key, "application/json"); status != 400 || !strings.Contains(answer["error"], tc.says) {
			t.Errorf("%s: %d %v, want 400 saying %q", tc.name, status, answer, tc.says)
		}
	}
}

// files is caredesk's download endpoint as the bridge meets it: a file at
// /files/1/a.pdf, and refusals elsewhere.
func files(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/files/1/a.pdf" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusGone)
			w.Write([]byte(`{"error":"This download link expired."}`))
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("pdf"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestReplyFilesAreRecordedAndDownloaded(t *testing.T) {
	srv := files(t)
	withFile := func(path, key string) string {
		return strings.NewReplacer(`"text":"Hi Jane"`, `"text":""`, "caredesk-7", key, `"idempotency_key"`,
			`"attachments":[{"name":"a.pdf","mime":"application/pdf","size":3,"url":"`+srv.URL+path+`","expires_at":"2025-03-21T09:30:00Z"}],"idempotency_key"`).Replace(validReply)
	}
	lazy := start(t)
	if status, answer, _ := post(t, lazy, secret, withFile("/files/1/a.pdf", "k1"), "k1", "application/json"); status != 200 {
		t.Fatalf("a reply of a file only: %d %v", status, answer)
	}
	got := lazy.Replies()[0].Attachments
	if len(got) != 1 || got[0].Name != "a.pdf" || got[0].Size != 3 || got[0].ExpiresAt != "2025-03-21T09:30:00Z" || got[0].Data != nil {
		t.Fatalf("attachments %+v", got)
	}
	body, resp, err := lazy.Download(got[0])
	if err != nil || resp.StatusCode != 200 || string(body) != "pdf" || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("Download: %v %v %q", err, resp, body)
	}

	eager, err := bridgesim.New(bridgesim.Options{Secret: secret, Now: func() time.Time { return now }, Download: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eager.Close)
	if status, answer, _ := post(t, eager, secret, withFile("/files/1/a.pdf", "k1"), "k1", "application/json"); status != 200 {
		t.Fatalf("a reply whose file downloads: %d %v", status, answer)
	}
	if got := eager.Replies()[0].Attachments; string(got[0].Data) != "pdf" {
		t.Errorf("the bridge downloaded %q", got[0].Data)
	}
	status, answer, _ := post(t, eager, secret, withFile("/files/2/b.pdf", "k2"), "k2", "application/json")
	if status != 422 || !strings.Contains(answer["error"], "caredesk answered 410") || len(eager.Replies()) != 1 {
		t.Errorf("a reply whose link is refused: %d %v, want 422 and not taken", status, answer)
	}
}
