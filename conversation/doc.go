// Package conversation is a user's side of the conversations in their
// groups: replies, reactions and the people a mention can name. A reply is
// a text whose ref names the message it answers; a reaction is a message
// of its own (group.Reaction), taken back by deleting it.
package conversation
