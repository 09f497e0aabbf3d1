package apiserver

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"starling/api"
	"starling/group"
	"starling/media"
	"starling/message"
	"starling/store"
)

// Pictures is what the picture endpoints serve (Config.Pictures); the
// node's pictures.Service is one.
type Pictures interface {
	Send(ctx context.Context, ref string, file []byte, caption string, reply message.ID) (*message.Message, *media.Image, int, error)
	Image(id message.ID) ([]byte, media.Manifest, error)
	Progress(id message.ID) (held, chunks int, broken bool, err error)
	FetchNow(ctx context.Context, id message.ID) error
	// Resolve takes a picture's message ID or a unique prefix of it (8
	// hex digits or more).
	Resolve(ref string) (message.ID, error)
}

// fetchTimeout bounds the fetch a GET ?fetch=1 or a POST .../fetch waits
// for.
const fetchTimeout = 60 * time.Second

func (s *Server) imageRoutes() {
	s.mux.HandleFunc("POST /v1/groups/{group}/images", s.handleSendImage)
	s.mux.HandleFunc("GET /v1/images/{id}", s.handleImage)
	s.mux.HandleFunc("POST /v1/images/{id}/fetch", s.handleFetchImage)
}

func (s *Server) images(w http.ResponseWriter) (Pictures, bool) {
	return provided(w, s.cfg.Pictures, errNoPictures)
}

// errNoPictures: the server was given no Pictures.
var errNoPictures = errors.New("this node does not handle pictures")

// imageStatus maps picture errors to statuses, with sentences a person
// can act on; anything else goes to the API's usual mapping.
func imageStatus(err error) int {
	switch {
	case errors.Is(err, media.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, media.ErrUnsupported):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, media.ErrMalformed), errors.Is(err, media.ErrNoFit):
		return http.StatusUnprocessableEntity
	case errors.Is(err, media.ErrNotHeld), errors.Is(err, media.ErrNotPicture), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, media.ErrBroken):
		return http.StatusGone
	case errors.Is(err, media.ErrAmbiguous):
		return http.StatusConflict
	}
	return 0
}

func (s *Server) failImage(w http.ResponseWriter, r *http.Request, err error) {
	if st := imageStatus(err); st != 0 {
		writeError(w, st, err)
		return
	}
	s.fail(w, r, err)
}

// imageOf reads the picture's message ID from the path.
func (s *Server) imageOf(w http.ResponseWriter, r *http.Request) (Pictures, message.ID, bool) {
	ib, ok := s.images(w)
	if !ok {
		return nil, message.ID{}, false
	}
	id, err := ib.Resolve(r.PathValue("id"))
	if err != nil {
		s.failImage(w, r, err)
		return nil, message.ID{}, false
	}
	return ib, id, true
}

func (s *Server) handleSendImage(w http.ResponseWriter, r *http.Request) {
	ib, ok := s.images(w)
	if !ok {
		return
	}
	file, err := io.ReadAll(http.MaxBytesReader(w, r.Body, api.MaxImageUpload))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("the picture file is over %d MiB; send a smaller one", api.MaxImageUpload>>20))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, fmt.Errorf("read the picture: %w", err))
		return
	case len(file) == 0:
		writeError(w, http.StatusBadRequest, errors.New("no picture: send the file as the request body"))
		return
	}
	caption := r.URL.Query().Get("caption")
	if caption != "" {
		if err := api.CheckText(caption); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
	}
	var reply message.ID
	if ref := r.URL.Query().Get("ref"); ref != "" {
		if reply, err = message.ParseID(ref); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("ref: %w", err))
			return
		}
	}
	ref := r.PathValue("group")
	g, err := s.cfg.Backend.ResolveGroup(ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, _, peers, err := ib.Send(r.Context(), ref, file, caption, reply)
	if err != nil {
		if imageStatus(err) != 0 {
			s.failImage(w, r, err)
			return
		}
		s.fail(w, r, s.refused(ref, err))
		return
	}
	view, _ := s.view(store.Stored{Msg: m, Origin: store.OriginOwn, ReceivedAt: m.Body.SentAt()}, g.Name)
	writeJSON(w, http.StatusOK, api.SendResponse{Message: view, Peers: peers, Queued: peers == 0})
}

// handleImage serves a picture's bytes so that a browser shows them and
// does nothing else: the type its manifest names (JPEG or PNG, which
// every node checked the bytes are, in canonical form), no sniffing, and a
// policy that runs no script even if the response is opened as a page.
func (s *Server) handleImage(w http.ResponseWriter, r *http.Request) {
	ib, id, ok := s.imageOf(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("fetch") == "1" {
		ctx, cancel := context.WithTimeout(r.Context(), fetchTimeout)
		err := ib.FetchNow(ctx, id)
		cancel()
		if err != nil && !errors.Is(err, media.ErrNotHeld) {
			s.failImage(w, r, err)
			return
		}
	}
	data, man, err := ib.Image(id)
	if err != nil {
		s.failImage(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", man.Format.MIMEType())
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="starling-%s%s"`, man.Digest.Short(), man.Format.Ext()))
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

func (s *Server) handleFetchImage(w http.ResponseWriter, r *http.Request) {
	ib, id, ok := s.imageOf(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), fetchTimeout)
	defer cancel()
	if err := ib.FetchNow(ctx, id); err != nil {
		s.failImage(w, r, err)
		return
	}
	held, chunks, broken, err := ib.Progress(id)
	if err != nil {
		s.failImage(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Image{Chunks: chunks, Held: held, Broken: broken})
}

// imageView fills a picture message's view.
func (s *Server) imageView(m *api.Message, msg *message.Message, c group.Content) {
	im, ok := c.(group.Image)
	if !ok {
		return
	}
	m.Text, m.Name = im.Caption, im.Nick
	v := &api.Image{
		Format: im.Format.String(), Width: im.Width, Height: im.Height, Size: im.Size,
		Digest: im.Digest.String(), Chunks: len(im.Chunks),
	}
	if len(im.Preview) > 0 {
		v.Preview = "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(im.Preview)
	}
	if ib := s.cfg.Pictures; ib != nil {
		v.Held, _, v.Broken, _ = ib.Progress(msg.ID)
	}
	m.Image = v
}
