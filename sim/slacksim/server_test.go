package slacksim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	slackapi "github.com/slack-go/slack"

	"caredesk/sim/slacksim"
)

func newSim(t *testing.T, o slacksim.Options) *slacksim.Server {
	t.Helper()
	s, err := slacksim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func client(s *slacksim.Server, token string) *slackapi.Client {
	return slackapi.New(token, slackapi.OptionAPIURL(s.APIURL()), slackapi.OptionAppLevelToken(s.Options().AppToken))
}

func slackCode(err error) string {
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func TestWebAPIAnswersLikeSlack(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	s.AddChannel("C0GENERAL", "general", false)
	api := client(s, s.Options().BotToken)
	ctx := context.Background()

	auth, err := api.AuthTestContext(ctx)
	if err != nil || auth.UserID != "U0BOT" || auth.BotID != "B0BOT" {
		t.Fatalf("auth.test: %+v %v", auth, err)
	}
	ch, err := api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: "C0DESK"})
	if err != nil || !ch.IsMember || ch.Name != "care-desk" {
		t.Errorf("conversations.info C0DESK: %+v %v", ch, err)
	}
	if ch, err := api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: "C0GENERAL"}); err != nil || ch.IsMember {
		t.Errorf("conversations.info C0GENERAL: member %v, %v; want not a member", ch.IsMember, err)
	}
	if _, err := api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: "C0NOPE"}); slackCode(err) != "channel_not_found" {
		t.Errorf("conversations.info of no channel: %v", err)
	}
	if u, err := api.GetUserInfoContext(ctx, "U0BOT"); err != nil || u.Name != "caredesk" {
		t.Errorf("users.info: %+v %v", u, err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U0NOBODY"); slackCode(err) != "user_not_found" {
		t.Errorf("users.info of nobody: %v", err)
	}

	_, root, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("root", false), slackapi.MsgOptionDisableLinkUnfurl())
	if err != nil {
		t.Fatal(err)
	}
	_, reply, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("reply", false), slackapi.MsgOptionTS(root))
	if err != nil {
		t.Fatal(err)
	}
	_, nested, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("to a reply", false), slackapi.MsgOptionTS(reply))
	if err != nil {
		t.Fatal(err)
	}
	_, orphan, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("parent gone", false), slackapi.MsgOptionTS("1.2"))
	if err != nil {
		t.Fatal(err)
	}
	if !(root < reply && reply < nested && nested < orphan) {
		t.Errorf("timestamps %s %s %s %s do not increase", root, reply, nested, orphan)
	}
	if th := s.Thread(root); len(th) != 2 || th[0].TS != reply || th[1].TS != nested {
		t.Errorf("thread of the root: %+v", th)
	}
	if m, _ := s.Message(orphan); !m.IsRoot() {
		t.Errorf("a reply to a missing message: %+v; Slack posts it in the channel", m)
	}
	if m, _ := s.Message(root); m.UnfurlLinks != "false" || m.UnfurlMedia != "" || m.User != "U0BOT" || m.BotID != "B0BOT" {
		t.Errorf("root recorded as %+v", m)
	}
	if _, _, err := api.PostMessageContext(ctx, "C0GENERAL", slackapi.MsgOptionText("x", false)); slackCode(err) != "not_in_channel" {
		t.Errorf("post to a channel the bot is not in: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C0NOPE", slackapi.MsgOptionText("x", false)); slackCode(err) != "channel_not_found" {
		t.Errorf("post to no channel: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText(" ", false)); slackCode(err) != "no_text" {
		t.Errorf("post without text: %v", err)
	}

	if _, _, _, err := api.UpdateMessageContext(ctx, "C0DESK", root, slackapi.MsgOptionText("root, edited", false)); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message(root); m.Text != "root, edited" || m.Edits != 1 {
		t.Errorf("after chat.update: %+v", m)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0DESK", "9.9", slackapi.MsgOptionText("x", false)); slackCode(err) != "message_not_found" {
		t.Errorf("update of no message: %v", err)
	}

	if _, err := api.PostEphemeralContext(ctx, "C0DESK", "U0ALICE", slackapi.MsgOptionText("psst", false), slackapi.MsgOptionTS(root)); err != nil {
		t.Fatal(err)
	}
	if es := s.Ephemerals(); len(es) != 1 || es[0].User != "U0ALICE" || es[0].ThreadTS != root || es[0].Text != "psst" {
		t.Errorf("ephemerals %+v", es)
	}

	item := slackapi.ItemRef{Channel: "C0DESK", Timestamp: reply}
	if err := api.AddReactionContext(ctx, "heavy_check_mark", item); err != nil {
		t.Fatal(err)
	}
	if err := api.AddReactionContext(ctx, "heavy_check_mark", item); slackCode(err) != "already_reacted" {
		t.Errorf("the same reaction again: %v", err)
	}
	if rs := s.Reactions(); len(rs) != 1 || rs[0] != (slacksim.Reaction{Channel: "C0DESK", TS: reply, Name: "heavy_check_mark", User: "U0BOT"}) {
		t.Errorf("reactions %+v", rs)
	}
	if n := s.Calls("chat.postMessage"); n != 7 {
		t.Errorf("chat.postMessage called %d times, want 7", n)
	}
}

func TestWebAPIChecksTokens(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"no token", func() error { _, err := client(s, "").AuthTestContext(ctx); return err }, "not_authed"},
		{"wrong token", func() error { _, err := client(s, "xoxb-wrong").AuthTestContext(ctx); return err }, "invalid_auth"},
		{"app token for a bot method", func() error {
			_, _, err := client(s, s.Options().AppToken).PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("x", false))
			return err
		}, "not_allowed_token_type"},
		{"bot token for a connection", func() error {
			api := slackapi.New(s.Options().BotToken, slackapi.OptionAPIURL(s.APIURL()), slackapi.OptionAppLevelToken(s.Options().BotToken))
			_, _, err := api.StartSocketModeContext(ctx)
			return err
		}, "not_allowed_token_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); slackCode(err) != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	api := client(s, s.Options().BotToken)
	ctx := context.Background()
	post := func() error {
		_, _, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("x", false))
		return err
	}

	s.FailNext("chat.postMessage", 1, slacksim.RateLimited(1500*time.Millisecond))
	var rl *slackapi.RateLimitedError
	if err := post(); !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Errorf("429: %v, want a rate limit of 2s (Retry-After in whole seconds)", err)
	}
	s.FailNext("chat.postMessage", 2, slacksim.ServerError(502))
	for range 2 {
		var sc slackapi.StatusCodeError
		if err := post(); !errors.As(err, &sc) || sc.Code != 502 {
			t.Errorf("502: %v", err)
		}
	}
	s.FailNext("chat.postMessage", 1, slacksim.SlackError("is_archived"))
	if err := post(); slackCode(err) != "is_archived" {
		t.Errorf("ok:false: %v", err)
	}
	if err := post(); err != nil {
		t.Errorf("after the faults: %v", err)
	}
	s.SetDown(true)
	var sc slackapi.StatusCodeError
	if _, err := api.AuthTestContext(ctx); !errors.As(err, &sc) || sc.Code != 503 {
		t.Errorf("down: %v", err)
	}
	s.SetDown(false)
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Errorf("up again: %v", err)
	}
	if n := s.Calls("chat.postMessage"); n != 5 {
		t.Errorf("%d calls counted, want 5, failed ones included", n)
	}
}

