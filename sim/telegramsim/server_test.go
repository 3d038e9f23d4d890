package telegramsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/sim/telegramsim"
)

const token = "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

var jane = telegramsim.User{ID: 42, FirstName: "Jane", LastName: "Doe", Username: "jane"}

// start runs a simulator for the test.
func start(t *testing.T) *telegramsim.Server {
	t.Helper()
	s, err := telegramsim.New(token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// connect returns the real library's client for s.
func connect(t *testing.T, s *telegramsim.Server) *tgbotapi.BotAPI {
	t.Helper()
	api, err := tgbotapi.NewBotAPIWithAPIEndpoint(token, s.URL()+"/bot%s/%s")
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return api
}

// testContext ends with the test, or after a generous bound so that a
// broken Wait fails the test instead of hanging it.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wait fails the test unless cond becomes true.
func wait(t *testing.T, s *telegramsim.Server, what string, cond func() bool) {
	t.Helper()
	if err := s.Wait(testContext(t), cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// call posts a raw Bot API call with a JSON body and decodes the envelope.
func call(t *testing.T, s *telegramsim.Server, tok, method string, params map[string]any) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(params)
	resp, err := http.Post(s.URL()+"/bot"+tok+"/"+method, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", method, err)
	}
	return resp.StatusCode, out
}

func updateIDs(updates []tgbotapi.Update) []int {
	ids := []int{}
	for _, u := range updates {
		ids = append(ids, u.UpdateID)
	}
	return ids
}

func TestGetMeAnswersTheBotAndRejectsOtherTokens(t *testing.T) {
	s := start(t)
	if got := connect(t, s).Self.UserName; got != telegramsim.BotUsername {
		t.Errorf("getMe username = %q, want %q", got, telegramsim.BotUsername)
	}
	_, err := tgbotapi.NewBotAPIWithAPIEndpoint("999:wrong", s.URL()+"/bot%s/%s")
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) || apiErr.Code != 401 || apiErr.Message != "Unauthorized" {
		t.Errorf("wrong token: err = %v, want 401 Unauthorized", err)
	}
}

func TestGetUpdatesConfirmsBelowTheOffset(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	a := s.CustomerWrites(42, jane, "one")
	b := s.CustomerWrites(42, jane, "two")
	c := s.CustomerWrites(42, jane, "three")
	if a == 0 || b != a+1 || c != b+1 {
		t.Fatalf("update ids %d %d %d: want rising by one", a, b, c)
	}

	got, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || !slices.Equal(updateIDs(got), []int{a, b, c}) {
		t.Fatalf("getUpdates without offset = %v, %v; want all three", updateIDs(got), err)
	}
	got, _ = api.GetUpdates(tgbotapi.UpdateConfig{Offset: b, Limit: 1})
	if !slices.Equal(updateIDs(got), []int{b}) {
		t.Errorf("offset %d limit 1 = %v, want [%d]", b, updateIDs(got), b)
	}
	if s.Offset() != b || s.Pending() != 2 {
		t.Errorf("after offset %d: Offset %d, Pending %d; want %d, 2", b, s.Offset(), s.Pending(), b)
	}
	// A lower offset cannot bring a confirmed update back.
	got, _ = api.GetUpdates(tgbotapi.UpdateConfig{Offset: a})
	if !slices.Equal(updateIDs(got), []int{b, c}) {
		t.Errorf("offset %d after confirming %d = %v, want [%d %d]", a, b, updateIDs(got), b, c)
	}
	got, _ = api.GetUpdates(tgbotapi.UpdateConfig{Offset: c + 1})
	if len(got) != 0 || s.Pending() != 0 {
		t.Errorf("offset past the last = %v with %d pending, want nothing", updateIDs(got), s.Pending())
	}
	if got == nil {
		t.Error("an empty result must be [], not null")
	}
}

func TestNegativeOffsetKeepsTheLastUpdates(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "one")
	s.CustomerWrites(42, jane, "two")
	last := s.CustomerWrites(42, jane, "three")
	got, _ := api.GetUpdates(tgbotapi.UpdateConfig{Offset: -1})
	if !slices.Equal(updateIDs(got), []int{last}) || s.Pending() != 1 {
		t.Errorf("offset -1 = %v with %d pending, want [%d] and 1", updateIDs(got), s.Pending(), last)
	}
}

func TestLongPollAnswersWhenACustomerWrites(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	type result struct {
		updates []tgbotapi.Update
		err     error
	}
	done := make(chan result, 1)
	go func() {
		u, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		done <- result{u, err}
	}()
	wait(t, s, "the long poll to start", func() bool { return s.Polling() == 1 })
	id := s.CustomerWrites(42, jane, "where is my parcel?")
	r := <-done
	if r.err != nil || !slices.Equal(updateIDs(r.updates), []int{id}) {
		t.Fatalf("long poll = %v, %v; want [%d]", updateIDs(r.updates), r.err, id)
	}
	m := r.updates[0].Message
	if m.Text != "where is my parcel?" || m.From.UserName != "jane" || m.Chat.ID != 42 || m.MessageID != 1 || m.Date == 0 {
		t.Errorf("message = %+v", m)
	}
}

func TestLongPollTimeoutReturnsNothing(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	got, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 1})
	if err != nil || len(got) != 0 {
		t.Fatalf("empty long poll = %v, %v; want no updates and no error", updateIDs(got), err)
	}
	if s.Polling() != 0 {
		t.Errorf("Polling = %d after the poll ended", s.Polling())
	}
}

