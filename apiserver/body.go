package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// errBodyTooLarge: a request body over MaxRequestBody.
var errBodyTooLarge = fmt.Errorf("request body is over %d bytes", MaxRequestBody)

// readJSON decodes a bounded request body strictly.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errBodyTooLarge
		}
		return fmt.Errorf("bad request body: %w", err)
	}
	if dec.More() {
		return errors.New("bad request body: more than one JSON value")
	}
	return nil
}

// failBody answers a request whose body readJSON refused.
func failBody(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, errBodyTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	writeError(w, status, err)
}
