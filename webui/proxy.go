package webui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// serveAPI hands /api/v1/... to the API's handler as /v1/..., in this
// process: the page gets the API's own answers, errors included. The
// request is rebuilt rather than passed on, so that nothing of the browser's
// (cookies, its Host, its token) reaches the API: it carries the API token,
// a loopback Host and the body, capped.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	// The escaped path: a group's name may hold characters that travel
	// escaped ("a/b" as a%2Fb, "a?b" as a%3Fb).
	target := strings.TrimPrefix(r.URL.EscapedPath(), "/api")
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	req, err := s.apiRequest(r.Context(), r.Method, target, http.MaxBytesReader(w, r.Body, bodyLimit(r)))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	req.RemoteAddr = r.RemoteAddr
	if ct := r.Header.Get("Content-Type"); ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	s.cfg.API.ServeHTTP(w, req)
}

// apiRequest builds a request to the API handler, authorised with the API
// token and addressed to loopback as the API requires. target is an escaped
// path starting with /v1/, and may carry a query.
func (s *Server) apiRequest(ctx context.Context, method, target string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://127.0.0.1"+target, body)
	if err != nil {
		return nil, fmt.Errorf("bad API request: %w", err)
	}
	if req.Body == nil {
		// A server's requests always have a body; handlers may rely on it.
		req.Body = http.NoBody
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.APIToken)
	req.RemoteAddr = "127.0.0.1:0"
	return req, nil
}
