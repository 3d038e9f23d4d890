package handlers_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/handlers"
)

func TestParse(t *testing.T) {
	tests := []struct {
		line string
		want bot.Action
	}{
		{"claim 12", bot.Action{Verb: bot.DoClaim, Ticket: 12}},
		{"CLAIM #12", bot.Action{Verb: bot.DoClaim, Ticket: 12}},
		{"claim", bot.Action{Verb: bot.DoClaim}},
		{"reply 7 Hello Jane,  we are on it.", bot.Action{Verb: bot.DoReply, Ticket: 7, Text: "Hello Jane,  we are on it."}},
		{"reply we are on it", bot.Action{Verb: bot.DoReply, Text: "we are on it"}},
		{"note 7 called the courier", bot.Action{Verb: bot.DoNote, Ticket: 7, Text: "called the courier"}},
		{"transfer 3 <@U024BE7LH|bob>", bot.Action{Verb: bot.DoTransfer, Ticket: 3, To: bot.Agent{ID: "U024BE7LH", Name: "bob"}}},
		{"transfer 3 <@U024BE7LH>", bot.Action{Verb: bot.DoTransfer, Ticket: 3, To: bot.Agent{ID: "U024BE7LH"}}},
		{"transfer <@!80351110224678912>", bot.Action{Verb: bot.DoTransfer, To: bot.Agent{ID: "80351110224678912"}}},
		{"resolve 9", bot.Action{Verb: bot.DoResolve, Ticket: 9}},
		{"show 9", bot.Action{Verb: bot.DoShow, Ticket: 9}},
		{"list", bot.Action{Verb: bot.DoList}},
		{"help", bot.Action{Verb: handlers.Help}},
		{"sla", bot.Action{Verb: bot.DoSLA}},
		{"rota", bot.Action{Verb: bot.DoRota}},
		{"Rota Week", bot.Action{Verb: bot.DoRotaWeek}},
		{"rota undo", bot.Action{Verb: bot.DoUndo}},
		{"call 12", bot.Action{Verb: bot.DoCall, Ticket: 12}},
		{"call done 12 a new parcel ships today", bot.Action{Verb: bot.DoCallDone, Ticket: 12, Text: "a new parcel ships today"}},
		{"call done 12", bot.Action{Verb: bot.DoCallDone, Ticket: 12}},
		{"private #3", bot.Action{Verb: bot.DoPrivate, Ticket: 3}},
		{"rota swap <@UALICE|alice> <@UBOB|bob>", bot.Action{Verb: bot.DoSwap, To: bot.Agent{ID: "UALICE", Name: "alice"}, Other: bot.Agent{ID: "UBOB", Name: "bob"}}},
		{"rota override <@UBOB> 2026-12-05T18:00 2026-12-06T09:00", bot.Action{Verb: bot.DoOverride, To: bot.Agent{ID: "UBOB"},
			From: time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC), Until: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}},
		{"", bot.Action{Verb: handlers.Help}},
		{"list --team ro-care", bot.Action{Verb: bot.DoList, Team: "ro-care"}},
		{"sla --team=billing", bot.Action{Verb: bot.DoSLA, Team: "billing"}},
		{"rota week --team tr-care", bot.Action{Verb: bot.DoRotaWeek, Team: "tr-care"}},
		{"rota swap --team tr-care <@UALICE> <@UBOB>", bot.Action{Verb: bot.DoSwap, Team: "tr-care", To: bot.Agent{ID: "UALICE"}, Other: bot.Agent{ID: "UBOB"}}},
		{"move 12 ro-care", bot.Action{Verb: bot.DoMove, Ticket: 12, Team: "ro-care"}},
		{"move billing", bot.Action{Verb: bot.DoMove, Team: "billing"}},
		{"move 12 --team ro-care", bot.Action{Verb: bot.DoMove, Ticket: 12, Team: "ro-care"}},
		{"move --team=ro-care", bot.Action{Verb: bot.DoMove, Team: "ro-care"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := handlers.Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseRefusals(t *testing.T) {
	tests := []struct{ line, want string }{
		{"claimx 12", `I don't know "claimx". Try /desk help.`},
		{"reply 12", "Add the text after the ticket number: /desk reply <ticket> <text>"},
		{"note 12", "Add the text after the ticket number: /desk note <ticket> <text>"},
		{"transfer 12 bob", "Name the new owner, as an @mention: /desk transfer <ticket> <to>"},
		{"rota swap <@U1> bob", "Name the other, as an @mention: /desk rota swap <one> <other>"},
		{"rota override <@U1> tomorrow 2026-12-06T09:00", "\"tomorrow\" is not a date and time for from: write it like 2026-12-05T18:00"},
		{"rota week please", "I did not understand \"please\""},
		{"claim 12 now", `I did not understand "now". Write it as /desk claim <ticket>`},
		{"list everything", `I did not understand "everything"`},
		{"list --team", "Name the team after --team, like --team ro-care: /desk list [--team team]"},
		{"rota --team a --team b", "Name one team at most; you wrote --team a and --team b."},
		{"move 12", "Name the team that owns it, like ro-care: /desk move <ticket> <team>"},
		{"claim 12 --team a", `I did not understand "--team a"`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			_, err := handlers.Parse(tt.line)
			if bot.ErrorCode(err) != bot.EINVALID {
				t.Fatalf("Parse(%q) error %v, want an EINVALID sentence", tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %q, want it to contain %q", tt.line, err, tt.want)
			}
		})
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	help := handlers.HelpText()
	for _, c := range handlers.Commands {
		if !strings.Contains(help, c.Usage()) {
			t.Errorf("help does not show %q", c.Usage())
		}
	}
}

func TestButtonVerb(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bot.Verb
		ok   bool
	}{
		{"claim", bot.DoClaim, true},
		{"resolve", bot.DoResolve, true}, // its link is optional
		{"reply", "", false},             // needs the text
		{"list", "", false},              // names no ticket
		{"launch", "", false},
	} {
		if got, ok := handlers.ButtonVerb(tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("ButtonVerb(%q) = %q %v, want %q %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