func TestLongPollEndsWhenTheClientGoesAway(t *testing.T) {
	s := start(t)
	ctx, cancel := context.WithCancel(testContext(t))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/bot"+token+"/getUpdates",
		strings.NewReader(url.Values{"timeout": {"60"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	wait(t, s, "the long poll to start", func() bool { return s.Polling() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("client error = %v, want context.Canceled", err)
	}
	wait(t, s, "the server to drop the poll", func() bool { return s.Polling() == 0 })
}

func TestANewPollerEndsTheOldOneWithConflict(t *testing.T) {
	s := start(t)
	old := connect(t, s)
	errc := make(chan error, 1)
	go func() {
		_, err := old.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		errc <- err
	}()
	wait(t, s, "the first long poll", func() bool { return s.Polling() == 1 })
	if _, err := connect(t, s).GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
		t.Fatalf("second poller: %v", err)
	}
	var apiErr *tgbotapi.Error
	if err := <-errc; !errors.As(err, &apiErr) || apiErr.Code != 409 || !strings.Contains(apiErr.Message, "terminated by other getUpdates") {
		t.Errorf("first poller got %v, want 409 terminated by other getUpdates request", err)
	}
}

func TestGetUpdatesConflictsWithAWebhook(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	errc := make(chan error, 1)
	go func() {
		_, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		errc <- err
	}()
	wait(t, s, "the long poll", func() bool { return s.Polling() == 1 })
	if _, err := api.MakeRequest("setWebhook", tgbotapi.Params{"url": "http://127.0.0.1:9/hook", "secret_token": "s3cret"}); err != nil {
		t.Fatalf("setWebhook: %v", err)
	}
	var apiErr *tgbotapi.Error
	if err := <-errc; !errors.As(err, &apiErr) || apiErr.Code != 409 || !strings.Contains(apiErr.Message, "terminated by setWebhook") {
		t.Errorf("poll during setWebhook: %v, want 409 terminated by setWebhook request", err)
	}
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{}); !errors.As(err, &apiErr) || apiErr.Code != 409 {
		t.Errorf("getUpdates with a webhook: %v, want 409", err)
	}
	info, err := api.GetWebhookInfo()
	if err != nil || info.URL != "http://127.0.0.1:9/hook" {
		t.Errorf("getWebhookInfo = %+v, %v", info, err)
	}
	if _, err := api.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		t.Fatalf("deleteWebhook: %v", err)
	}
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{}); err != nil || s.WebhookURL() != "" {
		t.Errorf("getUpdates after deleteWebhook: %v (webhook %q)", err, s.WebhookURL())
	}
}

