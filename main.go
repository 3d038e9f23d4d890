// Command caredesk is a social customer-care desk in the team's chat:
// complaints from Telegram become threads in Slack, an agent claims one and
// answers in the thread, and the answer reaches the customer.
//
//	caredesk              serve, configured by the environment (see README.md)
//	caredesk demo         the real bot against built-in local Telegram and Slack
//	caredesk migrate --to postgres://…   the SQLite desk into PostgreSQL
//	caredesk version      the version, commit and Go of this build
//	caredesk healthcheck  exit 0 when this machine's caredesk is ready
//	caredesk doctor       check the settings, database and networks; a checklist
//	caredesk help         the commands and every setting
package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"caredesk/adapters/discord"
	"caredesk/adapters/slack"
	"caredesk/adapters/telegram"
	"caredesk/adapters/webhook"
	"caredesk/bodybudget"
	"caredesk/bot"
	"caredesk/config"
	"caredesk/handlers"
	"caredesk/health"
	"caredesk/ics"
	"caredesk/quietlog"
	"caredesk/report"
	"caredesk/spike"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "", "serve":
		cfg, err := config.Load(getenv)
		if err != nil {
			fmt.Fprintf(stderr, "caredesk cannot start:\n%s\n", err)
			return 2
		}
		log := newLogger(cfg, stderr)
		err = serve(ctx, cfg, log, nil)
		var refused refusedAtStart
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errStoppedAtStart):
			log.Info("caredesk stopped before it could reach the networks")
			return 0
		case errors.As(err, &refused):
			fmt.Fprintf(stderr, "caredesk cannot start:\n%s\n", refused.err)
			return 2
		}
		log.Error("caredesk stopped", "err", err)
		return 1
	case "demo":
		return demo(ctx, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, thisBuild())
		return 0
	case "healthcheck":
		return healthcheck(ctx, getenv, stdout, stderr)
	case "doctor":
		return runDoctor(ctx, getenv, stdout)
	case "help", "-h", "--help":
		help(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "caredesk: unknown command %q.\n\n%s", cmd, commands)
	return 2
}

// newLogger writes to w and scrubs every secret of cfg from every line, as a
// last line of defence behind the adapters' own care.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	secrets := secretsOf(cfg)
	opts := &slog.HandlerOptions{Level: cfg.LogLevel, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		var s string
		switch v := a.Value.Any().(type) {
		case string:
			s = v
		case error:
			s = v.Error()
		default:
			return a
		}
		return slog.String(a.Key, scrub(s, secrets))
	}}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// secretsOf is every secret of cfg's settings and file: what no log line
// and no line of caredesk doctor may show.
func secretsOf(cfg config.Config) []string {
	secrets := []string{cfg.Telegram.Token, cfg.Telegram.WebhookSecret, cfg.Slack.BotToken, cfg.Slack.AppToken,
		cfg.Slack.SigningSecret, cfg.Discord.Token, cfg.ICSToken, cfg.ExportToken, config.DBPassword(cfg.DB)}
	for _, hook := range cfg.File.Webhooks {
		secrets = append(secrets, hook.Secret)
	}
	for _, l := range cfg.File.Listeners {
		secrets = append(secrets, l.Token)
	}
	return secrets
}

