package e2e_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/sim/bridgesim"
	"caredesk/sim/discordsim"
	"caredesk/sim/slacksim"
	"caredesk/sim/telegramsim"
)

// closedUntil writes a YAML file whose team works only on the day after
// tomorrow (UTC), so that a complaint now is out of hours and its
// first answer is due that day at 10:00 (an hour of business hours).
func closedUntil(t *testing.T, more string) (path string, due time.Time) {
	t.Helper()
	open := time.Now().UTC().AddDate(0, 0, 2)
	day := strings.ToLower(open.Weekday().String()[:3])
	yaml := fmt.Sprintf("timezone: UTC\nlanguage: en\nbusiness_hours:\n  %s: 09:00-18:00\nsla:\n  first_response: 1h\n  hours: business\n%s", day, more)
	path = filepath.Join(t.TempDir(), "caredesk.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, time.Date(open.Year(), open.Month(), open.Day(), 10, 0, 0, 0, time.UTC)
}

var turkishDays = [7]string{"Pazar", "Pazartesi", "Salı", "Çarşamba", "Perşembe", "Cuma", "Cumartesi"}

// TestTurkishCustomer: Ayşe writes in Turkish at night and meets a person:
// a greeting and an honest acknowledgement in Turkish with the real
// deadline, the owner's signed answer, a hint to the owner about a stock
// phrase, the request for a call and her number in the thread only.
func TestTurkishCustomer(t *testing.T) {
	cfg, due := closedUntil(t, "")
	r := newRig(t, rigOptions{env: map[string]string{"CAREDESK_CONFIG": cfg}})
	r.slack.SetProfile("UALICE", slacksim.Profile{FirstName: "Elif", RealName: "Elif Demir", DisplayName: "elif.d"})
	r.start()
	ayse := telegramsim.User{ID: 9001, FirstName: "Ayşe", LastName: "Yılmaz", Username: "ayse_y", LanguageCode: "tr"}

	r.tg.CustomerWrites(ayse.ID, ayse, "/start")
	r.wait("the greeting", func() bool { return len(r.sentTo(ayse.ID)) == 1 })
	r.tg.CustomerWrites(ayse.ID, ayse, "Siparişim 3 gündür kargoda bekliyor, kimse cevap vermiyor!")
	r.recorded(1)
	r.wait("the acknowledgement", func() bool { return len(r.sentTo(ayse.ID)) == 2 })
	r.tg.CustomerWrites(ayse.ID, ayse, "Sipariş no: 5521")
	r.wait("the second message in the thread", func() bool { return len(r.slack.Thread(r.root(1).TS)) >= 1 })

	r.command("UALICE", "alice", "claim 1")
	r.post("UALICE", r.root(1).TS, "Değerli müşterimiz, kargonuz yarın sabah elinizde olacak.")
	r.wait("the answer", func() bool { return len(r.sentTo(ayse.ID)) == 3 })
	r.wait("the hint to alice", func() bool {
		return slices.ContainsFunc(r.slack.Ephemerals(), func(e slacksim.Ephemeral) bool {
			return e.User == "UALICE" && strings.Contains(e.Text, "değerli müşterimiz")
		})
	})

	r.command("UALICE", "alice", "call 1")
	r.wait("the call request", func() bool { return len(r.sentTo(ayse.ID)) == 4 })
	r.tg.ShareContact(ayse.ID, ayse, telegramsim.Contact{PhoneNumber: "+905551112233"})
	r.wait("the number in the thread", func() bool {
		return slices.ContainsFunc(r.slack.Thread(r.root(1).TS), func(m slacksim.Message) bool { return strings.Contains(m.Rendered(), "+905551112233") })
	})
	r.wait("the thanks", func() bool { return len(r.sentTo(ayse.ID)) == 5 })
	r.command("UALICE", "alice", "call done 1 yeni kargo bugün çıkıyor")
	// The record reaches the thread through the outbox, after the answer.
	r.wait("the call recorded in the thread", func() bool {
		return slices.ContainsFunc(r.slack.Thread(r.root(1).TS), func(m slacksim.Message) bool {
			return strings.Contains(m.Rendered(), "called the customer: yeni kargo bugün çıkıyor")
		})
	})

	got := r.sentTo(ayse.ID)
	want := []string{
		"Merhaba! Ne olduğunu yazın, ekibimizden biri size buradan yanıt versin.",
		fmt.Sprintf("Teşekkürler Ayşe, mesajınızı aldık. Şu an mesai dışındayız; ekibimizden biri en geç %s, 10:00 size buradan yazacak.", turkishDays[due.Weekday()]),
		"Değerli müşterimiz, kargonuz yarın sabah elinizde olacak.\n\n— Elif", // her Slack profile's first name
		"Telefonda konuşmak daha hızlı olabilir. Elif sizi arayabilir mi? Numaranızı buradan gönderin; numaranız sadece ekibimizde kalır.",
		"Teşekkürler! Elif sizi birazdan arayacak.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Ayşe read:\n%s\nwant:\n%s", strings.Join(got, "\n---\n"), strings.Join(want, "\n---\n"))
	}
	var asked telegramsim.SentMessage
	for _, m := range r.tg.Sent() {
		if m.ChatID == ayse.ID && m.ReplyKeyboard != nil {
			asked = m
		}
	}
	if asked.ReplyKeyboard == nil || !asked.ReplyKeyboard.Buttons[0][0].RequestContact {
		t.Errorf("the call request has no button that shares the number: %+v", asked)
	}
	thread := r.slack.Thread(r.root(1).TS)
	if !slices.ContainsFunc(thread, func(m slacksim.Message) bool {
		return strings.Contains(m.Rendered(), "called the customer: yeni kargo bugün çıkıyor")
	}) {
		t.Errorf("the call is not recorded in the thread")
	}
	if root := r.root(1).Rendered(); !strings.Contains(root, "📞") {
		t.Errorf("the root does not show the number:\n%s", root)
	}
	logTranscript(t, "Ayşe on Telegram", got, thread)
}

