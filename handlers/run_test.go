package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"caredesk/bot"
	"caredesk/handlers"
)

// actor answers every action with a fixed result and records what it got.
type actor struct {
	got []bot.Action
	res bot.Result
	err error
}

func (a *actor) Act(_ context.Context, act bot.Action) (bot.Result, error) {
	a.got = append(a.got, act)
	return a.res, a.err
}

func TestCommand(t *testing.T) {
	alice := bot.Agent{ID: "U1", Name: "alice"}
	tests := []struct {
		name   string
		line   string
		thread string
		res    bot.Result
		err    error
		want   string     // what the agent reads
		acted  bot.Action // what reached the core; zero when nothing should
	}{
		{"help", "help", "", bot.Result{}, nil, "/desk claim <ticket>", bot.Action{}},
		{"parse error", "nope", "", bot.Result{}, nil, `I don't know "nope"`, bot.Action{}},
		{"missing ticket outside a thread", "claim", "", bot.Result{}, nil, "Which ticket? Write it as /desk claim <ticket>, e.g. /desk claim 12.", bot.Action{}},
		{"ticket implied by the thread", "claim", "T1", bot.Result{Text: "You own #3 now."}, nil, "You own #3 now.", bot.Action{Verb: bot.DoClaim, Thread: "T1", Agent: alice, EventID: "ev"}},
		{"numbered", "resolve 4", "", bot.Result{Text: "Resolved #4."}, nil, "Resolved #4.", bot.Action{Verb: bot.DoResolve, Ticket: 4, Agent: alice, EventID: "ev"}},
		{"refusal", "claim 4", "", bot.Result{}, bot.Errorf(bot.ECONFLICT, "#4 is already claimed by <@U2>."), "#4 is already claimed by <@U2>.", bot.Action{Verb: bot.DoClaim, Ticket: 4, Agent: alice, EventID: "ev"}},
		{"list needs no ticket", "list", "", bot.Result{Text: "No open tickets. Nice."}, nil, "No open tickets. Nice.", bot.Action{Verb: bot.DoList, Agent: alice, EventID: "ev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &actor{res: tt.res, err: tt.err}
			got := handlers.Runner{Actor: a}.Command(context.Background(), alice, tt.line, tt.thread, "", "ev")
			if !strings.Contains(got, tt.want) {
				t.Errorf("agent reads %q, want %q", got, tt.want)
			}
			switch {
			case tt.acted.Verb == "" && len(a.got) != 0:
				t.Errorf("the core got %+v, want nothing", a.got)
			case tt.acted.Verb != "" && (len(a.got) != 1 || !reflect.DeepEqual(a.got[0], tt.acted)):
				t.Errorf("the core got %+v, want %+v", a.got, tt.acted)
			}
		})
	}
}

func TestInternalErrorsStayInTheLog(t *testing.T) {
	var logs bytes.Buffer
	a := &actor{err: errors.New("database is locked: /var/lib/caredesk.db")}
	r := handlers.Runner{Actor: a, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	got := r.Command(context.Background(), bot.Agent{ID: "U1"}, "claim 4", "", "", "")
	if strings.Contains(got, "database") {
		t.Errorf("agent reads internal details: %q", got)
	}
	id := regexp.MustCompile(`error ([0-9a-f]{8})`).FindStringSubmatch(got)
	if id == nil {
		t.Fatalf("apology %q carries no error id", got)
	}
	if !strings.Contains(logs.String(), "error_id="+id[1]) || !strings.Contains(logs.String(), "database is locked") {
		t.Errorf("log %q lacks the id %s and the cause", logs.String(), id[1])
	}
}