func TestSendMessageRecordsWhatTheCustomerSees(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "hello?")
	s.CustomerWrites(42, jane, "anyone?")

	reply := tgbotapi.NewMessage(42, "Hi Jane, looking into it.")
	reply.ReplyToMessageID = 2
	m, err := api.Send(reply)
	if err != nil {
		t.Fatalf("sendMessage: %v", err)
	}
	if m.MessageID != 3 || m.Chat.ID != 42 || m.Text != reply.Text || m.From.UserName != telegramsim.BotUsername {
		t.Errorf("answer = %+v, want message 3 in chat 42", m)
	}
	// A JSON body, as other clients send, works too.
	if code, out := call(t, s, token, "sendMessage", map[string]any{"chat_id": 42, "text": "second"}); code != 200 || out["ok"] != true {
		t.Errorf("JSON sendMessage = %d %v", code, out)
	}
	sent := s.Sent()
	if len(sent) != 2 || sent[0].ReplyTo != 2 || sent[0].MessageID != 3 || sent[1].MessageID != 4 || sent[1].ReplyTo != 0 || sent[0].At.IsZero() {
		t.Errorf("Sent = %+v", sent)
	}
	if s.Calls("sendMessage") != 2 || s.Calls("SENDMESSAGE") != 2 {
		t.Errorf("Calls(sendMessage) = %d, want 2", s.Calls("sendMessage"))
	}
}

func TestSendMessageRefusesWhatTelegramRefuses(t *testing.T) {
	s := start(t)
	s.CustomerWrites(42, jane, "hello?")
	tests := []struct {
		name   string
		params map[string]any
		code   int
		desc   string
	}{
		{"unknown chat", map[string]any{"chat_id": 7, "text": "hi"}, 400, "Bad Request: chat not found"},
		{"empty text", map[string]any{"chat_id": 42, "text": "  "}, 400, "Bad Request: message text is empty"},
		{"too long in UTF-16", map[string]any{"chat_id": 42, "text": strings.Repeat("😀", 2049)}, 400, "Bad Request: message is too long"},
		{"reply to nothing", map[string]any{"chat_id": 42, "text": "hi", "reply_to_message_id": 99}, 400, "Bad Request: message to be replied not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := call(t, s, token, "sendMessage", tc.params)
			if code != tc.code || out["ok"] != false || out["description"] != tc.desc {
				t.Errorf("= %d %v, want %d %q", code, out, tc.code, tc.desc)
			}
		})
	}
	code, _ := call(t, s, token, "sendMessage", map[string]any{"chat_id": 42, "text": "hi", "reply_to_message_id": 99, "allow_sending_without_reply": true})
	if code != 200 || s.Sent()[0].ReplyTo != 0 {
		t.Errorf("allow_sending_without_reply: %d, %+v", code, s.Sent())
	}
}

func TestFailNextAnswersErrorsThenRecovers(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "hello?")
	s.FailNext("sendMessage", 2, 429, 7)
	for i := range 2 {
		_, err := api.Send(tgbotapi.NewMessage(42, "hi"))
		var apiErr *tgbotapi.Error
		if !errors.As(err, &apiErr) || apiErr.Code != 429 || apiErr.RetryAfter != 7 {
			t.Fatalf("call %d: %v, want 429 retry after 7", i+1, err)
		}
	}
	if _, err := api.Send(tgbotapi.NewMessage(42, "hi")); err != nil {
		t.Fatalf("third call: %v", err)
	}
	if len(s.Sent()) != 1 || s.Calls("sendMessage") != 3 {
		t.Errorf("Sent %d, Calls %d; want 1 and 3", len(s.Sent()), s.Calls("sendMessage"))
	}
}

func TestFailWhereAimsAtMatchingCalls(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "hello?")
	s.CustomerWrites(43, telegramsim.User{FirstName: "Bob"}, "hello?")
	undo := s.FailWhere("sendMessage", func(p map[string]string) bool { return p["chat_id"] == "43" }, 403, 0)
	if _, err := api.Send(tgbotapi.NewMessage(42, "hi")); err != nil {
		t.Errorf("other chat: %v", err)
	}
	_, err := api.Send(tgbotapi.NewMessage(43, "hi"))
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) || apiErr.Code != 403 || apiErr.Message != "Forbidden: bot was blocked by the user" {
		t.Errorf("matching chat: %v, want 403 blocked", err)
	}
	undo()
	if _, err := api.Send(tgbotapi.NewMessage(43, "hi")); err != nil {
		t.Errorf("after undo: %v", err)
	}
}

