//go:build js && wasm

// Command starling-phone-wasm is the phone page's engine (package
// phone/engine) as WebAssembly: it sets globalThis.starling to the
// JavaScript API phone/API.md documents and waits for calls. Build it with
// scripts/build-phone-wasm, which writes phone/assets/starling.wasm.
package main

import (
	"fmt"
	"syscall/js"

	"starling/message"
	"starling/phone/engine"
)

// apiVersion is phone/API.md's version.
const apiVersion = "1"

func main() {
	e := engine.New(nil)
	api := js.Global().Get("Object").New()
	api.Set("version", apiVersion)
	api.Set("catchupProtocol", engine.CatchupProtocol)
	api.Set("fetchProtocol", engine.FetchProtocol)
	for name, f := range functions(e) {
		api.Set(name, fn(f))
	}
	js.Global().Set("starling", api)
	if ready := js.Global().Get("onStarlingReady"); ready.Type() == js.TypeFunction {
		ready.Invoke(api)
	}
	select {}
}

// functions are the API's calls.
func functions(e *engine.Engine) map[string]func(a args) (any, error) {
	return map[string]func(a args) (any, error){
		"createIdentity": func(a args) (any, error) {
			name, err := a.str(0, "name")
			if err != nil {
				return nil, err
			}
			rec, me, err := e.CreateIdentity(name)
			return struct {
				Identity engine.IdentityRecord `json:"identity"`
				Me       engine.Me             `json:"me"`
			}{rec, me}, err
		},
		"loadIdentity": func(a args) (any, error) {
			var rec engine.IdentityRecord
			if err := a.record(0, "identity", &rec); err != nil {
				return nil, err
			}
			me, err := e.LoadIdentity(rec)
			return meResult{me}, err
		},
		"whoami": func(args) (any, error) { return e.Whoami() },
		"safetyNumber": func(a args) (any, error) {
			key, err := a.str(0, "publicKey")
			if err != nil {
				return nil, err
			}
			n, err := e.SafetyNumber(key)
			return struct {
				Number string `json:"number"`
			}{n}, err
		},
		"parseInvite": func(a args) (any, error) {
			link, err := a.str(0, "link")
			if err != nil {
				return nil, err
			}
			return engine.ParseInvite(link)
		},
		"join": func(a args) (any, error) {
			link, err := a.str(0, "link")
			if err != nil {
				return nil, err
			}
			return e.Join(link)
		},
		"joinChannel": func(a args) (any, error) {
			name, err := a.str(0, "name")
			if err != nil {
				return nil, err
			}
			return e.JoinChannel(name)
		},
		"leave": func(a args) (any, error) {
			id, err := a.str(0, "groupId")
			if err != nil {
				return nil, err
			}
			return struct{}{}, e.Leave(id)
		},
		"groups": func(args) (any, error) { return e.Groups(), nil },
		"groupInfo": func(a args) (any, error) {
			id, err := a.str(0, "groupId")
			if err != nil {
				return nil, err
			}
			return e.GroupInfo(id)
		},
		"groupRecord": func(a args) (any, error) {
			id, err := a.str(0, "groupId")
			if err != nil {
				return nil, err
			}
			return e.GroupRecord(id)
		},
		"invite": func(a args) (any, error) {
			id, err := a.str(0, "groupId")
			if err != nil {
				return nil, err
			}
			relays, err := a.strs(1, "relays")
			if err != nil {
				return nil, err
			}
			link, err := e.InviteLink(id, relays)
			return struct {
				Link string `json:"link"`
			}{link}, err
		},
		"receive": func(a args) (any, error) {
			raw, err := a.bytes(0, "raw")
			if err != nil {
				return nil, err
			}
			topic, err := a.optStr(2, "topic")
			if err != nil {
				return nil, err
			}
			return e.Receive(raw, topic), nil
		},
		"post": func(a args) (any, error) {
			id, text, reply, err := a.three("groupId", "text", "replyTo")
			if err != nil {
				return nil, err
			}
			return e.Post(id, text, reply)
		},
		"react": func(a args) (any, error) {
			id, msg, emoji, err := a.three("groupId", "messageId", "emoji")
			if err != nil {
				return nil, err
			}
			return e.React(id, msg, emoji, a.flag(3))
		},
		"deleteMessage": func(a args) (any, error) {
			id, msg, reason, err := a.three("groupId", "messageId", "reason")
			if err != nil {
				return nil, err
			}
			return e.DeleteMessage(id, msg, reason)
		},
		"ban": func(a args) (any, error) {
			id, fp, reason, err := a.three("groupId", "fingerprint", "reason")
			if err != nil {
				return nil, err
			}
			return e.Ban(id, fp, reason)
		},
		"unban": func(a args) (any, error) {
			id, fp, _, err := a.three("groupId", "fingerprint", "")
			if err != nil {
				return nil, err
			}
			return e.Unban(id, fp)
		},
		"ackAlert": func(a args) (any, error) {
			id, alert, _, err := a.three("groupId", "alertId", "")
			if err != nil {
				return nil, err
			}
			return e.AckAlert(id, alert)
		},
		"view": func(a args) (any, error) {
			raw, err := a.bytes(0, "raw")
			if err != nil {
				return nil, err
			}
			return e.View(raw)
		},
		"reactions": func(a args) (any, error) {
			id, msg, _, err := a.three("groupId", "messageId", "")
			if err != nil {
				return nil, err
			}
			return e.Reactions(id, msg)
		},
		"has": func(a args) (any, error) {
			s, err := a.str(0, "id")
			if err != nil {
				return nil, err
			}
			id, err := message.ParseID(s)
			if err != nil {
				return nil, &engine.Error{Code: engine.CodeBadArgument, Err: err}
			}
			return e.Has(id), nil
		},
		"restore": func(a args) (any, error) {
			var s engine.Snapshot
			if err := a.record(0, "snapshot", &s); err != nil {
				return nil, err
			}
			return e.Restore(s)
		},
		"syncStart": func(a args) (any, error) {
			id, err := a.str(0, "groupId")
			if err != nil {
				return nil, err
			}
			return e.SyncStart(id)
		},
		"syncFeed": func(a args) (any, error) {
			session, data, err := a.sessionBytes()
			if err != nil {
				return nil, err
			}
			return e.SyncFeed(session, data), nil
		},
		"fetchStart": func(a args) (any, error) {
			id, err := a.str(0, "manifestId")
			if err != nil {
				return nil, err
			}
			return e.FetchStart(id)
		},
		"fetchFeed": func(a args) (any, error) {
			session, data, err := a.sessionBytes()
			if err != nil {
				return nil, err
			}
			return e.FetchFeed(session, data), nil
		},
		"fetchClose": closer(e.FetchClose),
		"takeChunks": func(a args) (any, error) {
			id, err := a.str(0, "manifestId")
			if err != nil {
				return nil, err
			}
			var raws [][]byte
			if err := valueFromJS(a.get(1), reflectOf(&raws), "raws"); err != nil {
				return nil, &engine.Error{Code: engine.CodeBadArgument, Err: err}
			}
			return e.TakeChunks(id, raws)
		},
		"picture": func(a args) (any, error) {
			id, err := a.str(0, "manifestId")
			if err != nil {
				return nil, err
			}
			return e.PictureOf(id)
		},
		"syncClose": closer(e.SyncClose),
	}
}

