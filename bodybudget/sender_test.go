package bodybudget

import (
	"net/http"
	"testing"
)

func TestSender(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"203.0.113.7:51234", "203.0.113.7"},
		{"203.0.113.7:4000", "203.0.113.7"}, // a new port is the same sender
		{"[2001:db8:1:2:aaaa::1]:443", "2001:db8:1:2::"},
		{"[2001:db8:1:2:bbbb::9]:443", "2001:db8:1:2::"}, // the same /64
		{"[2001:db8:1:3::1]:443", "2001:db8:1:3::"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		if got := sender(RemoteHost(&http.Request{RemoteAddr: tt.remote})); got != tt.want {
			t.Errorf("sender of %q = %q, want %q", tt.remote, got, tt.want)
		}
	}
}
