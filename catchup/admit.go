package catchup

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/message"
	"starling/store"
)

// admitted counts what became of a batch of received envelopes. limited
// says that Check ignored some for a limit of the peer's (an error wrapping
// ErrLimit): the session should end, without blame.
type admitted struct {
	stored, ignored int
	limited         bool
}

// envelopeIDs checks the size of each envelope a peer sent and returns its
// ID (its body hash), so the receiver can vet the batch against what it
// asked for or has seen before any costly check.
func envelopeIDs(envs [][]byte) ([]message.ID, error) {
	ids := make([]message.ID, len(envs))
	for i, raw := range envs {
		if len(raw) > message.MaxEnvelopeSize {
			return nil, fmt.Errorf("%w: envelope of %d bytes, limit %d", ErrInvalid, len(raw), message.MaxEnvelopeSize)
		}
		id, err := message.IDOf(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		ids[i] = id
	}
	return ids, nil
}

// admit judges a batch of envelopes that p sent for group, whose IDs
// envelopeIDs found and the caller vetted, and stores the accepted ones
// with OriginCatchup. The whole batch is judged before anything is stored,
// so a batch with one bad envelope stores nothing.
func (s *Service) admit(ctx context.Context, p peer.ID, group message.GroupID, envs [][]byte, ids []message.ID) (admitted, error) {
	var (
		out      admitted
		accepted []*message.Message
	)
	for i, j := range s.judge(p, group, envs) {
		id := ids[i]
		switch j.verdict {
		case message.Accept:
			if j.m == nil {
				return admitted{}, fmt.Errorf("%w: Config.Judge accepted message %s but returned no message", errInternal, id.Short())
			}
			if j.m.ID != id || j.m.Body.Group != group {
				return admitted{}, fmt.Errorf("%w: message %s of group %s in a session for group %s",
					ErrInvalid, j.m.ID.Short(), j.m.Body.Group.Short(), group.Short())
			}
			accepted = append(accepted, j.m)
		case message.Reject:
			return admitted{}, fmt.Errorf("%w: message %s: %w", ErrInvalid, id.Short(), j.err)
		case message.Ignore:
			out.ignored++
			if errors.Is(j.err, ErrLimit) {
				out.limited = true
			} else {
				s.refused.add(group, id)
			}
			s.log.Debug("catch-up message ignored", "peer", p, "id", id.Short(), "err", j.err)
		default:
			out.ignored++
			s.log.Warn("Config.Judge returned an unknown verdict; message ignored", "verdict", j.verdict, "id", id.Short())
		}
	}
	if err := s.storeAll(ctx, accepted); err != nil {
		return admitted{}, err
	}
	out.stored = len(accepted)
	return out, nil
}

// judgement is Config.Judge's answer for one envelope.
type judgement struct {
	m       *message.Message
	verdict message.Verdict
	err     error
}

// judge runs Config.Judge on every envelope, on as many goroutines as there
// are CPUs: signature checks are what catching up on a long history costs.
func (s *Service) judge(p peer.ID, group message.GroupID, envs [][]byte) []judgement {
	out := make([]judgement, len(envs))
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(runtime.GOMAXPROCS(0), len(envs)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(envs); i = int(next.Add(1) - 1) {
				m, v, err := s.cfg.Judge.Check(p, group, envs[i])
				out[i] = judgement{m: m, verdict: v, err: err}
			}
		})
	}
	wg.Wait()
	return out
}

// storeAll puts messages concurrently, so the store's single writer can
// commit them in one transaction instead of one each.
func (s *Service) storeAll(ctx context.Context, msgs []*message.Message) error {
	errs := make([]error, len(msgs))
	var wg sync.WaitGroup
	for i, m := range msgs {
		wg.Go(func() {
			_, errs[i] = s.cfg.Store.Put(ctx, m, store.OriginCatchup)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store messages: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", errInternal, err)
	}
	return nil
}
