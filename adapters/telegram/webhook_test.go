package telegram_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"caredesk/adapters/telegram"
	"caredesk/bot"
)

func TestWebhookHandlerAcknowledgesOnlyWhatIsStored(t *testing.T) {
	s := startSim(t)
	c, logs := newClient(t, s, telegram.Options{WebhookURL: "https://caredesk.test/telegram/webhook", WebhookSecret: secret})
	update, _ := json.Marshal(map[string]any{"update_id": 900, "message": message(3, map[string]any{"text": "refund please"})})

	tests := []struct {
		name     string
		method   string
		secret   string // "" sends no header
		body     string
		failWith error
		code     int
		stored   int
	}{
		{"missing secret", http.MethodPost, "", string(update), nil, http.StatusUnauthorized, 0},
		{"wrong secret", http.MethodPost, "guess", string(update), nil, http.StatusUnauthorized, 0},
		{"wrong secret of the right length", http.MethodPost, strings.Repeat("x", len(secret)), string(update), nil, http.StatusUnauthorized, 0},
		{"GET", http.MethodGet, secret, "", nil, http.StatusMethodNotAllowed, 0},
		{"malformed JSON", http.MethodPost, secret, `{"update_id": 900, "message": `, nil, http.StatusBadRequest, 0},
		{"body too large", http.MethodPost, secret, `{"update_id": 900, "x": "` + strings.Repeat("a", 2<<20) + `"}`, nil, http.StatusRequestEntityTooLarge, 0},
		{"store fails", http.MethodPost, secret, string(update), errStore, http.StatusInternalServerError, 0},
		{"core refuses for good", http.MethodPost, secret, string(update), bot.Errorf(bot.EINVALID, "no"), http.StatusOK, 0},
		{"stored", http.MethodPost, secret, string(update), nil, http.StatusOK, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder()
			if tc.failWith != nil {
				rec.failOnce("900", tc.failWith)
			}
			req := httptest.NewRequest(tc.method, "/telegram/webhook", strings.NewReader(tc.body))
			if tc.secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", tc.secret)
			}
			w := httptest.NewRecorder()
			c.WebhookHandler(rec, telegram.WebhookOptions{}).ServeHTTP(w, req)
			if w.Code != tc.code {
				t.Errorf("status %d, want %d (%s)", w.Code, tc.code, w.Body)
			}
			if got := rec.got(); len(got) != tc.stored {
				t.Errorf("stored %d, want %d", len(got), tc.stored)
			}
			if (tc.code == http.StatusUnauthorized || tc.code == http.StatusMethodNotAllowed) && rec.tries("900") != 0 {
				t.Errorf("Receive was called for a rejected request")
			}
		})
	}
	if !strings.Contains(logs.String(), "Telegram will push it again") {
		t.Errorf("a failed store is not logged:\n%s", logs)
	}
}

func TestSimulatorPushesToTheWebhookUntilStored(t *testing.T) {
	s := startSim(t)
	rec := newRecorder()
	// The client needs the webhook's URL, the server the client's handler:
	// the listener exists before the server starts.
	srv := httptest.NewUnstartedServer(nil)
	hookURL := "http://" + srv.Listener.Addr().String() + "/telegram/webhook"
	c, _ := newClient(t, s, telegram.Options{WebhookURL: hookURL, WebhookSecret: secret})
	mux := http.NewServeMux()
	mux.Handle("POST /telegram/webhook", c.WebhookHandler(rec, telegram.WebhookOptions{}))
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)

	if err := c.SetWebhook(testContext(t)); err != nil {
		t.Fatalf("SetWebhook: %v", err)
	}
	if s.WebhookURL() != hookURL {
		t.Fatalf("webhook at the simulator = %q", s.WebhookURL())
	}
	rec.failOnce("", errStore) // Telegram gets a 500 and pushes again
	first := s.CustomerWrites(42, jane, "my order never came")
	second := s.CustomerWrites(42, jane, "order 1234")

	got := rec.waitStored(t, 2)
	if got[0].EventID != itoa(first) || got[1].EventID != itoa(second) || got[0].Text != "my order never came" {
		t.Errorf("stored %+v, want updates %d then %d", got, first, second)
	}
	if rec.tries(itoa(first)) != 2 {
		t.Errorf("first update tried %d times, want 2 (a 500, then stored)", rec.tries(itoa(first)))
	}
	waitSim(t, s, "both updates confirmed", func() bool { return s.Pending() == 0 })
}

func TestSetWebhookExplainsARefusal(t *testing.T) {
	s := startSim(t)
	c, _ := newClient(t, s, telegram.Options{WebhookURL: "https://caredesk.test/telegram/webhook", WebhookSecret: secret})
	s.FailNext("setWebhook", 1, 400, 0)
	err := c.SetWebhook(testContext(t))
	if err == nil || !strings.Contains(err.Error(), "TELEGRAM_WEBHOOK_URL") {
		t.Errorf("SetWebhook = %v, want advice about TELEGRAM_WEBHOOK_URL", err)
	}
	assertNoToken(t, err)
}
