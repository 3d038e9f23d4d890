package slacksim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"caredesk/sim/slacksim"
)

// pdf is a small PDF file.
var pdf = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

// lastEvent decodes the latest event the bot got with slack-go, as a bot
// does, into the message event it must be.
func lastEvent(t *testing.T, b *bot) *slackevents.MessageEvent {
	t.Helper()
	_, bodies := b.requests()
	if len(bodies) == 0 {
		t.Fatal("the bot got no event")
	}
	outer, err := slackevents.ParseEvent(json.RawMessage(bodies[len(bodies)-1]), slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	ev, ok := outer.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok {
		t.Fatalf("inner event %T, want a message", outer.InnerEvent.Data)
	}
	return ev
}

// get fetches address as a client that follows redirects, with token as
// a Bearer when it is not "".
func get(t *testing.T, address, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, address, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestAPersonSharesFilesInAThread(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	b := &bot{}
	serveBot(t, s, b)
	api := client(s, s.Options().BotToken)
	ctx := context.Background()
	_, root, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("#12", false))
	if err != nil {
		t.Fatal(err)
	}

	ts, eventID, err := s.UserSharesFile("U0ALICE", root, "the invoice & the log",
		slacksim.SharedFile{Name: "invoice.pdf", Data: pdf},
		slacksim.SharedFile{Name: "app log.txt", Title: "Log", Data: []byte("boom\n")})
	if err != nil {
		t.Fatal(err)
	}
	ev := lastEvent(t, b)
	if ev.Type != "message" || ev.SubType != "file_share" || ev.User != "U0ALICE" || ev.TimeStamp != ts || ev.ThreadTimeStamp != root ||
		ev.Channel != "C0DESK" || ev.ChannelType != "channel" || ev.Text != "the invoice &amp; the log" || ev.Message == nil {
		t.Fatalf("event %s: %+v", eventID, ev)
	}
	files := ev.Message.Files
	if len(files) != 2 || !ev.Message.Upload {
		t.Fatalf("files %+v, upload %v", files, ev.Message.Upload)
	}
	tests := []struct {
		name, fileName, title, mime, filetype string
		data                                  []byte
	}{
		{"a PDF", "invoice.pdf", "invoice.pdf", "application/pdf", "pdf", pdf},
		{"a text file with a space in its name", "app log.txt", "Log", "text/plain", "text", []byte("boom\n")},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := files[i]
			if !strings.HasPrefix(f.ID, "F") || f.Name != tt.fileName || f.Title != tt.title || f.Mimetype != tt.mime || f.Filetype != tt.filetype ||
				f.Size != len(tt.data) || f.Mode != "hosted" || f.User != "U0ALICE" ||
				!strings.HasPrefix(f.URLPrivateDownload, s.URL()+"/files-pri/T0SIM-"+f.ID+"/download/") {
				t.Errorf("file %+v", f)
			}
			var got bytes.Buffer
			if err := api.GetFileContext(ctx, f.URLPrivateDownload, &got); err != nil || !bytes.Equal(got.Bytes(), tt.data) {
				t.Errorf("download with the bot token: %q %v", got.Bytes(), err)
			}
			resp, body := get(t, f.URLPrivateDownload, s.Options().BotToken)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tt.mime ||
				resp.Header.Get("Content-Length") != strconv.Itoa(len(tt.data)) || !bytes.Equal(body, tt.data) {
				t.Errorf("download: HTTP %d %q %q, %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Length"), body)
			}
			if n := s.Downloads(f.ID); n != 2 {
				t.Errorf("%d downloads counted, want 2", n)
			}
			if rec, ok := s.File(f.ID); !ok || rec.User != "U0ALICE" || rec.MessageTS != ts || rec.ThreadTS != root || !bytes.Equal(rec.Data, tt.data) {
				t.Errorf("record %+v", rec)
			}
		})
	}

	msgs, _, _, err := api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{ChannelID: "C0DESK", Timestamp: root})
	if err != nil || len(msgs) != 2 || msgs[1].Timestamp != ts || len(msgs[1].Files) != 2 || msgs[1].Files[0].ID != files[0].ID {
		t.Errorf("the thread read back: %+v %v", msgs, err)
	}
	if len(s.Files()) != 0 {
		t.Errorf("Files lists a person's files: %+v", s.Files())
	}
	if _, _, err := s.UserSharesFile("U0ALICE", "", "nothing"); err == nil {
		t.Error("a share without a file was made")
	}
}

