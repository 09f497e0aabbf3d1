package group_test

import (
	"crypto/sha256"
	"strings"
	"testing"

	"starling/group"
	"starling/message"
)

func TestTopic(t *testing.T) {
	id, _, err := group.OpenChannelID("lobby")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := group.Topic(id), "/starling/1/g/"+goldenLobby; got != want {
		t.Errorf("Topic(lobby) = %q, want %q", got, want)
	}
	for _, id := range []message.GroupID{{}, id, message.GroupID(sha256.Sum256([]byte("x"))), {0xff, 0xff, 0xff}} {
		if topic := group.Topic(id); !group.TopicPattern.MatchString(topic) {
			t.Errorf("TopicPattern does not match Topic(%s) = %q", id, topic)
		}
	}
}

func TestTopicPatternRefuses(t *testing.T) {
	topic := "/starling/1/g/" + goldenLobby
	for _, s := range []string{
		"",
		goldenLobby,
		topic[:len(topic)-1],
		topic + "0",
		topic + "\n",
		" " + topic,
		strings.ToUpper(topic),
		"/starling/1/g/" + strings.ToUpper(goldenLobby),
		"/starling/2/g/" + goldenLobby,
		"/starling/1/x/" + goldenLobby,
		"/starling/1/g/" + goldenLobby[:63] + "g",
		"/meshsub/1.1.0",
	} {
		if group.TopicPattern.MatchString(s) {
			t.Errorf("TopicPattern matches %q", s)
		}
	}
}
