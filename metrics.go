package main

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"caredesk/bot"
	"caredesk/health"
)

// metrics is what caredesk shows Prometheus at /metrics.
type metrics struct {
	reg        *prometheus.Registry
	complaints *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	took       *prometheus.HistogramVec
	rejected   *prometheus.CounterVec
	refused    *prometheus.CounterVec // at /slack/events and /telegram/webhook
}

func newMetrics(db database) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		complaints: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "caredesk_customer_messages_total", Help: "Customer messages received and stored, by source; a message a network brings again is counted once.",
		}, []string{"source"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "caredesk_deliveries_total", Help: "Outbox delivery attempts by job and outcome (delivered, retry, failed).",
		}, []string{"job", "outcome"}),
		took: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "caredesk_delivery_seconds", Help: "Time of one delivery attempt, by job.",
		}, []string{"job"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "caredesk_webhook_rejected_total", Help: "Webhook requests refused, by source and reason (signature, stale, too_large, malformed, invalid…).",
		}, []string{"source", "reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "caredesk_http_rejected_total", Help: "Requests refused at /slack/events and /telegram/webhook, by endpoint and reason (signature, stale, secret, too_large, busy, unavailable…).",
		}, []string{"endpoint", "reason"}),
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "caredesk_outbox_pending", Help: "Deliveries waiting in the outbox.",
	}, func() float64 {
		n, err := db.OutboxLen(context.Background())
		if err != nil {
			return -1
		}
		return float64(n)
	})
	b := thisBuild()
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "caredesk_build_info", Help: "Always 1; its labels say which caredesk runs: the module's version, the commit (revision) and the Go it was built with.",
		ConstLabels: prometheus.Labels{"version": b.Version, "revision": b.Revision, "go_version": b.GoVersion},
	})
	info.Set(1)
	m.reg.MustRegister(m.complaints, m.deliveries, m.took, m.rejected, m.refused, pending, info,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

func (m *metrics) delivered(job bot.Job, outcome string, took time.Duration) {
	m.deliveries.WithLabelValues(string(job), outcome).Inc()
	m.took.WithLabelValues(string(job)).Observe(took.Seconds())
}

// Rejected counts a refused webhook request (webhook.Counter).
func (m *metrics) Rejected(source, reason string) { m.rejected.WithLabelValues(source, reason).Inc() }

// at returns the counter of the requests refused at endpoint
// (slack.Counter, telegram.Counter).
func (m *metrics) at(endpoint string) endpointCounter {
	return endpointCounter{m.refused.MustCurryWith(prometheus.Labels{"endpoint": endpoint})}
}

// endpointCounter counts the requests refused at one endpoint.
type endpointCounter struct{ vec *prometheus.CounterVec }

// Rejected counts one refused request.
func (c endpointCounter) Rejected(reason string) { c.vec.WithLabelValues(reason).Inc() }

// receiver is the core as sources see it, saying whether what it took was
// new.
type receiver interface {
	Receive(ctx context.Context, in bot.Inbound) error
	Received(ctx context.Context, in bot.Inbound) (fresh bool, err error)
}

type countingReceiver struct {
	next  receiver
	m     *metrics
	heard func(source string) // a complaint from source was stored (health.Board.Heard)
}

// Receive hands in to the core and counts it when it is new: a message
// taken again (a redelivery, a Discord session's catch-up) was counted
// and heard when it first came.
func (c countingReceiver) Receive(ctx context.Context, in bot.Inbound) error {
	fresh, err := c.next.Received(ctx, in)
	if err == nil && fresh {
		c.m.complaints.WithLabelValues(in.Source).Inc()
		c.heard(in.Source)
	}
	return err
}

// counting wraps r to count what it stores, and tell heard of each source
// that brought a complaint (so a silent source is noticed).
func (m *metrics) counting(r receiver, heard func(source string)) countingReceiver {
	return countingReceiver{next: r, m: m, heard: heard}
}

// watch shows board's parts as caredesk_source_up{source} and
// caredesk_desk_up, 1 when connected and 0 when not.
func (m *metrics) watch(board *health.Board) {
	m.reg.MustRegister(boardCollector{
		board:  board,
		source: prometheus.NewDesc("caredesk_source_up", "1 when the source brings complaints (connected, and not silent past its silence_alarm), 0 when not.", []string{"source"}, nil),
		desk:   prometheus.NewDesc("caredesk_desk_up", "1 when the desk's own connection is up, 0 when not.", nil, nil),
	})
}

// boardCollector reads the health board at each scrape.
type boardCollector struct {
	board        *health.Board
	source, desk *prometheus.Desc
}

// Describe sends the descriptions of the board's metrics.
func (c boardCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.source; ch <- c.desk }

// Collect sends the state of every part on the board.
func (c boardCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.board.States() {
		up := 0.0
		if s.OK {
			up = 1
		}
		if s.Kind == health.Desk {
			ch <- prometheus.MustNewConstMetric(c.desk, prometheus.GaugeValue, up)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.source, prometheus.GaugeValue, up, s.Name)
	}
}
