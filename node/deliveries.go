package node

import (
	"context"

	"starling/delivery"
	"starling/message"
)

// Delivery reports where one of this user's recent messages went: queued
// on this device, handed to peers, or held by a relay (see package
// delivery). False for other messages, and for own messages older than the
// last delivery.DefaultLimit this node sent.
func (n *Node) Delivery(id message.ID) (delivery.Status, bool) { return n.deliveries.Get(id) }

// SubscribeDeliveries streams changes to the delivery of this user's
// messages until ctx ends, like Subscribe.
func (n *Node) SubscribeDeliveries(ctx context.Context) (updates <-chan delivery.Status, errf func() error) {
	return subscribe(ctx, n.deliveryHub)
}

// trackOutbox marks the messages a previous run left in the outbox as
// queued.
func (n *Node) trackOutbox() error {
	queued, err := n.store.Outbox()
	if err != nil {
		return err
	}
	for _, m := range queued {
		n.deliveries.Queued(m)
		n.holdIfPrivate(m)
	}
	return nil
}
