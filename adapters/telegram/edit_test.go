package telegram_test

import (
	"strings"
	"testing"
	"time"

	"caredesk/adapters/telegram"
	"caredesk/bot"
	"caredesk/sim/telegramsim"
)

// sentReply sends the reply m to Jane and returns its ref.
func sentReply(t *testing.T, c *telegram.Client, m bot.Outgoing) string {
	t.Helper()
	m.Conversation = "42"
	ref, err := c.Send(testContext(t), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return ref
}

// asSent is files as EditSent gets them: what the message carries, without
// bytes.
func asSent(files []bot.Upload) []bot.Upload {
	out := make([]bot.Upload, len(files))
	for i, u := range files {
		out[i] = bot.Upload{File: u.File}
	}
	return out
}

func TestEditSentChangesTheCustomersCopy(t *testing.T) {
	fs := &store{}
	pdf := []bot.Upload{fs.file(bot.FileDocument, "invoice.pdf", "application/pdf", []byte("%PDF"))}
	long := strings.Repeat("We looked into it. ", 100) // too long for a caption: a text, then the file
	tests := []struct {
		name    string
		sent    bot.Outgoing
		edit    bot.Outgoing
		words   func(m telegramsim.SentMessage) string // what the customer reads now
		earlier []string
		calls   map[string]int
	}{
		{"a text", bot.Outgoing{Text: "We refund you 10 €."}, bot.Outgoing{Text: "We refund you 12 €."},
			func(m telegramsim.SentMessage) string { return m.Text }, []string{"We refund you 10 €."},
			map[string]int{"editMessageText": 1, "editMessageCaption": 0}},
		{"the caption of a file", bot.Outgoing{Text: "Your invoice.", Files: pdf}, bot.Outgoing{Text: "Your corrected invoice.", Files: asSent(pdf)},
			func(m telegramsim.SentMessage) string { return m.Caption }, []string{"Your invoice."},
			map[string]int{"editMessageText": 0, "editMessageCaption": 1}},
		{"words that went before the file, as a text", bot.Outgoing{Text: long, Files: pdf}, bot.Outgoing{Text: "We looked into it: refunded.", Files: asSent(pdf)},
			func(m telegramsim.SentMessage) string { return m.Text }, []string{strings.TrimSpace(long)},
			map[string]int{"editMessageText": 1, "editMessageCaption": 0}},
		{"no change is nothing to do", bot.Outgoing{Text: "We refund you 10 €."}, bot.Outgoing{Text: "We refund you 10 €."},
			func(m telegramsim.SentMessage) string { return m.Text }, nil,
			map[string]int{"editMessageText": 1}},
		{"an unchanged caption", bot.Outgoing{Text: "Your invoice.", Files: pdf}, bot.Outgoing{Text: "Your invoice.", Files: asSent(pdf)},
			func(m telegramsim.SentMessage) string { return m.Caption }, nil,
			map[string]int{"editMessageCaption": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			ref := sentReply(t, c, tc.sent)
			tc.edit.Conversation = "42"
			if err := c.EditSent(testContext(t), ref, tc.edit); err != nil {
				t.Fatalf("EditSent: %v", err)
			}
			m, ok := s.Message(42, refIDs(t, ref)[0])
			if !ok || tc.words(m) != tc.edit.Text || strings.Join(m.Earlier, "|") != strings.Join(tc.earlier, "|") {
				t.Errorf("the customer reads %q (before: %q); want %q (before: %q)", tc.words(m), m.Earlier, tc.edit.Text, tc.earlier)
			}
			for method, n := range tc.calls {
				if got := s.Calls(method); got != n {
					t.Errorf("%d %s calls, want %d", got, method, n)
				}
			}
		})
	}
}

func TestEditSentSaysWhyItCannot(t *testing.T) {
	tests := []struct {
		name       string
		edit       bot.Outgoing
		break_     func(s *telegramsim.Server, c *telegram.Client, ref string)
		permanent  bool
		retryAfter time.Duration
		says       string
		calls      int // edit calls made
		withFile   bool
	}{
		{"too long to fit", bot.Outgoing{Text: strings.Repeat("a", 5000)}, func(*telegramsim.Server, *telegram.Client, string) {},
			true, 0, "the corrected reply is longer than the messages it was sent as; send the rest as a new reply", 0, false},
		{"too long for a caption", bot.Outgoing{Text: strings.Repeat("a", 1500), Files: []bot.Upload{{File: bot.Attachment{Kind: bot.FileDocument, Name: "a.pdf"}}}}, func(*telegramsim.Server, *telegram.Client, string) {},
			true, 0, "too long to edit in place; send a new reply", 0, true},
		{"the customer's copy is gone", bot.Outgoing{Text: "better words"}, func(s *telegramsim.Server, c *telegram.Client, ref string) {
			if err := c.DeleteSent(testContext(t), bot.Ticket{Conversation: "42"}, ref, time.Now()); err != nil {
				t.Fatalf("DeleteSent: %v", err)
			}
		}, true, 0, "the customer's copy is gone: they may have deleted the chat", 1, false},
		{"the customer blocked the bot", bot.Outgoing{Text: "better words"}, func(s *telegramsim.Server, _ *telegram.Client, _ string) { s.BlockBot(42, jane) },
			true, 0, "the customer blocked the bot", 1, false},
		{"flood control", bot.Outgoing{Text: "better words"}, func(s *telegramsim.Server, _ *telegram.Client, _ string) { s.FailNext("editMessageText", 1, 429, 6) },
			false, 6 * time.Second, "slow down", 1, false},
		{"Telegram fails", bot.Outgoing{Text: "better words"}, func(s *telegramsim.Server, _ *telegram.Client, _ string) { s.FailNext("editMessageText", 1, 500, 0) },
			false, 0, "tried again", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			sent := bot.Outgoing{Text: "first words"}
			if tc.withFile {
				fs := &store{}
				sent.Files = []bot.Upload{fs.file(bot.FileDocument, "a.pdf", "application/pdf", []byte("%PDF"))}
			}
			ref := sentReply(t, c, sent)
			tc.break_(s, c, ref)
			tc.edit.Conversation = "42"
			err := c.EditSent(testContext(t), ref, tc.edit)
			if err == nil {
				t.Fatal("EditSent succeeded")
			}
			if bot.IsPermanent(err) != tc.permanent || bot.RetryAfterOf(err) != tc.retryAfter || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("EditSent = %v (permanent %v, retry after %s); want permanent %v, retry after %s, saying %q",
					err, bot.IsPermanent(err), bot.RetryAfterOf(err), tc.permanent, tc.retryAfter, tc.says)
			}
			if got := s.Calls("editMessageText") + s.Calls("editMessageCaption"); got != tc.calls {
				t.Errorf("%d edit calls, want %d", got, tc.calls)
			}
			assertNoToken(t, err)
		})
	}
}