// closer is a call that forgets a session.
func closer(close func(int)) func(a args) (any, error) {
	return func(a args) (any, error) {
		session, err := a.int(0, "session")
		if err != nil {
			return nil, err
		}
		close(session)
		return struct{}{}, nil
	}
}

// sessionBytes reads a feed's arguments: a session and the bytes its
// stream delivered.
func (a args) sessionBytes() (int, []byte, error) {
	session, err := a.int(0, "session")
	if err != nil {
		return 0, nil, err
	}
	data, err := a.bytes(1, "bytes")
	return session, data, err
}

type meResult struct {
	Me engine.Me `json:"me"`
}

// fn wraps a call: its error becomes {error, code}, and a panic (a bug,
// never the input's fault) becomes code "internal" rather than killing the
// engine for the page's lifetime.
func fn(f func(a args) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, a []js.Value) (out any) {
		defer func() {
			if r := recover(); r != nil {
				out = errorObject(engine.CodeInternal, fmt.Sprintf("internal error: %v", r))
			}
		}()
		v, err := f(args(a))
		if err != nil {
			return errorObject(engine.CodeOf(err), err.Error())
		}
		return toJS(v)
	})
}

func errorObject(code, msg string) js.Value {
	o := js.Global().Get("Object").New()
	o.Set("error", msg)
	o.Set("code", code)
	return o
}

// args reads a call's arguments, each checked for its type.
type args []js.Value

func (a args) get(i int) js.Value {
	if i >= len(a) {
		return js.Undefined()
	}
	return a[i]
}

func badArg(name, want string) error {
	return &engine.Error{Code: engine.CodeBadArgument, Err: fmt.Errorf("%s: want %s", name, want)}
}

func (a args) str(i int, name string) (string, error) {
	v := a.get(i)
	if v.Type() != js.TypeString {
		return "", badArg(name, "a string")
	}
	return v.String(), nil
}

// optStr is a string argument that may be left out ("").
func (a args) optStr(i int, name string) (string, error) {
	if v := a.get(i); v.IsUndefined() || v.IsNull() {
		return "", nil
	}
	return a.str(i, name)
}

// three reads three string arguments; the third may be left out, and is
// not read at all when its name is "".
func (a args) three(n0, n1, n2 string) (s0, s1, s2 string, err error) {
	if s0, err = a.str(0, n0); err != nil {
		return
	}
	if s1, err = a.str(1, n1); err != nil {
		return
	}
	if n2 != "" {
		s2, err = a.optStr(2, n2)
	}
	return
}

func (a args) flag(i int) bool {
	v := a.get(i)
	return v.Type() == js.TypeBoolean && v.Bool()
}

func (a args) int(i int, name string) (int, error) {
	v := a.get(i)
	if v.Type() != js.TypeNumber {
		return 0, badArg(name, "a number")
	}
	return v.Int(), nil
}

func (a args) bytes(i int, name string) ([]byte, error) {
	v := a.get(i)
	if v.Type() != js.TypeObject || !v.InstanceOf(uint8Array) {
		return nil, badArg(name, "a Uint8Array")
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b, nil
}

func (a args) strs(i int, name string) ([]string, error) {
	v := a.get(i)
	if v.IsUndefined() || v.IsNull() {
		return nil, nil
	}
	var out []string
	if err := valueFromJS(v, reflectOf(&out), name); err != nil {
		return nil, &engine.Error{Code: engine.CodeBadArgument, Err: err}
	}
	return out, nil
}

func (a args) record(i int, name string, dst any) error {
	v := a.get(i)
	if v.Type() != js.TypeObject {
		return badArg(name, "an object")
	}
	if err := fromJS(v, dst); err != nil {
		return &engine.Error{Code: engine.CodeBadArgument, Err: fmt.Errorf("%s: %w", name, err)}
	}
	return nil
}
