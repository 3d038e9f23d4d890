package report_test

import (
	"strings"
	"testing"

	"caredesk/report"
)

// unquote shows quoted outside text as a desk would: between quotes.
func unquote(s string) string {
	return strings.NewReplacer("\ufff9", "“", "\ufffb", "”").Replace(s)
}

func TestSummaryOfASeededMonth(t *testing.T) {
	db := seed(t, month)
	got := unquote(report.Summary(compute(t, db, october(t, "")), bucharest, now))
	want := `📊 1 Oct 2026 to 31 Oct 2026, all sources
Complaints 10 · answered by a person 8 (80 %) · within the SLA 5 (50 %)
First answer: median 30 min, p90 11 h 30 min by the clock; 0 min, 30 min in business hours
Resolved 4 (median 1 h) · reopened 1 (10 %) · handed over 1 · missed the SLA 4
Unanswered now: 2; oldest #4 (“Telegram”, waiting 29 d), #11 (“Telegram”, waiting 1 d 10 h)
By part of the week:
• business hours: 3 complaints, 100 % answered, median first answer 20 min
• nights: 2 complaints, 100 % answered, median first answer 30 min
• weekends: 4 complaints, 50 % answered, median first answer 3 h 10 min
• holidays: 1 complaint, 100 % answered, median first answer 45 min
By source:
• “Telegram”: 6 complaints, 67 % answered, median first answer 30 min
• “X (Twitter)”: 3 complaints, 100 % answered, median first answer 3 h 10 min
• “Discord”: 1 complaint, 100 % answered, median first answer 45 min
By agent:
• “alice”: answered 5, median first answer 30 min, satisfaction 3.5 (2)
• “bob”: answered 3, median first answer 5 h
• “carol”: answered 0, satisfaction 2.0 (1)
Satisfaction: 3.5 of 5 from 2 answers to 3 questions (5★ 1 · 4★ 0 · 3★ 0 · 2★ 1 · 1★ 0)`
	if got != want {
		t.Errorf("summary\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestDigestSaysWhatChanged(t *testing.T) {
	db := seed(t, month)
	// The week of 26 Oct–1 Nov against the week before, 19–25 Oct.
	week, err := report.Parse("2026-10-26..2026-11-01", now, bucharest, nil, report.Teams{})
	if err != nil {
		t.Fatal(err)
	}
	before, err := report.Parse("2026-10-19..2026-10-25", now, bucharest, nil, report.Teams{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		week, before report.Query
		want         []string
	}{
		// 26 Oct–1 Nov: #9 (night, 30 min), #12 (weekend, no answer), #11 (1 Nov, open).
		// 19–25 Oct: #8 (weekend, 5 h).
		{"two weeks", week, before, []string{
			"A person answered 0 % of weekend complaints, down from 100 %.",
			"A person answered 33 % of them, down from 100 %.",
			"First answers took 30 min, down from 5 h.",
		}},
		{"the same again", week, week, []string{"Nothing moved much: the figures are as they were."}},
		{"nothing before", before, report.Query{From: at(8, 1, 0, 0), Until: at(8, 8, 0, 0)}, []string{
			"There were no complaints in the period before to compare with.",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := report.Changes(compute(t, db, tt.week), compute(t, db, tt.before))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("changes\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	text := unquote(report.Digest(compute(t, db, week), compute(t, db, before), bucharest, now))
	if !strings.HasPrefix(text, "📰 Weekly digest: 26 Oct 2026 to 1 Nov 2026") || !strings.HasSuffix(text, "Since the week before:\n• A person answered 0 % of weekend complaints, down from 100 %.\n• A person answered 33 % of them, down from 100 %.\n• First answers took 30 min, down from 5 h.") {
		t.Errorf("digest:\n%s", text)
	}
}