// logTranscript writes both sides of a conversation to the test log, for
// the record (go test -v -run TestTurkishCustomer ./e2e).
func logTranscript(t *testing.T, who string, customer []string, thread []slacksim.Message) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s sees:\n", who)
	for _, m := range customer {
		fmt.Fprintf(&b, "  ▸ %s\n", strings.ReplaceAll(m, "\n", "\n    "))
	}
	b.WriteString("the team's thread:\n")
	for _, m := range thread {
		fmt.Fprintf(&b, "  ▸ %s\n", strings.ReplaceAll(m.Rendered(), "\n", "\n    "))
	}
	t.Log(b.String())
}

// TestBridgeMovesPrivate: a webhook source's public complaint, moved out of
// public by the owner, reaches the bridge as move_private.
func TestBridgeMovesPrivate(t *testing.T) {
	r, twitter, _ := bridges(t)
	status, body, err := twitter.SendComplaint(r.base, "twitter", bridgesim.Complaint{
		ID: "tw-9", ConversationID: "tw-9", Author: bridgesim.Author{ID: "a-9", Handle: "angry", Name: "Angry Customer"},
		Text: "@brand my card was charged twice!", Language: "en"})
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("complaint: %d %s %v", status, body, err)
	}
	r.recorded(1)
	r.command("UALICE", "alice", "claim 1")
	if got := r.command("UALICE", "alice", "call 1"); !strings.Contains(got, "public conversation") {
		t.Errorf("/desk call in public answered %q", got)
	}
	r.command("UALICE", "alice", "private 1")
	r.waitFor(twitter, "move_private", func() bool {
		return slices.ContainsFunc(twitter.Replies(), func(rep bridgesim.Reply) bool { return rep.Kind == "move_private" })
	})
	for _, rep := range twitter.Replies() {
		if rep.Kind == "move_private" && (rep.Ticket != 1 || !strings.HasPrefix(rep.Text, "Let's sort this out in private")) {
			t.Errorf("move_private %+v", rep)
		}
	}
}

