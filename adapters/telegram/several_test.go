package telegram_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/telegram"
	"caredesk/bot"
	"caredesk/sim/telegramsim"
)

// Replies of several messages: the ref lists them all, DeleteSent takes
// them all back, and EditSent changes the words in every part.

// twoParts is a text Send cuts in two at its line break: 4000 of first,
// then the rest.
func twoParts(first, second string) string {
	return strings.Repeat(first, 4000) + "\n" + strings.Repeat(second, 1000)
}

// docs are n PDFs.
func docs(fs *store, n int) []bot.Upload {
	var files []bot.Upload
	for i := range n {
		files = append(files, fs.file(bot.FileDocument, fmt.Sprintf("page%d.pdf", i), "application/pdf", []byte("%PDF")))
	}
	return files
}

// photos are n JPEGs, which go as an album of photos.
func photos(fs *store, n int) []bot.Upload {
	var files []bot.Upload
	for i := range n {
		files = append(files, fs.file(bot.FilePhoto, fmt.Sprintf("p%d.jpg", i), "image/jpeg", []byte("\xff\xd8\xff label")))
	}
	return files
}

// words is what the customer reads in m: its text, or its caption.
func words(m telegramsim.SentMessage) string {
	if len(m.Files) > 0 {
		return m.Caption
	}
	return m.Text
}

func TestDeleteSentTakesBackEveryMessageOfAReply(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		files func(fs *store) []bot.Upload
		sent  int // messages
		with  int // of them, those with files, last
	}{
		{"a long text and a PDF", twoParts("a", "b"), func(fs *store) []bot.Upload { return docs(fs, 1) }, 3, 1},
		{"an album with its caption", "Which one is yours?", func(fs *store) []bot.Upload { return photos(fs, 3) }, 3, 3},
		{"a text in two parts", twoParts("a", "b"), func(*store) []bot.Upload { return nil }, 2, 0},
		{"two albums without words", "", func(fs *store) []bot.Upload { return docs(fs, 12) }, 12, 12},
		{"one PDF with its caption", "Your invoice.", func(fs *store) []bot.Upload { return docs(fs, 1) }, 1, 1},
		{"one text", "Sorry, wrong customer.", func(*store) []bot.Upload { return nil }, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			fs := &store{}
			ref := sentReply(t, c, bot.Outgoing{Text: tc.text, Files: tc.files(fs), Key: "caredesk-21"})
			sent := s.Sent()
			if len(sent) != tc.sent {
				t.Fatalf("sent %d messages, want %d", len(sent), tc.sent)
			}
			if want := refOf(sent, tc.with); ref != want {
				t.Fatalf("ref %q, want %q: every message, the words' first", ref, want)
			}
			if err := c.DeleteSent(testContext(t), bot.Ticket{Conversation: "42"}, ref, time.Now()); err != nil {
				t.Fatalf("DeleteSent: %v", err)
			}
			for i, m := range sent {
				if !s.Deleted(42, m.MessageID) {
					t.Errorf("message %d of %d (id %d) is still with the customer", i+1, len(sent), m.MessageID)
				}
			}
			if s.Deleted(42, 1) {
				t.Error("the customer's own message was deleted")
			}
			if got := s.Calls("deleteMessage"); got != len(sent) {
				t.Errorf("%d deleteMessage calls, want one a message: %d", got, len(sent))
			}
		})
	}
}

