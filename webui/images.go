package webui

import (
	"net/http"
	"strings"

	"starling/api"
)

// bodyLimit is the cap on a request body the proxy passes on: a picture's
// upload may be a camera's file (the API takes api.MaxImageUpload and the
// node prepares it); everything else is JSON.
func bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v1/groups/") && strings.HasSuffix(r.URL.Path, "/images") {
		return api.MaxImageUpload
	}
	return maxBody
}
