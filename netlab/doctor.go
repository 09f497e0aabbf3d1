package netlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"starling/api"
)

// Doctor is what `starling doctor --json` prints.
type Doctor struct {
	Running  bool          `json:"running"`
	Findings []api.Finding `json:"findings"`
	Pending  string        `json:"pending"`
}

// Causes lists the findings' causes, in order.
func (d Doctor) Causes() []string {
	out := make([]string, len(d.Findings))
	for i, f := range d.Findings {
		out[i] = f.Cause
	}
	return out
}

// Doctor runs `starling doctor --json` on the host (which first has its
// node probe the peers it reaches only through a relay). Its exit status 1,
// which means something was found, is no error.
func (h *Host) Doctor(ctx context.Context) (Doctor, error) {
	out, err := h.Starling(ctx, "doctor", "--json")
	var d Doctor
	if jerr := json.Unmarshal(out, &d); jerr != nil {
		return d, errors.Join(err, fmt.Errorf("%s: starling doctor --json printed something that is not its JSON: %w", h.name, jerr))
	}
	return d, nil
}

// doctorPoll is how often WaitFinding asks: each ask may probe peers for
// a few seconds.
const doctorPoll = 2 * time.Second

// WaitFinding runs the host's doctor until check accepts what it says, and
// returns that. check returns why not yet.
func (h *Host) WaitFinding(ctx context.Context, check func(Doctor) error) (Doctor, error) {
	var last Doctor
	err := poll(ctx, doctorPoll, func() error {
		d, err := h.Doctor(ctx)
		if err != nil {
			return err
		}
		last = d
		if err := check(d); err != nil {
			return fmt.Errorf("%s: %w; the doctor says %s", h.name, err, d)
		}
		return nil
	})
	return last, err
}

// String is the findings in brief, for error messages.
func (d Doctor) String() string {
	if len(d.Findings) == 0 {
		return fmt.Sprintf("nothing (pending %q)", d.Pending)
	}
	var b strings.Builder
	for i, f := range d.Findings {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s: %s [%s]", f.Severity, f.Cause, f.Summary, strings.Join(f.Evidence, " / "))
	}
	return b.String()
}

// Finding returns the finding of cause, if the doctor found it.
func (d Doctor) Finding(cause string) (api.Finding, bool) {
	for _, f := range d.Findings {
		if f.Cause == cause {
			return f, true
		}
	}
	return api.Finding{}, false
}