func TestDeleteSentOfSeveralMessagesSaysWhatItCouldNot(t *testing.T) {
	tests := []struct {
		name string
		// break_ gets the reply's ids and returns what undoes it before
		// a retry; nil: no retry.
		break_    func(t *testing.T, s *telegramsim.Server, c *telegram.Client, ids []int) (undo func())
		sentAt    time.Duration // before now
		deleted   []bool        // after the last attempt
		permanent bool
		says      []string // nil: DeleteSent succeeds (at the retry, if any)
		names     []int    // the messages, by index, the error says the customer still sees
		calls     int
	}{
		{"some gone already", func(t *testing.T, s *telegramsim.Server, c *telegram.Client, ids []int) func() {
			if err := c.DeleteSent(testContext(t), bot.Ticket{Conversation: "42"}, strconv.Itoa(ids[1]), time.Now()); err != nil {
				t.Fatalf("deleting the second part alone: %v", err)
			}
			return nil
		}, 0, []bool{true, true, true}, false, nil, nil, 1 + 3},
		{"one refused", func(_ *testing.T, s *telegramsim.Server, _ *telegram.Client, ids []int) func() {
			s.FailWhere("deleteMessage", func(p map[string]string) bool { return p["message_id"] == strconv.Itoa(ids[2]) }, 403, 0)
			return nil
		}, 0, []bool{true, true, false}, true, []string{"Telegram deleted 2 of the reply's 3 messages but not message ", "the customer blocked the bot", "the customer still sees it"}, []int{2}, 3},
		{"over 48 hours old, by caredesk's clock", func(*testing.T, *telegramsim.Server, *telegram.Client, []int) func() { return nil },
			49 * time.Hour, []bool{false, false, false}, true, []string{"Telegram lets bots delete a message only within 48 hours of sending it; the customer still sees it"}, nil, 0},
		{"over 48 hours old, by Telegram's", func(_ *testing.T, s *telegramsim.Server, _ *telegram.Client, _ []int) func() {
			later := time.Now().Add(49 * time.Hour)
			s.SetClock(func() time.Time { return later })
			return nil
		}, 0, []bool{false, false, false}, true, []string{"Telegram lets bots delete a message only within 48 hours of sending it; the customer still sees it"}, nil, 3},
		{"Telegram fails in the middle, then the retry finishes", func(_ *testing.T, s *telegramsim.Server, _ *telegram.Client, ids []int) func() {
			return s.FailWhere("deleteMessage", func(p map[string]string) bool { return p["message_id"] == strconv.Itoa(ids[1]) }, 500, 0)
		}, 0, []bool{true, true, true}, false, nil, nil, 2 + 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			fs := &store{}
			ref := sentReply(t, c, bot.Outgoing{Text: twoParts("a", "b"), Files: docs(fs, 1)})
			ids := refIDs(t, ref)
			undo := tc.break_(t, s, c, ids)
			err := c.DeleteSent(testContext(t), bot.Ticket{Conversation: "42"}, ref, time.Now().Add(-tc.sentAt))
			if undo != nil {
				if err == nil || bot.IsPermanent(err) {
					t.Fatalf("DeleteSent = %v, want a failure worth a retry", err)
				}
				undo()
				err = c.DeleteSent(testContext(t), bot.Ticket{Conversation: "42"}, ref, time.Now().Add(-tc.sentAt))
			}
			switch {
			case tc.says == nil && err != nil:
				t.Errorf("DeleteSent: %v", err)
			case tc.says != nil && (err == nil || bot.IsPermanent(err) != tc.permanent):
				t.Errorf("DeleteSent = %v (permanent %v); want permanent %v", err, bot.IsPermanent(err), tc.permanent)
			}
			for _, w := range tc.says {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("DeleteSent = %v, want it to say %q", err, w)
				}
			}
			for _, i := range tc.names {
				if err == nil || !strings.Contains(err.Error(), "message "+strconv.Itoa(ids[i])+" (") {
					t.Errorf("DeleteSent = %v, want it to name message %d", err, ids[i])
				}
			}
			for i, id := range ids {
				if got := s.Deleted(42, id); got != tc.deleted[i] {
					t.Errorf("message %d of the reply deleted %v, want %v", i+1, got, tc.deleted[i])
				}
			}
			if got := s.Calls("deleteMessage"); got != tc.calls {
				t.Errorf("%d deleteMessage calls, want %d", got, tc.calls)
			}
			assertNoToken(t, err)
		})
	}
}

