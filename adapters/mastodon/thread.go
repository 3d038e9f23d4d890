package mastodon

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// maxRoots is how many statuses' thread roots a Listener remembers.
const maxRoots = 10000

// root returns the id of the status that starts st's thread: the ticket's
// conversation, the same for the customer's first post and for every
// answer in the thread under it. A status that replies to nothing is its
// own root; for a reply the instance is asked for the thread
// (GET /api/v1/statuses/:id/context), whose oldest ancestor is the root,
// unless the root is remembered. When the thread's top is gone (the
// oldest ancestor still replies to a status the brand cannot see any
// more, or the instance does not know st any more), the status named as
// replied to stands in for it. Any other failure is returned: the post
// waits for the next poll rather than open a ticket of its own.
func (l *Listener) root(ctx context.Context, st *status) (string, error) {
	if st.InReplyToID == "" {
		return st.ID, nil
	}
	if id, ok := l.knownRoot(st.ID); ok {
		return id, nil
	}
	if id, ok := l.knownRoot(st.InReplyToID); ok {
		l.rememberRoot(id, st.ID)
		return id, nil
	}
	var c threadContext
	err := l.call(ctx, http.MethodGet, "/api/v1/statuses/"+url.PathEscape(st.ID)+"/context", nil, nil, "", "the thread of a post", &c)
	var api *apiError
	switch {
	case errors.As(err, &api) && gone(api.Code):
		l.log.Warn("the thread of a Mastodon post could not be read; the post it replies to stands for the thread", "status", st.ID, "in_reply_to", st.InReplyToID, "err", err)
		return st.InReplyToID, nil // not remembered: the next time may know better
	case err != nil:
		return "", err
	}
	root := st.InReplyToID
	if len(c.Ancestors) > 0 && c.Ancestors[0].ID != "" {
		root = c.Ancestors[0].ID
		if top := c.Ancestors[0].InReplyToID; top != "" {
			root = top // the thread's top is gone: the status it names
		}
	}
	ids := []string{st.ID}
	for _, list := range [][]status{c.Ancestors, c.Descendants} {
		for _, a := range list {
			ids = append(ids, a.ID)
		}
	}
	l.rememberRoot(root, ids...)
	return root, nil
}

// gone says whether an answer of code to a request for a status's thread
// means that the thread cannot be had, now or later, rather than a
// failure to retry: the status is not found (deleted, or never known
// to the instance) or refused for itself. A 401 or 403 is the token's,
// and 408 and 429 pass.
func gone(code int) bool {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestTimeout, http.StatusTooManyRequests:
		return false
	}
	return code/100 == 4
}

func (l *Listener) knownRoot(id string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	root, ok := l.roots[id]
	return root, ok
}

// rememberRoot notes root as the thread root of ids (ids "" skipped),
// forgetting some of the others when maxRoots are remembered: a thread
// forgotten is asked for again.
func (l *Listener) rememberRoot(root string, ids ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.roots == nil {
		l.roots = map[string]string{}
	}
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, ok := l.roots[id]; !ok && len(l.roots) >= maxRoots {
			n := 0
			for k := range l.roots { // an arbitrary quarter
				delete(l.roots, k)
				if n++; n >= maxRoots/4 {
					break
				}
			}
		}
		l.roots[id] = root
	}
}