func TestDownloadsNeedTheTokenAndTheScope(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	s.AddUser("U0ALICE", "alice")
	b := &bot{}
	serveBot(t, s, b)
	api := client(s, s.Options().BotToken)
	if _, _, err := s.UserSharesFile("U0ALICE", "", "", slacksim.SharedFile{Name: "invoice.pdf", Data: pdf}); err != nil {
		t.Fatal(err)
	}
	f := lastEvent(t, b).Message.Files[0]
	tests := []struct {
		name   string
		token  string
		revoke bool
	}{
		{"no token", "", false},
		{"a wrong token", "xoxb-wrong", false},
		{"the app token", s.Options().AppToken, false},
		{"the bot token without files:read", s.Options().BotToken, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.revoke {
				s.RevokeScope("files:read")
				defer s.GrantScope("files:read")
			}
			// The famous pitfall: Slack answers with its sign-in page,
			// status 200, where the file was expected.
			resp, body := get(t, f.URLPrivateDownload, tt.token)
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
				!bytes.Contains(body, []byte("<html")) || bytes.Equal(body, pdf) {
				t.Errorf("HTTP %d %q: %.60q; want the sign-in page with 200", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if tt.token == s.Options().BotToken {
				var got bytes.Buffer
				if err := api.GetFileContext(context.Background(), f.URLPrivateDownload, &got); err == nil || got.Len() != 0 {
					t.Errorf("slack-go took the sign-in page for the file: %q %v", got.Bytes(), err)
				}
			}
			if n := s.Downloads(f.ID); n != 0 {
				t.Errorf("%d downloads counted, want none", n)
			}
		})
	}
	if resp, body := get(t, f.URLPrivateDownload, s.Options().BotToken); resp.StatusCode != http.StatusOK || !bytes.Equal(body, pdf) || s.Downloads(f.ID) != 1 {
		t.Errorf("with the scope granted again: HTTP %d %.60q, %d downloads", resp.StatusCode, body, s.Downloads(f.ID))
	}
	if resp, _ := get(t, strings.Replace(f.URLPrivateDownload, f.ID, "F0NOPE", 1), s.Options().BotToken); resp.StatusCode != http.StatusNotFound {
		t.Errorf("no such file: HTTP %d, want 404", resp.StatusCode)
	}
}

func TestFilesInfo(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	serveBot(t, s, &bot{})
	api := client(s, s.Options().BotToken)
	ctx := context.Background()
	_, root, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("#12", false))
	if err != nil {
		t.Fatal(err)
	}
	botFile, err := api.UploadFileContext(ctx, slackapi.UploadFileParameters{
		Filename: "export.csv", FileSize: 4, Content: "a,b\n", Channel: "C0DESK", ThreadTimestamp: root,
	})
	if err != nil {
		t.Fatal(err)
	}
	userTS, _, err := s.UserSharesFile("U0ALICE", "", "look", slacksim.SharedFile{Name: "screen.png", Data: png})
	if err != nil {
		t.Fatal(err)
	}
	userMsg, _ := s.Message(userTS)
	tests := []struct {
		name, id              string
		revoke                bool
		wantErr               string
		wantUser, wantMessage string
		wantThread            string
		wantMIME              string
	}{
		{name: "the bot's file in a thread", id: botFile.ID, wantUser: "U0BOT", wantMessage: s.Files()[0].MessageTS, wantThread: root, wantMIME: "text/csv"},
		{name: "a person's file in the channel", id: userMsg.Files[0], wantUser: "U0ALICE", wantMessage: userTS, wantMIME: "image/png"},
		{name: "no such file", id: "F0NOPE", wantErr: "file_not_found"},
		{name: "without files:read", id: botFile.ID, revoke: true, wantErr: "missing_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.revoke {
				s.RevokeScope("files:read")
				defer s.GrantScope("files:read")
			}
			f, _, _, err := api.GetFileInfoContext(ctx, tt.id, 0, 0)
			if tt.wantErr != "" {
				if slackCode(err) != tt.wantErr {
					t.Errorf("got %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			shares := f.Shares.Public["C0DESK"]
			if f.ID != tt.id || f.User != tt.wantUser || f.Mimetype != tt.wantMIME || f.Mode != "hosted" || !f.IsPublic ||
				len(f.Channels) != 1 || f.Channels[0] != "C0DESK" || len(shares) != 1 || shares[0].Ts != tt.wantMessage || shares[0].ThreadTs != tt.wantThread {
				t.Errorf("file %+v, shares %+v", f, f.Shares)
			}
		})
	}
}
