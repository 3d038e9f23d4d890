// Package bodybudget bounds the memory that request bodies hold while they
// are read. Every endpoint that takes a body from the internet
// (/slack/events, /hooks/{name}, /telegram/webhook) reads it through one
// shared Budget, after the request's headers were checked: a limit on how
// many bodies are read at once and on how many bytes they may hold
// together. A request past either limit is refused at once, without its
// body being read, so that thousands of slow or withheld bodies cost a
// fixed amount of memory instead of a mebibyte each.
package bodybudget

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The defaults of Limits. Slack's and Telegram's requests are a few KiB
// and a bridge's complaint is rarely over 200 KiB, so 64 reads and 16 MiB
// leave ample room for real traffic while holding an attack's memory to a
// few tens of MiB. A body gets 10 s to arrive: Slack gives up on a
// request after 3 s, and 1 MiB takes under 10 s even at 1 Mbit/s.
//
// DefaultPerSender keeps one sender to a quarter of that: whoever can send
// well-formed headers (no secret is needed to pass a header check) could
// otherwise hold the whole budget with 16 slow bodies and turn every real
// request away.
const (
	DefaultReads     = 64
	DefaultBytes     = 16 << 20
	DefaultTimeout   = 10 * time.Second
	DefaultPerSender = DefaultReads / 4
)

// RetryAfter is what a sender refused for lack of budget is told to wait:
// by then the bodies in flight have arrived or timed out.
const RetryAfter = 5 * time.Second

// ErrBusy is returned by Read when the budget is used up. The body was not
// read; answer 503 after RetryLater.
var ErrBusy = errors.New("too many requests are being read just now; send this one again in a few seconds")

// Limits configure a Budget. A zero field takes its default.
type Limits struct {
	Reads   int           // bodies read at once; DefaultReads
	Bytes   int64         // bytes those bodies may hold together; DefaultBytes
	Timeout time.Duration // how long one body may take to arrive; DefaultTimeout
	// PerSender is how many of the Reads one sender (a remote address; an
	// IPv6 /64) may have at once, and its share of Bytes is as large;
	// 0 sets no limit of its own.
	PerSender int
}

// Budget is the memory shared by the bodies being read. It is safe for
// concurrent use. A nil *Budget bounds nothing but each body's own limit.
type Budget struct {
	limits Limits

	mu      sync.Mutex
	reads   int   // bodies being read
	bytes   int64 // bytes reserved for them
	senders map[string]share
}

// share is what one sender has reserved.
type share struct {
	reads int
	bytes int64
}

// New returns a Budget with limits l.
func New(l Limits) *Budget {
	if l.Reads <= 0 {
		l.Reads = DefaultReads
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultBytes
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return &Budget{limits: l, senders: map[string]share{}}
}

// InFlight returns how many bodies are being read and the bytes reserved
// for them.
func (b *Budget) InFlight() (reads int, bytes int64) {
	if b == nil {
		return 0, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reads, b.bytes
}

// Read reads req's body, at most limit bytes, under the budget. It
// reserves the body's declared length (limit when the length is not
// declared) before reading a byte, and frees it when it returns, so that
// the memory it counts is the memory the bodies can take. Call it only
// after the request's headers passed every check that does not need the
// body: whatever is refused on its headers costs no budget.
//
// Errors: ErrBusy when the budget is used up (nothing was read); an
// *http.MaxBytesError when the body is, or says it is, over limit; any
// other error when the body did not arrive in full within the timeout.
func (b *Budget) Read(w http.ResponseWriter, req *http.Request, limit int64) ([]byte, error) {
	if req.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	size := limit
	if req.ContentLength >= 0 {
		size = req.ContentLength
	}
	who := sender(RemoteHost(req))
	if !b.reserve(who, size) {
		return nil, ErrBusy
	}
	defer b.release(who, size)
	if b != nil {
		// A sender that withholds its last byte holds its reservation
		// only this long, not the server's whole ReadTimeout. Recorders
		// in tests cannot set deadlines; there is nothing to hold then.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(b.limits.Timeout))
	}
	start := size
	if req.ContentLength < 0 {
		// An undeclared length may be far below the limit: grow as it comes.
		start = min(size, 64<<10)
	}
	return readAll(http.MaxBytesReader(w, req.Body, limit), start)
}

// reserve takes one read and size bytes from the budget, and from who's
// share of it, if both are left.
func (b *Budget) reserve(who string, size int64) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.reads >= b.limits.Reads || b.bytes+size > b.limits.Bytes {
		return false
	}
	mine := b.senders[who]
	if n := b.limits.PerSender; n > 0 && (mine.reads >= n || mine.bytes+size > b.limits.Bytes*int64(n)/int64(b.limits.Reads)) {
		return false
	}
	b.reads++
	b.bytes += size
	b.senders[who] = share{reads: mine.reads + 1, bytes: mine.bytes + size}
	return true
}

func (b *Budget) release(who string, size int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reads--
	b.bytes -= size
	if mine := b.senders[who]; mine.reads > 1 {
		b.senders[who] = share{reads: mine.reads - 1, bytes: mine.bytes - size}
	} else {
		delete(b.senders, who)
	}
}

// RemoteHost is the address req came from, without its port: the port
// changes with every connection, the sender does not. The endpoints key
// their log of refusals by it, as the budget keys its shares.
func RemoteHost(req *http.Request) string {
	if host, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
		return host
	}
	return req.RemoteAddr
}

// sender names who sent a request from its host: the host, and for IPv6
// its /64, which one machine usually has whole.
func sender(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String()
	}
	return host
}

// readAll reads r to its end into a buffer of capacity size+1, so that a
// body of declared length takes the memory it was counted for and not the
// doubling of a growing buffer. The spare byte lets it see the end without
// growing.
func readAll(r io.Reader, size int64) ([]byte, error) {
	buf := make([]byte, 0, size+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// RetryLater prepares the answer to a request refused with ErrBusy, which
// the caller then writes with status 503: Retry-After, and the connection
// closed (see Close).
func RetryLater(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter/time.Second)))
	Close(w)
}

// Close marks the connection of a request whose body is left unread to be
// closed after the answer. Otherwise Go's server reads up to 256 KiB of it
// after the handler returned, waiting for bytes a hostile sender withholds.
func Close(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
}
