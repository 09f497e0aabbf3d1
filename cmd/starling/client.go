package main

import (
	"context"
	"errors"
	"fmt"

	"starling/api"
	"starling/home"
	"starling/identity"
	"starling/node"
	"starling/store"
)

// daemon connects to the home's running daemon. ok is false (with a nil
// error) when none runs, so that a command can fall back to the store.
func (g *globals) daemon(ctx context.Context) (c *api.Client, ok bool, err error) {
	c, err = dial(ctx, g.home)
	if errors.Is(err, api.ErrNoDaemon) || errors.Is(err, api.ErrDaemonGone) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// needDaemon connects to the running daemon or says how to start one. A
// daemon runs without a user key in its home when its keys are derived
// (up --derive-keys), so the home is checked only when none answers.
func (g *globals) needDaemon(ctx context.Context, what string) (*api.Client, error) {
	c, err := dial(ctx, g.home)
	if err == nil {
		return c, nil
	}
	if cerr := g.home.Check(); cerr != nil {
		return nil, cerr
	}
	return nil, fmt.Errorf("%s needs a running node: %w", what, err)
}

// dial finds the daemon and checks that it answers.
func dial(ctx context.Context, dir home.Dir) (*api.Client, error) {
	c, err := api.Dial(dir)
	if err != nil {
		return nil, err
	}
	if err := c.Ping(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// local opens the home's store directly, for when no daemon runs.
func (g *globals) local(withKey bool) (*node.Local, error) {
	if err := g.home.Check(); err != nil {
		return nil, err
	}
	var user *identity.User
	if withKey {
		u, err := g.loadUser()
		if err != nil {
			return nil, err
		}
		user = u
	}
	l, err := node.OpenLocal(g.home.Store(), user, g.logger)
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("the store in %s is in use by another process, but no daemon answers for it; stop that process and try again", g.home)
	}
	return l, err
}
