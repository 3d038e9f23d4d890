package slacksim_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"caredesk/sim/slacksim"
)

func TestHoldNextFreezesACallAfterItsEffect(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	api := client(s, s.Options().BotToken)
	// No bot listens: the share is recorded, its event is not delivered.
	_, _, _ = s.UserSharesFile("U0ALICE", "", "", slacksim.SharedFile{Name: "invoice.pdf", Data: pdf})
	shared := s.Messages()[0].Files[0]
	download := s.URL() + "/files-pri/T0SIM-" + shared + "/download/invoice.pdf"

	post := func(ctx context.Context) error {
		_, _, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("#12", false))
		return err
	}
	upload := func(ctx context.Context) error {
		_, err := api.UploadFileContext(ctx, slackapi.UploadFileParameters{Filename: "a.csv", FileSize: 1, Content: "x", Channel: "C0DESK"})
		return err
	}
	get := func(ctx context.Context) error {
		var got bytes.Buffer
		if err := api.GetFileContext(ctx, download, &got); err != nil {
			return err
		}
		if !bytes.Equal(got.Bytes(), pdf) {
			return errors.New("wrong bytes: " + got.String())
		}
		return nil
	}
	posts := func() int { return len(s.Roots()) }
	files := func() int { return len(s.Files()) }
	uploads := func() int { return s.Calls(slacksim.UploadURLMethod) }
	downloads := func() int { return s.Downloads(shared) }

	tests := []struct {
		name    string
		method  string
		call    func(context.Context) error
		effect  func() int // counts what the call does
		release bool       // or else the caller goes away
	}{
		{"a post, released", "chat.postMessage", post, posts, true},
		{"a post whose caller goes away", "chat.postMessage", post, posts, false},
		{"an upload's completion whose caller goes away", "files.completeUploadExternal", upload, files, false},
		{"an upload's bytes, released", slacksim.UploadURLMethod, upload, uploads, true},
		{"a download, released", slacksim.DownloadMethod, get, downloads, true},
		{"a download whose caller goes away", slacksim.DownloadMethod, get, downloads, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, calls := tt.effect(), s.Calls(tt.method)
			held, release := s.HoldNext(tt.method)
			defer release()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- tt.call(ctx) }()
			<-held
			if tt.effect() != before+1 {
				t.Errorf("held before its effect was recorded")
			}
			if tt.release {
				release()
			} else {
				cancel() // the bot is killed, or gives up
			}
			err := <-errc
			switch {
			case tt.release && err != nil:
				t.Errorf("released: %v", err)
			case !tt.release && !errors.Is(err, context.Canceled):
				t.Errorf("the caller went away: %v, want its context's error", err)
			}
			if n := s.Calls(tt.method) - calls; n != 1 {
				t.Errorf("%d calls of %s, want 1", n, tt.method)
			}
			release() // a second time is harmless
		})
	}

	t.Run("released before the call", func(t *testing.T) {
		_, release := s.HoldNext("auth.test")
		release()
		if _, err := api.AuthTestContext(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a failed call does not take the hold", func(t *testing.T) {
		held, release := s.HoldNext("chat.postMessage")
		defer release()
		s.FailNext("chat.postMessage", 1, slacksim.SlackError("is_archived"))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := post(ctx); slackCode(err) != "is_archived" {
			t.Fatalf("got %v, want is_archived", err)
		}
		errc := make(chan error, 1)
		go func() { errc <- post(context.Background()) }()
		<-held
		release()
		if err := <-errc; err != nil {
			t.Errorf("the call after the failed one: %v", err)
		}
	})
}