func TestBlocksAreCheckedAsSlackDoes(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	api := client(s, s.Options().BotToken)
	section := func(text string) slackapi.Block {
		return slackapi.NewSectionBlock(slackapi.NewTextBlockObject("mrkdwn", text, false, false), nil, nil)
	}
	many := make([]slackapi.Block, 51)
	for i := range many {
		many[i] = section("x")
	}
	tests := []struct {
		name   string
		blocks []slackapi.Block
		want   string
	}{
		{"fine", []slackapi.Block{section("hello")}, ""},
		{"51 blocks", many, "invalid_blocks"},
		{"long section", []slackapi.Block{section(strings.Repeat("é", 3001))}, "invalid_blocks"},
		{"empty section", []slackapi.Block{section("")}, "invalid_blocks"},
		{"long header", []slackapi.Block{slackapi.NewHeaderBlock(slackapi.NewTextBlockObject("plain_text", strings.Repeat("h", 151), true, false))}, "invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := api.PostMessageContext(context.Background(), "C0DESK", slackapi.MsgOptionText("fallback", false), slackapi.MsgOptionBlocks(tt.blocks...))
			if slackCode(err) != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// bot is an app's request URL that checks Slack's signature with
// slack-go, records what it gets, and answers with answer.
type bot struct {
	secret string
	answer func(n int, r *http.Request, body []byte) (int, string)
	mu     sync.Mutex
	got    []*http.Request
	bodies [][]byte
}

func (b *bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sv, err := slackapi.NewSecretsVerifier(r.Header, b.secret)
	if err == nil {
		_, _ = sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	b.mu.Lock()
	n := len(b.got)
	b.got, b.bodies = append(b.got, r), append(b.bodies, body)
	answer := b.answer
	b.mu.Unlock()
	status, text := http.StatusOK, ""
	if answer != nil {
		status, text = answer(n, r, body)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text)
}

// requests returns what the bot got so far: headers and bodies.
func (b *bot) requests() ([]*http.Request, [][]byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*http.Request(nil), b.got...), append([][]byte(nil), b.bodies...)
}

func (b *bot) setAnswer(f func(n int, r *http.Request, body []byte) (int, string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answer = f
}

func serveBot(t *testing.T, s *slacksim.Server, b *bot) {
	t.Helper()
	b.secret = s.Options().SigningSecret
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	s.SetRequestURL(srv.URL + "/slack/events")
}

func TestEventsAreSignedAndRetried(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	s.AddUser("U0BOB", "bob")
	b := &bot{answer: func(n int, _ *http.Request, _ []byte) (int, string) {
		if n < 2 {
			return http.StatusInternalServerError, ""
		}
		return http.StatusOK, ""
	}}
	serveBot(t, s, b)
	ts, eventID, err := s.UserPosts("U0ALICE", "", "ask @bob about <this> & https://example.com")
	if err != nil {
		t.Fatal(err)
	}
	got, bodies := b.requests()
	if len(got) != 3 {
		t.Fatalf("%d deliveries, want 3", len(got))
	}
	for i, r := range got {
		num, reason := r.Header.Get("X-Slack-Retry-Num"), r.Header.Get("X-Slack-Retry-Reason")
		if i == 0 && (num != "" || reason != "") || i > 0 && (num != string(rune('0'+i)) || reason != "http_error") {
			t.Errorf("delivery %d: retry %q %q", i, num, reason)
		}
		if string(bodies[i]) != string(bodies[0]) {
			t.Errorf("delivery %d changed the body", i)
		}
	}
	var cb struct {
		Type    string `json:"type"`
		EventID string `json:"event_id"`
		Event   struct {
			Type, Channel, User, Text, TS string
		} `json:"event"`
	}
	if err := json.Unmarshal(bodies[0], &cb); err != nil {
		t.Fatal(err)
	}
	want := "ask <@U0BOB> about &lt;this&gt; &amp; <https://example.com>"
	if cb.Type != "event_callback" || cb.EventID != eventID || cb.Event.Type != "message" || cb.Event.Channel != "C0DESK" ||
		cb.Event.User != "U0ALICE" || cb.Event.TS != ts || cb.Event.Text != want {
		t.Errorf("event %+v, want text %q", cb, want)
	}

	status, err := s.Redeliver(eventID, 3)
	got, _ = b.requests()
	if err != nil || status != http.StatusOK || got[3].Header.Get("X-Slack-Retry-Num") != "3" || got[3].Header.Get("X-Slack-Retry-Reason") != "http_timeout" {
		t.Errorf("Redeliver: %d %v", status, err)
	}

	b.setAnswer(func(int, *http.Request, []byte) (int, string) { return http.StatusServiceUnavailable, "" })
	if _, _, err := s.UserPosts("U0ALICE", ts, "lost"); err == nil {
		t.Error("an event the bot never acknowledged counted as delivered")
	}
	if got, _ := b.requests(); len(got) != 8 {
		t.Errorf("%d requests in all, want 8: Slack gives up after 3 retries", len(got))
	}
}

func TestSlashCommandsAndClicksArriveAsForms(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	s.AddUser("U0BOB", "bob")
	var cmd slackapi.SlashCommand
	var cb slackapi.InteractionCallback
	b := &bot{answer: func(_ int, r *http.Request, body []byte) (int, string) {
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if err := r.ParseForm(); err != nil {
			return 400, ""
		}
		if r.PostForm.Has("payload") {
			cb, _ = slackapi.InteractionCallbackParse(r)
			return 200, ""
		}
		cmd, _ = slackapi.SlashCommandParse(r)
		return 200, `{"response_type":"ephemeral","text":"You claimed #12."}`
	}}
	serveBot(t, s, b)

	r, err := s.SlashCommand("U0ALICE", "alice", "/desk", "transfer 12 @bob & <go>")
	if err != nil {
		t.Fatal(err)
	}
	if r.ResponseType != "ephemeral" || r.Text != "You claimed #12." {
		t.Errorf("answer %+v", r)
	}
	if cmd.Command != "/desk" || cmd.Text != "transfer 12 <@U0BOB|bob> &amp; &lt;go&gt;" || cmd.UserID != "U0ALICE" || cmd.UserName != "alice" ||
		cmd.ChannelID != "C0DESK" || cmd.TriggerID == "" || cmd.ResponseURL == "" || cmd.TeamID == "" {
		t.Errorf("command %+v", cmd)
	}
	if len(s.Deliveries()) != 1 {
		t.Errorf("deliveries %+v", s.Deliveries())
	}

	api := client(s, s.Options().BotToken)
	button := slackapi.NewButtonBlockElement("caredesk:claim", "12", slackapi.NewTextBlockObject("plain_text", "Claim", false, false))
	_, ts, err := api.PostMessageContext(context.Background(), "C0DESK", slackapi.MsgOptionText("#12", false),
		slackapi.MsgOptionBlocks(slackapi.NewActionBlock("", button)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ClickButton("U0ALICE", "alice", ts, "caredesk:claim", "12"); err != nil {
		t.Fatal(err)
	}
	acts := cb.ActionCallback.BlockActions
	if cb.Type != slackapi.InteractionTypeBlockActions || cb.User.ID != "U0ALICE" || cb.User.Name != "alice" || cb.Container.MessageTs != ts ||
		cb.Channel.ID != "C0DESK" || cb.Message.Timestamp != ts || cb.TriggerID == "" || len(acts) != 1 ||
		acts[0].ActionID != "caredesk:claim" || acts[0].Value != "12" || acts[0].BlockID == "" || acts[0].ActionTs == "" {
		t.Errorf("interaction %+v", cb)
	}
	if err := s.ClickButton("U0ALICE", "alice", ts, "caredesk:resolve", ""); err == nil {
		t.Error("clicked a button that is not on the message")
	}
}

func TestSocketModeSpeaksEnvelopes(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	api := client(s, s.Options().BotToken)
	_, url, err := api.StartSocketModeContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var hello struct {
		Type           string `json:"type"`
		NumConnections int    `json:"num_connections"`
	}
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.NumConnections != 1 {
		t.Fatalf("first message %+v %v, want hello", hello, err)
	}
	if s.Hellos() != 1 {
		t.Errorf("%d hellos counted, want 1", s.Hellos())
	}
	if _, _, err := websocket.DefaultDialer.Dial(url, nil); err == nil {
		t.Error("a connection URL worked twice")
	}

	done := make(chan error, 1)
	go func() {
		_, _, err := s.UserPosts("U0ALICE", "", "hi")
		done <- err
	}()
	var env struct {
		EnvelopeID             string          `json:"envelope_id"`
		Type                   string          `json:"type"`
		AcceptsResponsePayload bool            `json:"accepts_response_payload"`
		RetryAttempt           int             `json:"retry_attempt"`
		Payload                json.RawMessage `json:"payload"`
	}
	if err := ws.ReadJSON(&env); err != nil || env.Type != "events_api" || env.EnvelopeID == "" || env.AcceptsResponsePayload {
		t.Fatalf("envelope %+v %v", env, err)
	}
	if !strings.Contains(string(env.Payload), `"event_callback"`) {
		t.Errorf("payload %s", env.Payload)
	}
	if err := ws.WriteJSON(map[string]any{"envelope_id": env.EnvelopeID}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if acks := s.Acks(); len(acks) != 1 || acks[0].EnvelopeID != env.EnvelopeID || acks[0].Type != "events_api" {
		t.Errorf("acks %+v", acks)
	}
}

func TestEchoBotMessages(t *testing.T) {
	s := newSim(t, slacksim.Options{EchoBotMessages: true})
	b := &bot{}
	serveBot(t, s, b)
	_, ts, err := client(s, s.Options().BotToken).PostMessageContext(context.Background(), "C0DESK", slackapi.MsgOptionText("ticket", false))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Wait(ctx, func() bool { return len(s.Deliveries()) == 1 }); err != nil {
		t.Fatal(err)
	}
	var cb struct {
		Event struct {
			User  string `json:"user"`
			BotID string `json:"bot_id"`
			TS    string `json:"ts"`
		} `json:"event"`
	}
	_, bodies := b.requests()
	if err := json.Unmarshal(bodies[0], &cb); err != nil || cb.Event.BotID != "B0BOT" || cb.Event.User != "U0BOT" || cb.Event.TS != ts {
		t.Errorf("echo %+v %v", cb, err)
	}
}

func TestWaitEndsWithItsContext(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Wait(ctx, func() bool { return false }); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		done <- s.Wait(context.Background(), func() bool { return len(s.Reactions()) == 1 })
	}()
	api := client(s, s.Options().BotToken)
	_, ts, err := api.PostMessageContext(context.Background(), "C0DESK", slackapi.MsgOptionText("x", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := api.AddReactionContext(context.Background(), "eyes", slackapi.ItemRef{Channel: "C0DESK", Timestamp: ts}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
}
