// Package moderation is a user's side of managing their groups: invite
// links (with tickets for an organiser relay's invite-only ACL when the
// user may sign one), removing and admitting members of a private group,
// deletions, bans and unbans, and the group's settings and roles. It signs
// what the user asks for; the group's rules (group.State) decide whether
// they may, and every node checks the same rules again. It reaches the
// node only through Node.
package moderation
