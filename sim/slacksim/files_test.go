package slacksim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"caredesk/sim/slacksim"
)

// png is the start of a PNG file: its signature and IHDR chunk.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa")

func TestUploadsArriveWithTheirBytes(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	api := client(s, s.Options().BotToken)
	ctx := context.Background()

	sum, err := api.UploadFileContext(ctx, slackapi.UploadFileParameters{
		Filename: "first-answer.png", FileSize: len(png), Reader: bytes.NewReader(png),
		Title: "First answer", AltTxt: "bars: Monday 12 minutes", Channel: "C0DESK", InitialComment: "This week",
	})
	if err != nil {
		t.Fatal(err)
	}
	files := s.Files()
	if len(files) != 1 {
		t.Fatalf("files shared: %+v", files)
	}
	f := files[0]
	if f.ID != sum.ID || f.Name != "first-answer.png" || f.Title != "First answer" || f.AltText != "bars: Monday 12 minutes" ||
		f.Channel != "C0DESK" || f.Comment != "This week" || !bytes.Equal(f.Data, png) {
		t.Errorf("shared %+v\nwant first-answer.png with its bytes, title and alt text in C0DESK", f)
	}
	m, ok := s.Message(f.MessageTS)
	if !ok || m.Text != "This week" || len(m.Files) != 1 || m.Files[0] != f.ID || !m.IsRoot() || m.BotID != "B0BOT" {
		t.Errorf("the sharing message: %+v", m)
	}
	if s.Calls("files.getUploadURLExternal") != 1 || s.Calls(slacksim.UploadURLMethod) != 1 || s.Calls("files.completeUploadExternal") != 1 {
		t.Errorf("calls: %d, %d, %d; want one of each step", s.Calls("files.getUploadURLExternal"), s.Calls(slacksim.UploadURLMethod), s.Calls("files.completeUploadExternal"))
	}
}

func TestSeveralFilesShareOneMessage(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	api := client(s, s.Options().BotToken)
	ctx := context.Background()
	_, root, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("root", false))
	if err != nil {
		t.Fatal(err)
	}
	csv := []byte("ticket,minutes\n1,12\n")
	var summaries []slackapi.FileSummary
	for _, f := range []struct {
		name string
		data []byte
	}{{"chart.png", png}, {"export.csv", csv}} {
		u, err := api.GetUploadURLExternalContext(ctx, slackapi.GetUploadURLExternalParameters{FileName: f.name, FileSize: len(f.data)})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(u.UploadURL, s.URL()+"/") {
			t.Errorf("upload URL %s is not the simulator's", u.UploadURL)
		}
		if err := api.UploadToURL(ctx, slackapi.UploadToURLParameters{UploadURL: u.UploadURL, Reader: bytes.NewReader(f.data), Filename: f.name}); err != nil {
			t.Fatal(err)
		}
		summaries = append(summaries, slackapi.FileSummary{ID: u.FileID})
	}
	done, err := api.CompleteUploadExternalContext(ctx, slackapi.CompleteUploadExternalParameters{
		Files: summaries, Channel: "C0DESK", ThreadTimestamp: root, InitialComment: "two files",
	})
	if err != nil || len(done.Files) != 2 || done.Files[1].Title != "export.csv" {
		t.Fatalf("complete: %+v %v; want both files, titled by name", done, err)
	}
	thread := s.Thread(root)
	if len(thread) != 1 || len(thread[0].Files) != 2 || thread[0].Text != "two files" {
		t.Fatalf("thread %+v, want one message sharing both files", thread)
	}
	files := s.Files()
	if len(files) != 2 || !bytes.Equal(files[1].Data, csv) || files[1].ThreadTS != root || files[0].MessageTS != files[1].MessageTS {
		t.Errorf("files %+v", files)
	}
	if _, err := api.CompleteUploadExternalContext(ctx, slackapi.CompleteUploadExternalParameters{Files: summaries[:1], Channel: "C0DESK"}); slackCode(err) != "file_not_found" {
		t.Errorf("completing a file twice: %v, want file_not_found", err)
	}
}

