package bot_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/voice"
)

// spoken is a world whose core speaks to customers in their language.
func spoken(t *testing.T, now time.Time, change ...func(*bot.Policy)) *world {
	t.Helper()
	v, err := voice.New(voice.Options{Default: "en"})
	if err != nil {
		t.Fatal(err)
	}
	p := bot.DefaultPolicy()
	p.Calendar = bot.DefaultCalendar(istanbul)
	p.Customer.Voice = v
	for _, f := range change {
		f(&p)
	}
	w := newWorldWith(t, p, now)
	w.courier = bot.NewCourier(w.db, w.desk, map[string]bot.Source{"telegram": w.tg, "discord": w.dc},
		bot.CourierClock(w.clock), bot.CourierLogger(slog.New(slog.DiscardHandler)),
		bot.CourierRetry(bot.Retry{Min: time.Second, Max: time.Minute, GiveUpAfter: time.Hour}),
		bot.CourierSpeech(bot.Speech{Voice: v, Zone: istanbul, Sign: p.Customer.Sign}))
	return w
}

// aysel writes in Turkish, in a private Telegram chat.
var aysel = bot.Customer{ID: "2001", Name: "Ayşe Yılmaz", Handle: "ayse"}

func (w *world) writesIn(c bot.Customer, lang string, private bool, id int, text string) {
	w.t.Helper()
	err := w.bot.Receive(context.Background(), bot.Inbound{Source: "telegram", EventID: fmt.Sprint(900 + id), MessageID: fmt.Sprint(id),
		Conversation: c.ID, Customer: c, Text: text, Language: lang, Private: private})
	if err != nil {
		w.t.Fatal(err)
	}
	w.flush()
}

func TestAcknowledgement(t *testing.T) {
	friday := time.Date(2026, 12, 4, 11, 0, 0, 0, istanbul)
	tests := []struct {
		name    string
		at      time.Time
		lang    string
		private bool
		want    []string
	}{
		{"in hours, Turkish", friday, "tr", true,
			[]string{"Teşekkürler Ayşe, mesajınızı aldık. Ekibimizden biri en geç 12:00 size buradan yazacak."}},
		{"out of hours: the deadline is Monday", friday.Add(8 * time.Hour), "tr", true,
			[]string{"Teşekkürler Ayşe, mesajınızı aldık. Şu an mesai dışındayız; ekibimizden biri en geç Pazartesi, 10:00 size buradan yazacak."}},
		{"an unknown language: the team's", friday, "x-klingon", true,
			[]string{"Thanks, Ayşe — we got it. Someone from our team will answer you here by 12:00."}},
		{"a public post is not acknowledged", friday, "tr", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// An hour of business hours: a Friday evening's is Monday 10:00.
			w := spoken(t, tt.at.UTC(), func(p *bot.Policy) {
				p.SLA = func(string) bot.SLA { return bot.SLA{FirstResponse: time.Hour, BusinessHours: true} }
			})
			w.writesIn(aysel, tt.lang, tt.private, 1, "Kargom nerede?")
			w.writesIn(aysel, tt.lang, tt.private, 2, "Hâlâ gelmedi.") // the same ticket: said once
			if got := w.tg.texts(); !slices.Equal(got, tt.want) {
				t.Errorf("the customer read\n %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestAcknowledgementQuietTime(t *testing.T) {
	w := spoken(t, time.Date(2026, 12, 4, 11, 0, 0, 0, istanbul).UTC(), func(p *bot.Policy) { p.ReopenWindow = time.Minute })
	w.writesIn(aysel, "tr", true, 1, "Kargom nerede?")
	mustAct(t, w, bot.Action{Verb: bot.DoResolve, Ticket: 1, Agent: alice})
	w.clock.Add(10 * time.Minute) // past the reopen window: a new ticket, within the quiet hour
	w.writesIn(aysel, "tr", true, 2, "Bir sorum daha var.")
	if n := len(w.tg.texts()); n != 1 {
		t.Errorf("acknowledged %d times within the quiet time: %q", n, w.tg.texts())
	}
}

func TestSignedRepliesAndHandOver(t *testing.T) {
	w := spoken(t, time.Date(2026, 12, 4, 11, 0, 0, 0, istanbul).UTC())
	w.writesIn(aysel, "tr", true, 1, "Kargom nerede?")
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Ayşe Hanım, kargonuz yarın elinizde."})
	mustAct(t, w, bot.Action{Verb: bot.DoTransfer, Ticket: 1, Agent: alice, To: bot.Agent{ID: "UBOB", Name: "bob"}})
	got := w.tg.texts()
	want := []string{
		"Teşekkürler Ayşe, mesajınızı aldık. Ekibimizden biri en geç 12:00 size buradan yazacak.",
		"Ayşe Hanım, kargonuz yarın elinizde.\n\n— alice",
		"Bundan sonra bob ilgilenecek; bize anlattıklarınızın hepsi onda, tekrar anlatmanıza gerek yok.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("the customer read\n %q\nwant %q", got, want)
	}
}

func TestTemplateHints(t *testing.T) {
	w := spoken(t, time.Date(2026, 12, 4, 11, 0, 0, 0, istanbul).UTC())
	same := "Your parcel is on its way and arrives tomorrow."
	for i := range 5 {
		c := bot.Customer{ID: fmt.Sprint(3000 + i), Name: fmt.Sprint("Customer ", i)}
		w.writesIn(c, "en", true, 10+i, "Where is my parcel?")
		mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: int64(i + 1), Agent: alice, Text: same})
	}
	w.writesIn(bot.Customer{ID: "3100", Name: "Jan"}, "pl", true, 30, "Gdzie paczka?")
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 6, Agent: alice, Text: "Szanowny Kliencie, paczka jest w drodze."})
	var hints []string
	for _, wh := range w.desk.whispers {
		if strings.Contains(wh, "💡") {
			hints = append(hints, wh)
		}
	}
	// Replies 4 and 5 followed three and four like them; reply 6 has a stock phrase.
	if len(hints) != 3 || !strings.Contains(hints[0], "the same words to 3 other customers today") ||
		!strings.Contains(hints[2], "szanowny kliencie") || !strings.HasPrefix(hints[2], "UALICE: ") {
		t.Errorf("hints %q", hints)
	}
	if got := w.tg.texts(); got[len(got)-1] != "Szanowny Kliencie, paczka jest w drodze.\n\n— alice" {
		t.Errorf("a hint changed the reply: %q", got[len(got)-1])
	}
}

