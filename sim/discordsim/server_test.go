package discordsim_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"caredesk/sim/change"
	"caredesk/sim/discordsim"
)

func newSim(t *testing.T, o discordsim.Options) *discordsim.Server {
	t.Helper()
	s, err := discordsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddUser(discordsim.User{ID: "400000000000000001", Username: "alice"})
	return s
}

// session is a discordgo session pointed at s through its transport, the
// library's endpoints untouched.
func session(t *testing.T, s *discordsim.Server, token string) *discordgo.Session {
	t.Helper()
	dg, err := discordgo.New("Bot " + token)
	if err != nil {
		t.Fatal(err)
	}
	dg.Client = s.HTTPClient()
	// Off before Open: discordgo reads it unlocked, so it may not change
	// while the session runs. The resume test turns it on for itself.
	dg.ShouldReconnectOnError = false
	dg.ShouldRetryOnRateLimit = false
	dg.StateEnabled = false
	dg.SyncEvents = true // handlers in the gateway's order
	return dg
}

func restCode(err error) (status, code int) {
	var re *discordgo.RESTError
	if errors.As(err, &re) {
		status = re.Response.StatusCode
		if re.Message != nil {
			code = re.Message.Code
		}
	}
	return status, code
}

func TestRESTAnswersAsDiscordDoes(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)

	if _, err := session(t, s, "wrong").User("@me"); !strings.Contains(err.Error(), "401") {
		t.Errorf("a wrong token: %v, want 401", err)
	}
	me, err := dg.User("@me")
	if err != nil || me.ID != o.BotUserID || !me.Bot {
		t.Fatalf("GET /users/@me = %+v, %v", me, err)
	}
	desk, err := dg.Channel(o.DeskChannelID)
	if err != nil || desk.Type != discordgo.ChannelTypeGuildText || desk.GuildID != o.GuildID {
		t.Fatalf("GET /channels/desk = %+v, %v", desk, err)
	}
	if _, err := dg.Channel("1"); !matches(err, 404, 10003) {
		t.Errorf("an unknown channel: %v", err)
	}

	none := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	m, err := dg.ChannelMessageSendComplex(o.DeskChannelID, &discordgo.MessageSend{Content: "root", AllowedMentions: none})
	if err != nil {
		t.Fatal(err)
	}
	th, err := dg.MessageThreadStartComplex(o.DeskChannelID, m.ID, &discordgo.ThreadStart{Name: "#1", AutoArchiveDuration: 10080})
	if err != nil || th.ID != m.ID || th.ParentID != o.DeskChannelID || !th.IsThread() {
		t.Errorf("a thread from a message = %+v, %v; want the message's id", th, err)
	}
	if _, err := dg.MessageThreadStart(o.DeskChannelID, m.ID, "#1", 60); !matches(err, 400, 160004) {
		t.Errorf("a second thread from one message: %v", err)
	}
	if _, err := dg.ChannelMessageSend(o.DeskChannelID, strings.Repeat("x", 2001)); !matches(err, 400, 50035) {
		t.Errorf("2001 characters: %v", err)
	}
	if _, err := dg.ChannelMessageSendComplex(o.DeskChannelID, &discordgo.MessageSend{}); !matches(err, 400, 50006) {
		t.Errorf("an empty message: %v", err)
	}
	if err := dg.MessageReactionAdd(th.ID, m.ID, "✔️"); !matches(err, 404, 10008) {
		t.Errorf("a reaction on a message of another channel: %v", err)
	}
	if err := dg.MessageReactionAdd(o.DeskChannelID, m.ID, "✔️"); err != nil {
		t.Fatal(err)
	}
	if r := s.Reactions(); len(r) != 1 || r[0].Emoji != "✔️" || r[0].UserID != o.BotUserID {
		t.Errorf("reactions %+v", r)
	}
	got, _ := s.Message(m.ID)
	if !got.AllowedMentions.PingsNobody() || got.Thread != m.ID {
		t.Errorf("recorded %+v", got)
	}

	dm, err := dg.UserChannelCreate("400000000000000001")
	if again, _ := dg.UserChannelCreate("400000000000000001"); err != nil || dm.Type != discordgo.ChannelTypeDM || again.ID != dm.ID {
		t.Errorf("DM channel %+v, again %+v, %v", dm, again, err)
	}
}