func TestEditSentChangesEveryPartOfAReply(t *testing.T) {
	fs := &store{}
	pdf := docs(fs, 1)
	album := photos(fs, 3)
	tests := []struct {
		name  string
		sent  bot.Outgoing
		edit  bot.Outgoing
		want  []string // the words of each message of the reply after; "" for a file's without caption
		gone  []bool   // deleted, by message; nil: none
		edits []int    // edits Telegram made, by message
		says  string   // "": EditSent succeeds; else the bot.Permanent error says it
		calls map[string]int
	}{
		{"both parts of a text change",
			bot.Outgoing{Text: twoParts("a", "b")}, bot.Outgoing{Text: twoParts("c", "d")},
			[]string{strings.Repeat("c", 4000), strings.Repeat("d", 1000)}, nil, []int{1, 1}, "",
			map[string]int{"editMessageText": 2, "deleteMessage": 0, "sendMessage": 2}},
		{"only the second part changes",
			bot.Outgoing{Text: twoParts("a", "b")}, bot.Outgoing{Text: twoParts("a", "e")},
			[]string{strings.Repeat("a", 4000), strings.Repeat("e", 1000)}, nil, []int{0, 1}, "",
			map[string]int{"editMessageText": 2, "deleteMessage": 0}},
		{"shorter: the part no longer needed is deleted",
			bot.Outgoing{Text: twoParts("a", "b")}, bot.Outgoing{Text: "In short: refunded."},
			[]string{"In short: refunded.", strings.Repeat("b", 1000)}, []bool{false, true}, []int{1, 0}, "",
			map[string]int{"editMessageText": 1, "deleteMessage": 1}},
		{"too long: it would need a third message",
			bot.Outgoing{Text: twoParts("a", "b")}, bot.Outgoing{Text: strings.Repeat("x", 4000) + "\n" + strings.Repeat("y", 4000) + "\n" + strings.Repeat("z", 4000)},
			[]string{strings.Repeat("a", 4000), strings.Repeat("b", 1000)}, nil, []int{0, 0},
			"the corrected reply is longer than the messages it was sent as; send the rest as a new reply",
			map[string]int{"editMessageText": 0, "editMessageCaption": 0, "deleteMessage": 0, "sendMessage": 2}},
		{"no words left",
			bot.Outgoing{Text: twoParts("a", "b")}, bot.Outgoing{Text: " \n"},
			[]string{strings.Repeat("a", 4000), strings.Repeat("b", 1000)}, nil, []int{0, 0},
			"Telegram keeps no empty message; delete the reply instead",
			map[string]int{"editMessageText": 0, "deleteMessage": 0}},
		{"the words of a long text and a PDF; the PDF stays as it is",
			bot.Outgoing{Text: twoParts("a", "b"), Files: pdf}, bot.Outgoing{Text: twoParts("c", "d"), Files: asSent(pdf)},
			[]string{strings.Repeat("c", 4000), strings.Repeat("d", 1000), ""}, nil, []int{1, 1, 0}, "",
			map[string]int{"editMessageText": 2, "editMessageCaption": 0, "sendDocument": 1}},
		{"a long text and a PDF, shorter: the PDF stays",
			bot.Outgoing{Text: twoParts("a", "b"), Files: pdf}, bot.Outgoing{Text: "Refunded; invoice attached.", Files: asSent(pdf)},
			[]string{"Refunded; invoice attached.", strings.Repeat("b", 1000), ""}, []bool{false, true, false}, []int{1, 0, 0}, "",
			map[string]int{"editMessageText": 1, "deleteMessage": 1, "sendDocument": 1}},
		{"the caption of an album",
			bot.Outgoing{Text: "Which one?", Files: album}, bot.Outgoing{Text: "Which one is yours?", Files: asSent(album)},
			[]string{"Which one is yours?", "", ""}, nil, []int{1, 0, 0}, "",
			map[string]int{"editMessageText": 0, "editMessageCaption": 1, "sendMediaGroup": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			ref := sentReply(t, c, tc.sent)
			tc.edit.Conversation = "42"
			err := c.EditSent(testContext(t), ref, tc.edit)
			switch {
			case tc.says == "" && err != nil:
				t.Fatalf("EditSent: %v", err)
			case tc.says != "" && (!bot.IsPermanent(err) || !strings.Contains(err.Error(), tc.says)):
				t.Fatalf("EditSent = %v (permanent %v); want a permanent error saying %q", err, bot.IsPermanent(err), tc.says)
			}
			ids := refIDs(t, ref)
			if len(ids) != len(tc.want) {
				t.Fatalf("the ref %q lists %d messages, want %d", ref, len(ids), len(tc.want))
			}
			for i, id := range ids {
				m, _ := s.Message(42, id)
				gone := tc.gone != nil && tc.gone[i]
				if words(m) != tc.want[i] || m.Deleted != gone || m.Edits != tc.edits[i] {
					t.Errorf("message %d: reads %.20q… (%d characters), deleted %v, %d edits; want %.20q… (%d), deleted %v, %d edits",
						i+1, words(m), len(words(m)), m.Deleted, m.Edits, tc.want[i], len(tc.want[i]), gone, tc.edits[i])
				}
			}
			for method, n := range tc.calls {
				if got := s.Calls(method); got != n {
					t.Errorf("%d %s calls, want %d", got, method, n)
				}
			}
			assertNoToken(t, err)
		})
	}
}

func TestEditSentCannotGrowAReplyAShorterCorrectionCut(t *testing.T) {
	s, c := customerAndClient(t)
	ref := sentReply(t, c, bot.Outgoing{Text: twoParts("a", "b")})
	if err := c.EditSent(testContext(t), ref, bot.Outgoing{Conversation: "42", Text: "In short: refunded."}); err != nil {
		t.Fatalf("the shorter correction: %v", err)
	}
	err := c.EditSent(testContext(t), ref, bot.Outgoing{Conversation: "42", Text: twoParts("c", "d")})
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "send the rest as a new reply") {
		t.Fatalf("EditSent = %v, want a permanent error that says to send the rest as a new reply", err)
	}
	if m, _ := s.Message(42, refIDs(t, ref)[0]); m.Text != "In short: refunded." {
		t.Errorf("the first message reads %.20q…, want the shorter correction, untouched", m.Text)
	}
}

