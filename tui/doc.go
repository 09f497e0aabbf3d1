// Package tui is the full-screen terminal chat of `starling chat`: the
// joined groups with unread counts, the conversation in the store's order
// (late arrivals land where they were written), the delivery state of this
// user's messages as it changes, an input line with history and commands,
// and a status bar with peers, relays and a warning when this node is cut
// off from a group.
//
// It talks to a running daemon only through the Client interface (the API
// client satisfies it) and never opens the store or the network itself.
// Run owns the terminal and every goroutine it starts: the event stream
// reader and the status ticker end before Run returns.
package tui