// TestBulgarianCustomerMovedToDM: Svetla complains in a brand's Discord
// channel; the owner takes it to her DMs, where the answers go from then
// on, in Bulgarian (the team's language: Discord does not say hers).
func TestBulgarianCustomerMovedToDM(t *testing.T) {
	d := newDiscord(t)
	d.AddUser(discordsim.User{ID: "500000000000000009", Username: "svetla", GlobalName: "Светла Петрова"})
	o := d.Options()
	support := o.SourceChannelIDs[0]
	path := filepath.Join(t.TempDir(), "caredesk.yaml")
	if err := os.WriteFile(path, []byte("language: bg\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, rigOptions{env: map[string]string{
		"CAREDESK_CONFIG":   path,
		"DISCORD_BOT_TOKEN": o.Token, "DISCORD_SOURCE_CHANNEL_IDS": support, "DISCORD_API_URL": d.URL(), "DISCORD_ACCEPT_DMS": "true",
	}})
	r.start()
	waitDiscord(t, d, "the gateway connection", d.Connected)
	post := d.UserWrites(support, "500000000000000009", "Поръчката ми закъснява вече седмица!")
	r.recorded(1)
	r.command("UALICE", "alice", "claim 1")
	r.command("UALICE", "alice", "private 1")
	dm := func() []string {
		var out []string
		for _, m := range d.ChannelMessages(d.DMChannel("500000000000000009")) {
			if m.AuthorID == o.BotUserID {
				out = append(out, m.Content)
			}
		}
		return out
	}
	waitDiscord(t, d, "the hello in the DM", func() bool { return len(dm()) == 1 })
	var public []string
	for _, m := range d.ChannelMessages(support) {
		if m.AuthorID == o.BotUserID && m.Reference != nil && m.Reference.MessageID == post {
			public = append(public, m.Content)
		}
	}
	if len(public) != 1 || !strings.HasPrefix(public[0], "Нека продължим на лично") {
		t.Errorf("under the post: %q", public)
	}
	r.post("UALICE", r.root(1).TS, "Проверих: пратката пристига утре.")
	waitDiscord(t, d, "the answer in the DM", func() bool { return len(dm()) == 2 })
	d.UserDMs("500000000000000009", "Благодаря!")
	r.wait("her DM in the same thread", func() bool { return threadHas(r, r.root(1).TS, "Благодаря!") })
	got := dm()
	if !strings.HasPrefix(got[0], "Здравейте, Светла, аз съм ") || got[1] != "Проверих: пратката пристига утре.\n\n— alice" {
		t.Errorf("her DMs: %q", got)
	}
	if n := len(r.roots()); n != 1 {
		t.Errorf("%d tickets; her DM belongs to the moved one", n)
	}
}

// TestCustomerBlocksTheBot: the ticket says so, and a reply fails at once,
// visibly, instead of being retried for a day.
func TestCustomerBlocksTheBot(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	jan := telegramsim.User{ID: 9101, FirstName: "Jan", LanguageCode: "pl"}
	r.tg.CustomerWrites(jan.ID, jan, "Paczka nie dotarła.")
	r.recorded(1)
	r.command("UALICE", "alice", "claim 1")
	r.tg.BlockBot(jan.ID, jan)
	r.wait("the root to say so", func() bool { return strings.Contains(r.root(1).Rendered(), "🚫 The customer blocked the bot") })
	r.post("UALICE", r.root(1).TS, "Paczka jest w drodze.")
	r.wait("the failure in the thread", func() bool { return threadHas(r, r.root(1).TS, "NOT delivered") })
	if n := len(r.sentTo(jan.ID)); n != 0 {
		t.Errorf("%d messages reached a customer who blocked the bot", n)
	}
	r.tg.UnblockBot(jan.ID, jan)
	r.wait("the thread to say they are back", func() bool { return threadHas(r, r.root(1).TS, "started the bot on Telegram again") })
	r.post("UALICE", r.root(1).TS, "Paczka jest w drodze.")
	r.wait("the reply", func() bool { return len(r.sentTo(jan.ID)) == 1 })
}
