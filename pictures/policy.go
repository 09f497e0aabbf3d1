package pictures

import (
	"fmt"

	"starling/media"
)

// Fetch says when a node fetches the chunks of the pictures it hears
// of (media/design.md, "Push or fetch").
type Fetch string

// The fetch policies.
const (
	// FetchSmall (the default) fetches at once in groups of at most
	// Policy.AutoFetchPeers peers, and on relays; elsewhere when the
	// user opens or saves the picture.
	FetchSmall Fetch = ""
	// FetchAlways fetches every picture at once.
	FetchAlways Fetch = "auto"
	// FetchOnDemand fetches only when the user asks.
	FetchOnDemand Fetch = "demand"
)

// Policy sets how a node sends and fetches pictures. Zero fields take
// the defaults documented on them.
type Policy struct {
	// Media sets what Prepare does with a picture sent from this node
	// (media.Config's defaults: about 100 KiB, a 40 MiB file at most).
	Media media.Config
	// Fetch is the fetch policy; default FetchSmall.
	Fetch Fetch
	// AutoFetchPeers is the largest group (in peers of its topic this node
	// sees) where FetchSmall fetches at once. Default 50.
	AutoFetchPeers int
	// MaxFetchPeers bounds the peers one fetch asks. Default 8.
	MaxFetchPeers int
	// MaxBroken bounds the pictures remembered as broken. Default 4096.
	MaxBroken int
}

// Fill checks the policy and sets the defaults of its zero fields.
func (c *Policy) Fill() error {
	switch c.Fetch {
	case FetchSmall, FetchAlways, FetchOnDemand:
	default:
		return fmt.Errorf("image fetch policy %q: want %q or %q (or empty for small groups)", c.Fetch, FetchAlways, FetchOnDemand)
	}
	if c.AutoFetchPeers == 0 {
		c.AutoFetchPeers = 50
	}
	if c.MaxFetchPeers == 0 {
		c.MaxFetchPeers = 8
	}
	if c.MaxBroken == 0 {
		c.MaxBroken = 4096
	}
	return nil
}
