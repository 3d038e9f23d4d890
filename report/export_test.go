package report_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	q, _ := report.Parse("2026-10-01..2026-10-01", now, bucharest, nil)
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
