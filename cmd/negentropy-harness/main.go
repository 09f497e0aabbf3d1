// Command negentropy-harness drives the negentropy package through the line
// protocol of the reference implementation's test harness
// (github.com/hoytech/negentropy, test/cpp/harness.cpp), so the reference
// conformance driver (test/fuzz.pl) can run it against the C++ or JS
// harnesses, and Starling's own tests can run two of it against each other.
//
// Input lines, one command each (empty lines are ignored):
//
//	item,TIMESTAMP,IDHEX   add an item (before seal)
//	seal                   sort the items and start a session
//	initiate               become the client; print the first message
//	msg,HEX                a message from the peer: the server prints its
//	                       answer; the client prints have,IDHEX and
//	                       need,IDHEX lines, then done or its next message
//
// Output lines: msg,HEX   have,IDHEX   need,IDHEX   done
//
// FRAMESIZELIMIT in the environment sets the frame size limit (0 or unset:
// none). Any error ends the program with status 1 and a message on stderr,
// as the reference harness ends with an exception.
package main

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"starling/negentropy"
)

func main() {
	limit := 0
	if s := os.Getenv("FRAMESIZELIMIT"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "negentropy-harness: FRAMESIZELIMIT=%q is not a byte count\n", s)
			os.Exit(1)
		}
		limit = n
	}
	if err := run(os.Stdin, os.Stdout, limit); err != nil {
		fmt.Fprintln(os.Stderr, "negentropy-harness:", err)
		os.Exit(1)
	}
}

// maxMessage is far above anything the reference test drivers send (their
// largest frames are 500,000 bytes), like the reference harness's absence
// of a cap; maxLine fits it in hex with the command.
const (
	maxMessage = 256 << 20
	maxLine    = 2*maxMessage + 16
)

func run(stdin io.Reader, stdout io.Writer, limit int) error {
	in := bufio.NewReaderSize(stdin, 1<<16)
	out := bufio.NewWriter(stdout)
	h := harness{out: out, limit: limit, storage: negentropy.NewVector()}
	for lineNo := 1; ; lineNo++ {
		line, err := readLine(in)
		if errors.Is(err, io.EOF) {
			return out.Flush()
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", lineNo, err)
		}
		if line == "" {
			continue
		}
		if err := h.command(strings.Split(line, ",")); err != nil {
			return fmt.Errorf("line %d: %w", lineNo, err)
		}
	}
}

// readLine returns the next line without its line ending.
func readLine(in *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, err := in.ReadSlice('\n')
		if b.Len()+len(chunk) > maxLine {
			return "", fmt.Errorf("line longer than %d bytes", maxLine)
		}
		b.Write(chunk)
		switch {
		case err == nil:
			return strings.TrimRight(b.String(), "\r\n"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && b.Len() > 0:
			return strings.TrimRight(b.String(), "\r\n"), nil
		default:
			return "", err
		}
	}
}

type harness struct {
	out       *bufio.Writer
	limit     int
	storage   *negentropy.Vector
	ne        *negentropy.Negentropy
	initiator bool
}

func (h *harness) command(f []string) error {
	switch f[0] {
	case "item":
		if len(f) != 3 {
			return errors.New("item: want item,TIMESTAMP,IDHEX")
		}
		ts, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return fmt.Errorf("item: timestamp: %w", err)
		}
		id, err := hex.DecodeString(f[2])
		if err != nil || len(id) != negentropy.IDSize {
			return fmt.Errorf("item: id %q is not %d hex bytes", f[2], negentropy.IDSize)
		}
		return h.storage.Insert(ts, [negentropy.IDSize]byte(id))
	case "seal":
		if err := h.storage.Seal(); err != nil {
			return err
		}
		ne, err := negentropy.New(h.storage, negentropy.Config{FrameSizeLimit: h.limit, MaxMessageSize: maxMessage})
		h.ne = ne
		return err
	case "initiate":
		if h.ne == nil {
			return errors.New("initiate before seal")
		}
		h.initiator = true
		q, err := h.ne.Initiate()
		if err != nil {
			return err
		}
		return h.message(q)
	case "msg":
		if h.ne == nil {
			return errors.New("msg before seal")
		}
		var q []byte
		if len(f) >= 2 {
			var err error
			if q, err = hex.DecodeString(f[1]); err != nil {
				return fmt.Errorf("msg: %w", err)
			}
		}
		if !h.initiator {
			answer, err := h.ne.Reconcile(q)
			if err != nil {
				return err
			}
			return h.message(answer)
		}
		next, have, need, err := h.ne.ReconcileClient(q)
		if err != nil {
			return err
		}
		for _, id := range have {
			fmt.Fprintf(h.out, "have,%x\n", id)
		}
		for _, id := range need {
			fmt.Fprintf(h.out, "need,%x\n", id)
		}
		if next == nil {
			fmt.Fprintln(h.out, "done")
			return h.out.Flush()
		}
		return h.message(next)
	default:
		return fmt.Errorf("unknown command %q", f[0])
	}
}

// message prints one protocol message and flushes, since the peer waits for
// it; the reference harness checks its own frame size limit the same way.
func (h *harness) message(q []byte) error {
	if h.limit != 0 && len(q) > h.limit {
		return fmt.Errorf("frame size limit exceeded: %d > %d", len(q), h.limit)
	}
	fmt.Fprintf(h.out, "msg,%x\n", q)
	return h.out.Flush()
}
