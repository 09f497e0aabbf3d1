package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"starling/api"
	"starling/apiserver"
	"starling/store"
)

func newSend(g *globals) *cobra.Command {
	var (
		asJSON  bool
		image   string
		replyTo string
	)
	cmd := &cobra.Command{
		Use:   "send GROUP TEXT [--reply ID] | send GROUP --image FILE [CAPTION]",
		Short: "Sign and send a message (queued when no node runs or no peer is there)",
		Long: `Signs and sends a text message (up to 16 KiB of UTF-8, kept byte for byte) and
says how many peers took it, or that it is queued until a peer in the group is
there. In a group you can no longer post in (you were removed or banned, or you
joined a private group with an invite made before a removal) it sends nothing,
says why in one line and exits 1; a message already queued there is dropped,
marked refused. --reply ID answers the text ID names (its ID as
` + "`starling log --json`" + ` prints it, or its first 8 or more hex digits); replying
needs the node.

With --image FILE (JPEG, PNG or WebP) it sends a picture, with the text as its
caption: the node strips its metadata (EXIF, GPS), turns it upright, downscales
and re-encodes it to about 100 KB and sends it (needs the node).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if image != "" {
				if len(args) < 1 || len(args) > 2 {
					return usageError{fmt.Errorf("send --image takes a group and, optionally, a caption (see `%s --help`)", cmd.CommandPath())}
				}
				return nil
			}
			return exactArgs(2, "a group and the text (quote it)")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if image != "" {
				return g.sendImage(cmd, args, image, asJSON)
			}
			if err := api.CheckText(args[1]); err != nil {
				return usageError{err}
			}
			send := g.send
			if replyTo != "" {
				send = func(cmd *cobra.Command, ref, text string) (api.SendResponse, error) {
					return g.reply(cmd, ref, text, replyTo)
				}
			}
			res, err := send(cmd, args[0], args[1])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, res)
			}
			out := cmd.OutOrStdout()
			switch {
			case !res.Queued:
				fmt.Fprintf(out, "sent %s to %s in %s\n", res.Message.ID, count(res.Peers, "peer"), res.Message.Group)
			default:
				fmt.Fprintf(out, "queued %s: no peer in %s yet; it goes out when one is there\n", res.Message.ID, res.Message.Group)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&image, "image", "", "send the picture `FILE` (JPEG, PNG or WebP); the text is its caption")
	cmd.Flags().StringVar(&replyTo, "reply", "", "answer the message with this ID (or its first 8+ hex digits)")
	g.addPassphraseFlag(cmd) // queuing with no daemon running signs with the user key
	return cmd
}

// send goes through the daemon, or queues into the store's outbox when none
// runs; the daemon sends queued messages when it next has a peer.
func (g *globals) send(cmd *cobra.Command, ref, text string) (api.SendResponse, error) {
	c, ok, err := g.daemon(cmd.Context())
	if err != nil {
		return api.SendResponse{}, err
	}
	if ok {
		return c.Send(cmd.Context(), ref, text)
	}
	l, err := g.local(true)
	if err != nil {
		return api.SendResponse{}, err
	}
	defer l.Close()
	m, err := l.Send(cmd.Context(), ref, text)
	if err != nil {
		return api.SendResponse{}, err
	}
	grp, err := l.ResolveGroup(ref)
	if err != nil {
		return api.SendResponse{}, err
	}
	fmt.Fprintln(cmd.ErrOrStderr(), "no node is running: the message is queued and goes out when `starling up` next has a peer in the group")
	content, _ := l.Open(m)
	view := apiserver.NewMessage(store.Stored{Msg: m, Origin: store.OriginOwn, ReceivedAt: m.Body.SentAt()}, grp.Name, content)
	return api.SendResponse{Message: view, Queued: true}, nil
}
