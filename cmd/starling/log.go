package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"starling/api"
	"starling/apiserver"
	"starling/message"
	"starling/store"
)

func newLog(g *globals) *cobra.Command {
	var (
		limit  int
		follow bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "log GROUP [--limit N] [--follow] [--json]",
		Short: "Print a group's messages, oldest first, also a group you left (works without a running node)",
		Args:  exactArgs(1, "one group name or ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 0 {
				return usageError{errors.New("--limit must be 0 (everything) or more")}
			}
			ref := args[0]
			p := &logPrinter{w: cmd.OutOrStdout(), asJSON: asJSON}
			c, ok, err := g.daemon(cmd.Context())
			if err != nil {
				return err
			}
			if !ok {
				if follow {
					return fmt.Errorf("--follow needs a running node; start one with `starling up`")
				}
				msgs, skipped, err := g.localHistory(ref, limit)
				if err != nil {
					return err
				}
				warnSkipped(cmd, skipped)
				return printAll(p, msgs)
			}
			if !follow {
				msgs, skipped, err := history(cmd.Context(), c, ref, limit)
				if err != nil {
					return err
				}
				warnSkipped(cmd, skipped)
				return printAll(p, msgs)
			}
			return followLog(cmd.Context(), c, ref, limit, p.print)
		},
	}
	f := cmd.Flags()
	f.IntVar(&limit, "limit", 100, "print at most the N newest messages (0: all)")
	f.BoolVar(&follow, "follow", false, "keep printing new messages as they arrive")
	f.BoolVar(&asJSON, "json", false, "print one JSON object per line")
	return cmd
}

// printAll prints msgs, naming people by the nicknames any of them carry.
func printAll(p *logPrinter, msgs []api.Message) error {
	p.learn(msgs)
	for _, m := range msgs {
		if err := p.print(m); err != nil {
			return err
		}
	}
	return nil
}

// warnSkipped says on stderr that damaged messages were left out.
func warnSkipped(cmd *cobra.Command, skipped int) {
	if skipped > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "starling: skipped %s; stop the node and run "+
			"`starling store check --repair` to quarantine them (peers can send them again)\n", count(skipped, "damaged message"))
	}
}

// history fetches the newest limit messages (all when limit is 0), oldest
// first, and counts the damaged ones the node skipped.
func history(ctx context.Context, c *api.Client, ref string, limit int) (out []api.Message, skipped int, err error) {
	cursor := ""
	for {
		want := 1000
		if limit > 0 {
			want = min(want, limit-len(out))
		}
		page, err := c.History(ctx, ref, want, true, cursor)
		if err != nil {
			return nil, 0, err
		}
		out, skipped = append(out, page.Messages...), skipped+page.Skipped
		cursor = page.Next
		if cursor == "" || (limit > 0 && len(out) >= limit) {
			break
		}
	}
	slices.Reverse(out)
	return out, skipped, nil
}

func (g *globals) localHistory(ref string, limit int) (out []api.Message, skipped int, err error) {
	l, err := g.local(false)
	if err != nil {
		return nil, 0, err
	}
	defer l.Close()
	q := store.Query{Newest: true}
	for {
		q.Limit = 1000
		if limit > 0 {
			q.Limit = min(q.Limit, limit-len(out))
		}
		grp, page, err := l.History(ref, q)
		if err != nil {
			return nil, 0, err
		}
		skipped += page.Skipped
		for _, m := range page.Messages {
			switch m.Msg.Body.Kind {
			case message.KindText, message.KindDelete, message.KindOp, message.KindAlert:
			default:
				continue // the genesis, Ops' parts and profiles are not what people read
			}
			c, err := l.Open(m.Msg)
			if err != nil {
				c = nil
			}
			out = append(out, apiserver.NewMessage(m, grp.Name, c))
		}
		q.Cursor = page.Next
		if q.Cursor == "" || (limit > 0 && len(out) >= limit) {
			break
		}
	}
	slices.Reverse(out)
	return out, skipped, nil
}

// followLog prints the newest messages, then new ones as they arrive. History
// is read only once the daemon has opened the stream, so that nothing falls
// between them; IDs already printed are skipped. When the daemon ends the stream
// (this reader fell behind), it resumes the same way, a few times in a row
// at most.
func followLog(ctx context.Context, c *api.Client, ref string, limit int, print func(api.Message) error) error {
	printed := map[string]bool{}
	show := func(m api.Message) error {
		if printed[m.ID] {
			return nil
		}
		printed[m.ID] = true
		return print(m)
	}
	for resumes := 0; ; resumes++ {
		live := make(chan api.Message, 4096)
		streamErr := make(chan error, 1)
		opened, ended := make(chan struct{}), make(chan struct{})
		sctx, cancel := context.WithCancel(ctx)
		go func() {
			defer close(live)
			defer close(ended)
			streamErr <- c.Events(sctx, ref, func() { close(opened) }, func(m api.Message) error {
				select {
				case live <- m:
					return nil
				case <-sctx.Done():
					return sctx.Err()
				}
			})
		}()
		select {
		case <-opened:
		case <-ended: // it failed to open; showAll shows history, then the error
		}
		got, err := showAll(ctx, c, ref, limit, live, show)
		if got > 0 {
			resumes = 0
		}
		cancel()
		for range live {
		}
		if serr := <-streamErr; err == nil {
			err = serr
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, api.ErrStreamEnded) && resumes < 3:
			continue
		default:
			return fmt.Errorf("following %s: %w", ref, err)
		}
	}
}

// showAll shows history, then live messages until the stream closes. It
// returns how many live messages came.
func showAll(ctx context.Context, c *api.Client, ref string, limit int, live <-chan api.Message, show func(api.Message) error) (int, error) {
	msgs, _, err := history(ctx, c, ref, limit)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if err := show(m); err != nil {
			return 0, err
		}
	}
	got := 0
	for m := range live {
		got++
		if err := show(m); err != nil {
			return got, err
		}
	}
	return got, nil
}