func TestCall(t *testing.T) {
	w := spoken(t, time.Date(2026, 12, 4, 11, 0, 0, 0, istanbul).UTC())
	w.writesIn(aysel, "tr", true, 1, "Kargom nerede?")
	if _, err := w.act(bot.Action{Verb: bot.DoCall, Ticket: 1, Agent: alice}); bot.ErrorCode(err) != bot.ECONFLICT {
		t.Errorf("a call on an unclaimed ticket: %v", err)
	}
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	mustAct(t, w, bot.Action{Verb: bot.DoCall, Ticket: 1, Agent: alice})
	asked := w.tg.got[len(w.tg.got)-1]
	if asked.Purpose != bot.ForCall || !strings.Contains(asked.Text, "Alice sizi arayabilir mi?") {
		t.Errorf("the call request %+v", asked)
	}
	share := func(id int, c bot.Contact) {
		t.Helper()
		if err := w.bot.Receive(context.Background(), bot.Inbound{Source: "telegram", EventID: fmt.Sprint(990 + id), MessageID: fmt.Sprint(id),
			Conversation: aysel.ID, Customer: aysel, Private: true, Language: "tr", Contact: &c}); err != nil {
			t.Fatal(err)
		}
		w.flush()
	}
	share(2, bot.Contact{Phone: "+905559998877", FirstName: "Annem", UserID: "777"}) // someone else's card
	if tk := w.ticket(1); tk.Phone != "" {
		t.Errorf("someone else's number was kept: %q", tk.Phone)
	}
	share(3, bot.Contact{Phone: "+905551112233", FirstName: "Ayşe", UserID: aysel.ID})
	tk := w.ticket(1)
	if tk.Phone != "+905551112233" || w.desk.roots[tk.DeskThread].Phone != "+905551112233" {
		t.Errorf("the number is not on the ticket: %q", tk.Phone)
	}
	mustAct(t, w, bot.Action{Verb: bot.DoCallDone, Ticket: 1, Agent: alice, Text: "a new parcel goes out today"})
	var thread []string
	for _, m := range w.desk.thread[tk.DeskThread] {
		thread = append(thread, m.Text)
	}
	for _, want := range []string{"someone else's contact card", "📞 The customer shared their number: " + bot.Quote("+905551112233"), "📞 <@UALICE> called the customer: a new parcel goes out today"} {
		if !slices.ContainsFunc(thread, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("the thread lacks %q: %q", want, thread)
		}
	}
	sent := w.tg.texts()
	if slices.ContainsFunc(sent, func(s string) bool { return strings.Contains(s, "+90555") }) || sent[len(sent)-1] != "Teşekkürler! Alice sizi birazdan arayacak." {
		t.Errorf("the customer read %q", sent)
	}
}

