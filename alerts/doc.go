// Package alerts is a node's organiser alerts (issue 18). An alert is a message of its own kind
// (group.Alert) that only the owner and admins of a created group send. It
// goes out by gossip like any message, and then three things keep it ahead
// of ordinary traffic and tell its sender how far it got:
//
//   - Re-offers. A node that holds an alert offers it, over a stream of its
//     own (Protocol, not the gossip queues), to the group's peers it
//     does not know to hold it, a few rounds apart (alertOfferRounds) and
//     for a bounded time (alertLive). A peer that has it says so in one
//     byte; one that lacks it takes it through the same rules and admission
//     as a catch-up push.
//   - Acknowledgements. A device that displayed an alert signs a tiny
//     acknowledgement (message.KindAlertAck, about 170 bytes) and pushes it
//     to at most alertAckPeers of the group's peers, relays first; it is
//     never gossiped, stored or reconciled. Every node counts the acks it
//     holds, so a relay aggregates those of all the attendees connected to
//     it. The owner's and admins' nodes pull the acks their peers hold
//     (cursor by cursor, so nothing twice from one peer), and so learn the
//     reach of a 10,000-person event from their relay in 10,000 small
//     records, once, instead of 10,000 gossiped messages through every
//     node.
//   - Reach. "Reached N of the M devices seen in this group in the last
//     hour": M is the most of the keys this node saw post in the group in
//     the last hour (and those whose acks it counts), the peers it saw on
//     the group's topic in the last hour, and the count a pulled organiser
//     relay reports. N counts the acks vouched for: pushed by the device's
//     own connection (at most alertPushesPerPeer per peer and alert),
//     served by an organiser relay (which had them so), or by a member this
//     node knows (a profile, or a message in the last hour). Acks of
//     throwaway keys served by anyone else add nothing, and each peer adds
//     at most alertPushesPerPeer; N never exceeds M.
//
// Everything is bounded: alertMaxHeld alerts (the oldest forgotten),
// alertMaxAcks acks per alert, alertMaxSeen keys and peers per group, a
// few pushes per peer per alert, and each stream's frame.
package alerts
