package webhook_test

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/webhook"
)

// TestSignMatchesOpenSSL pins the scheme to an answer computed outside Go,
// with the command docs/webhooks.md tells bridge builders to use:
//
//	printf '%s' '1700000000.{"id":"tw-1",…}' | openssl dgst -sha256 -hmac whsec_0123456789abcdef
//
// The simulator signs with the same code as the adapter, so without this
// a mistake in Sign would pass every other test.
func TestSignMatchesOpenSSL(t *testing.T) {
	body := []byte(`{"id":"tw-1","author":{"id":"u1"},"text":"my order never came"}`)
	got := webhook.Sign("whsec_0123456789abcdef", time.Unix(1700000000, 0), body)
	want := "v1=9fff98148bbcde0a00e9273e94f9b03ea9170d28b5fe7230348303b46dbe297c"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	h := http.Header{}
	webhook.SetSignature(h, "whsec_0123456789abcdef", time.Unix(1700000000, 0), body)
	if h.Get(webhook.TimestampHeader) != "1700000000" || h.Get(webhook.SignatureHeader) != want {
		t.Errorf("SetSignature set %v", h)
	}
}

func TestVerify(t *testing.T) {
	const secret, old = "whsec_new_0123456789abcdef", "whsec_old_0123456789abcdef"
	body := []byte(`{"id":"1","author":{"id":"u"},"text":"hi"}`)
	now := start
	signed := func(secret string, at time.Time, body []byte) http.Header {
		h := http.Header{}
		webhook.SetSignature(h, secret, at, body)
		return h
	}
	with := func(h http.Header, key string, values ...string) http.Header {
		h = h.Clone()
		h.Del(key)
		for _, v := range values {
			h.Add(key, v)
		}
		return h
	}
	good := signed(secret, now, body)
	ts := good.Get(webhook.TimestampHeader)
	sig := good.Get(webhook.SignatureHeader)
	oldSig := webhook.Sign(old, now, body)

	tests := []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		want   error  // nil, or what the error wraps
		blames string // a part of the message: the header at fault
	}{
		{"valid", secret, good, body, nil, ""},
		{"signed 5 minutes ago", secret, signed(secret, now.Add(-webhook.Tolerance), body), body, nil, ""},
		{"signed 5 minutes ahead", secret, signed(secret, now.Add(webhook.Tolerance), body), body, nil, ""},
		{"old and new secret, new matches", secret, with(good, webhook.SignatureHeader, oldSig+","+sig), body, nil, ""},
		{"old and new secret, old matches", old, with(good, webhook.SignatureHeader, oldSig+", "+sig), body, nil, ""},
		{"values in two header lines", secret, with(good, webhook.SignatureHeader, oldSig, sig), body, nil, ""},
		{"an unknown scheme beside v1", secret, with(good, webhook.SignatureHeader, "v0=abc,"+sig), body, nil, ""},
		{"wrong secret", secret, signed("whsec_guess_0123456789abc", now, body), body, webhook.ErrBadSignature, webhook.SignatureHeader},
		{"tampered body", secret, good, []byte(`{"id":"1","author":{"id":"u"},"text":"HI"}`), webhook.ErrBadSignature, webhook.SignatureHeader},
		{"timestamp changed after signing", secret, with(good, webhook.TimestampHeader, strconv.FormatInt(now.Unix()+1, 10)), body, webhook.ErrBadSignature, webhook.SignatureHeader},
		{"stale", secret, signed(secret, now.Add(-webhook.Tolerance-time.Second), body), body, webhook.ErrStale, webhook.TimestampHeader},
		{"from the future", secret, signed(secret, now.Add(webhook.Tolerance+time.Second), body), body, webhook.ErrStale, webhook.TimestampHeader},
		{"no timestamp", secret, with(good, webhook.TimestampHeader), body, webhook.ErrUnsigned, webhook.TimestampHeader},
		{"timestamp in milliseconds", secret, with(good, webhook.TimestampHeader, ts+"000"), body, webhook.ErrStale, webhook.TimestampHeader},
		{"timestamp with a sign", secret, with(good, webhook.TimestampHeader, "+"+ts), body, webhook.ErrUnsigned, webhook.TimestampHeader},
		{"timestamp as a date", secret, with(good, webhook.TimestampHeader, now.Format(time.RFC3339)), body, webhook.ErrUnsigned, webhook.TimestampHeader},
		{"no signature", secret, with(good, webhook.SignatureHeader), body, webhook.ErrUnsigned, webhook.SignatureHeader},
		{"signature without v1=", secret, with(good, webhook.SignatureHeader, strings.TrimPrefix(sig, "v1=")), body, webhook.ErrUnsigned, webhook.SignatureHeader},
		{"signature not hex", secret, with(good, webhook.SignatureHeader, "v1=zz"), body, webhook.ErrBadSignature, webhook.SignatureHeader},
		{"signature in upper case hex", secret, with(good, webhook.SignatureHeader, "v1="+strings.ToUpper(strings.TrimPrefix(sig, "v1="))), body, nil, ""},
		{"no secret configured", "", signed("", now, body), body, webhook.ErrBadSignature, "no secret configured"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := webhook.Verify(tc.secret, tc.header, tc.body, now)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want an error wrapping %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.blames) {
				t.Errorf("Verify: %q does not say %q", err, tc.blames)
			}
			for _, leak := range []string{tc.secret, strings.TrimPrefix(webhook.Sign(tc.secret, now, tc.body), "v1=")} {
				if leak != "" && strings.Contains(err.Error(), leak) {
					t.Errorf("Verify's error shows a secret or the right signature: %v", err)
				}
			}
		})
	}
}

// A bridge signs the exact bytes it sends, with the current time.
func ExampleSign() {
	body := []byte(`{"id":"tw-1","author":{"id":"u1"},"text":"my order never came"}`)
	fmt.Println(webhook.Sign("whsec_0123456789abcdef", time.Unix(1700000000, 0), body))
	// Output: v1=9fff98148bbcde0a00e9273e94f9b03ea9170d28b5fe7230348303b46dbe297c
}