// scrub is s with every one of secrets replaced by [redacted].
func scrub(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// serve runs the bot until ctx ends. ln, when not nil, is the listener to
// serve HTTP on instead of cfg.Addr (the demo picks a free port).
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, ln net.Listener) (err error) {
	serving := false
	// A first start that fails on a setting (a token a network rejects, a
	// channel the bot is not in) leaves no database behind: what it
	// created goes with it, and the next start is a first start again.
	undo := firstStart(cfg)
	defer func() {
		if err != nil && !serving {
			undo()
		}
	}()
	name := replicaName(cfg)
	db, err := openDatabase(ctx, cfg, name, log)
	if err != nil {
		return err
	}
	defer db.Close()
	leading := elect(db, name, cfg, log)
	blobs, err := openFiles(cfg, db)
	if err != nil {
		return err
	}
	if n, err := blobs.Prune(func(key string) (bool, error) { return keptFile(ctx, db, key) }); err != nil {
		log.Warn("could not check the kept files for bytes no file wants", "dir", cfg.FilesDir, "err", err)
	} else if n > 0 {
		log.Info("removed bytes no file is kept for (left by a crash)", "count", n, "dir", cfg.FilesDir)
	}

	// Before any network: a mistake in the words is the file's, found at start.
	speech, err := cfg.File.Voice()
	if err != nil {
		return fmt.Errorf("the words for customers (CAREDESK_CONFIG): %w", err)
	}
	// core is set below, before the board's Run, which alone announces.
	var core *bot.Bot
	board := health.New(health.Options{
		Announcer: health.AnnouncerFunc(func(ctx context.Context, text string) error { return core.Announce(ctx, text) }),
		Logger:    log.With("part", "health"),
		Memory:    boardMemory(db),
	})
	nets, err := connect(ctx, cfg, log, board, lateCore{&core})
	if err != nil {
		return err
	}
	defer nets.close()

	m := newMetrics(db)
	m.watch(board)
	m.watchLeadership(leading, db, name)
	// Every part of the core writes through store, so that the ticket
	// metrics hear of every first answer, breach and rating.
	store := newTicketMetrics(m.reg, db).observe(db)
	var teamNames []string // what /desk report --team and /export.csv?team= accept
	for _, t := range cfg.File.Teams {
		teamNames = append(teamNames, t.Name)
	}
	reports := &report.Service{Store: store, Calendar: cfg.File.Calendar, Sources: slices.Sorted(maps.Keys(nets.sources)),
		Teams: teamNames, DefaultTeam: cfg.File.DefaultTeam, Log: log.With("part", "report")}
	courier := bot.NewCourier(store, nets.desk, nets.sources,
		bot.CourierLogger(log.With("part", "outbox")),
		bot.CourierRetry(bot.Retry{Min: cfg.Retry.Min, Max: cfg.Retry.Max, GiveUpAfter: cfg.Retry.GiveUpAfter}),
		bot.CourierObserver(m.delivered), bot.CourierReporter(reports),
		bot.CourierSpeech(bot.Speech{Voice: speech, Zone: cfg.File.Calendar.Location, Sign: cfg.File.Customer.Sign}),
		bot.CourierFiles(blobs, cfg.File.Files),
		bot.CourierHolder(name))
	reports.Wake = courier.Wake
	policy := bot.DefaultPolicy()
	policy.SLA = cfg.File.SLAFor
	policy.Calendar = cfg.File.Calendar
	policy.Rota = cfg.File.Rota
	policy.Escalation = cfg.File.Escalation
	policy.Teams, policy.DefaultTeam, policy.Route = teams(cfg.File), cfg.File.DefaultTeam, cfg.File.Router()
	policy.HighReach = cfg.File.HighReach
	policy.ReopenWindow = cfg.ReopenWindow
	policy.Rating = cfg.File.Rating
	policy.Digest = cfg.File.Digest
	policy.Customer = cfg.File.Customer
	policy.Customer.Voice = speech
	if _, ok := nets.desk.(bot.Digester); ok {
		policy.Storm = cfg.File.Storm // a desk that cannot list many tickets in one post has no storm mode
	}
	core = bot.New(store, bot.WithWake(courier.Wake), bot.WithPolicy(policy), bot.WithLogger(log))
	hear := newHearing(db, board, log.With("part", "health"))
	inbound := m.counting(core, hear.heard)
	runner := handlers.Runner{Actor: core, Reports: reports, Log: log}
	var spikes *spike.Watch
	if !cfg.File.Spikes.Off {
		spikes = &spike.Watch{Store: store, Alerter: core, Policy: cfg.File.Spikes.Policy, Ping: cfg.File.Spikes.Ping,
			HighReach: cfg.File.HighReach, Location: cfg.File.Calendar.Location, Now: time.Now, Log: log.With("part", "spike")}
		runner.Spikes = spikes
	}

	var ready atomic.Bool
	board.Probe("caredesk", func(context.Context) error {
		if !ready.Load() {
			return errors.New("caredesk is starting or stopping")
		}
		return nil
	})
	board.Probe("store", db.Writable)
	board.Note("role", func() string { return roleLine(leading) })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "alive") })
	mux.Handle("GET /readyz", board.Handler())
	mux.Handle("GET /healthz", board.Handler()) // readiness, under its old name
	// Metrics tell a stranger how busy the desk is and which networks it
	// uses: CAREDESK_METRICS_ADDR keeps them off the public address.
	var metricsSrv *http.Server
	var metricsLn net.Listener
	if cfg.MetricsAddr == "" {
		mux.Handle("GET /metrics", m.handler())
	} else {
		metricsMux := http.NewServeMux()
		metricsMux.Handle("GET /metrics", m.handler())
		metricsSrv = httpServer(metricsMux)
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("listen on CAREDESK_METRICS_ADDR=%s: %w", cfg.MetricsAddr, err)
		}
		defer metricsLn.Close() // when the main listener fails; Shutdown closes it otherwise
	}
	// One budget for the memory of every body read from the internet.
	bodies := bodybudget.New(bodybudget.Limits{PerSender: bodybudget.DefaultPerSender})
	if nets.slack != nil && !cfg.Slack.SocketMode() {
		mux.Handle("/slack/events", nets.slack.Handler(runner, slack.HTTPOptions{Bodies: bodies, Counter: m.at("/slack/events")}))
	}
	if nets.telegram != nil && cfg.Telegram.WebhookURL != "" {
		mux.Handle("/telegram/webhook", nets.telegram.WebhookHandler(inbound, telegram.WebhookOptions{Bodies: bodies, Counter: m.at("/telegram/webhook")}))
	}
	mux.Handle("GET /rota.ics", rotaFeed(core, cfg, log))
	mux.Handle("GET /export.csv", exportFeed(reports, cfg.ExportToken))
	if len(nets.hooks) > 0 {
		mux.Handle("/hooks/", webhook.Handler(webhook.Options{
			Sources: nets.hooks, Receiver: inbound, Reporter: core, Rater: core, Counter: m, Bodies: bodies, Logger: log.With("network", "webhook"),
		}))
		// The owner's files, as signed links the bridges download.
		mux.Handle("/files/", webhook.Files(webhook.FilesOptions{Sources: nets.hooks, Store: db, Blobs: blobs, Log: log.With("network", "webhook")}))
	}
	srv := httpServer(mux)
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return fmt.Errorf("listen on CAREDESK_ADDR=%s: %w", cfg.Addr, err)
		}
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	goRun := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				cancel(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	goRun("http", func() error { return srv.Serve(ln) })
	if metricsSrv != nil {
		goRun("metrics", func() error { return metricsSrv.Serve(metricsLn) })
	}
	goRun("outbox", func() error { return courier.Run(ctx) })
	if nets.telegram != nil && cfg.Telegram.WebhookURL != "" {
		// Every replica sets the same webhook: Telegram keeps one.
		if err := nets.telegram.SetWebhook(ctx); err != nil {
			cancel(err)
		}
	}
	if nets.slack != nil && cfg.Slack.SocketMode() {
		// Every replica opens its own: Slack gives each event to one of
		// an app's connections (up to 10), so none is handled twice.
		goRun("slack", func() error { return nets.slack.RunSocketMode(ctx, runner) })
	}
	// Alone on its database, caredesk always leads: its parts say what
	// its own connections do, from the start.
	alone := leading.Status().Alone
	if !alone {
		nets.follow()
	}
	goRun("leader", func() error {
		return leading.Run(ctx, func(ctx context.Context) error {
			if !alone {
				defer nets.follow()
			}
			return lead(ctx, cfg, nets, board, inbound, runner, spikes, alone, log)
		})
	})
	if hear.store != nil {
		goRun("hearing", func() error { hear.run(ctx); return nil })
	}
	goRun("forget", func() error { forgetSeen(ctx, db, log); return nil })
	goRun("files", func() error { sweepFiles(ctx, courier, log); return nil })
	goRun("scheduler", func() error { schedule(ctx, core, cfg.Tick, log); return nil })

	ready.Store(true)
	serving = true
	log.Info("caredesk is serving", "replica", name, "addr", ln.Addr().String(), "desk", nets.deskName(cfg), "telegram", telegramMode(cfg),
		"discord_source", cfg.Discord.Source(), "webhook_sources", len(nets.hooks), "listeners", len(nets.listeners), "db", config.Redacted(cfg.DB))

	<-ctx.Done()
	ready.Store(false)
	log.Info("caredesk is stopping")
	shutdown, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	if metricsSrv != nil {
		if err := metricsSrv.Shutdown(shutdown); err != nil {
			log.Warn("metrics http shutdown", "err", err)
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// lead runs what only the leading replica does, until ctx ends: it
// receives Telegram's long poll and the Discord gateway, which a bot may
// hold once, and announces sources' changes in the desk channel, which
// one replica says once. Under an elected leader, ctx carries the term,
// and the store refuses what is received once the term is lost. alone
// says caredesk is the only one on its database.
func lead(ctx context.Context, cfg config.Config, nets *networks, board *health.Board, inbound telegram.Receiver, runner handlers.Runner, spikes *spike.Watch, alone bool, log *slog.Logger) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	goRun := func(f func() error) {
		wg.Go(func() {
			if err := f(); err != nil {
				cancel(err)
			}
		})
	}
	goRun(func() error { board.Run(ctx); return nil })
	if spikes != nil {
		// Six scheduler ticks: a minute by default. A surge is a matter of
		// minutes; reading the store more often would buy nothing.
		goRun(func() error { spikes.Run(ctx, spikeEvery*cfg.Tick); return nil })
	}
	if nets.telegram != nil && cfg.Telegram.WebhookURL == "" {
		goRun(func() error { return nets.telegram.Poll(ctx, inbound) })
	}
	for _, l := range nets.listeners {
		goRun(func() error { return l.run(ctx, inbound) })
	}
	if nets.discord != nil {
		deskRunner, communities := handlers.Runner{}, discord.Receiver(nil)
		if cfg.Discord.Desk() {
			deskRunner = runner
		}
		if cfg.Discord.Source() {
			communities = inbound
		}
		goRun(func() error {
			for {
				err := nets.discord.Run(ctx, deskRunner, communities)
				// Alone, a refusal that needs a person stops caredesk at
				// start with its sentence. Among replicas it must not: the
				// next leader would meet it too, and stop in turn, taking
				// every replica's HTTP down one after another. The leader
				// says it, is not ready, and tries again.
				if err == nil || alone || ctx.Err() != nil {
					return err
				}
				log.Error("Discord refused the gateway; this replica tries again in a minute, and serves the rest meanwhile", "err", err)
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Minute):
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// httpServer serves h with the limits every listener of caredesk's needs.
// ReadTimeout keeps a slow sender from holding a connection open; 30 s is
// ample for a 1 MiB webhook body, and the bodies budget cuts a body off
// sooner. Headers are small from every network: 16 KiB each keeps
// thousands of half-sent headers from taking a mebibyte apiece.
func httpServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10}
}

func telegramMode(cfg config.Config) string {
	switch {
	case !cfg.HasTelegram():
		return "off"
	case cfg.Telegram.WebhookURL != "":
		return "webhook"
	}
	return "long polling"
}

// schedule ticks the core's scheduler until ctx ends. Timers live in the
// store, so a tick missed while caredesk was down fires on the next one.
func schedule(ctx context.Context, core *bot.Bot, every time.Duration, log *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	// A full disk fails every tick; say so once a minute, not every tick.
	quiet := quietlog.New(log, time.Minute)
	for {
		if n, err := core.Tick(ctx); err != nil && ctx.Err() == nil {
			quiet.Log(slog.LevelError, "tick", "scheduler tick failed; the next one tries again", "err", err)
		} else if n > 0 {
			log.Debug("scheduler fired timers", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// rotaFeed serves the rota as an iCalendar feed at /rota.ics?token=…, so
// people can subscribe in their calendar apps (which cannot send headers).
func rotaFeed(core *bot.Bot, cfg config.Config, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.ICSToken == "" {
			http.Error(w, "The rota feed is off: set CAREDESK_ICS_TOKEN to turn it on.", http.StatusNotFound)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(cfg.ICSToken)) != 1 {
			http.Error(w, "Add ?token= with the value of CAREDESK_ICS_TOKEN to the address.", http.StatusUnauthorized)
			return
		}
		shifts, err := core.Shifts(r.Context(), r.URL.Query().Get("team"), 60*24*time.Hour)
		if msg := bot.ErrorMessage(err); msg != "" {
			http.Error(w, msg+" Leave team= out for the default team's rota.", http.StatusNotFound)
			return
		}
		if err != nil {
			log.Error("rota feed", "err", err)
			http.Error(w, "The rota could not be read; try again in a minute.", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		name := "caredesk on call"
		if team := r.URL.Query().Get("team"); team != "" {
			name += ": " + team
		}
		_, _ = w.Write(ics.Feed(name, shifts, cfg.File.People, time.Now()))
	})
}

// exportFeed serves the tickets as CSV for BI tools, when
// CAREDESK_EXPORT_TOKEN turns it on.
func exportFeed(reports *report.Service, token string) http.Handler {
	if token == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "The export is off: set CAREDESK_EXPORT_TOKEN to turn it on.", http.StatusNotFound)
		})
	}
	return reports.ExportHandler(token)
}

// keptFile reports whether the file store's key is a file the database
// says is kept.
func keptFile(ctx context.Context, db database, key string) (bool, error) {
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return false, nil
	}
	var a bot.Attachment
	err = db.View(ctx, func(tx bot.Tx) (err error) {
		a, err = tx.Attachment(id)
		return err
	})
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return false, nil
	}
	return a.Stored, err
}

// sweepFiles removes, every hour, the bytes of files kept past their
// retention after delivery.
func sweepFiles(ctx context.Context, courier *bot.Courier, log *slog.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		total := 0
		for {
			n, err := courier.SweepFiles(ctx, 500)
			total += n
			if err != nil && ctx.Err() == nil {
				log.Warn("remove files past their retention", "err", err)
			}
			if err != nil || n < 500 {
				break
			}
		}
		if total > 0 {
			log.Info("removed files past their retention", "count", total)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// forgetSeen prunes the ids of network events older than a month once a
// day: networks redeliver within minutes or days, never after weeks.
func forgetSeen(ctx context.Context, db database, log *slog.Logger) {
	tick := time.NewTicker(24 * time.Hour)
	defer tick.Stop()
	for {
		if n, err := db.ForgetSeen(ctx, time.Now().Add(-30*24*time.Hour)); err != nil && ctx.Err() == nil {
			log.Warn("forget old event ids", "err", err)
		} else if n > 0 {
			log.Info("forgot old event ids", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// spikeEvery is how many scheduler ticks pass between two readings of the
// spike watch.
const spikeEvery = 6
