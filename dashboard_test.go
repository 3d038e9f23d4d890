package main

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"testing"

	"caredesk/store/sqlite"
)

// The dashboard in docs/ must use only metrics caredesk exports, so that a
// team importing it sees figures, not "No data".
func TestGrafanaDashboardUsesOurMetrics(t *testing.T) {
	data, err := os.ReadFile("docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	db, err := sqlite.Open(t.TempDir() + "/caredesk.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := newMetrics(db)
	tm := newTicketMetrics(m.reg, db)
	// Histograms and counters with labels appear once observed.
	tm.firstResponse.WithLabelValues("telegram").Observe(60)
	tm.breaches.WithLabelValues("telegram").Inc()
	tm.csat.WithLabelValues("telegram").Observe(4)
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
		if f.GetType().String() == "HISTOGRAM" {
			names = append(names, f.GetName()+"_bucket", f.GetName()+"_sum", f.GetName()+"_count")
		}
	}
	allowed := []string{"caredesk_first_response_seconds", "caredesk_tickets_open", "caredesk_tickets_unclaimed",
		"caredesk_tickets_unanswered", "caredesk_sla_breaches_total", "caredesk_csat_score"}
	metric := regexp.MustCompile(`caredesk_[a-z_]+`)
	if len(dash.Panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			for _, name := range metric.FindAllString(target.Expr, -1) {
				if !slices.Contains(names, name) {
					t.Errorf("panel %q uses %s, which caredesk does not export", p.Title, name)
				}
				if !slices.ContainsFunc(allowed, func(a string) bool {
					return name == a || regexp.MustCompile("^"+a+"_(bucket|sum|count)$").MatchString(name)
				}) {
					t.Errorf("panel %q uses %s, not one of the report metrics", p.Title, name)
				}
			}
		}
	}
}
