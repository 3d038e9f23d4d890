package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"syscall"
	"time"

	"caredesk/bot"
)

// FetchTimeout bounds one download of a complaint's attachment, the
// reading of its bytes included, so that a slow host cannot hold a
// delivery worker.
const FetchTimeout = 30 * time.Second

// maxRedirects is how many redirects a download follows: enough for a
// CDN's hop or two, each to a public address like the first.
const maxRedirects = 3

// photoExt are the extensions of files a complaint's link shows as a
// photo.
var photoExt = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true}

// attachmentFiles returns the complaint's attachment URLs as files for the
// core to fetch through src's Client (Fetch).
func attachmentFiles(src Source, urls []string) []bot.Attachment {
	var out []bot.Attachment
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil { // ParseComplaint parsed them; only a bug gets here
			continue
		}
		kind := bot.FileDocument
		if photoExt[strings.ToLower(path.Ext(u.Path))] {
			kind = bot.FilePhoto
		}
		name := "attachment"
		if base := path.Base(u.Path); base != "/" && base != "." {
			if n := fileName(base); n != "file" {
				name = n
			}
		}
		out = append(out, bot.Attachment{Kind: kind, Name: name, From: SourceName(src.Name), Origin: raw})
	}
	return out
}

// PublicAddr says whether ip is an address on the public internet, which
// Fetch may connect to: not loopback, private (10/8, 172.16/12,
// 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10), shared
// (100.64/10), multicast, unspecified or reserved for documentation and
// other special uses, nor an IPv4-mapped or -translated form of one.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range specialPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	if ip.Is6() {
		// An IPv4 address inside an IPv6 one reaches that IPv4 host.
		b := ip.As16()
		for _, p := range embedding {
			if p.Contains(ip) {
				return PublicAddr(netip.AddrFrom4([4]byte(b[p.Bits()/8 : p.Bits()/8+4])))
			}
		}
	}
	return true
}

// specialPrefixes are the ranges no public host lives in, beyond those
// netip knows: "this network", shared address space (carrier-grade NAT),
// IETF protocol assignments, documentation, benchmarking, reserved, and
// their IPv6 kin.
var specialPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"), // and the broadcast address
	netip.MustParsePrefix("::/96"),       // IPv4-compatible, deprecated
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("3fff::/20"),
}

// embedding are IPv6 ranges that carry an IPv4 address at the prefix's
// end: NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
var embedding = []netip.Prefix{
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2002::/16"),
}

// errNotPublic is why a download was not let connect.
var errNotPublic = errors.New("not a public internet address")

// refusedAddr is a connection the dialer refused, with the address.
type refusedAddr struct{ addr string }

func (e *refusedAddr) Error() string { return e.addr + " is " + errNotPublic.Error() }
func (e *refusedAddr) Unwrap() error { return errNotPublic }

// newFetcher returns the http.Client of Fetch: it connects only to
// addresses allow lets through, checked on the address actually dialled,
// after DNS, so that neither a name that resolves to an inner host nor a
// redirect to one reaches it; it follows at most maxRedirects redirects,
// to http(s) only; it uses no proxy, whose address would hide the
// target's.
func newFetcher(allow func(netip.Addr) bool) *http.Client {
	dialer := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !allow(ap.Addr()) {
				return &refusedAddr{addr: address}
			}
			return nil
		},
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
		MaxIdleConns:          8,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   FetchTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return bot.Permanent(fmt.Errorf("the address of the attachment redirects more than %d times", maxRedirects))
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return bot.Permanent(fmt.Errorf("the address of the attachment redirects to a %s: address, and caredesk fetches only http(s)", clip(req.URL.Scheme, 20)))
			}
			return nil
		},
	}
}

// Fetch downloads a complaint's attachment, a.Origin, for the courier,
// when the source has FetchAttachments. Only http(s) addresses of public
// hosts are fetched (see PublicAddr and ClientOptions.AllowAddr), through
// at most 3 redirects, within FetchTimeout. A 4xx, an address that is not
// public or a file over MaxFile is a bot.Permanent error, shown in the
// thread with the link; a 5xx or a network error is worth a retry. Errors
// show the attachment's host, never its path, which may hold a token.
func (c *Client) Fetch(ctx context.Context, a bot.Attachment) (io.ReadCloser, error) {
	u, err := url.Parse(a.Origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, bot.Permanent(errors.New("the attachment's address is not an http(s) URL, and caredesk fetches no other kind; open the link in the complaint instead"))
	}
	host := redactURL(a.Origin)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.Origin, nil)
	if err != nil {
		return nil, bot.Permanent(fmt.Errorf("the attachment's address %s is not usable; open the link in the complaint instead", host))
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.fetcher.Do(req)
	if err != nil {
		var refused *refusedAddr
		switch {
		case errors.As(err, &refused):
			return nil, bot.Permanent(fmt.Errorf("the attachment at %s leads to %s, which is %s, and caredesk fetches files from public addresses only; open the link in the complaint instead", host, refused.addr, errNotPublic))
		case bot.IsPermanent(err): // CheckRedirect's refusal, inside a url.Error that would print the URL
			var de *bot.DeliveryError
			errors.As(err, &de)
			return nil, bot.Permanent(fmt.Errorf("%s (%s); open the link in the complaint instead", de.Err, host))
		}
		return nil, fmt.Errorf("could not download the attachment at %s: %w; it will be tried again", host, c.unlinked(err))
	}
	code := resp.StatusCode
	switch {
	case code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout:
		resp.Body.Close()
		return nil, fmt.Errorf("%s answered %d for the attachment at %s; it will be tried again", c.src.network(), code, host)
	case code/100 != 2:
		resp.Body.Close()
		return nil, bot.Permanent(fmt.Errorf("%s answered %d for the attachment at %s: it is gone or not public; open the link in the complaint instead", c.src.network(), code, host))
	case resp.ContentLength > c.maxFile:
		resp.Body.Close()
		return nil, bot.Permanent(fmt.Errorf("the attachment at %s is %s, larger than the %s caredesk takes per file (files: max_file)", host, bot.Bytes(resp.ContentLength), bot.Bytes(c.maxFile)))
	}
	return resp.Body, nil
}
