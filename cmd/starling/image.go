package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"starling/api"
)

// sendImage is `send GROUP --image FILE [CAPTION]`.
func (g *globals) sendImage(cmd *cobra.Command, args []string, file string, asJSON bool) error {
	caption := ""
	if len(args) == 2 {
		caption = args[1]
		if err := api.CheckText(caption); err != nil {
			return usageError{err}
		}
	}
	st, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("read the picture: %w", err)
	}
	if st.Size() > api.MaxImageUpload {
		return fmt.Errorf("%s is %s; pictures up to %d MiB are taken: send a smaller one", file, byteSize(st.Size()), api.MaxImageUpload>>20)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read the picture: %w", err)
	}
	c, err := g.needDaemon(cmd.Context(), "sending a picture")
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.SendImage(cmd.Context(), args[0], data, caption, "")
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(cmd, res)
	}
	out := cmd.OutOrStdout()
	desc := imageLine(res.Message.Image)
	if res.Queued {
		fmt.Fprintf(out, "queued picture %s (%s): no peer in %s yet; it goes out when one is there\n", res.Message.ID, desc, res.Message.Group)
		return nil
	}
	fmt.Fprintf(out, "sent picture %s (%s) to %d peers in %s\n", res.Message.ID, desc, res.Peers, res.Message.Group)
	return nil
}

// imageLine describes a picture for people: "1600×1200 JPEG, 99 KB".
func imageLine(im *api.Image) string {
	if im == nil {
		return "picture"
	}
	f := map[string]string{"jpeg": "JPEG", "png": "PNG"}[im.Format]
	if f == "" {
		f = im.Format
	}
	return fmt.Sprintf("%d×%d %s, %s", im.Width, im.Height, f, byteSize(int64(im.Size)))
}

func newImage(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Pictures: save one to a file",
	}
	cmd.AddCommand(newImageSave(g))
	return cmd
}

func newImageSave(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "save MESSAGE_ID [FILE]",
		Short: "Save a picture to a file, fetching it from peers first if needed",
		Long: `Saves the picture whose message ID is MESSAGE_ID (or starts with it: 8 hex
digits or more, as the terminal chat and ` + "`log`" + ` show it) to FILE, by default
starling-<digest>.jpg (or .png) in the current directory. If this node does not
hold all of it yet, it fetches the rest from the group's peers first. It refuses
to overwrite a file unless --force. Needs the node.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError{fmt.Errorf("image save takes a message ID and, optionally, a file to write (see `%s --help`)", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "saving a picture")
			if err != nil {
				return err
			}
			defer c.Close()
			pic, err := c.Image(cmd.Context(), args[0], true)
			if err != nil {
				return err
			}
			path := pic.Name
			if len(args) == 2 {
				path = args[1]
			}
			if path == "" || path == "." {
				return errors.New("the node suggested no file name; give one")
			}
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(path, flags, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s exists; choose another name or add --force", path)
			}
			if err != nil {
				return err
			}
			if _, err := f.Write(pic.Data); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "saved %s (%s, %s)\n", path, pic.Type, byteSize(int64(len(pic.Data))))
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite FILE if it exists")
	return cmd
}

// pictureLine is how `log` prints a picture: what it is, its caption and
// the command that saves it.
func pictureLine(m api.Message) string {
	s := "[picture " + imageLine(m.Image)
	if m.Text != "" {
		s += ": " + forTerminal(m.Text, true)
	}
	s += "]"
	switch {
	case m.Image.Broken:
		s += " (damaged: its sender's app is faulty)"
	case m.Image.Held < m.Image.Chunks:
		s += fmt.Sprintf(" (held %d/%d here)", m.Image.Held, m.Image.Chunks)
	}
	return s + fmt.Sprintf(" (save: starling image save %.8s)", m.ID)
}
