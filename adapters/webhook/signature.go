package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a signed request, in both directions.
const (
	TimestampHeader = "X-Caredesk-Timestamp" // Unix seconds when the request was signed
	SignatureHeader = "X-Caredesk-Signature" // "v1=" and the hex HMAC-SHA256; several separated by commas
)

// Tolerance is how far a signed timestamp may be from the receiver's clock,
// either way. A captured request can be replayed only within this window;
// five minutes, as Stripe and Slack allow, absorbs clocks that drift and
// bridges that queue a request for a moment.
const Tolerance = 5 * time.Minute

// The ways a signature is not accepted. Verify's errors wrap one of them.
var (
	ErrUnsigned     = errors.New("the request is not signed")
	ErrStale        = errors.New("the signature's timestamp is too old or in the future")
	ErrBadSignature = errors.New("the signature does not match")
)

// Sign returns the X-Caredesk-Signature value of body signed at ts:
// "v1=" followed by the hex HMAC-SHA256, keyed with secret, of the Unix
// seconds of ts in decimal, a dot, and the body exactly as sent.
func Sign(secret string, ts time.Time, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(ts.Unix(), 10), body))
}

// SetSignature sets both signature headers of a request that sends body.
func SetSignature(h http.Header, secret string, ts time.Time, body []byte) {
	h.Set(TimestampHeader, strconv.FormatInt(ts.Unix(), 10))
	h.Set(SignatureHeader, Sign(secret, ts, body))
}

// mac is the HMAC-SHA256 of "<timestamp>.<body>". The timestamp is the
// header's text as sent, so that both sides sign the same bytes.
func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks the signature headers of a request whose body is body. It
// accepts the request when its timestamp is within Tolerance of now and one
// of the v1 values in X-Caredesk-Signature is body's signature with secret;
// more than one value lets a sender sign with an old and a new secret while
// a secret is being changed. Values of other schemes are ignored, so that a
// later scheme can be added beside v1. An empty secret accepts nothing.
//
// Errors wrap ErrUnsigned, ErrStale or ErrBadSignature and say which header
// is at fault, never what the right signature would have been.
func Verify(secret string, header http.Header, body []byte, now time.Time) error {
	if err := CheckHeaders(header, now); err != nil {
		return err
	}
	if secret == "" {
		return &signatureError{SignatureHeader, fmt.Errorf("%w: the source has no secret configured, so nothing it is sent can be trusted", ErrBadSignature)}
	}
	want := mac(secret, header.Get(TimestampHeader), body)
	for _, g := range signatures(header.Values(SignatureHeader)) {
		if hmac.Equal(g, want) {
			return nil
		}
	}
	return &signatureError{SignatureHeader, errMismatch}
}

// errMismatch is the error of a signature that is not the body's.
var errMismatch = fmt.Errorf("%w: %s is not the HMAC-SHA256 of \"<timestamp>.<body>\" with this source's secret; check the secret, and sign the body byte for byte as sent", ErrBadSignature, SignatureHeader)

// CheckHeaders checks all of Verify that needs no body: the timestamp is
// there, a number, and within Tolerance of now, and some v1 signature has
// the length of one. A receiver calls it before reading a body, so that a
// request that cannot be signed right costs no memory. Its errors are
// Verify's.
func CheckHeaders(header http.Header, now time.Time) error {
	ts := header.Get(TimestampHeader)
	if ts == "" {
		return &signatureError{TimestampHeader, fmt.Errorf("%w: the %s header is missing; send the Unix time in seconds at which the request was signed", ErrUnsigned, TimestampHeader)}
	}
	sec, err := unixSeconds(ts)
	if err != nil {
		return &signatureError{TimestampHeader, fmt.Errorf("%w: %s must be the Unix time in whole seconds, like %d", ErrUnsigned, TimestampHeader, now.Unix())}
	}
	if skew := now.Sub(time.Unix(sec, 0)).Abs(); skew > Tolerance {
		return &signatureError{TimestampHeader, fmt.Errorf("%w: %s %s is %s away from the receiver's clock (%d); sign with the current time, at most %s apart, and check the sender's clock", ErrStale, TimestampHeader, ts, skew.Round(time.Second), now.Unix(), Tolerance)}
	}
	given := signatures(header.Values(SignatureHeader))
	if len(given) == 0 {
		return &signatureError{SignatureHeader, fmt.Errorf("%w: the %s header is missing or has no v1= value; send v1= and the hex HMAC-SHA256 of \"<timestamp>.<body>\" keyed with the source's secret", ErrUnsigned, SignatureHeader)}
	}
	for _, g := range given {
		if len(g) == sha256.Size {
			return nil
		}
	}
	return &signatureError{SignatureHeader, errMismatch}
}

// unixSeconds parses a timestamp header: decimal digits only, so that the
// text signed and the number checked cannot differ ("+1700000000").
func unixSeconds(ts string) (int64, error) {
	if len(ts) > 18 || strings.TrimLeft(ts, "0123456789") != "" {
		return 0, errors.New("not a number of seconds")
	}
	return strconv.ParseInt(ts, 10, 64)
}

// signatures returns the decoded v1 values of the signature headers. A
// value that is not hex is kept as it is, so that it fails the comparison
// like any other wrong signature.
func signatures(values []string) [][]byte {
	var out [][]byte
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			scheme, sig, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || scheme != "v1" {
				continue
			}
			b, err := hex.DecodeString(strings.TrimSpace(sig))
			if err != nil {
				b = []byte(sig)
			}
			out = append(out, b)
		}
	}
	return out
}

// signatureError is a failed Verify, with the header to blame.
type signatureError struct {
	header string
	err    error
}

func (e *signatureError) Error() string { return e.err.Error() }
func (e *signatureError) Unwrap() error { return e.err }

// headerAt returns the header a Verify error blames, "" for other errors.
func headerAt(err error) string {
	var se *signatureError
	if errors.As(err, &se) {
		return se.header
	}
	return ""
}