func TestUploadsAreCheckedAsSlackDoes(t *testing.T) {
	s := newSim(t, slacksim.Options{MaxFileSize: 100})
	s.AddChannel("C0GENERAL", "general", false)
	api := client(s, s.Options().BotToken)
	ctx := context.Background()

	// start uploads data and returns its id, or fails the test.
	start := func(data []byte) string {
		t.Helper()
		u, err := api.GetUploadURLExternalContext(ctx, slackapi.GetUploadURLExternalParameters{FileName: "a.csv", FileSize: len(data)})
		if err != nil {
			t.Fatal(err)
		}
		if err := api.UploadToURL(ctx, slackapi.UploadToURLParameters{UploadURL: u.UploadURL, Reader: bytes.NewReader(data), Filename: "a.csv"}); err != nil {
			t.Fatal(err)
		}
		return u.FileID
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"too large for the workspace", func() error {
			_, err := api.GetUploadURLExternalContext(ctx, slackapi.GetUploadURLExternalParameters{FileName: "big.png", FileSize: 101})
			return err
		}, "file_upload_size_restricted"},
		{"alt text too long", func() error {
			_, err := api.GetUploadURLExternalContext(ctx, slackapi.GetUploadURLExternalParameters{FileName: "a.png", FileSize: 1, AltTxt: strings.Repeat("é", 1001)})
			return err
		}, "alt_txt_too_large"},
		{"unknown file", func() error {
			_, err := api.CompleteUploadExternalContext(ctx, slackapi.CompleteUploadExternalParameters{Files: []slackapi.FileSummary{{ID: "F0NOPE"}}, Channel: "C0DESK"})
			return err
		}, "file_not_found"},
		{"a channel the bot is not in", func() error {
			_, err := api.CompleteUploadExternalContext(ctx, slackapi.CompleteUploadExternalParameters{Files: []slackapi.FileSummary{{ID: start([]byte("x"))}}, Channel: "C0GENERAL"})
			return err
		}, "not_in_channel"},
		{"no channel", func() error {
			_, err := api.CompleteUploadExternalContext(ctx, slackapi.CompleteUploadExternalParameters{Files: []slackapi.FileSummary{{ID: start([]byte("x"))}}, Channel: "C0NOPE"})
			return err
		}, "channel_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); slackCode(err) != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}

	t.Run("bytes that are not the announced length", func(t *testing.T) {
		u, err := api.GetUploadURLExternalContext(ctx, slackapi.GetUploadURLExternalParameters{FileName: "a.csv", FileSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(u.UploadURL, "text/csv", strings.NewReader("short"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("upload of 5 bytes announced as 10: HTTP %d, want 400", resp.StatusCode)
		}
	})
	t.Run("a raw body, and a file kept private", func(t *testing.T) {
		u, err := api.GetUploadURLExternalContext(ctx, slackapi.GetUploadURLExternalParameters{FileName: "a.csv", FileSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(u.UploadURL, "text/csv", strings.NewReader("a,b"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("raw upload: HTTP %d", resp.StatusCode)
		}
		before := len(s.Messages())
		if _, err := api.CompleteUploadExternalContext(ctx, slackapi.CompleteUploadExternalParameters{Files: []slackapi.FileSummary{{ID: u.FileID}}}); err != nil {
			t.Fatal(err)
		}
		files := s.Files()
		if f := files[len(files)-1]; f.ID != u.FileID || f.Channel != "" || string(f.Data) != "a,b" || len(s.Messages()) != before {
			t.Errorf("private file %+v, %d new messages; want it kept out of every channel", f, len(s.Messages())-before)
		}
	})
}

func TestARevokedScopeIsMissing(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	api := client(s, s.Options().BotToken)
	ctx := context.Background()
	upload := func() error {
		_, err := api.UploadFileContext(ctx, slackapi.UploadFileParameters{Filename: "a.csv", FileSize: 1, Content: "x", Channel: "C0DESK"})
		return err
	}

	s.RevokeScope("files:write")
	if err := upload(); slackCode(err) != "missing_scope" {
		t.Errorf("upload without files:write: %v, want missing_scope", err)
	}
	resp, err := http.PostForm(s.APIURL()+"files.getUploadURLExternal", url.Values{"token": {s.Options().BotToken}, "filename": {"a.csv"}, "length": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	var answer struct{ Error, Needed, Provided string }
	err = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if err != nil || answer.Needed != "files:write" || !strings.Contains(answer.Provided, "chat:write") || strings.Contains(answer.Provided, "files:write") {
		t.Errorf("missing_scope answer %+v %v; want files:write needed and the rest provided", answer, err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("still here", false)); err != nil {
		t.Errorf("a method that needs another scope: %v", err)
	}

	s.GrantScope("files:write")
	if err := upload(); err != nil {
		t.Errorf("upload after the scope was granted again: %v", err)
	}
}

func TestUploadURLFaults(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	api := client(s, s.Options().BotToken)
	s.FailNext(slacksim.UploadURLMethod, 1, slacksim.RateLimited(2*time.Second))
	s.FailNext(slacksim.UploadURLMethod, 1, slacksim.ServerError(http.StatusServiceUnavailable))
	upload := func() error {
		_, err := api.UploadFileContext(context.Background(), slackapi.UploadFileParameters{Filename: "a.csv", FileSize: 1, Content: "x", Channel: "C0DESK"})
		return err
	}
	var rl *slackapi.RateLimitedError
	if err := upload(); !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Errorf("first upload: %v, want rate limited for 2s", err)
	}
	var sc slackapi.StatusCodeError
	if err := upload(); !errors.As(err, &sc) || sc.Code != http.StatusServiceUnavailable {
		t.Errorf("second upload: %v, want 503", err)
	}
	if err := upload(); err != nil || len(s.Files()) != 1 {
		t.Errorf("third upload: %v, files %+v", err, s.Files())
	}
}

func TestBotUploadsShowWithTheirFiles(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	api := client(s, s.Options().BotToken)
	ctx := context.Background()
	_, root, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("#12", false))
	if err != nil {
		t.Fatal(err)
	}
	// read returns the messages a bot reading the channel sees: the
	// thread of thread, or the channel's roots when thread is "".
	read := func(t *testing.T, thread string) []slackapi.Message {
		t.Helper()
		if thread != "" {
			msgs, _, _, err := api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{ChannelID: "C0DESK", Timestamp: thread})
			if err != nil {
				t.Fatal(err)
			}
			return msgs
		}
		h, err := api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{ChannelID: "C0DESK"})
		if err != nil {
			t.Fatal(err)
		}
		return h.Messages
	}
	tests := []struct {
		name, thread string
	}{
		{"in a thread, read with conversations.replies", root},
		{"in the channel, read with conversations.history", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := api.UploadFileContext(ctx, slackapi.UploadFileParameters{
				Filename: "chart.png", FileSize: len(png), Reader: bytes.NewReader(png), Title: "First answer",
				Channel: "C0DESK", ThreadTimestamp: tt.thread, InitialComment: "This week",
			})
			if err != nil {
				t.Fatal(err)
			}
			msgs := read(t, tt.thread)
			i := slices.IndexFunc(msgs, func(m slackapi.Message) bool { return len(m.Files) > 0 && m.Files[0].ID == sum.ID })
			if i < 0 {
				t.Fatalf("no message shares %s in %+v", sum.ID, msgs)
			}
			m := msgs[i]
			if m.User != "U0BOT" || m.BotID != "B0BOT" || m.Text != "This week" || m.ThreadTimestamp != tt.thread || len(m.Files) != 1 {
				t.Errorf("sharing message %+v", m.Msg)
			}
			f := m.Files[0]
			prefix := s.URL() + "/files-pri/T0SIM-" + sum.ID + "/"
			if f.Name != "chart.png" || f.Title != "First answer" || f.Mimetype != "image/png" || f.Filetype != "png" || f.Size != len(png) ||
				f.Mode != "hosted" || f.User != "U0BOT" || f.URLPrivate != prefix+"chart.png" || f.URLPrivateDownload != prefix+"download/chart.png" {
				t.Errorf("file %+v", f)
			}
			var got bytes.Buffer
			if err := api.GetFileContext(ctx, f.URLPrivateDownload, &got); err != nil || !bytes.Equal(got.Bytes(), png) {
				t.Errorf("download of the bot's own file: %q %v", got.Bytes(), err)
			}
		})
	}
}