func TestForumPostsAreThreadsWithTheirStarter(t *testing.T) {
	s := newSim(t, discordsim.Options{DeskForum: true})
	o := s.Options()
	dg := session(t, s, o.Token)
	if _, err := dg.ChannelMessageSend(o.DeskChannelID, "hello"); !matches(err, 400, 50008) {
		t.Errorf("a message in a forum: %v", err)
	}
	th, err := dg.ForumThreadStartComplex(o.DeskChannelID, &discordgo.ThreadStart{Name: "#1 · post"}, &discordgo.MessageSend{Content: "starter"})
	if err != nil {
		t.Fatal(err)
	}
	starter, ok := s.Message(th.ID)
	if !ok || starter.ChannelID != th.ID || starter.Content != "starter" {
		t.Errorf("the post's starter message %+v, %v; want the post's id, in the post", starter, ok)
	}
	active, err := dg.GuildThreadsActive(o.GuildID)
	if err != nil || len(active.Threads) != 1 || active.Threads[0].ID != th.ID {
		t.Errorf("active threads %+v, %v", active, err)
	}
}

func TestCommandsAreCheckedLikeDiscord(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)
	bad := []*discordgo.ApplicationCommand{{Name: "desk", Description: "d", Options: []*discordgo.ApplicationCommandOption{{
		Type: discordgo.ApplicationCommandOptionSubCommand, Name: "reply", Description: "r",
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "ticket", Description: "t"},
			{Type: discordgo.ApplicationCommandOptionString, Name: "text", Description: "x", Required: true},
		},
	}}}}
	if _, err := dg.ApplicationCommandBulkOverwrite(o.ApplicationID, o.GuildID, bad); !matches(err, 400, 50035) {
		t.Errorf("a required option after an optional one: %v", err)
	}
	bad[0].Options[0].Options[0], bad[0].Options[0].Options[1] = bad[0].Options[0].Options[1], bad[0].Options[0].Options[0]
	if _, err := dg.ApplicationCommandBulkOverwrite(o.ApplicationID, o.GuildID, bad); err != nil {
		t.Fatal(err)
	}
	if c := s.Commands(o.GuildID); len(c) != 1 || len(c[0].Options[0].Options) != 2 || s.CommandOverwrites() != 1 {
		t.Errorf("registered %+v", c)
	}
}

func TestRateLimitsAsDiscordgoSeesThem(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)
	s.FailNext(discordsim.RouteCreateMessage, 1, 429, 250*time.Millisecond)
	_, err := dg.ChannelMessageSend(o.DeskChannelID, "hi")
	var rl *discordgo.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 250*time.Millisecond {
		t.Fatalf("a 429 with ShouldRetryOnRateLimit off: %v; want a RateLimitError of 250ms", err)
	}
	dg.ShouldRetryOnRateLimit = true
	s.FailNext(discordsim.RouteCreateMessage, 1, 429, 100*time.Millisecond)
	if _, err := dg.ChannelMessageSend(o.DeskChannelID, "hi"); err != nil || s.Calls(discordsim.RouteCreateMessage) != 3 {
		t.Errorf("with retries: %v after %d calls; want the retry to succeed", err, s.Calls(discordsim.RouteCreateMessage))
	}
}

// recorder keeps the gateway events a discordgo session handled.
type recorder struct {
	mu      sync.Mutex
	events  []*discordgo.Event
	changed change.Signal
}

func (r *recorder) handle(_ *discordgo.Session, e *discordgo.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	r.changed.Notify()
}

// wait waits until cond holds, checking it after every event the session
// handled and every change of the simulator.
func (r *recorder) wait(t *testing.T, s *discordsim.Server, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-r.changed.Changed():
		case <-waitChange(ctx, s):
		case <-ctx.Done():
			t.Fatalf("waiting: %v; messages %q, heartbeats %d, resumes %d", ctx.Err(), r.messages(), s.Heartbeats(), s.Resumes())
		}
	}
}

// waitChange is closed at the simulator's next change.
func waitChange(ctx context.Context, s *discordsim.Server) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		first := true
		_ = s.Wait(ctx, func() bool {
			if first {
				first = false
				return false
			}
			return true
		})
		close(ch)
	}()
	return ch
}

func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if m, ok := e.Struct.(*discordgo.MessageCreate); ok {
			out = append(out, m.Content)
		}
	}
	return out
}