func TestSetDownAnswersLikeABrokenProxy(t *testing.T) {
	s := start(t)
	s.SetDown(true)
	resp, err := http.Post(s.URL()+"/bot"+token+"/getMe", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 502 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "502 Bad Gateway") {
		t.Errorf("down: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	s.SetDown(false)
	connect(t, s)
}

func TestPushFillsMessageIDsAndDates(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "first")
	id := s.Push(map[string]any{"update_id": 1, "message": map[string]any{
		"from": jane, "chat": map[string]any{"id": 42, "type": "private"}, "caption": "broken", "photo": []map[string]any{{"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}},
	}})
	s.Push(map[string]any{"callback_query": map[string]any{"id": "cb", "from": jane, "chat_instance": "1", "data": "x"}})
	got, _ := api.GetUpdates(tgbotapi.UpdateConfig{})
	if len(got) != 3 || got[1].UpdateID != id || id == 1 {
		t.Fatalf("updates = %v, want 3 with the pushed one as %d", updateIDs(got), id)
	}
	m := got[1].Message
	if m.MessageID != 2 || m.Date == 0 || m.Caption != "broken" || len(m.Photo) != 1 {
		t.Errorf("pushed message = %+v, want message 2 with a date", m)
	}
	if got[2].CallbackQuery == nil || s.LastMessageID(42) != 2 {
		t.Errorf("callback = %+v, last message %d", got[2].CallbackQuery, s.LastMessageID(42))
	}
}

func TestWebhookGetsUpdatesInOrderUntilItAccepts(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	var mu sync.Mutex
	var got []int
	attempts := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "s3cret" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("push headers = %v", r.Header)
		}
		if attempts <= 2 { // the first update fails twice
			http.Error(w, "not now", http.StatusInternalServerError)
			return
		}
		var u struct {
			ID int `json:"update_id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&u)
		got = append(got, u.ID)
	}))
	defer hook.Close()
	if _, err := api.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL, "secret_token": "s3cret"}); err != nil {
		t.Fatal(err)
	}
	a := s.CustomerWrites(42, jane, "one")
	b := s.CustomerWrites(42, jane, "two")
	wait(t, s, "both updates confirmed", func() bool { return s.Pending() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, []int{a, b}) || attempts != 4 {
		t.Errorf("webhook got %v in %d attempts, want [%d %d] in 4", got, attempts, a, b)
	}
	if s.Offset() != b+1 {
		t.Errorf("Offset = %d, want %d", s.Offset(), b+1)
	}
	info, _ := api.GetWebhookInfo()
	if !strings.Contains(info.LastErrorMessage, "500") {
		t.Errorf("last_error_message = %q, want the 500", info.LastErrorMessage)
	}
}

func TestSetWebhookRejectsABadSecret(t *testing.T) {
	s := start(t)
	code, out := call(t, s, token, "setWebhook", map[string]any{"url": "https://example.test/hook", "secret_token": "not allowed!"})
	if code != 400 || out["ok"] != false {
		t.Errorf("= %d %v, want 400", code, out)
	}
	if s.WebhookURL() != "" {
		t.Errorf("webhook set to %q", s.WebhookURL())
	}
}

func TestWaitGivesUpWithTheContext(t *testing.T) {
	s := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Wait(ctx, func() bool { return false }); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}
	if err := s.Wait(ctx, func() bool { return true }); err != nil {
		t.Errorf("Wait on a true condition = %v", err)
	}
}

func TestUnknownMethodIsNotFound(t *testing.T) {
	s := start(t)
	code, out := call(t, s, token, "sendTelepathy", nil)
	if code != 404 || out["error_code"] != float64(404) {
		t.Errorf("= %d %v", code, out)
	}
	if code, _ := call(t, s, "1:other", "getMe", nil); code != 401 {
		t.Errorf("other token = %d, want 401", code)
	}
}

func TestARevokedTokenIsRefusedUntilRestored(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	errc := make(chan error, 1)
	go func() {
		_, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		errc <- err
	}()
	wait(t, s, "the long poll", func() bool { return s.Polling() == 1 })
	s.RevokeToken(true)
	var apiErr *tgbotapi.Error
	if err := <-errc; !errors.As(err, &apiErr) || apiErr.Code != 401 {
		t.Errorf("the long poll in flight got %v, want 401 Unauthorized", err)
	}
	if _, err := api.GetMe(); !errors.As(err, &apiErr) || apiErr.Code != 401 || apiErr.Message != "Unauthorized" {
		t.Errorf("getMe with a revoked token: %v, want 401 Unauthorized", err)
	}
	s.RevokeToken(false)
	if _, err := api.GetMe(); err != nil {
		t.Errorf("getMe with the token valid again: %v", err)
	}
}
