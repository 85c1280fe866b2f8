package history

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// MaxLine is the longest line ReadJSONL accepts, in bytes: one run's
// scorecard with every event of every scenario (a large nightly run's is
// a few MiB).
const MaxLine = 64 << 20

// WriteJSONL writes the runs of team (all teams for "") started at or
// after since (all for a zero since) to w, one JSON object a line,
// oldest first: the Run fields, the scorecard and export records
// included. It returns how many it wrote.
func (s *Store) WriteJSONL(ctx context.Context, w io.Writer, since time.Time, team string) (int, error) {
	runs, err := s.ListTeam(ctx, since, team)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(w)
	for i, r := range runs {
		b, err := json.Marshal(r)
		if err != nil {
			return i, fmt.Errorf("history: export run %s: %w", r.ID, err)
		}
		bw.Write(b)
		if err := bw.WriteByte('\n'); err != nil {
			return i, fmt.Errorf("history: export: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("history: export: %w", err)
	}
	return len(runs), nil
}

// ReadJSONL imports the runs of r, one a line as WriteJSONL writes them
// (blank lines are skipped), each in its own transaction, and returns
// how many it imported. It stops at the first bad line, with an error
// naming name and the line; the runs before it are kept, and importing
// the file again replaces them, so an import can be repeated.
func (s *Store) ReadJSONL(ctx context.Context, r io.Reader, name string) (int, error) {
	return s.readJSONL(ctx, r, name, MaxLine)
}

func (s *Store) readJSONL(ctx context.Context, r io.Reader, name string, maxLine int) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	for line := 1; ; line++ {
		b, err := readLine(br, maxLine)
		if errors.Is(err, io.EOF) && len(b) == 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return n, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			var run Run
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if derr := dec.Decode(&run); derr != nil {
				return n, fmt.Errorf("%s:%d: not a run as drill history export writes it: %v", name, line, derr)
			}
			if dec.More() {
				return n, fmt.Errorf("%s:%d: more than one JSON value on the line", name, line)
			}
			switch {
			case run.ID == "":
				return n, fmt.Errorf("%s:%d: field run_id: missing", name, line)
			case run.Card == nil:
				return n, fmt.Errorf("%s:%d: field scorecard: missing", name, line)
			}
			if ierr := s.Import(ctx, run); ierr != nil {
				return n, fmt.Errorf("%s:%d: %w", name, line, ierr)
			}
			n++
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
	}
}

// readLine reads one line without its newline, refusing one longer than
// max bytes without holding more of it.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(bytes.TrimSuffix(chunk, []byte("\n")))+len(buf) > max {
			return nil, fmt.Errorf("line longer than %d bytes (the most a run's line may hold)", max)
		}
		buf = append(buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(buf, []byte("\n")), err
	}
}
