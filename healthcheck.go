package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"caredesk/config"
)

// healthcheckTimeout bounds `caredesk healthcheck`: /readyz answers from
// memory, so a caredesk that takes longer is not well.
const healthcheckTimeout = 5 * time.Second

// healthcheck is `caredesk healthcheck`: it asks the caredesk serving on
// CAREDESK_ADDR on this machine for /readyz and exits 0 when it answers
// 200, 1 otherwise, saying why in a sentence. The Docker image is
// distroless, with no curl, so its HEALTHCHECK runs this.
func healthcheck(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	addr, err := config.Addr(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "caredesk healthcheck: %s\n", err)
		return 1
	}
	target, err := readyzURL(addr)
	if err != nil {
		fmt.Fprintf(stderr, "caredesk healthcheck: %s.\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintf(stderr, "caredesk healthcheck: %s: %v.\n", target, err)
		return 1
	}
	// No proxy from the environment and no redirects: the question is for
	// this caredesk, and only it answers.
	client := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		if uerr := (*url.Error)(nil); errors.As(err, &uerr) {
			err = uerr.Err // the method and the URL are said already
		}
		fmt.Fprintf(stderr, "caredesk healthcheck: no answer from %s (%v): caredesk is not running, or not serving on CAREDESK_ADDR.\n", target, err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		fmt.Fprintf(stdout, "caredesk is ready: %s answered %s.\n", target, resp.Status)
		return 0
	}
	why := notReady(io.LimitReader(resp.Body, 64<<10))
	if why == "" {
		why = "it gave no reason"
	}
	if !strings.HasSuffix(why, ".") {
		why += "."
	}
	fmt.Fprintf(stderr, "caredesk is not ready: %s answered %s; %s\n", target, resp.Status, why)
	return 1
}

// readyzURL is where the caredesk listening on addr answers /readyz from
// this machine: an address on every interface (":8080", "0.0.0.0:8080",
// "[::]:8080") is reached on 127.0.0.1, a named one on its name.
func readyzURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("CAREDESK_ADDR is %q, which is not host:port", addr)
	}
	if port == "0" {
		return "", fmt.Errorf("CAREDESK_ADDR is %q, a port the system picks, so the check cannot know it: set the port caredesk serves on", addr)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}

// notReady is what a /readyz body says is wrong: its parts that are not
// ok, joined ("telegram: Telegram refuses caredesk's token…").
func notReady(body io.Reader) string {
	var parts []string
	lines := bufio.NewScanner(body)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		name, state, ok := strings.Cut(line, ": ")
		if !ok || state == "ok" || name == "role" || strings.HasPrefix(state, "warning:") {
			continue
		}
		parts = append(parts, line)
	}
	return strings.Join(parts, " ")
}
