// Package admission is the one path every received message takes before
// the store keeps it: live gossip, catch-up fetches and catch-up pushes
// alike, after validation (format, signature, group rules). It keeps one
// account per author, per peer, per address and per group, and says
// Accept or Ignore; it never says Reject, since nothing it checks is
// provably wrong, only over a limit.
//
// # Rules, in order
//
//  1. The owner's and admins' messages and this user's own are never
//     limited (they still count towards the group's storage).
//  2. Lower bound: a message dated before the group began (Config.Since:
//     the group's first descriptor, or History before now in a channel) is
//     ignored.
//  3. Rate, by sent_at: an author keeps at most Burst messages in each
//     window of Burst/Rate seconds of sent_at (20 per 10 s by default), and
//     in a slow-mode group at most one text per window of the slow mode.
//     Judged by sent_at rather than by arrival, the rule gives the same
//     answer whenever and however a message arrives: what live gossip
//     refused, catch-up refuses too. Windows older than RateHorizon are
//     forgotten; older messages are bounded by the budgets alone.
//     An alert (message.KindAlert) takes no chat rate window and is not
//     refused by one: it has its own budget, AlertBurst per AlertWindow of
//     sent_at per author, which binds the owner and admins too (alerts.go).
//  4. Author budget: an author stores at most AuthorBytes per group.
//  5. Peer and address budgets: every message from a peer that is not a
//     trusted relay costs its bytes from the peer's and its address's
//     token buckets (PeerBurst, PeerRate, AddrBurst, AddrRate). Fresh keys
//     from one machine all draw on the same buckets, so a key per message
//     gains nothing. A message refused here is not refused for good
//     (ErrThrottled): it may come later, or from another peer.
//  6. Group budget: a group stores at most GroupBytes. When a message does
//     not fit, the oldest texts and reactions go first (never this user's,
//     the owner's or admins', never a control message), down to 95 % of
//     the budget; a message older than what went, or that cannot make
//     room, is ignored.
//
// Admission keeps its accounts in memory, bounded (MaxAuthors per group,
// MaxTracked peers and addresses); a group's are built from the store the
// first time one of its messages is judged, and again when it is full.
package admission
