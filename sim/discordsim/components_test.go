package discordsim_test

import (
	"strconv"
	"testing"

	"github.com/bwmarrin/discordgo"

	"caredesk/sim/discordsim"
)

const customer = "500000000000000001"

// fiveButtons is one row of buttons 1 to 5.
func fiveButtons() []discordgo.MessageComponent {
	row := discordgo.ActionsRow{}
	for n := 1; n <= 5; n++ {
		row.Components = append(row.Components, discordgo.Button{Label: strconv.Itoa(n), Style: discordgo.SecondaryButton, CustomID: "csat:12:" + strconv.Itoa(n)})
	}
	return []discordgo.MessageComponent{row}
}

// interactions opens a gateway session for dg and returns the
// interactions it receives, as the bot sees them.
func interactions(t *testing.T, dg *discordgo.Session) *recorder {
	t.Helper()
	dg.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	rec := &recorder{}
	dg.AddHandler(rec.handle)
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeSession(dg) })
	return rec
}

func (r *recorder) interactions() []*discordgo.Interaction {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*discordgo.Interaction
	for _, e := range r.events {
		if i, ok := e.Struct.(*discordgo.InteractionCreate); ok {
			out = append(out, i.Interaction)
		}
	}
	return out
}

func (r *recorder) updates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if _, ok := e.Struct.(*discordgo.MessageUpdate); ok {
			n++
		}
	}
	return n
}

func TestClicksInADMAndAGuildReachTheBot(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	s.AddUser(discordsim.User{ID: customer, Username: "jane"})
	o := s.Options()
	dg := session(t, s, o.Token)
	rec := interactions(t, dg)
	s.UserDMs(customer, "thanks!")
	dm := s.DMChannel(customer)
	support := o.SourceChannelIDs[0]

	tests := []struct {
		name, channel string
		member        bool // the clicking user comes as a guild member
	}{
		{"in the customer's DM", dm, false},
		{"under a message in a server channel", support, true},
	}
	for n, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := dg.ChannelMessageSendComplex(tc.channel, &discordgo.MessageSend{Content: "How did we do?", Components: fiveButtons()})
			if err != nil {
				t.Fatalf("a message with buttons: %v", err)
			}
			sent, _ := s.Message(m.ID)
			if rows := sent.Rows(); len(rows) != 1 || len(rows[0]) != 5 || rows[0][3].CustomID != "csat:12:4" || rows[0][3].Label != "4" || rows[0][3].Style != 2 {
				t.Fatalf("rows %+v, want one row of five", rows)
			}
			click := s.ClickButton(customer, tc.channel, m.ID, "csat:12:4")
			rec.wait(t, s, func() bool { return len(rec.interactions()) == n+1 })
			i := rec.interactions()[n]
			if i.ID != click.ID || i.Type != discordgo.InteractionMessageComponent || i.MessageComponentData().CustomID != "csat:12:4" || i.Message == nil || i.Message.ID != m.ID {
				t.Fatalf("the bot got %+v, want the click on %s", i, m.ID)
			}
			if by := i.User; tc.member {
				if i.Member == nil || i.Member.User == nil || i.Member.User.ID != customer || i.GuildID != o.GuildID {
					t.Errorf("member %+v in guild %q, want the customer as a member", i.Member, i.GuildID)
				}
			} else if by == nil || by.ID != customer || i.Member != nil {
				t.Errorf("user %+v, member %+v; want the customer as the user of a DM", by, i.Member)
			}

			// UPDATE_MESSAGE: the clicked message is edited, its buttons gone.
			empty := []discordgo.MessageComponent{}
			err = dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage, Data: &discordgo.InteractionResponseData{Content: "Your answer: 4", Components: empty}})
			if err != nil {
				t.Fatalf("UPDATE_MESSAGE: %v", err)
			}
			got, _ := s.Message(m.ID)
			if r := click.Response(); r.Type != discordsim.ResponseUpdateMessage || !r.Done() || got.Content != "Your answer: 4" || got.Components != nil || got.Edits != 1 {
				t.Errorf("response %+v, message %+v; want the message updated without buttons", r, got)
			}
			rec.wait(t, s, func() bool { return rec.updates() == n+1 }) // MESSAGE_UPDATE, as for any edit
		})
	}
}

func TestClicksAnsweredPrivately(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)
	support := o.SourceChannelIDs[0]
	m, err := dg.ChannelMessageSendComplex(support, &discordgo.MessageSend{Content: "How did we do?", Components: fiveButtons()})
	if err != nil {
		t.Fatal(err)
	}
	click := s.ClickButton("400000000000000001", support, m.ID, "csat:12:1")
	i := &discordgo.Interaction{ID: click.ID, Token: click.Token, AppID: o.ApplicationID}
	err = dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: &discordgo.InteractionResponseData{Content: "Not yours.", Flags: discordgo.MessageFlagsEphemeral}})
	if err != nil {
		t.Fatal(err)
	}
	if r := click.Response(); r.Type != discordsim.ResponseMessage || !r.Ephemeral || r.Content != "Not yours." {
		t.Errorf("response %+v, want an ephemeral message", r)
	}
	if got, _ := s.Message(m.ID); len(got.Buttons()) != 5 || got.Edits != 0 {
		t.Errorf("the question became %+v, want it unchanged", got)
	}
}

func TestClickButtonPanicsWhereNobodyCouldClick(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	s.AddUser(discordsim.User{ID: customer, Username: "jane"})
	o := s.Options()
	dg := session(t, s, o.Token)
	s.UserDMs(customer, "thanks!")
	dm := s.DMChannel(customer)
	m, err := dg.ChannelMessageSendComplex(dm, &discordgo.MessageSend{Content: "How did we do?", Components: fiveButtons()})
	if err != nil {
		t.Fatal(err)
	}
	for name, click := range map[string]func(){
		"someone else's DM":  func() { s.ClickButton("400000000000000001", dm, m.ID, "csat:12:4") },
		"a button not there": func() { s.ClickButton(customer, dm, m.ID, "csat:12:6") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: ClickButton did not panic", name)
				}
			}()
			click()
		}()
	}
	if n := len(s.Interactions()); n != 0 {
		t.Errorf("%d interactions recorded, want none", n)
	}
}
