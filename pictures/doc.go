// Package pictures sends, fetches, checks and assembles a node's pictures
// (media/design.md). A picture is a manifest message, which
// travels like a text (gossip, catch-up, outbox), and chunk messages, which
// are never gossiped and never offered by catch-up: a node fetches them by
// ID (catchup.Fetcher) from the peers of the group once it holds the
// manifest that lists them, judges each against that manifest, and stores
// them under admission's budgets like any message. A chunk no manifest
// lists is never asked for, so never stored: a chunk flood from a
// throwaway key costs nothing but the bytes refused.
package pictures
