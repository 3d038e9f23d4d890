package telegram_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"caredesk/adapters/telegram"
	"caredesk/bot"
	"caredesk/sim/telegramsim"
)

// reacher is a Reacher that records what it hears; planned answers come
// first, one per call.
type reacher struct {
	mu      sync.Mutex
	calls   []bot.Reachability
	planned []error
}

func (r *reacher) Reachable(_ context.Context, re bot.Reachability) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, re)
	if len(r.planned) > 0 {
		err := r.planned[0]
		r.planned = r.planned[1:]
		return err
	}
	return nil
}

func (r *reacher) got() []bot.Reachability {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func TestBlockingTheBotReachesTheCore(t *testing.T) {
	refusal := bot.Errorf(bot.ENOTFOUND, "No customer 77 on telegram.")
	tests := []struct {
		name      string
		noReacher bool
		planned   []error // the core's answers to the first calls
		blocks    int     // calls about the block (then one about the unblock)
	}{
		{"stored", false, nil, 1},
		{"store fails, Telegram sends it again", false, []error{errStore, errStore}, 3},
		{"refused by the core", false, []error{refusal}, 1},
		{"no Reacher", true, nil, 0},
	}
	for _, mode := range []string{"polling", "webhook"} {
		for _, tc := range tests {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				s := startSim(t)
				// Another program with the token asked Telegram for
				// messages only; caredesk must ask for my_chat_member.
				s.SetAllowedUpdates([]string{"message", "callback_query"})
				r := &reacher{planned: tc.planned}
				o := telegram.Options{Reacher: r}
				if tc.noReacher {
					o.Reacher = nil
				}
				receive(t, s, mode, o)
				waitSim(t, s, "caredesk's allowed_updates", func() bool { return slices.Contains(s.AllowedUpdates(), "my_chat_member") })
				s.CustomerWrites(77, ayse, "kargom nerede?")
				blocked := s.BlockBot(77, ayse)
				unblocked := s.UnblockBot(77, ayse)
				waitSim(t, s, "both confirmed", func() bool { return s.Offset() > unblocked })

				var want []bot.Reachability
				for range tc.blocks {
					want = append(want, bot.Reachability{Source: "telegram", Conversation: "77", CustomerID: "77", Blocked: true, EventID: itoa(blocked)})
				}
				if !tc.noReacher {
					want = append(want, bot.Reachability{Source: "telegram", Conversation: "77", CustomerID: "77", Blocked: false, EventID: itoa(unblocked)})
				}
				if got := r.got(); !slices.Equal(got, want) {
					t.Errorf("Reachable got\n%+v\nwant\n%+v", got, want)
				}
			})
		}
	}
}

func TestTheBotLeavingAGroupIsNoCustomersBlock(t *testing.T) {
	s := startSim(t)
	r := &reacher{}
	c, _ := newClient(t, s, telegram.Options{Reacher: r})
	group := map[string]any{"id": -1001234567890, "type": "supergroup", "title": "Fans"}
	bot := telegramsim.User{ID: 7000000001, IsBot: true, FirstName: "caredesk demo"}
	last := s.Push(map[string]any{"my_chat_member": map[string]any{"chat": group, "from": jane, "date": date,
		"old_chat_member": map[string]any{"user": bot, "status": "member"}, "new_chat_member": map[string]any{"user": bot, "status": "kicked", "until_date": 0}}})
	poll(t, c, newRecorder())
	waitSim(t, s, "the update confirmed", func() bool { return s.Offset() > last })
	if got := r.got(); len(got) != 0 {
		t.Errorf("Reachable got %+v, want nothing: removing the bot from a group blocks no customer", got)
	}
}