func TestAPlainRefFromBeforeStillEditsAndDeletes(t *testing.T) {
	fs := &store{}
	pdf := docs(fs, 1)
	between := strings.Repeat("We looked into it. ", 100) // too long for a caption, short of two messages
	tests := []struct {
		name  string
		sent  bot.Outgoing
		which func(sent []telegramsim.SentMessage) int // the message the old ref named
		edit  bot.Outgoing
	}{
		{"a text", bot.Outgoing{Text: "We refund you 10 €."}, func([]telegramsim.SentMessage) int { return 0 },
			bot.Outgoing{Text: "We refund you 12 €."}},
		{"the caption of a PDF", bot.Outgoing{Text: "Your invoice.", Files: pdf}, func([]telegramsim.SentMessage) int { return 0 },
			bot.Outgoing{Text: "Your corrected invoice.", Files: asSent(pdf)}},
		{"a text before a PDF", bot.Outgoing{Text: between, Files: pdf}, func([]telegramsim.SentMessage) int { return 0 },
			bot.Outgoing{Text: "We looked into it: refunded.", Files: asSent(pdf)}},
		{"the last part of a long text", bot.Outgoing{Text: twoParts("a", "b")}, func(sent []telegramsim.SentMessage) int { return len(sent) - 1 },
			bot.Outgoing{Text: "and the rest, corrected."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			sentReply(t, c, tc.sent)
			sent := s.Sent()
			id := sent[tc.which(sent)].MessageID
			ref := strconv.Itoa(id) // what Send answered before refs listed every message
			tc.edit.Conversation = "42"
			if err := c.EditSent(testContext(t), ref, tc.edit); err != nil {
				t.Fatalf("EditSent: %v", err)
			}
			m, _ := s.Message(42, id)
			if words(m) != tc.edit.Text {
				t.Errorf("the customer reads %.30q…, want %q", words(m), tc.edit.Text)
			}
			for _, other := range sent {
				if o, _ := s.Message(42, other.MessageID); other.MessageID != id && o.Edits != 0 {
					t.Errorf("message %d, which the ref does not name, was edited", other.MessageID)
				}
			}
			if err := c.DeleteSent(testContext(t), bot.Ticket{Conversation: "42"}, ref, time.Now()); err != nil {
				t.Fatalf("DeleteSent: %v", err)
			}
			if !s.Deleted(42, id) || s.Calls("deleteMessage") != 1 {
				t.Errorf("deleted %v after %d deleteMessage calls, want the message deleted with one", s.Deleted(42, id), s.Calls("deleteMessage"))
			}
		})
	}
}

func TestSendRetryListsEveryMessageOnce(t *testing.T) {
	text := twoParts("a", "b")
	tests := []struct {
		name   string
		break_ func(s *telegramsim.Server) (undo func())
		calls  map[string]int // over both attempts
	}{
		{"at the second text part", func(s *telegramsim.Server) func() {
			return s.FailWhere("sendMessage", func(p map[string]string) bool { return strings.HasPrefix(p["text"], "b") }, 429, 2)
		}, map[string]int{"sendMessage": 3, "sendMediaGroup": 2}},
		{"at the first album", func(s *telegramsim.Server) func() {
			s.FailNext("sendMediaGroup", 1, 500, 0)
			return func() {}
		}, map[string]int{"sendMessage": 2, "sendMediaGroup": 3}},
		{"at the second album", func(s *telegramsim.Server) func() {
			albums := 0
			return s.FailWhere("sendMediaGroup", func(map[string]string) bool { albums++; return albums == 2 }, 429, 4)
		}, map[string]int{"sendMessage": 2, "sendMediaGroup": 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			fs := &store{}
			m := bot.Outgoing{Conversation: "42", Text: text, Key: "caredesk-31", Files: docs(fs, 12)}
			undo := tc.break_(s)
			if _, err := c.Send(testContext(t), m); err == nil || bot.IsPermanent(err) {
				t.Fatalf("Send = %v, want a failure worth a retry", err)
			}
			undo()
			ref, err := c.Send(testContext(t), m)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			fs.balanced(t)
			sent := s.Sent()
			if len(sent) != 14 || sent[0].Text != strings.Repeat("a", 4000) || sent[1].Text != strings.Repeat("b", 1000) || sent[2].MediaGroupID == sent[8].MediaGroupID {
				t.Fatalf("sent %d messages; want the two parts, then two albums of 6, each once", len(sent))
			}
			if want := refOf(sent, 12); ref != want {
				t.Errorf("ref %q, want every message of both attempts: %q", ref, want)
			}
			for method, n := range tc.calls {
				if got := s.Calls(method); got != n {
					t.Errorf("%d %s calls, want %d", got, method, n)
				}
			}
			if err := c.DeleteSent(testContext(t), bot.Ticket{Conversation: "42"}, ref, time.Now()); err != nil {
				t.Fatalf("DeleteSent: %v", err)
			}
			for _, sm := range sent {
				if !s.Deleted(42, sm.MessageID) {
					t.Errorf("message %d is still with the customer", sm.MessageID)
				}
			}
		})
	}
}
