package storetest

import (
	"testing"
	"time"

	"caredesk/bot"
)

// testLeases follows one destination's lease through the hands of two
// couriers, a and b, each step against the state the steps before left.
func testLeases(t *testing.T, s bot.Store) {
	const dest = "desk"
	lease := 30 * time.Second
	steps := []struct {
		name      string
		release   bool // ReleaseDestination instead of LeaseDestination
		renew     bool // RenewDestination instead of LeaseDestination
		aside     bool // of another destination, which a's lease leaves free
		holder    string
		now       time.Duration // after t0
		until     time.Duration // after t0
		want      bool
		wantOwner string // who may renew afterwards (checked by a probe at now)
	}{
		{name: "take a free destination", holder: "a", now: 0, until: lease, want: true, wantOwner: "a"},
		{name: "renew by the holder", holder: "a", now: 10 * time.Second, until: 10*time.Second + lease, want: true, wantOwner: "a"},
		{name: "renewed by the holder during a delivery", renew: true, holder: "a", now: 10 * time.Second, until: 10*time.Second + lease, want: true, wantOwner: "a"},
		{name: "not renewed for another", renew: true, holder: "b", now: 10 * time.Second, until: 10*time.Second + lease, want: false, wantOwner: "a"},
		{name: "refused to another while valid", holder: "b", now: 39 * time.Second, until: 69 * time.Second, want: false, wantOwner: "a"},
		{name: "another destination is free", aside: true, holder: "b", now: 39 * time.Second, until: 69 * time.Second, want: true},
		{name: "release by a non-holder changes nothing", release: true, holder: "b", now: 39 * time.Second, wantOwner: "a"},
		{name: "taken over once it ran out", holder: "b", now: 40 * time.Second, until: 70 * time.Second, want: true, wantOwner: "b"},
		{name: "the old holder is refused", holder: "a", now: 41 * time.Second, until: 71 * time.Second, want: false, wantOwner: "b"},
		{name: "the old holder's renewal is refused", renew: true, holder: "a", now: 41 * time.Second, until: 71 * time.Second, want: false, wantOwner: "b"},
		{name: "release by the holder", release: true, holder: "b", now: 42 * time.Second},
		{name: "released twice is no error", release: true, holder: "b", now: 42 * time.Second},
		{name: "no renewal after the release", renew: true, holder: "b", now: 42 * time.Second, until: 72 * time.Second, want: false},
		{name: "free again at once", holder: "a", now: 42 * time.Second, until: 72 * time.Second, want: true, wantOwner: "a"},
	}
	for _, st := range steps {
		d := dest
		if st.aside {
			d = "desk:aside"
		}
		now := t0.Add(st.now)
		update(t, s, func(tx bot.Tx) error {
			if st.release {
				return tx.ReleaseDestination(d, st.holder)
			}
			if st.renew {
				ok, err := tx.RenewDestination(d, st.holder, t0.Add(st.until))
				if err == nil && ok != st.want {
					t.Errorf("%s: RenewDestination(%q, %q) = %v, want %v", st.name, d, st.holder, ok, st.want)
				}
				return err
			}
			ok, err := tx.LeaseDestination(d, st.holder, now, t0.Add(st.until))
			if err == nil && ok != st.want {
				t.Errorf("%s: LeaseDestination(%q, %q) = %v, want %v", st.name, d, st.holder, ok, st.want)
			}
			return err
		})
		if st.wantOwner == "" || d != dest {
			continue
		}
		// Whoever holds it is the one holder not refused: the other is
		// probed in a transaction that is rolled back, so it changes nothing.
		for _, probe := range []string{"a", "b"} {
			var ok bool
			err := s.Update(t.Context(), func(tx bot.Tx) (err error) {
				if ok, err = tx.LeaseDestination(dest, probe, now, now.Add(time.Second)); err != nil {
					return err
				}
				return errProbe
			})
			if err != errProbe {
				t.Fatalf("%s: probe for %q: %v", st.name, probe, err)
			}
			if want := probe == st.wantOwner; ok != want {
				t.Errorf("%s: %q may lease it: %v, want %v", st.name, probe, ok, want)
			}
		}
	}
}

// errProbe rolls back a transaction that only looked.
var errProbe = probeError("only a probe")

type probeError string

func (e probeError) Error() string { return string(e) }
