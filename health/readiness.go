package health

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Readiness is the answer to "can caredesk do its work now?".
type Readiness struct {
	Ready bool
	Lines []string // one per part: "telegram: ok" or "telegram: <why not>"
}

// Check runs the probes, reads every part and says whether caredesk is
// ready: every probe passes and the desk and every source are connected.
// A silent source is shown but does not make caredesk not ready (see
// State.Warning).
func (b *Board) Check(ctx context.Context) Readiness {
	b.mu.Lock()
	probes := append([]probe(nil), b.probes...)
	notes := append([]note(nil), b.notes...)
	b.mu.Unlock()

	// Probes run at once, each bounded, so that one slow check does not
	// add up with the others.
	errs := make([]error, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, probeTimeout)
			defer cancel()
			errs[i] = p.check(ctx)
		})
	}
	wg.Wait()

	r := Readiness{Ready: true}
	for i, p := range probes {
		if errs[i] != nil {
			r.Ready = false
			r.Lines = append(r.Lines, fmt.Sprintf("%s: %s", p.name, sentence(errs[i].Error())))
			continue
		}
		r.Lines = append(r.Lines, p.name+": ok")
	}
	for _, n := range notes {
		r.Lines = append(r.Lines, n.name+": "+n.text())
	}
	for _, s := range b.States() {
		switch {
		case s.OK:
			r.Lines = append(r.Lines, s.Name+": ok")
		case s.Warning:
			r.Lines = append(r.Lines, fmt.Sprintf("%s: warning: %s", s.Name, s.Reason))
		default:
			r.Ready = false
			r.Lines = append(r.Lines, fmt.Sprintf("%s: %s", s.Name, s.Reason))
		}
	}
	return r
}

// sentence ends s with a full stop, so that every line reads alike.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// Handler answers readiness: 200 with "ready" and one line per part, or
// 503 with "not ready" and the same lines, each not-ready part saying why.
func (b *Board) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd := b.Check(r.Context())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		head := "ready"
		if !rd.Ready {
			head = "not ready"
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, head)
		for _, l := range rd.Lines {
			fmt.Fprintln(w, l)
		}
	})
}
