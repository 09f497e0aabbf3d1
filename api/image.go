package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"time"
)

// Image is what a message view says of a picture (kind "image").
type Image struct {
	Format string `json:"format"` // "jpeg" or "png"
	Width  int    `json:"width"`
	Height int    `json:"height"`
	// Size is the picture's bytes; Digest its SHA-256 in hex.
	Size   int    `json:"size"`
	Digest string `json:"digest"`
	// Chunks is how many chunks carry it, Held how many this node holds.
	Chunks int  `json:"chunks"`
	Held   int  `json:"held"`
	Broken bool `json:"broken,omitempty"`
	// Preview is a small JPEG as a data: URL, or empty.
	Preview string `json:"preview,omitempty"`
}

// MaxImageUpload caps a picture file sent to the API (media's default
// Config.MaxInputBytes).
const MaxImageUpload = 40 << 20

// imageTimeout bounds an upload (the node decodes and re-encodes the
// picture: about a second of CPU for 12 megapixels, more on a busy
// machine) and a fetch.
const imageTimeout = 2 * time.Minute

// SendImage uploads a picture file to a group; the node prepares it
// (strips metadata, downscales, re-encodes) and sends it. ref, if set, is
// the message it replies to.
func (c *Client) SendImage(ctx context.Context, group string, file []byte, caption, ref string) (SendResponse, error) {
	q := url.Values{}
	if caption != "" {
		q.Set("caption", caption)
	}
	if ref != "" {
		q.Set("ref", ref)
	}
	path := "/v1/groups/" + url.PathEscape(group) + "/images"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	ctx, cancel := context.WithTimeout(ctx, imageTimeout)
	defer cancel()
	resp, err := c.raw(ctx, http.MethodPost, path, "application/octet-stream", file)
	if err != nil {
		return SendResponse{}, err
	}
	defer resp.Body.Close()
	var out SendResponse
	return out, decodeJSON(resp.Body, &out)
}

// ImageFile is a picture as the API serves it.
type ImageFile struct {
	Data []byte
	// Type is "image/jpeg" or "image/png"; Name the file name the node
	// suggests (starling-<first 8 hex digits of its digest>.jpg).
	Type, Name string
}

// Image returns a picture, named by its message ID or a unique prefix of
// it (8 hex digits or more); with fetch, the node first fetches the chunks
// it lacks from its peers.
func (c *Client) Image(ctx context.Context, id string, fetch bool) (ImageFile, error) {
	path := "/v1/images/" + url.PathEscape(id)
	if fetch {
		path += "?fetch=1"
	}
	ctx, cancel := context.WithTimeout(ctx, imageTimeout)
	defer cancel()
	resp, err := c.raw(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return ImageFile{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxImageUpload))
	if err != nil {
		return ImageFile{}, fmt.Errorf("read the picture: %w", err)
	}
	f := ImageFile{Data: b, Type: resp.Header.Get("Content-Type")}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		f.Name = filepath.Base(params["filename"])
	}
	return f, nil
}

// raw sends a request with a body that is not JSON.
func (c *Client) raw(ctx context.Context, method, path, contentType string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the daemon for %s did not answer in time: %w", c.dir, ctx.Err())
		}
		return nil, fmt.Errorf("the daemon for %s is not answering on %s: %v", c.dir, c.base, unwrapURL(err))
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var e Error
		if decodeJSON(io.LimitReader(resp.Body, 1<<20), &e) != nil || e.Error == "" {
			e.Error = resp.Status
		}
		return nil, &APIError{Status: resp.StatusCode, Message: e.Error, Code: e.Code, Channel: e.Channel, Rejoin: e.Rejoin}
	}
	return resp, nil
}

func decodeJSON(r io.Reader, out any) error { return json.NewDecoder(r).Decode(out) }
