package main

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"caredesk/bot"
)

// ticketMetrics are the figures of the desk's promise as Prometheus sees
// them: how fast first answers come, what waits, what was missed, and what
// customers said. docs/grafana-dashboard.json uses only these.
type ticketMetrics struct {
	firstResponse *prometheus.HistogramVec
	breaches      *prometheus.CounterVec
	csat          *prometheus.HistogramVec
}

func newTicketMetrics(reg prometheus.Registerer, store bot.Store) *ticketMetrics {
	m := &ticketMetrics{
		firstResponse: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "caredesk_first_response_seconds", Help: "Time from a complaint's arrival to the first answer that reached the customer, by source.",
			Buckets: []float64{60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 48 * 3600},
		}, []string{"source"}),
		breaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "caredesk_sla_breaches_total", Help: "Tickets that passed their first-response target without an answer, by source.",
		}, []string{"source"}),
		csat: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "caredesk_csat_score", Help: "Customers' answers to the satisfaction question (1 bad … 5 great), by source.",
			Buckets: []float64{1, 2, 3, 4, 5},
		}, []string{"source"}),
	}
	reg.MustRegister(m.firstResponse, m.breaches, m.csat, openCollector{
		store:      store,
		open:       prometheus.NewDesc("caredesk_tickets_open", "Tickets not resolved.", nil, nil),
		unclaimed:  prometheus.NewDesc("caredesk_tickets_unclaimed", "Tickets not resolved that nobody has claimed.", nil, nil),
		unanswered: prometheus.NewDesc("caredesk_tickets_unanswered", "Tickets not resolved that no first answer has reached yet.", nil, nil),
	})
	return m
}

// observe wraps store so that the metrics hear of ticket events once the
// transaction that recorded them has committed: a rolled-back answer is
// not counted, and a retried transaction is counted once.
func (m *ticketMetrics) observe(store bot.Store) bot.Store { return observedStore{store, m} }

type observedStore struct {
	bot.Store
	m *ticketMetrics
}

// Update runs fn, and tells the metrics of its events after the commit.
func (s observedStore) Update(ctx context.Context, fn func(bot.Tx) error) error {
	var after []func()
	err := s.Store.Update(ctx, func(tx bot.Tx) error {
		after = after[:0]
		return fn(observedTx{Tx: tx, m: s.m, after: &after})
	})
	if err == nil {
		for _, f := range after {
			f()
		}
	}
	return err
}

type observedTx struct {
	bot.Tx
	m     *ticketMetrics
	after *[]func()
}

// AddEvent records e and notes what the metrics will count.
func (tx observedTx) AddEvent(e bot.Event) error {
	if err := tx.Tx.AddEvent(e); err != nil {
		return err
	}
	switch e.Kind {
	case "replied", "breached", "rated":
	default:
		return nil
	}
	t, err := tx.Ticket(e.TicketID)
	if err != nil {
		return err
	}
	var count func()
	switch e.Kind {
	case "replied":
		took := t.FirstReplyAt.Sub(t.OpenedAt)
		count = func() { tx.m.firstResponse.WithLabelValues(t.Source).Observe(took.Seconds()) }
	case "breached":
		count = func() { tx.m.breaches.WithLabelValues(t.Source).Inc() }
	case "rated":
		score, err := strconv.Atoi(e.Detail)
		if err != nil {
			return nil
		}
		count = func() { tx.m.csat.WithLabelValues(t.Source).Observe(float64(score)) }
	}
	*tx.after = append(*tx.after, count)
	return nil
}

// openCollector counts the waiting tickets at each scrape, in one read.
type openCollector struct {
	store                       bot.Store
	open, unclaimed, unanswered *prometheus.Desc
}

// Describe sends the gauges' descriptions.
func (c openCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.unclaimed
	ch <- c.unanswered
}

// Collect reads the counts; a store that cannot be read sends nothing,
// which Prometheus shows as a gap rather than a false zero.
func (c openCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n bot.OpenCounts
	if err := c.store.View(ctx, func(tx bot.Tx) (err error) { n, err = tx.OpenCounts(); return err }); err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(n.Open))
	ch <- prometheus.MustNewConstMetric(c.unclaimed, prometheus.GaugeValue, float64(n.Unclaimed))
	ch <- prometheus.MustNewConstMetric(c.unanswered, prometheus.GaugeValue, float64(n.Unanswered))
}
