package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"starling/api"
	"starling/message"
	"starling/tui"
)

func newChat(g *globals) *cobra.Command {
	var (
		history int
		plain   bool
	)
	cmd := &cobra.Command{
		Use:   "chat [GROUP] [--plain]",
		Short: "Chat full-screen in the terminal (line by line in pipes or with --plain)",
		Long: `Opens the full-screen chat: your groups with unread counts, the conversation
(late arrivals land where they were written), where each of your messages went,
and an input line with history. Type /help in it for the commands (/join,
/invite, /group create, /block, /quit) and keys. Without GROUP it opens your
first group.

With --plain, or when standard input or output is not a terminal, it is a
line-oriented chat for pipes and scripts instead: it prints the group's recent
messages and each new one as it arrives, and sends every line read from
standard input until Ctrl-D or Ctrl-C. GROUP is required then.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("chat takes at most one group (see `%s --help`)", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			lines := plain || !isTerminal(cmd.InOrStdin()) || !isTerminal(cmd.OutOrStdout())
			if lines && len(args) != 1 {
				return usageError{fmt.Errorf("chat in a pipe or with --plain takes one group name or ID (see `%s --help`)", cmd.CommandPath())}
			}
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			c, err := g.needDaemon(cmd.Context(), "chat")
			if err != nil {
				return err
			}
			if lines {
				return chatLines(cmd, c, ref, history)
			}
			// The screen belongs to the chat: no logger writes to it.
			return tui.Run(cmd.Context(), tui.Config{Client: c, Group: ref, Input: cmd.InOrStdin(), Output: cmd.OutOrStdout()})
		},
	}
	cmd.Flags().IntVar(&history, "history", 20, "line mode: how many recent messages to show first")
	cmd.Flags().BoolVar(&plain, "plain", false, "line-oriented chat even on a terminal")
	return cmd
}

// isTerminal reports whether f is a file on a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

func chatLines(cmd *cobra.Command, c *api.Client, ref string, history int) error {
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	if _, err := c.History(ctx, ref, 1, true, ""); err != nil {
		return err
	}
	var mu sync.Mutex // one writer at a time on stdout
	out := cmd.OutOrStdout()
	print := func(m api.Message) error {
		mu.Lock()
		defer mu.Unlock()
		return printMessage(out, m, false)
	}
	// The follower ends with ctx; the chat returns only once it has, so no
	// print of it outlives the command.
	followErr := make(chan error, 1)
	var following sync.WaitGroup
	following.Go(func() { followErr <- followLog(ctx, c, ref, max(history, 1), print) })
	defer func() {
		cancel()
		following.Wait()
	}()

	// readErr is written once, before lines closes.
	lines, readErr := make(chan string), make(chan error, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(cmd.InOrStdin())
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				readErr <- nil
				return
			}
		}
		readErr <- sc.Err()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-followErr:
			return err
		case line, ok := <-lines:
			if !ok {
				err := <-readErr
				if errors.Is(err, bufio.ErrTooLong) {
					return fmt.Errorf("a line on standard input is over 1 MiB; a message holds at most %d bytes, so split it", message.MaxTextSize)
				}
				if err != nil {
					return fmt.Errorf("read standard input: %w", err)
				}
				return nil
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			err := api.CheckText(line)
			var res api.SendResponse
			if err == nil {
				res, err = c.Send(ctx, ref, line)
			}
			if err != nil {
				mu.Lock()
				fmt.Fprintln(cmd.ErrOrStderr(), "not sent:", err)
				mu.Unlock()
				continue
			}
			if res.Queued {
				mu.Lock()
				fmt.Fprintln(cmd.ErrOrStderr(), "(queued: no peer in the group yet)")
				mu.Unlock()
			}
		}
	}
}
