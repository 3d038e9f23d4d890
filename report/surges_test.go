package report_test

import (
	"strconv"
	"strings"
	"testing"

	"caredesk/bot"
	"caredesk/report"
)

// q quotes outside text as the report does: marked, shown as it is.
var q = bot.Quote

// fatura is what the spike watch said a surge was about, the customers'
// words quoted already.
var fatura = "“" + q("fatura") + "” (28), “" + q("iki kez") + "” (20)"

// surges are the spike watch's surges around the seeded month, on the
// team's clock in Bucharest.
var surges = []bot.Surge{
	// Before October: in no report of it.
	{Source: "telegram", Started: at(9, 30, 10, 0), Ended: at(9, 30, 11, 0), Peak: 15, Usual: 3},
	// Across October's start.
	{Source: "webhook:twitter", Started: at(9, 30, 23, 30), Ended: at(10, 1, 0, 40), Peak: 30, Usual: 2.5},
	{Source: "telegram", Started: at(10, 6, 20, 5), Ended: at(10, 6, 21, 10), Peak: 48, Usual: 5, About: fatura},
	// Of a network with no complaint in October, on a day without any.
	{Source: "webhook:whatsapp", Started: at(10, 13, 9, 0), Ended: at(10, 13, 9, 45), Peak: 9, Usual: 1},
	// Across October's end, into the last week's Sunday.
	{Source: "telegram", Started: at(10, 31, 23, 0), Ended: at(11, 1, 1, 30), Peak: 20, Usual: 4},
	// Still on.
	{Source: "discord", Started: at(10, 31, 23, 50), Peak: 12, Usual: 4.0 / 3},
	// After October, in the week of 26 October–1 November.
	{Source: "telegram", Started: at(11, 1, 9, 0), Ended: at(11, 1, 10, 0), Peak: 25, Usual: 3},
}

// The lines of the surges above, as a report lists them.
var (
	acrossTheStart = "• " + q("X (Twitter)") + ", Wed 30 Sep 23:30 → Thu 1 Oct 00:40: peak 30 in a window, usually 2.5"
	aboutFatura    = "• " + q("Telegram") + ", Tue 6 Oct 20:05 → 21:10: peak 48 in a window, usually 5 — about " + fatura
	noComplaints   = "• " + q("whatsapp") + ", Tue 13 Oct 09:00 → 09:45: peak 9 in a window, usually 1"
	acrossTheEnd   = "• " + q("Telegram") + ", Sat 31 Oct 23:00 → Sun 1 Nov 01:30: peak 20 in a window, usually 4"
	stillOn        = "• " + q("Discord") + ", Sat 31 Oct 23:50, still on: peak so far 12 in a window, usually 1.3"
	sundayMorning  = "• " + q("Telegram") + ", Sun 1 Nov 09:00 → 10:00: peak 25 in a window, usually 3"
)

// surgesOf is the Surges section of lines.
func surgesOf(lines ...string) string {
	return "Surges: " + strconv.Itoa(len(lines)) + " (times on the team's clock)\n" + strings.Join(lines, "\n")
}