func TestGatewayResumesAndReplays(t *testing.T) {
	// A heartbeat slow enough that a loaded machine under -race does not
	// miss acknowledgements and resume again on its own.
	s := newSim(t, discordsim.Options{HeartbeatInterval: 500 * time.Millisecond})
	o := s.Options()
	dg := session(t, s, o.Token)
	dg.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsMessageContent
	dg.ShouldReconnectOnError = true // the resume under test is discordgo's own
	rec := &recorder{}
	dg.AddHandler(rec.handle)
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	// discordgo reads ShouldReconnectOnError unlocked, so it stays on; a
	// reconnect that races Close dies with the test process.
	t.Cleanup(func() { _ = dg.Close() })
	support := o.SourceChannelIDs[0]
	s.UserWrites(support, "400000000000000001", "one")
	rec.wait(t, s, func() bool { return s.Heartbeats() >= 2 && len(rec.messages()) == 1 })
	s.DropConnection()
	s.UserWrites(support, "400000000000000001", "two")
	s.UserWrites(support, "400000000000000001", "three")
	rec.wait(t, s, func() bool { return s.Resumes() >= 1 && len(rec.messages()) >= 3 })
	s.UserWrites(support, "400000000000000001", "four")
	rec.wait(t, s, func() bool { return len(rec.messages()) >= 4 })
	if got := strings.Join(rec.messages(), " "); got != "one two three four" || s.Identifies() != 1 {
		t.Errorf("messages %q after %d identifies; want each once, in order, in one session", got, s.Identifies())
	}
	var seqs []int64
	rec.mu.Lock()
	for _, e := range rec.events {
		if e.Operation == 0 {
			seqs = append(seqs, e.Sequence)
		}
	}
	rec.mu.Unlock()
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Errorf("sequence numbers %v do not rise one by one", seqs)
			break
		}
	}
}

func TestGatewayWithholdsContentWithoutTheIntent(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)
	dg.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages
	rec := &recorder{}
	dg.AddHandler(rec.handle)
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeSession(dg) })
	s.UserWrites(o.SourceChannelIDs[0], "400000000000000001", "secret")
	s.UserWrites(o.SourceChannelIDs[0], "400000000000000001", "hey <@"+o.BotUserID+">")
	rec.wait(t, s, func() bool { return len(rec.messages()) == 2 })
	if got := rec.messages(); got[0] != "" || got[1] == "" {
		t.Errorf("contents %q; want none without MESSAGE_CONTENT, except where the bot is mentioned", got)
	}

	deny := newSim(t, discordsim.Options{DenyMessageContent: true})
	dg = session(t, deny, deny.Options().Token)
	dg.Identify.Intents = discordgo.IntentsMessageContent
	if err := dg.Open(); err == nil || !strings.Contains(err.Error(), "4014") {
		t.Errorf("an intent the portal did not allow: %v; want close 4014", err)
	}
}

func TestInteractionsTakeOneTimelyAnswer(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)
	in := s.SlashCommand("400000000000000001", "list", nil, o.DeskChannelID)
	i := &discordgo.Interaction{ID: in.ID, Token: in.Token, AppID: o.ApplicationID}
	if _, err := dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{}); !matches(err, 404, 10015) {
		t.Errorf("editing before answering: %v", err)
	}
	deferred := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}}
	if err := dg.InteractionRespond(i, deferred); err != nil {
		t.Fatal(err)
	}
	if err := dg.InteractionRespond(i, deferred); !matches(err, 400, 40060) {
		t.Errorf("a second answer: %v", err)
	}
	text := "done"
	if _, err := dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &text}); err != nil {
		t.Fatal(err)
	}
	if _, err := dg.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: "more", Flags: discordgo.MessageFlagsEphemeral}); err != nil {
		t.Fatal(err)
	}
	r := in.Response()
	if r.Type != discordsim.ResponseDeferred || !r.Ephemeral || r.Content != "done" || !r.Done() || len(r.Followups) != 1 || len(r.Refused) != 1 {
		t.Errorf("response %+v", r)
	}

	late := newSim(t, discordsim.Options{InteractionTimeout: time.Nanosecond})
	in = late.SlashCommand("400000000000000001", "list", nil, o.DeskChannelID)
	dg = session(t, late, o.Token)
	if err := dg.InteractionRespond(&discordgo.Interaction{ID: in.ID, Token: in.Token}, deferred); !matches(err, 404, 10062) {
		t.Errorf("an answer after the timeout: %v", err)
	}
}

func matches(err error, status, code int) bool {
	s, c := restCode(err)
	return s == status && c == code
}

// closeSession closes dg, whose reconnect session() turned off, so that a
// heartbeat racing the close cannot start discordgo's reconnect loop.
func closeSession(dg *discordgo.Session) { _ = dg.Close() }

func TestARevokedTokenIsRefusedUntilRestored(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)
	dg.Identify.Intents = discordgo.IntentsGuilds
	closed := make(chan struct{}, 1)
	dg.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) {
		select {
		case closed <- struct{}{}:
		default:
		}
	})
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeSession(dg) })

	s.RevokeToken(true)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the connection stayed open after the token was revoked")
	}
	var ce *websocket.CloseError
	if err := dg.Open(); !errors.As(err, &ce) || ce.Code != 4004 {
		t.Errorf("resuming with a revoked token: %v, want close 4004", err)
	}
	if _, err := dg.User("@me"); func() int { st, _ := restCode(err); return st }() != 401 {
		t.Errorf("REST with a revoked token: %v, want 401", err)
	}
	s.RevokeToken(false)
	if err := dg.Open(); err != nil {
		t.Errorf("with the token valid again: %v", err)
	}
}
