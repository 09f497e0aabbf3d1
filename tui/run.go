package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"starling/api"
)

// ErrDaemonLost: the daemon stopped answering and was still gone when the
// person quit.
var ErrDaemonLost = errors.New("lost the daemon")

// Config configures Run. Zero fields take the documented defaults.
type Config struct {
	// Client reaches the daemon. Required.
	Client Client
	// Group is the group to show first (name or ID); "" shows the first
	// joined group.
	Group string
	// Input and Output are the terminal; nil: standard input and output.
	Input  io.Reader
	Output io.Writer
	// PageSize is how many messages one history read asks for (default
	// 100).
	PageSize int
	// StatusEvery is how often the status bar is refreshed (default 2s).
	StatusEvery time.Duration
	// Retry is the wait before reconnecting a broken event stream
	// (default 1s).
	Retry time.Duration
	// Location is the time zone times show in (default time.Local).
	Location *time.Location
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger defaults to discarding. The screen belongs to the chat, so
	// log only to a file.
	Logger *slog.Logger

	// options are extra program options, for tests (a fixed window size).
	options []tea.ProgramOption
}

func (c *Config) fill() error {
	if c.Client == nil {
		return errors.New("tui: no client")
	}
	if c.PageSize <= 0 {
		c.PageSize = 100
	}
	if c.StatusEvery <= 0 {
		c.StatusEvery = 2 * time.Second
	}
	if c.Retry <= 0 {
		c.Retry = time.Second
	}
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Run shows the full-screen chat until the person quits or ctx ends. It
// checks the daemon and the group first, so that those failures come back
// as plain errors before the screen is taken over. It returns an error
// wrapping ErrDaemonLost when the daemon was unreachable at the end, and
// nil when the person quit or ctx ended.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.fill(); err != nil {
		return err
	}
	st, err := cfg.Client.Status(ctx)
	if err != nil {
		return err
	}
	current := ""
	if cfg.Group != "" {
		d, err := cfg.Client.Group(ctx, cfg.Group)
		if err != nil {
			return err
		}
		current = d.ID
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := append([]tea.ProgramOption{tea.WithContext(runCtx)}, cfg.options...)
	if cfg.Input != nil {
		opts = append(opts, tea.WithInput(cfg.Input))
	}
	if cfg.Output != nil {
		opts = append(opts, tea.WithOutput(cfg.Output))
	}
	p := tea.NewProgram(newModel(runCtx, cfg, st, current), opts...)

	// Both goroutines end with runCtx; p.Send returns once the program has
	// stopped, so neither can block on a finished program.
	var wg sync.WaitGroup
	wg.Go(func() { follow(runCtx, cfg, p.Send) })
	wg.Go(func() { tick(runCtx, cfg.StatusEvery, p.Send) })
	final, err := p.Run()
	cancel()
	wg.Wait()

	switch {
	case ctx.Err() != nil, errors.Is(err, tea.ErrInterrupted):
		return nil
	case err != nil:
		return fmt.Errorf("the terminal: %w", err)
	}
	if m, ok := final.(*model); ok && m.lost() != nil {
		return fmt.Errorf("%w: %w", ErrDaemonLost, m.lost())
	}
	return nil
}

// follow reads the event stream of every group and hands each event to
// send, reconnecting after cfg.Retry when the stream breaks, until ctx
// ends. The model learns of each (re)opening, after which it reads the
// history again, and of each break.
func follow(ctx context.Context, cfg Config, send func(tea.Msg)) {
	for {
		err := cfg.Client.Watch(ctx, "", func() { send(streamMsg{}) }, func(ev api.Event) error {
			send(eventMsg{ev: ev})
			return ctx.Err()
		})
		if ctx.Err() != nil {
			return
		}
		cfg.Logger.Debug("event stream ended", "err", err)
		if err == nil {
			err = api.ErrStreamEnded
		}
		send(streamMsg{err: err})
		select {
		case <-ctx.Done():
			return
		case <-time.After(cfg.Retry):
		}
	}
}

// tick asks for a fresh status every d until ctx ends.
func tick(ctx context.Context, d time.Duration, send func(tea.Msg)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			send(tickMsg{})
		}
	}
}