func TestDeleteSentTakesTheReplyBack(t *testing.T) {
	tests := []struct {
		name      string
		sentAt    func(now time.Time) time.Time
		break_    func(s *telegramsim.Server, c *telegram.Client, ref string)
		deleted   bool // the reply is gone from the chat
		permanent bool
		says      string // "": DeleteSent succeeds
		calls     int
	}{
		{"within 48 hours", func(now time.Time) time.Time { return now }, func(*telegramsim.Server, *telegram.Client, string) {},
			true, false, "", 1},
		{"gone already", func(now time.Time) time.Time { return now }, func(s *telegramsim.Server, c *telegram.Client, ref string) {
			if err := c.DeleteSent(testContext(t), bot.Ticket{Conversation: "42"}, ref, time.Now()); err != nil {
				t.Fatalf("the first DeleteSent: %v", err)
			}
		}, true, false, "", 2},
		{"Telegram says it is over 48 hours old", func(now time.Time) time.Time { return now }, func(s *telegramsim.Server, _ *telegram.Client, _ string) {
			later := time.Now().Add(49 * time.Hour)
			s.SetClock(func() time.Time { return later })
		}, false, true, "Telegram lets bots delete a message only within 48 hours of sending it; the customer still sees it", 1},
		{"caredesk knows it is over 48 hours old", func(now time.Time) time.Time { return now.Add(-49 * time.Hour) }, func(*telegramsim.Server, *telegram.Client, string) {},
			false, true, "Telegram lets bots delete a message only within 48 hours of sending it; the customer still sees it", 0},
		{"Telegram fails", func(now time.Time) time.Time { return now }, func(s *telegramsim.Server, _ *telegram.Client, _ string) { s.FailNext("deleteMessage", 1, 500, 0) },
			false, false, "tried again", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			ref := sentReply(t, c, bot.Outgoing{Text: "Sorry, wrong customer."})
			tc.break_(s, c, ref)
			err := c.DeleteSent(testContext(t), bot.Ticket{Conversation: "42"}, ref, tc.sentAt(time.Now()))
			switch {
			case tc.says == "" && err != nil:
				t.Errorf("DeleteSent: %v", err)
			case tc.says != "" && (err == nil || bot.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.says)):
				t.Errorf("DeleteSent = %v (permanent %v); want permanent %v, saying %q", err, bot.IsPermanent(err), tc.permanent, tc.says)
			}
			if got := s.Deleted(42, refIDs(t, ref)[0]); got != tc.deleted {
				t.Errorf("deleted %v, want %v", got, tc.deleted)
			}
			if got := s.Calls("deleteMessage"); got != tc.calls {
				t.Errorf("%d deleteMessage calls, want %d", got, tc.calls)
			}
			assertNoToken(t, err)
		})
	}
}
