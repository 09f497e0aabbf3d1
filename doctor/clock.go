package doctor

import (
	"fmt"
	"time"

	"starling/api"
)

// The clock: this device's against its peers'.

const clockAdvice = "Set this device's clock right (turn on automatic date and time); what it sends from then on carries the right time."

// clock compares this clock with the authors' whose messages arrive live,
// and counts the messages ignored as dated too far ahead of it.
func (d *diag) clock() *api.Finding {
	ignored := d.st.Gossip["ignored_future_skew"]
	var c api.Clock
	if d.net != nil {
		c = d.net.Clock
	}
	off := time.Duration(c.OffsetMS) * time.Millisecond
	span := fmt.Sprintf("from %s to %s", signed(c.MinMS), signed(c.MaxMS))
	f := &api.Finding{Cause: CauseClockSkew, Severity: Warning, Advice: clockAdvice}
	switch {
	case c.Authors == 1 && (c.Ahead == 1 || c.Behind == 1):
		// One author: nothing tells which clock is wrong.
		f.Summary = fmt.Sprintf("This device's clock and its peer's differ by about %s (this one is %s).", about(off), aheadBehind(off))
		f.Evidence = []string{"measured on the messages of the only author heard live in the last 15 minutes"}
		f.Advice = "Check the date and time on both devices (automatic date and time); the wrong one should be set right."
	case c.Ahead*2 > c.Authors || c.Behind*2 > c.Authors:
		f.Summary = fmt.Sprintf("This device's clock is about %s %s its peers'.", about(off), map[bool]string{true: "ahead of", false: "behind"}[off > 0])
		f.Evidence = []string{fmt.Sprintf("%d of %s heard live in the last 15 minutes agree (offsets %s)",
			max(c.Ahead, c.Behind), plural(c.Authors, "author"), span)}
	case c.Ahead+c.Behind > 0:
		f.Summary = fmt.Sprintf("The clocks of %d of %s differ from this device's, which agrees with the others.",
			c.Ahead+c.Behind, plural(c.Authors, "author"))
		f.Evidence = []string{fmt.Sprintf("offsets %s; the median is %s", span, signed(c.OffsetMS))}
		f.Advice = "Whoever's clock is off should set it right (automatic date and time)."
	case ignored > 0:
		f.Summary = "Messages arrive dated more than 5 minutes ahead of this device's clock, and are ignored."
		f.Evidence = []string{fmt.Sprintf("%d deliveries ignored as dated in the future", ignored)}
		if c.Authors > 0 {
			agree := "agree"
			if c.Authors == 1 {
				agree = "agrees"
			}
			f.Evidence = append(f.Evidence, fmt.Sprintf("the %s heard live %s with this clock (median %s): the sender's clock is ahead",
				plural(c.Authors, "other author"), agree, signed(c.OffsetMS)))
			f.Advice = "Whoever sent them should set their clock right (automatic date and time); until then everyone ignores their messages."
		} else {
			f.Evidence = append(f.Evidence, "no peer's message was taken live to compare clocks with: this clock is behind, or the senders' are ahead")
			f.Advice = "Check the date and time here and on the other devices (automatic date and time); once they agree, `starling sync` fetches what was ignored."
			f.Severity = Problem
		}
		return f
	default:
		return nil
	}
	if off.Abs() >= refuseSkew {
		f.Severity = Problem
		if off > 0 {
			f.Evidence = append(f.Evidence, "peers ignore messages dated more than 5 minutes ahead of their clock, so this device's do not reach them")
		} else {
			f.Evidence = append(f.Evidence, "this device ignores messages dated more than 5 minutes ahead of its clock, so it drops the peers' newest")
		}
	}
	if ignored > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%d deliveries ignored here as dated in the future", ignored))
	}
	return f
}

func aheadBehind(off time.Duration) string {
	if off > 0 {
		return "ahead"
	}
	return "behind"
}

// signed says an offset in milliseconds with its sign, such as "+62m0s".
func signed(ms int64) string {
	d := (time.Duration(ms) * time.Millisecond).Round(time.Second)
	if d > 0 {
		return "+" + d.String()
	}
	return d.String()
}
