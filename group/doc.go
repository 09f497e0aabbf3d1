// Package group names groups and their GossipSub topics. An open channel's
// group ID derives from its name, so everyone who types the same name meets in
// the same channel; the topic name derives from the group ID.
package group
