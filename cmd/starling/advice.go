package main

import (
	"errors"

	"starling/api"
	"starling/group"
	"starling/home"
	"starling/store"
)

// advice is what a person can do about err, worded for the command line:
// the libraries' errors say what went wrong and leave the next step to the
// program that shows them (the simulator and tests have none to offer). It
// starts with "; " or is empty.
func advice(err error) string {
	code, channel, rejoin := "", "", ""
	var ae *api.APIError
	if errors.As(err, &ae) {
		code, channel, rejoin = ae.Code, ae.Channel, ae.Rejoin
	}
	var nj *group.NotJoinedError
	if errors.As(err, &nj) {
		channel, rejoin = nj.Channel, nj.Rejoin
	}
	switch {
	case errors.Is(err, home.ErrNotInitialised):
		return "; run `starling init --name NAME` first (or pass --home)"
	case errors.Is(err, store.ErrLocked):
		return "; stop that process, or talk to the node through its local API"
	case errors.Is(err, store.ErrCorrupt):
		return "; `starling store check --repair` quarantines what is damaged and keeps the rest (peers can send the messages again)"
	case errors.Is(err, store.ErrSchema):
		return "; upgrade starling"
	case errors.Is(err, group.ErrCarried) || code == api.CodeCarried:
		return "; leave it (`starling leave GROUP`) and join again with this link"
	case (errors.Is(err, group.ErrNotJoined) || code == api.CodeNotJoined) && rejoin != "":
		return "; `starling join " + rejoin + "` joins it again (`starling log " + rejoin + "` reads what this device kept of it)"
	case (errors.Is(err, group.ErrNotJoined) || code == api.CodeNotJoined) && channel != "":
		return "; join it first with `starling join " + channel + "`"
	case errors.Is(err, group.ErrNotJoined) || code == api.CodeNotJoined:
		return "; join it first with the invite link you were given (or `starling join NAME` for an open channel)"
	}
	return ""
}
