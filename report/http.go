package report

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"caredesk/bot"
)

// ExportHandler serves GET /export.csv?from=&until=&source=&team= for BI
// tools, to whoever sends "Authorization: Bearer TOKEN". from and until are
// days on the team's clock (2026-11-01), both included, or RFC 3339
// instants (until excluded); without them, the last 30 days. team keeps
// one team's tickets (Teams.Owns). The CSV streams page by page, so a
// year's export holds no more memory than a day's.
func (s *Service) ExportHandler(token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			refuse(w, http.StatusMethodNotAllowed, "", "Use GET.")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="caredesk export"`)
			refuse(w, http.StatusUnauthorized, "Authorization", "Send the export token as \"Authorization: Bearer TOKEN\" (CAREDESK_EXPORT_TOKEN).")
			return
		}
		now := s.now()
		q := Query{Until: now, Name: "the export", Teams: s.teams()}
		v := r.URL.Query()
		var field, msg string
		if until := v.Get("until"); until != "" {
			if q.Until, ok = s.instant(until, true); !ok {
				field, msg = "until", "Write until as a day (2026-11-30, included) or an RFC 3339 time (excluded)."
			}
		}
		q.From = q.Until.Add(-30 * 24 * time.Hour) // the 30 days before until
		if from := v.Get("from"); from != "" && field == "" {
			if q.From, ok = s.instant(from, false); !ok {
				field, msg = "from", "Write from as a day (2026-11-01) or an RFC 3339 time (2026-11-01T00:00:00Z)."
			}
		}
		if src := v.Get("source"); src != "" && field == "" {
			if q.Source, ok = sourceNamed(src, s.Sources); !ok {
				field, msg = "source", "Name a configured source: "+strings.Join(s.Sources, ", ")+"."
			}
		}
		if team := v.Get("team"); team != "" && field == "" {
			var err error
			if q.Team, err = q.Teams.named(team, "team"); err != nil {
				field, msg = "team", bot.ErrorMessage(err)
			}
		}
		switch {
		case field != "":
		case !q.From.Before(q.Until):
			field, msg = "until", "until must come after from."
		case q.Until.After(q.From.AddDate(0, 0, 5*maxDays)):
			field, msg = "from", "An export covers at most 2000 days; ask for several."
		}
		if field != "" {
			refuse(w, http.StatusBadRequest, field, msg)
			return
		}
		// The first read tells whether the database answers at all, while a
		// failure can still be a status of its own.
		p := pages{r.Context(), s.Store}
		if _, err := p.TicketsOpened(q.From, q.Until, 0, 1); err != nil {
			s.logger().Error("export: the database could not be read", "err", err)
			w.Header().Set("Retry-After", "5")
			refuse(w, http.StatusServiceUnavailable, "", "caredesk could not read its database just now; try again in a few seconds.")
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="caredesk-tickets.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodHead {
			return
		}
		if err := Export(r.Context(), p, q, now, w); err != nil {
			// The status is sent: the only honest signal left is to cut the
			// response, so the client sees an incomplete file, not a short
			// one that looks whole.
			s.logger().Error("export: could not write the CSV; the response is cut", "err", err)
			panic(http.ErrAbortHandler)
		}
	})
}

// instant reads a day on the team's clock or an RFC 3339 time. A day as the
// end of a range means the end of that day.
func (s *Service) instant(v string, end bool) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), true
	}
	d, err := time.ParseInLocation(time.DateOnly, v, s.loc())
	if err != nil {
		return time.Time{}, false
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d.UTC(), true
}

func refuse(w http.ResponseWriter, status int, field, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
		Field string `json:"field,omitempty"`
	}{msg, field})
}
