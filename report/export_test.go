package report_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/report"
	"caredesk/store/sqlite"
)

func service(t *testing.T) *report.Service {
	t.Helper()
	return &report.Service{Store: seed(t, month), Calendar: calendar(), Sources: []string{"telegram", "discord", "webhook:twitter"},
		Clock: bot.ClockFunc(func() time.Time { return now })}
}

func TestExportCSV(t *testing.T) {
	s := service(t)
	srv := httptest.NewServer(s.ExportHandler("s3cret"))
	defer srv.Close()
	get := func(t *testing.T, query, token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/export.csv"+query, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	t.Run("a week", func(t *testing.T) {
		resp := get(t, "?from=2026-10-24&until=2026-10-31", "s3cret")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(resp.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			report.ExportHeader,
			// #8: Sat 24 Oct 23:30 EEST = 20:30 UTC, answered 5 h later, late.
			{"8", "webhook:twitter", "customerh", "2026-10-24T20:30:00Z", "2026-10-25T01:30:00Z", "", "bob", "no", "18000", ""},
			{"9", "telegram", "customeri", "2026-10-28T16:30:00Z", "2026-10-28T17:00:00Z", "", "alice", "yes", "1800", ""},
			// #12: closed without an answer within its hour: neither kept nor missed.
			{"12", "telegram", "customerl", "2026-10-31T21:59:00Z", "", "2026-10-31T22:30:00Z", "alice", "", "", ""},
		}
		if fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Errorf("rows\n got %q\nwant %q", rows, want)
		}
	})
	t.Run("until alone: the 30 days before it", func(t *testing.T) {
		// #10 opened 30 Sep 23:50, within the 30 days before 1 October.
		resp := get(t, "?until=2026-09-30", "s3cret")
		rows, err := csv.NewReader(resp.Body).ReadAll()
		if resp.StatusCode != 200 || err != nil || len(rows) != 2 || rows[1][0] != "10" {
			t.Errorf("status %d, rows %q, %v", resp.StatusCode, rows, err)
		}
	})
	refusals := []struct {
		name, query, token string
		status             int
		field              string
	}{
		{"no token", "", "", 401, "Authorization"},
		{"a wrong token", "", "guess", 401, "Authorization"},
		{"a bad day", "?from=2026-10-32", "s3cret", 400, "from"},
		{"backwards", "?from=2026-10-20&until=2026-10-10", "s3cret", 400, "until"},
		{"an unknown source", "?source=myspace", "s3cret", 400, "source"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, tt.query, tt.token)
			var body struct{ Error, Field string }
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || body.Field != tt.field || body.Error == "" {
				t.Errorf("status %d %+v, want %d naming %q", resp.StatusCode, body, tt.status, tt.field)
			}
		})
	}
}

func TestExportKeepsFormulasOut(t *testing.T) {
	db := seed(t, []seeded{{opened: at(10, 1, 10, 0), source: "telegram", state: bot.Open}})
	err := db.Update(t.Context(), func(tx bot.Tx) error {
		tk, err := tx.Ticket(1)
		if err != nil {
			return err
		}
		tk.Customer.Handle = "=HYPERLINK(\"http://evil\")"
		return tx.SaveTicket(tk)
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	q, _ := report.Parse("2026-10-01..2026-10-01", now, bucharest, nil, report.Teams{})
	if err := db.View(t.Context(), func(tx bot.Tx) error { return report.Export(t.Context(), tx, q, now, &b) }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\"'=HYPERLINK(\"\"http://evil\"\")\"") {
		t.Errorf("export:\n%s", b.String())
	}
}

func TestRenderedReports(t *testing.T) {
	s := service(t)
	oct := bot.ReportRequest{From: at(10, 1, 0, 0).UTC(), Until: at(11, 1, 0, 0).UTC(), Period: "October"}
	tests := []struct {
		kind  string
		files []string
		text  string
	}{
		{bot.ReportCharts, []string{".png", ".png", ".png"}, "📊 Charts of October (1 Oct – 31 Oct 2026), all sources."},
		{bot.ReportExport, []string{"caredesk-tickets-2026-10-01-2026-10-31.csv"}, "📄 Tickets of October (1 Oct – 31 Oct 2026), all sources: 10 rows."},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			req := oct
			req.Kind = tt.kind
			r, err := s.Render(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != tt.text || len(r.Files) != len(tt.files) || r.Fallback == "" {
				t.Fatalf("rendered %q with %d files, fallback %q", r.Text, len(r.Files), r.Fallback)
			}
			for i, f := range r.Files {
				if !strings.HasSuffix(f.Name, tt.files[i]) || len(f.Data) == 0 {
					t.Errorf("file %q (%d bytes)", f.Name, len(f.Data))
				}
				if strings.HasSuffix(f.Name, ".png") && (f.Alt == "" || f.Title == "") {
					t.Errorf("chart %q without alt text or title", f.Name)
				}
			}
		})
	}
	if _, err := s.Render(t.Context(), bot.ReportRequest{Kind: "horoscope"}); bot.ErrorCode(err) != bot.EINVALID {
		t.Errorf("an unknown kind: %v", err)
	}
}

func TestExportOfAnUnreadableDatabase(t *testing.T) {
	s := service(t)
	s.Store.(*sqlite.DB).Close()
	srv := httptest.NewServer(s.ExportHandler("s3cret"))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Error string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusServiceUnavailable || body.Error == "" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("status %d, %+v, %v; want 503 with a sentence and Retry-After", resp.StatusCode, body, err)
	}
}

