package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"runtime"

	"github.com/spf13/cobra"

	"starling/daemon"
	"starling/webui"
)

// webFlags are the web UI flags of `up`.
type webFlags struct {
	addr string
	lan  bool
}

func (w *webFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&w.addr, "web", "", "serve the web UI on this loopback `HOST:PORT`, such as 127.0.0.1:0 (a port of 0 picks one); starling open opens it")
	f.BoolVar(&w.lan, "web-lan", false, "also serve the web UI on this machine's LAN addresses, so a phone can use this node; prints a pairing link and its QR code")
}

// config checks the flags (--web-lan alone means --web 127.0.0.1:0) and
// returns the daemon's web UI config, nil when --web is off.
func (w *webFlags) config() (*daemon.Web, error) {
	if w.lan && w.addr == "" {
		w.addr = "127.0.0.1:0"
	}
	if w.addr == "" {
		return nil, nil
	}
	if err := webui.CheckLoopback(w.addr); err != nil {
		return nil, usageError{err}
	}
	return &daemon.Web{Addr: w.addr, LAN: w.lan}, nil
}

// printPairing shows the LAN links with a QR code each, and what they give.
func printPairing(out io.Writer, rec webui.Record) {
	for _, link := range rec.LANLinks() {
		fmt.Fprintf(out, "web-lan %s\n", link)
		if code, err := qrCode(link); err == nil {
			fmt.Fprint(out, qrTerminal(code))
		}
	}
	fmt.Fprintln(out, "Scan the code with a phone on the same network to use this node from it. The link is a key to "+
		"your account here: show it only to your own phone. The page travels unencrypted, so anyone on this "+
		"network who records its traffic can read it; prefer a network you trust, such as your own hotspot.")
}

func newOpen(g *globals) *cobra.Command {
	var printOnly, lan bool
	cmd := &cobra.Command{
		Use:   "open",
		Short: "Open the web UI of your running node in a browser",
		Long: `Open the web UI that starling up --web serves, in your default browser. The
link carries a token that gives the page your node's account, so the browser
is handed a private file in your home that forwards to it, never the link on
its command line. --print prints the link instead (for another browser, or
over SSH); --lan prints the pairing links and QR codes of starling up
--web-lan, for a phone.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := g.needDaemon(cmd.Context(), "open"); err != nil {
				return err
			}
			rec, err := webui.ReadRecord(g.home)
			if err == nil {
				err = rec.Ping(cmd.Context())
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch {
			case lan:
				if len(rec.LAN) == 0 {
					return fmt.Errorf("your node serves the web UI on this machine only; restart it with `starling up --web-lan` to use it from a phone")
				}
				printPairing(out, rec)
				return nil
			case printOnly:
				fmt.Fprintln(out, rec.Link())
				return nil
			}
			page, err := webui.WriteOpenPage(g.home, rec.Link())
			if err != nil {
				return err
			}
			if err := launchBrowser((&url.URL{Scheme: "file", Path: page}).String()); err != nil {
				fmt.Fprintln(out, rec.Link())
				fmt.Fprintf(cmd.ErrOrStderr(), "could not start a browser (%v); open the link above in one\n", err)
				return nil
			}
			fmt.Fprintf(out, "opened the web UI (http://%s) in your browser\n", rec.Local)
			return nil
		},
	}
	cmd.Flags().BoolVar(&printOnly, "print", false, "print the link instead of opening a browser")
	cmd.Flags().BoolVar(&lan, "lan", false, "print the LAN pairing links and their QR codes, for a phone")
	return cmd
}

// errNoOpener: this system has no known command that opens a browser.
var errNoOpener = errors.New("no xdg-open or open command on this system")

// launchBrowser hands target to the desktop's opener and does not wait: some
// openers run the browser in the foreground until it exits.
func launchBrowser(target string) error {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return errNoOpener
	}
	c := exec.Command(path, target)
	if err := c.Start(); err != nil {
		return err
	}
	return c.Process.Release()
}
