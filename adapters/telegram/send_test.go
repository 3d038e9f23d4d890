package telegram_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"caredesk/adapters/telegram"
	"caredesk/bot"
	"caredesk/sim/telegramsim"
)

// customerAndClient starts a simulator where Jane (chat 42) wrote once, and
// a client for it.
func customerAndClient(t *testing.T) (*telegramsim.Server, *telegram.Client) {
	t.Helper()
	s := startSim(t)
	s.CustomerWrites(42, jane, "where is my parcel?")
	c, _ := newClient(t, s, telegram.Options{})
	return s, c
}

func TestSendDeliversPlainText(t *testing.T) {
	s, c := customerAndClient(t)
	text := "Hi Jane, *so* sorry — <b>tracking</b>: https://example.test/t/1_2 [link](x)"
	ref, err := c.Send(testContext(t), bot.Outgoing{Conversation: "42", Text: text, Key: "caredesk-1"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	sent := s.Sent()
	if len(sent) != 1 || sent[0].ChatID != 42 || sent[0].Text != text || sent[0].ParseMode != "" || sent[0].ReplyTo != 0 {
		t.Fatalf("sent %+v, want the text as it is, without parse_mode", sent)
	}
	if ref != itoa(sent[0].MessageID) {
		t.Errorf("ref %q, want the message id %d", ref, sent[0].MessageID)
	}
}

func TestSendRepliesToTheCustomersMessage(t *testing.T) {
	tests := []struct {
		name, replyTo string
		want          int
	}{
		{"the customer's message", "1", 1},
		{"a message that is gone", "999", 0}, // allow_sending_without_reply
		{"not a Telegram id", "slack:123", 0},
		{"none", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			if _, err := c.Send(testContext(t), bot.Outgoing{Conversation: "42", ReplyTo: tc.replyTo, Text: "on it"}); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := s.Sent()[0].ReplyTo; got != tc.want {
				t.Errorf("reply_to %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSendSplitsLongText(t *testing.T) {
	paragraph := strings.Repeat("We are sorry for the delay. ", 40) + "\n" // 1121 characters
	tests := []struct {
		name  string
		text  string
		parts int
	}{
		{"paragraphs", strings.Repeat(paragraph, 5), 2},
		{"one endless word", strings.Repeat("a", 9000), 3},
		{"emoji count twice", strings.Repeat("😀", 3000), 2},
		{"exactly the limit", strings.Repeat("é", 4096), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			ref, err := c.Send(testContext(t), bot.Outgoing{Conversation: "42", ReplyTo: "1", Text: tc.text})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			sent := s.Sent()
			if len(sent) != tc.parts {
				t.Fatalf("%d messages, want %d", len(sent), tc.parts)
			}
			var joined strings.Builder
			for i, m := range sent {
				if n := len(utf16.Encode([]rune(m.Text))); n > 4096 || !utf8.ValidString(m.Text) {
					t.Errorf("part %d: %d UTF-16 units or broken UTF-8", i, n)
				}
				if (i == 0) != (m.ReplyTo == 1) {
					t.Errorf("part %d replies to %d; only the first quotes the customer", i, m.ReplyTo)
				}
				joined.WriteString(m.Text)
			}
			// The white space at a cut is dropped (the next message starts
			// the line); every other character arrives, in order.
			if ink := func(s string) string { return strings.Join(strings.Fields(s), "") }; ink(joined.String()) != ink(tc.text) {
				t.Error("the parts do not add up to the text")
			}
			// A paragraph ends in " \n": a cut at the line break leaves the
			// first part a whole number of paragraphs, less those two bytes.
			if tc.name == "paragraphs" && (len(sent[0].Text)+2)%len(paragraph) != 0 {
				t.Error("the cut is not at a line break")
			}
			if want := refOf(sent, 0); ref != want {
				t.Errorf("ref %q, want every part's id: %q", ref, want)
			}
		})
	}
}

func TestSendRetryContinuesALongTextWhereItStopped(t *testing.T) {
	s, c := customerAndClient(t)
	text := strings.Repeat("first part. ", 300) + "\n" + strings.Repeat("second part. ", 300)
	undo := s.FailWhere("sendMessage", func(p map[string]string) bool { return strings.HasPrefix(p["text"], "second") }, 429, 3)
	m := bot.Outgoing{Conversation: "42", Text: text, Key: "caredesk-7"}
	_, err := c.Send(testContext(t), m)
	if got := bot.RetryAfterOf(err); got != 3*time.Second {
		t.Fatalf("Send = %v (retry after %s), want retry after 3s", err, got)
	}
	undo()
	ref, err := c.Send(testContext(t), m)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	sent := s.Sent()
	if len(sent) != 2 || !strings.HasPrefix(sent[0].Text, "first") || !strings.HasPrefix(sent[1].Text, "second") {
		t.Fatalf("sent %d messages; want the first part once, then the second", len(sent))
	}
	if want := refOf(sent, 0); ref != want {
		t.Errorf("ref %q, want %q: both parts, though the first went on the first attempt", ref, want)
	}
}

func TestSendClassifiesFailures(t *testing.T) {
	tests := []struct {
		name       string
		chat       string
		break_     func(s *telegramsim.Server)
		permanent  bool
		retryAfter time.Duration
		says       string
	}{
		{"flood control", "42", func(s *telegramsim.Server) { s.FailNext("sendMessage", 1, 429, 7) }, false, 7 * time.Second, "slow down"},
		{"blocked by the customer", "42", func(s *telegramsim.Server) { s.FailNext("sendMessage", 1, 403, 0) }, true, 0, "the customer blocked the bot"},
		{"the customer blocked the bot in their app", "42", func(s *telegramsim.Server) { s.BlockBot(42, jane) }, true, 0, "(403 Forbidden: bot was blocked by the user): the customer blocked the bot"},
		{"chat not found", "777", func(*telegramsim.Server) {}, true, 0, "never wrote to this bot"},
		{"not a chat id", "discord:1", func(*telegramsim.Server) {}, true, 0, "not a Telegram chat id"},
		{"Telegram fails", "42", func(s *telegramsim.Server) { s.FailNext("sendMessage", 1, 500, 0) }, false, 0, "tried again"},
		{"a proxy's error page", "42", func(s *telegramsim.Server) { s.SetDown(true) }, false, 0, "502 Bad Gateway"},
		{"connection refused", "42", func(s *telegramsim.Server) { s.Close() }, false, 0, "could not send"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			tc.break_(s)
			_, err := c.Send(testContext(t), bot.Outgoing{Conversation: tc.chat, Text: "we refunded you"})
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if bot.IsPermanent(err) != tc.permanent || bot.RetryAfterOf(err) != tc.retryAfter {
				t.Errorf("permanent %v, retry after %s; want %v, %s (%v)", bot.IsPermanent(err), bot.RetryAfterOf(err), tc.permanent, tc.retryAfter, err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
			assertNoToken(t, err)
		})
	}
}

func TestSendRefusesAnEmptyMessage(t *testing.T) {
	s, c := customerAndClient(t)
	_, err := c.Send(testContext(t), bot.Outgoing{Conversation: "42", Text: " \n "})
	if !bot.IsPermanent(err) || s.Calls("sendMessage") != 0 {
		t.Errorf("Send = %v after %d calls, want a permanent error before any call", err, s.Calls("sendMessage"))
	}
}
