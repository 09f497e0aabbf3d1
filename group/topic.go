package group

import (
	"encoding/hex"
	"regexp"

	"starling/message"
)

// topicPrefix starts every Starling topic name; the version lets a later
// wire format live beside this one.
const topicPrefix = "/starling/1/g/"

// TopicPattern matches every topic name Topic can return. Nodes use it to
// refuse subscriptions to anything else.
var TopicPattern = regexp.MustCompile(`^/starling/1/g/[0-9a-f]{64}$`)

// Topic returns the GossipSub topic name of an open group.
func Topic(id message.GroupID) string {
	return topicPrefix + hex.EncodeToString(id[:])
}
