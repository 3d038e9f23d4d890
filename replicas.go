package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"caredesk/config"
	"caredesk/health"
	"caredesk/leader"
	"caredesk/quietlog"
)

// leaderRole is the role the replicas elect a leader for: the connections
// a bot may hold once (Telegram's long poll, the Discord gateway) and the
// announcements of sources' changes in the desk channel.
const leaderRole = "connections"

// leadership is the election this caredesk takes part in: leader.Elector
// among replicas on PostgreSQL, leader.Single on a SQLite file, which one
// caredesk has to itself.
type leadership interface {
	// Run runs lead while this caredesk leads, until ctx ends.
	Run(ctx context.Context, lead func(context.Context) error) error
	Status() leader.Status
}

// replicaName names this caredesk in the outbox's leases and as leader.
// On a SQLite file, which one caredesk has at a time, the name is the same
// across restarts: a caredesk restarted after kill -9 takes its
// destinations back at once instead of waiting for its leases to run out.
// Replicas on PostgreSQL take CAREDESK_REPLICA, or the host's name with a
// random part, since replicas may share a host (and a container's host
// name is its own, but not after a restart in place).
func replicaName(cfg config.Config) string {
	if !config.Postgres(cfg.DB) {
		return "caredesk"
	}
	if cfg.Replica != "" {
		return cfg.Replica
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "caredesk"
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather)
	return host + "-" + hex.EncodeToString(b)
}

// elect returns the election for db: among replicas when db is shared.
func elect(db database, name string, cfg config.Config, log *slog.Logger) leadership {
	if s, ok := db.(leader.Store); ok && config.Postgres(cfg.DB) {
		return leader.New(s, leaderRole, name, cfg.LeaderTakeover, leader.Logger(log.With("part", "leader")))
	}
	return leader.Alone(name)
}

// roleLine says, for /readyz, what this caredesk does among replicas.
func roleLine(l leadership) string {
	s := l.Status()
	switch {
	case s.Alone:
		return "leader (the only caredesk on its SQLite file)"
	case s.Leading:
		return fmt.Sprintf("leader (replica %s, term %d)", s.Replica, s.Token)
	case s.Leader != "":
		return fmt.Sprintf("follower (replica %s; %s leads)", s.Replica, s.Leader)
	}
	return fmt.Sprintf("follower (replica %s; no replica leads yet)", s.Replica)
}

// watchLeadership shows the election and the outbox's leases at /metrics.
func (m *metrics) watchLeadership(l leadership, db database, holder string) {
	leading := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "caredesk_leader", Help: "1 while this replica leads (holds Telegram's long poll and the Discord gateway), 0 while it follows.",
	}, func() float64 {
		if l.Status().Leading {
			return 1
		}
		return 0
	})
	token := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "caredesk_leader_term", Help: "The fencing token of this replica's term as leader; 0 while it follows.",
	}, func() float64 { return float64(l.Status().Token) })
	terms := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "caredesk_leader_terms_total", Help: "Terms as leader this replica has begun since it started.",
	}, func() float64 { return float64(l.Status().Terms) })
	m.reg.MustRegister(leading, token, terms, &leaseCollector{db: db, holder: holder})
}

// leaseCollector counts the outbox's destinations under a lease, in one
// query for both figures.
type leaseCollector struct {
	db     database
	holder string
}

var leasesDesc = prometheus.NewDesc("caredesk_outbox_leases",
	"Destinations of the outbox under a lease that has not run out: held by this replica (holder=\"this\") or by any (holder=\"all\").",
	[]string{"holder"}, nil)

// Describe sends the one metric it collects.
func (c *leaseCollector) Describe(ch chan<- *prometheus.Desc) { ch <- leasesDesc }

// Collect counts the leases; a failing database leaves them out.
func (c *leaseCollector) Collect(ch chan<- prometheus.Metric) {
	mine, all, err := c.db.Leases(context.Background(), c.holder)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(leasesDesc, prometheus.GaugeValue, float64(mine), "this")
	ch <- prometheus.MustNewConstMetric(leasesDesc, prometheus.GaugeValue, float64(all), "all")
}

