package bridgesim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxDownload bounds what Download reads of one file: far above caredesk's
// default cap on a file, so that only a runaway answer is cut.
const maxDownload = 256 << 20

// Download GETs an attachment's link as a bridge that posts the file on
// its network does, and returns the bytes and caredesk's answer (its body
// already read and closed): 200 with the file, or a JSON error with
// another status, which is no error here. err is for a link that could not
// be fetched at all.
func (s *Server) Download(a Attachment) (body []byte, resp *http.Response, err error) {
	return s.get(context.Background(), a)
}

func (s *Server) get(ctx context.Context, a Attachment) ([]byte, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("bridgesim: the link of %s: %w", a.Name, err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("bridgesim: download %s: %w", a.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload))
	if err != nil {
		return body, resp, fmt.Errorf("bridgesim: read %s: %w", a.Name, err)
	}
	return body, resp, nil
}

// downloadAll fetches every attachment into its Data before the reply is
// taken, as Options.Download asks. A link caredesk refuses makes the
// bridge refuse the reply for good (422), as a bridge cannot post a file
// it does not have; any other failure is worth a retry (502).
func (s *Server) downloadAll(ctx context.Context, files []Attachment) (int, error) {
	for i := range files {
		f := &files[i]
		body, resp, err := s.get(ctx, *f)
		switch {
		case err != nil:
			return http.StatusBadGateway, fmt.Errorf("could not download attachments[%d] (%s): %v", i, f.Name, err)
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			return http.StatusUnprocessableEntity, fmt.Errorf("could not download attachments[%d] (%s): caredesk answered %d %s", i, f.Name, resp.StatusCode, strings.TrimSpace(string(body)))
		case resp.StatusCode != http.StatusOK:
			return http.StatusBadGateway, fmt.Errorf("could not download attachments[%d] (%s): caredesk answered %d", i, f.Name, resp.StatusCode)
		case int64(len(body)) != f.Size:
			return http.StatusBadGateway, fmt.Errorf("attachments[%d] (%s) has %d bytes, not the %d announced", i, f.Name, len(body), f.Size)
		}
		f.Data = body
	}
	return http.StatusOK, nil
}