// teamService is service's desk with its teams, deskTeams.
func teamService(t *testing.T) *report.Service {
	t.Helper()
	s := service(t)
	s.Teams, s.DefaultTeam = deskTeams.Names, deskTeams.Default
	return s
}

func TestExportCSVOfOneTeam(t *testing.T) {
	const week = "?from=2026-10-24&until=2026-10-31" // #8, #9 and #12
	tests := []struct {
		name    string
		service func(*testing.T) *report.Service
		query   string
		status  int
		numbers []string // the tickets exported
		error   string   // the refusal's sentence
	}{
		{"tr-care", teamService, week + "&team=tr-care", 200, []string{"8", "12"}, ""},
		// #9 was filed before the desk had teams: the default team's.
		{"the default team", teamService, week + "&team=ro-care", 200, []string{"9"}, ""},
		{"every team", teamService, week, 200, []string{"8", "9", "12"}, ""},
		{"an unknown team", teamService, week + "&team=pl-care", 400, nil, `There is no team "pl-care". The teams are tr-care, ro-care.`},
		{"a desk without teams", service, week + "&team=ro-care", 400, nil, "This desk has no teams: leave team out."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/export.csv"+tt.query, nil)
			req.Header.Set("Authorization", "Bearer s3cret")
			rec := httptest.NewRecorder()
			tt.service(t).ExportHandler("s3cret").ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status != 200 {
				var body struct{ Error, Field string }
				if err := json.NewDecoder(rec.Body).Decode(&body); err != nil {
					t.Fatal(err)
				}
				if body.Field != "team" || body.Error != tt.error {
					t.Errorf("refused %+v, want field team and %q", body, tt.error)
				}
				return
			}
			rows, err := csv.NewReader(rec.Body).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var numbers []string
			for _, row := range rows[1:] {
				numbers = append(numbers, row[0])
			}
			if !slices.Equal(numbers, tt.numbers) {
				t.Errorf("exported %q, want %q", numbers, tt.numbers)
			}
		})
	}
}

func TestReportOfOneTeam(t *testing.T) {
	tests := []struct {
		team       string
		complaints string // of the summary
		scope      string // of the charts, rendered from the queued request
		unanswered string
	}{
		// Of October's 10: #1, #4, #6, #8 and #12; #4 still waits.
		{"tr-care", "Complaints 5 ·", "📊 Charts of 1 Oct 2026 to 31 Oct 2026, all sources, team tr-care.", "Unanswered now: 1; oldest #4"},
		// The other 5: #2, #7; #3 and #9 of no team, #5 of a team taken
		// out. #11 (1 November) waits.
		{"ro-care", "Complaints 5 ·", "📊 Charts of 1 Oct 2026 to 31 Oct 2026, all sources, team ro-care.", "Unanswered now: 1; oldest #11"},
	}
	for _, tt := range tests {
		t.Run(tt.team, func(t *testing.T) {
			s := teamService(t)
			text, err := s.Report(t.Context(), alice, "2026-10-01..2026-10-31 --team "+tt.team, "")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(text, "📊 1 Oct 2026 to 31 Oct 2026, all sources, team "+tt.team+"\n"+tt.complaints) || !strings.Contains(text, tt.unanswered) {
				t.Errorf("report of %s:\n%s", tt.team, text)
			}
			req := queued(t, s)
			if req.Team != tt.team {
				t.Fatalf("queued %+v, want team %s", req, tt.team)
			}
			r, err := s.Render(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != tt.scope {
				t.Errorf("charts %q, want %q", r.Text, tt.scope)
			}
		})
	}
	t.Run("the export", func(t *testing.T) {
		s := teamService(t)
		if _, err := s.Export(t.Context(), alice, "2026-10-01..2026-10-31 --team=tr-care", ""); err != nil {
			t.Fatal(err)
		}
		r, err := s.Render(t.Context(), queued(t, s))
		if err != nil {
			t.Fatal(err)
		}
		want := "📄 Tickets of 1 Oct 2026 to 31 Oct 2026, all sources, team tr-care: 5 rows."
		if r.Text != want || len(r.Files) != 1 || r.Files[0].Name != "caredesk-tickets-tr-care-2026-10-01-2026-10-31.csv" {
			t.Errorf("rendered %q with %d files, want %q", r.Text, len(r.Files), want)
		}
	})
}

// queued is the one report s queued.
func queued(t *testing.T, s *report.Service) bot.ReportRequest {
	t.Helper()
	var req bot.ReportRequest
	err := s.Store.View(t.Context(), func(tx bot.Tx) error {
		dests, err := tx.DueDestinations(now, 10)
		if err != nil || len(dests) != 1 {
			return fmt.Errorf("destinations %q, %v; want one", dests, err)
		}
		d, ok, err := tx.NextDelivery(dests[0], now)
		if err != nil || !ok {
			return fmt.Errorf("no delivery for %s: %v", dests[0], err)
		}
		return json.Unmarshal([]byte(d.Text), &req)
	})
	if err != nil {
		t.Fatal(err)
	}
	return req
}
