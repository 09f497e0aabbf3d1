package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"rsc.io/qr"
)

// QRRequest is the body of POST /ui/v1/qr.
type QRRequest struct {
	Text string `json:"text"`
}

// maxQRText is more than any invite link a QR code can hold.
const maxQRText = 4 << 10

// quietZone is the white border, in modules, that scanners need.
const quietZone = 4

// serveQR draws text (an invite link) as a QR code in SVG. The page shows
// it through a blob: URL; the drawing holds only squares, no text and no
// script.
func (s *Server) serveQR(w http.ResponseWriter, r *http.Request) {
	var req QRRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxQRText+1024))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad request body: %w", err))
		return
	}
	if req.Text == "" || len(req.Text) > maxQRText {
		writeError(w, http.StatusBadRequest, fmt.Errorf("text must hold 1 to %d bytes", maxQRText))
		return
	}
	svg, err := QRSVG(req.Text)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(svg)
}

// QRSVG encodes text at medium error correction (good for a phone camera
// pointed at a screen) as an SVG drawing, one unit per module, with its
// quiet zone.
func QRSVG(text string) ([]byte, error) {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, errors.New("the text does not fit a QR code; an invite with fewer relays does")
	}
	size := c.Size + 2*quietZone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, size, size)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, size, size)
	// One horizontal run of dark modules per path segment.
	for y := range c.Size {
		for x := 0; x < c.Size; {
			if !c.Black(x, y) {
				x++
				continue
			}
			start := x
			for x < c.Size && c.Black(x, y) {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start+quietZone, y+quietZone, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String()), nil
}
