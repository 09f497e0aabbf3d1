package api

import "strings"

// Describe says in words what a moderation message did, to follow its
// author's name: "deleted a message: wrong time", "banned NAME: spam",
// "made NAME an admin". who names the person with a fingerprint (a
// nickname, a short fingerprint). It reports false for a message that is
// not a deletion, an Op or an alert. A reason is quoted as its author wrote it; the
// caller makes it safe to show.
func Describe(m Message, who func(fingerprint string) string) (string, bool) {
	switch m.Kind {
	case "delete":
		return withReason("deleted a message", m.Text), true
	case "alert":
		return "sent an ALERT: " + m.Text, true
	case "op":
	default:
		return "", false
	}
	if m.Unreadable {
		return "changed the group (a sealed change this device cannot read)", true
	}
	target := who(m.Target)
	switch m.Action {
	case "ban":
		return withReason("banned "+target, m.Reason), true
	case "unban":
		return "lifted the ban on " + target, true
	case "remove":
		return "removed " + target + " from the group", true
	case "add":
		return "added " + target + " to the group", true
	case "role":
		switch m.Role {
		case "admin":
			return "made " + target + " an admin", true
		case "poster":
			return "made " + target + " a poster", true
		}
		return "took away the admin or poster role of " + target, true
	case "settings":
		return "changed the group's settings", true
	case "rekey":
		return "gave the group a new key", true
	}
	return "changed the group (" + strings.TrimSpace(m.Action+" "+m.Text) + ")", true
}

func withReason(s, reason string) string {
	if reason == "" {
		return s
	}
	return s + ": " + reason
}