// opener is a Discord-like source where a public post can go private.
type opener struct{ customers }

func (o *opener) OpenPrivate(_ context.Context, t bot.Ticket) (string, error) {
	return "dm-" + t.Customer.ID, nil
}

func TestMovePrivate(t *testing.T) {
	w := spoken(t, time.Date(2026, 12, 4, 11, 0, 0, 0, istanbul).UTC())
	svetla := bot.Customer{ID: "5001", Name: "Светла"}
	if err := w.bot.Receive(context.Background(), bot.Inbound{Source: "discord", EventID: "e1", MessageID: "m1", Conversation: "community",
		Customer: svetla, Text: "Поръчката ми закъснява!", Language: "bg"}); err != nil {
		t.Fatal(err)
	}
	w.flush()
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	if _, err := w.act(bot.Action{Verb: bot.DoCall, Ticket: 1, Agent: alice}); bot.ErrorCode(err) != bot.ECONFLICT {
		t.Errorf("a call request in public: %v", err)
	}
	mustAct(t, w, bot.Action{Verb: bot.DoPrivate, Ticket: 1, Agent: alice})
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Проверих: пратката пристига утре."})
	var got []string
	for _, m := range w.dc.got {
		got = append(got, m.Conversation+" ("+m.ReplyTo+"): "+m.Text)
	}
	want := []string{
		"community (m1): Нека продължим на лично, за да не се налага да пишете данните си тук. Alice ви изпрати лично съобщение.",
		"dm-5001 (): Здравейте, Светла, аз съм alice. Да продължим тук, само двамата.",
		"dm-5001 (): Проверих: пратката пристига утре.\n\n— alice",
	}
	if !slices.Equal(got, want) {
		t.Errorf("the customer read\n %q\nwant %q", got, want)
	}
	if tk := w.ticket(1); !tk.Private || tk.Conversation != "dm-5001" {
		t.Errorf("ticket %+v", tk)
	}
	if _, err := w.act(bot.Action{Verb: bot.DoPrivate, Ticket: 1, Agent: alice}); bot.ErrorCode(err) != bot.ECONFLICT {
		t.Errorf("moving a private ticket: %v", err)
	}
}

func TestBlockedCustomer(t *testing.T) {
	w := spoken(t, time.Date(2026, 12, 4, 11, 0, 0, 0, istanbul).UTC())
	w.writesIn(aysel, "tr", true, 1, "Kargom nerede?")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	block := func(blocked bool, event string) {
		t.Helper()
		if err := w.bot.Reachable(context.Background(), bot.Reachability{Source: "telegram", Conversation: aysel.ID, CustomerID: aysel.ID, Blocked: blocked, EventID: event}); err != nil {
			t.Fatal(err)
		}
		w.flush()
	}
	block(true, "u1")
	block(true, "u1") // a redelivery
	before := len(w.tg.got)
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Kargonuz yolda."})
	tk := w.ticket(1)
	if !tk.Blocked || len(w.tg.got) != before {
		t.Errorf("blocked %v; %d sends to a customer who blocked the bot", tk.Blocked, len(w.tg.got)-before)
	}
	var thread []string
	for _, m := range w.desk.thread[tk.DeskThread] {
		thread = append(thread, m.Text)
	}
	if n := len(slices.DeleteFunc(slices.Clone(thread), func(s string) bool { return !strings.HasPrefix(s, "🚫 The customer blocked the bot") })); n != 1 {
		t.Errorf("told %d times that the customer blocked the bot: %q", n, thread)
	}
	if !slices.ContainsFunc(thread, func(s string) bool {
		return strings.Contains(s, "NOT delivered") && strings.Contains(s, "blocked the bot")
	}) {
		t.Errorf("the failed reply is not shown at once: %q", thread)
	}
	block(false, "u2")
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Kargonuz yolda."})
	if len(w.tg.got) != before+1 {
		t.Errorf("after unblocking, the reply did not go")
	}
}

