package doctor_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"caredesk/doctor"
)

// TestRun checks the checklist's lines and what Run reports.
func TestRun(t *testing.T) {
	pass := func(context.Context) error { return nil }
	fail := func(context.Context) error {
		return errors.Join(errors.New("first thing: fix it"), errors.New("second thing: fix that."))
	}
	skip := func(context.Context) error { return doctor.Skip("it does not apply") }
	for _, tc := range []struct {
		name    string
		checks  []doctor.Check
		healthy bool
		want    string
	}{
		{"all ok", []doctor.Check{{"one", pass}, {"two", pass}}, true, "ok   one\nok   two\n"},
		{"a skip", []doctor.Check{{"one", pass}, {"two", skip}}, true, "ok   one\nskip two: it does not apply.\n"},
		{"a failure", []doctor.Check{{"one", fail}, {"two", pass}}, false, "FAIL one: first thing: fix it. second thing: fix that.\nok   two\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if got := doctor.Run(context.Background(), &out, tc.checks); got != tc.healthy {
				t.Errorf("Run = %v, want %v", got, tc.healthy)
			}
			if out.String() != tc.want {
				t.Errorf("the checklist is\n%s\nwant\n%s", out.String(), tc.want)
			}
		})
	}
}

// TestClock checks the clock against a network's Date, a minute either
// way allowed.
func TestClock(t *testing.T) {
	network := time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Date", network.Format(http.TimeFormat))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name string
		here time.Time
		want string // "" for ok
	}{
		{"the same", network.Add(400 * time.Millisecond), ""},
		{"a minute behind", network.Add(-time.Minute), ""},
		{"two minutes ahead", network.Add(2 * time.Minute), "FAIL the clock agrees with the networks' (within a minute): this machine's clock is 2m0s ahead of "},
		{"an hour behind", network.Add(-time.Hour), "FAIL the clock agrees with the networks' (within a minute): this machine's clock is 1h0m0s behind "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &doctor.Clock{Now: func() time.Time { return tc.here }}
			resp, err := clock.Client(time.Second).Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var out bytes.Buffer
			healthy := doctor.Run(context.Background(), &out, []doctor.Check{clock.Check()})
			if tc.want == "" {
				if !healthy || !strings.HasPrefix(out.String(), "ok   ") {
					t.Errorf("the checklist is %q, want ok", out.String())
				}
				return
			}
			if healthy || !strings.HasPrefix(out.String(), tc.want) || !strings.Contains(out.String(), "turn on time synchronisation") {
				t.Errorf("the checklist is %q, want it to start %q and say what to do", out.String(), tc.want)
			}
		})
	}
	t.Run("no answer", func(t *testing.T) {
		var out bytes.Buffer
		doctor.Run(context.Background(), &out, []doctor.Check{(&doctor.Clock{}).Check()})
		if want := "skip the clock agrees with the networks' (within a minute): no network answered with its time.\n"; out.String() != want {
			t.Errorf("the checklist is %q, want %q", out.String(), want)
		}
	})
}

// TestSlackScopesAreTheManifests checks that doctor asks for the scopes
// slack-app-manifest.yaml gives the app, no more and no fewer.
func TestSlackScopesAreTheManifests(t *testing.T) {
	b, err := os.ReadFile("../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	got, want := slices.Sorted(slices.Values(doctor.SlackScopes)), slices.Sorted(slices.Values(manifest.OAuth.Scopes.Bot))
	if !slices.Equal(got, want) {
		t.Errorf("doctor checks the scopes %v, the manifest asks for %v", got, want)
	}
}