// sharedHearing is a store that keeps, for every replica, when each
// source last brought a complaint (PostgreSQL).
type sharedHearing interface {
	Heard(ctx context.Context, source string, at time.Time) error
	LastHeard(ctx context.Context) (map[string]time.Time, error)
}

// hearing shares with the other replicas when this one heard each source,
// and tells the board what they heard: behind a load balancer a replica
// receives only its share of a bridge's posts, and a silence alarm must
// mean that no replica heard the source.
type hearing struct {
	store sharedHearing
	board *health.Board
	log   *slog.Logger

	mu      sync.Mutex
	pending map[string]time.Time // heard here since the last share
}

// hearingEvery is how often replicas share what they heard: silence
// alarms are hours long, so seconds do not matter; a quiet database does.
const hearingEvery = 15 * time.Second

// newHearing returns the hearing of db, whose store is nil when db is
// one caredesk's alone (SQLite).
func newHearing(db database, board *health.Board, log *slog.Logger) *hearing {
	h := &hearing{board: board, log: log, pending: map[string]time.Time{}}
	if s, ok := db.(sharedHearing); ok {
		h.store = s
	}
	return h
}

// heard notes that a complaint from source was stored here: the board
// knows at once, the other replicas at the next share.
func (h *hearing) heard(source string) {
	h.board.Heard(source)
	if h.store == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pending[source] = time.Now()
}

// run shares every hearingEvery until ctx ends.
func (h *hearing) run(ctx context.Context) {
	tick := time.NewTicker(hearingEvery)
	defer tick.Stop()
	quiet := quietlog.New(h.log, time.Minute)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := h.share(ctx); err != nil && ctx.Err() == nil {
			quiet.Log(slog.LevelWarn, "hearing", "could not share with the other replicas when sources were heard; trying again", "err", err)
		}
	}
}

// share records what this replica heard and reads what all heard.
func (h *hearing) share(ctx context.Context) error {
	h.mu.Lock()
	pending := h.pending
	h.pending = map[string]time.Time{}
	h.mu.Unlock()
	for source, at := range pending {
		if err := h.store.Heard(ctx, source, at); err != nil {
			h.mu.Lock()
			if later, ok := h.pending[source]; !ok || later.Before(at) {
				h.pending[source] = at // tried again at the next share
			}
			h.mu.Unlock()
			return err
		}
	}
	all, err := h.store.LastHeard(ctx)
	if err != nil {
		return err
	}
	for source, at := range all {
		h.board.HeardAt(source, at)
	}
	return nil
}

// announcedStore keeps what the desk channel was last told of each source
// for every replica (PostgreSQL).
type announcedStore interface {
	Announced(ctx context.Context, source string, up, quiet bool) error
	LastAnnounced(ctx context.Context) (up, quiet map[string]bool, err error)
}

// boardMemory is db as the health board's memory of what the channel was
// told, nil when db is one caredesk's alone.
func boardMemory(db database) health.Memory {
	if s, ok := db.(announcedStore); ok {
		return announcedMemory{s}
	}
	return nil
}

// announcedMemory adapts an announcedStore to health.Memory.
type announcedMemory struct{ s announcedStore }

// Recall reads what the channel was last told of each source.
func (m announcedMemory) Recall(ctx context.Context) (map[string]health.Told, error) {
	up, quiet, err := m.s.LastAnnounced(ctx)
	if err != nil {
		return nil, err
	}
	told := make(map[string]health.Told, len(up))
	for source, u := range up {
		told[source] = health.Told{Up: u, Quiet: quiet[source]}
	}
	return told, nil
}

// Remember records what the channel was just told of source.
func (m announcedMemory) Remember(ctx context.Context, source string, t health.Told) error {
	return m.s.Announced(ctx, source, t.Up, t.Quiet)
}