func TestFallbackWhenAReplyFails(t *testing.T) {
	w := spoken(t, time.Date(2026, 12, 4, 11, 0, 0, 0, istanbul).UTC())
	w.writesIn(aysel, "tr", true, 1, "Kargom nerede?")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	for range 2 { // twice refused: the customer hears of it once
		w.tg.errs = []error{bot.Permanent(fmt.Errorf("Bad Request: message is too long"))}
		mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Uzun bir yanıt."})
	}
	got := w.tg.texts()
	if n := len(slices.DeleteFunc(slices.Clone(got), func(s string) bool {
		return !strings.HasPrefix(s, "Üzgünüz, yanıtımızı size buradan iletemedik.")
	})); n != 1 {
		t.Errorf("the customer read %q; want the fallback once", got)
	}
}

func TestCustomerSideRefusalsAndRepairs(t *testing.T) {
	w := spoken(t, time.Date(2026, 12, 4, 11, 0, 0, 0, istanbul).UTC())
	// A Telegram group post: no private move, no call.
	w.writesIn(bot.Customer{ID: "6001", Name: "Grup Üyesi"}, "tr", false, 1, "Kargom nerede?")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	if _, err := w.act(bot.Action{Verb: bot.DoPrivate, Ticket: 1, Agent: alice}); bot.ErrorCode(err) != bot.ECONFLICT || !strings.Contains(bot.ErrorMessage(err), "cannot start a private chat") {
		t.Errorf("/desk private in a Telegram group: %v", err)
	}

	// A card from the address book names no user: not the customer's own.
	w.writesIn(aysel, "tr", true, 2, "Kargom nerede?")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 2, Agent: alice})
	mustAct(t, w, bot.Action{Verb: bot.DoCall, Ticket: 2, Agent: alice})
	if err := w.bot.Receive(context.Background(), bot.Inbound{Source: "telegram", EventID: "c1", MessageID: "c1", Conversation: aysel.ID,
		Customer: aysel, Private: true, Contact: &bot.Contact{Phone: "+905550000000", FirstName: "Annem"}}); err != nil {
		t.Fatal(err)
	}
	w.flush()
	if tk := w.ticket(2); tk.Phone != "" {
		t.Errorf("a card naming no user was taken as the customer's number: %q", tk.Phone)
	}

	// A bridge's public post goes private when its customer writes privately.
	v, _ := voice.New(voice.Options{})
	w.courier = bot.NewCourier(w.db, w.desk, map[string]bot.Source{"telegram": w.tg, "webhook:twitter": w.tg},
		bot.CourierClock(w.clock), bot.CourierLogger(slog.New(slog.DiscardHandler)),
		bot.CourierRetry(bot.Retry{Min: time.Second, Max: time.Minute, GiveUpAfter: time.Hour}),
		bot.CourierSpeech(bot.Speech{Voice: v, Zone: istanbul}))
	post := bot.Inbound{Source: "webhook:twitter", EventID: "t1", MessageID: "t1", Conversation: "tw-1", Customer: bot.Customer{ID: "x1", Name: "Loud"}, Text: "Refund?"}
	if err := w.bot.Receive(context.Background(), post); err != nil {
		t.Fatal(err)
	}
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 3, Agent: alice})
	if _, err := w.act(bot.Action{Verb: bot.DoCall, Ticket: 3, Agent: alice}); bot.ErrorCode(err) != bot.ECONFLICT {
		t.Errorf("a call in public: %v", err)
	}
	post.EventID, post.MessageID, post.Text, post.Private, post.TimeZone = "t2", "t2", "Here in DM", true, "Europe/Istanbul"
	if err := w.bot.Receive(context.Background(), post); err != nil {
		t.Fatal(err)
	}
	if tk := w.ticket(3); !tk.Private || tk.TimeZone != "Europe/Istanbul" {
		t.Errorf("after a private message: private %v, zone %q", tk.Private, tk.TimeZone)
	}
	w.tg.errs = []error{bot.Permanent(errors.New("the bridge answered 422: calls are not possible here"))}
	mustAct(t, w, bot.Action{Verb: bot.DoCall, Ticket: 3, Agent: alice})
	var thread []string
	for _, m := range w.desk.thread[w.ticket(3).DeskThread] {
		thread = append(thread, m.Text)
	}
	if !slices.ContainsFunc(thread, func(s string) bool {
		return strings.HasPrefix(s, "⚠️ <@UALICE>, asking the customer for a number did not work: ") && strings.Contains(s, "calls are not possible here")
	}) {
		t.Errorf("the failed call request is not in the thread: %q", thread)
	}
}
