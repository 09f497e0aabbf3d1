package simhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Private groups in a simulation: their invite links come from the node of
// the member who creates the group, so no link exists before the run. The
// creator writes them to a directory every host shares (an organiser
// handing out QR codes before the event); members and relays wait there
// for theirs. NAME.link is the member's invite, NAME.carrier the relay's.

// Invite file suffixes.
const (
	InviteSuffix  = ".link"
	CarrierSuffix = ".carrier"
)

var inviteName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ErrInviteName means a group's name cannot name its invite file.
var ErrInviteName = errors.New("simhost: a private group's name for its invite file must be 1-64 letters, digits, dots, dashes and underscores, starting with a letter or digit")

// CheckInviteName checks that name can name an invite file.
func CheckInviteName(name string) error {
	if !inviteName.MatchString(name) {
		return fmt.Errorf("%w: %q", ErrInviteName, name)
	}
	return nil
}

// PublishInvite writes a private group's invite and carrier links into
// dir, each whole or not at all: a reader never sees half a link.
func PublishInvite(dir, name, invite, carrier string) error {
	if err := CheckInviteName(name); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("invite directory: %w", err)
	}
	for suffix, link := range map[string]string{InviteSuffix: invite, CarrierSuffix: carrier} {
		tmp, err := os.CreateTemp(dir, ".tmp-*")
		if err != nil {
			return fmt.Errorf("write the invite of %s: %w", name, err)
		}
		_, err = tmp.WriteString(link + "\n")
		err = errors.Join(err, tmp.Close())
		if err == nil {
			err = os.Rename(tmp.Name(), filepath.Join(dir, name+suffix))
		}
		if err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("write the invite of %s: %w", name, err)
		}
	}
	return nil
}

// AwaitInvite waits until the creator of the private group name has
// published its links in dir, checking every interval, and returns the
// invite link (or, with carrier, the carrier link). Only ctx bounds the
// wait: a creator that never comes is the run's failure to report.
func AwaitInvite(ctx context.Context, dir, name string, carrier bool, interval time.Duration) (string, error) {
	if err := CheckInviteName(name); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name+InviteSuffix)
	if carrier {
		path = filepath.Join(dir, name+CarrierSuffix)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			link := strings.TrimSpace(string(b))
			if link == "" {
				return "", fmt.Errorf("%s is empty", path)
			}
			return link, nil
		case !errors.Is(err, os.ErrNotExist):
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for %s, which the group's creator writes: %w", path, context.Cause(ctx))
		case <-t.C:
		}
	}
}