// addSurges records ss in db, as the spike watch does.
func addSurges(t *testing.T, db bot.Store, ss []bot.Surge) {
	t.Helper()
	err := db.Update(t.Context(), func(tx bot.Tx) error {
		for _, s := range ss {
			s.Started, s.Ended = s.Started.UTC(), s.Ended.UTC()
			if err := tx.AddSurge(&s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSummaryListsTheSurges: a report lists the surges that overlap its
// period after the figures, which they leave as they were: those across
// its start and its end and the one still on included, of its source
// only; a report of one team or one agent, and one of a period without
// surges, has no Surges section.
func TestSummaryListsTheSurges(t *testing.T) {
	without := seed(t, month)
	with := seed(t, month)
	addSurges(t, with, surges)
	tests := []struct {
		name string
		args string // after October's dates, or a period of their own
		want string // the Surges section; "" for none
	}{
		{"every source", "2026-10-01..2026-10-31",
			surgesOf(acrossTheStart, aboutFatura, noComplaints, acrossTheEnd, stillOn)},
		{"one source", "2026-10-01..2026-10-31 telegram", surgesOf(aboutFatura, acrossTheEnd)},
		{"the one still on, of its source", "2026-10-01..2026-10-31 discord", surgesOf(stillOn)},
		{"one team", "2026-10-01..2026-10-31 --team tr-care", ""},
		{"one agent", "2026-10-01..2026-10-31 <@UALICE|alice>", ""},
		{"no surge in the period", "2026-10-15..2026-10-30", ""},
		{"a day without complaints", "2026-10-13..2026-10-13", surgesOf(noComplaints)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qr, err := report.Parse(tt.args, now, bucharest, []string{"telegram", "discord", "webhook:twitter"}, deskTeams)
			if err != nil {
				t.Fatal(err)
			}
			base := report.Summary(compute(t, without, qr), bucharest, now)
			got := report.Summary(compute(t, with, qr), bucharest, now)
			want := base
			if tt.want != "" {
				want += "\n" + tt.want
			}
			if got != want {
				t.Errorf("summary\n got:\n%s\nwant:\n%s", unquote(got), unquote(want))
			}
		})
	}
}

// TestDigestListsTheSurges: the weekly and monthly digests, and /desk
// report of the same period, list the period's surges after the figures
// and before what changed since the period before; without surges, no
// Surges section.
func TestDigestListsTheSurges(t *testing.T) {
	week := surgesOf(acrossTheEnd, stillOn, sundayMorning)
	tests := []struct {
		name        string
		surges      []bot.Surge
		req         bot.ReportRequest
		args        string // the same period for /desk report
		title, want string // want: the Surges section; "" for none
	}{
		{"a week", surges,
			bot.ReportRequest{Kind: bot.ReportDigest, Period: "week", From: at(10, 26, 0, 0).UTC(), Until: at(11, 2, 0, 0).UTC()},
			"2026-10-26..2026-11-01", "📰 Weekly digest: Last week (26 Oct – 1 Nov 2026), all sources", week},
		{"a month", surges,
			bot.ReportRequest{Kind: bot.ReportDigest, Period: "month", From: at(10, 1, 0, 0).UTC(), Until: at(11, 1, 0, 0).UTC()},
			"2026-10-01..2026-10-31", "📰 Monthly digest: Last month (1 Oct – 31 Oct 2026), all sources",
			surgesOf(acrossTheStart, aboutFatura, noComplaints, acrossTheEnd, stillOn)},
		{"a week without surges", surges[:4],
			bot.ReportRequest{Kind: bot.ReportDigest, Period: "week", From: at(10, 26, 0, 0).UTC(), Until: at(11, 2, 0, 0).UTC()},
			"2026-10-26..2026-11-01", "📰 Weekly digest: Last week (26 Oct – 1 Nov 2026), all sources", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := service(t)
			addSurges(t, s.Store, tt.surges)
			r, err := s.Render(t.Context(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(r.Text, tt.title+"\n") {
				t.Errorf("digest begins otherwise:\n%s", unquote(r.Text))
			}
			answer, err := s.Report(t.Context(), alice, tt.args, "")
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if strings.Contains(r.Text, "Surges") || strings.Contains(answer, "Surges") {
					t.Errorf("a Surges section without surges:\n%s\n\n%s", unquote(r.Text), unquote(answer))
				}
				return
			}
			if !strings.Contains(r.Text, "\n"+tt.want+"\nSince the "+tt.req.Period+" before:\n• ") {
				t.Errorf("digest\n%s\nwant the surges before the changes:\n%s", unquote(r.Text), unquote(tt.want))
			}
			if !strings.Contains(answer, "\n"+tt.want+"\nThe charts are on their way") {
				t.Errorf("/desk report\n%s\nwant the surges after the figures:\n%s", unquote(answer), unquote(tt.want))
			}
		})
	}
}

// TestManySurges: a report lists ten surges and counts the rest.
func TestManySurges(t *testing.T) {
	db := seed(t, month)
	var many []bot.Surge
	for d := range 12 {
		many = append(many, bot.Surge{Source: "telegram", Started: at(10, 2+d, 12, 0), Ended: at(10, 2+d, 13, 0), Peak: 20 + d, Usual: 2})
	}
	addSurges(t, db, many)
	got := report.Summary(compute(t, db, october(t, "")), bucharest, now)
	_, section, _ := strings.Cut(got, "\nSurges: ")
	lines := strings.Split(section, "\n")
	if len(lines) != 12 || lines[0] != "12 (times on the team's clock)" || lines[10] != "• "+q("Telegram")+", Sun 11 Oct 12:00 → 13:00: peak 29 in a window, usually 2" ||
		lines[11] != "• and 2 more" {
		t.Errorf("surges section:\n%s", unquote(section))
	}
}
