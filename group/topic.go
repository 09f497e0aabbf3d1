package group

import (
	"crypto/hmac"
	"crypto/sha256"
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

// Topic returns the GossipSub topic name of an open channel, open group or
// announcement channel.
func Topic(id message.GroupID) string {
	return topicPrefix + hex.EncodeToString(id[:])
}

// privateTopicInfo is what a private group's secret authenticates to name
// its topic.
const privateTopicInfo = "starling/topic/v1"

// TopicFor returns a group's topic name: Topic(id) when secret is empty
// (open channels, open and announcement groups), otherwise the private
// group's topic, "/starling/1/g/" + hex(HMAC-SHA256(secret,
// "starling/topic/v1")), which an observer cannot link to the group ID.
func TopicFor(id message.GroupID, secret []byte) string {
	if len(secret) == 0 {
		return Topic(id)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(privateTopicInfo))
	return topicPrefix + hex.EncodeToString(mac.Sum(nil))
}
