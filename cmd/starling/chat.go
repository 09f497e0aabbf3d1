package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"starling/api"
	"starling/message"
)

func newChat(g *globals) *cobra.Command {
	var history int
	cmd := &cobra.Command{
		Use:   "chat GROUP",
		Short: "Line-oriented chat: prints arrivals and sends each line you type",
		Long: `Line-oriented chat: prints the group's recent messages and each new one as it
arrives, and sends every line typed on standard input. End with Ctrl-D or
Ctrl-C. Works in pipes and scripts.`,
		Args: exactArgs(1, "one group name or ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "chat")
			if err != nil {
				return err
			}
			return chatLines(cmd, c, args[0], history)
		},
	}
	cmd.Flags().IntVar(&history, "history", 20, "how many recent messages to show first")
	return cmd
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
	followErr := make(chan error, 1)
	go func() { followErr <- followLog(ctx, c, ref, max(history, 1), print) }()

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
			err := checkText(line)
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
