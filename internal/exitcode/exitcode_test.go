package exitcode

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"
)

// The numbers are drill's public contract (CI scripts read them): they
// never change.
func TestCodesAreTheDocumentedNumbers(t *testing.T) {
	require.Equal(t, []Code{0, 1, 2, 3, 4, 130}, All())
	require.Equal(t, Code(0), OK)
	require.Equal(t, Code(1), Failed)
	require.Equal(t, Code(2), Usage)
	require.Equal(t, Code(3), Lint)
	require.Equal(t, Code(4), Harness)
	require.Equal(t, Code(130), Interrupted)
}

func TestEveryCodeHasANameAndAMeaning(t *testing.T) {
	names := map[string]bool{}
	for _, c := range All() {
		require.NotEmpty(t, c.Meaning(), "code %d", int(c))
		require.NotContains(t, c.String(), "exit status", "code %d has no name", int(c))
		require.False(t, names[c.String()], "two codes named %s", c)
		names[c.String()] = true
	}
	require.Equal(t, "usage", Usage.String())
	require.Equal(t, "bad usage or invalid input", Usage.Meaning())
	require.Equal(t, "exit status 7", Code(7).String())
	require.Empty(t, Code(7).Meaning())
}

// harnessFault is a library error type whose type alone decides its code,
// as testbed.HarnessError does.
type harnessFault struct{ op string }

func (e *harnessFault) Error() string  { return "testbed: " + e.op }
func (e *harnessFault) ExitCode() Code { return Harness }

func TestOf(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want Code
	}{
		{"nil is success", nil, OK},
		{"an error nobody classified is the harness's", errors.New("boom"), Harness},
		{"context.Canceled carries nothing", context.Canceled, Harness},
		{"With", With(Lint, context.Canceled), Lint},
		{"With under fmt.Errorf %w", fmt.Errorf("team: %w", With(Usage, fs.ErrNotExist)), Usage},
		{"With under errors.Join", errors.Join(errors.New("first"), With(Failed, errors.New("second"))), Failed},
		{"a type carrying its code by method", &harnessFault{op: "start"}, Harness},
		{"a method-carrying type, wrapped", fmt.Errorf("run: %w", &harnessFault{op: "start"}), Harness},
		{"the outermost code wins over a library's", With(Usage, fmt.Errorf("x: %w", &harnessFault{op: "start"})), Usage},
		{"the outermost With wins", With(Interrupted, With(Harness, errors.New("x"))), Interrupted},
		{"silent", Silent(Lint), Lint},
		{"silent, wrapped", fmt.Errorf("ci: %w", Silent(Failed)), Failed},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, Of(c.err))
		})
	}
}

func TestWithKeepsTheError(t *testing.T) {
	require.NoError(t, With(Failed, nil), "a nil error stays nil")
	err := With(Usage, fmt.Errorf("drill.yaml: %w", fs.ErrNotExist))
	require.EqualError(t, err, "drill.yaml: file does not exist", "the message is the error's own")
	require.ErrorIs(t, err, fs.ErrNotExist)
	var hf *harnessFault
	inner := &harnessFault{op: "service"}
	require.ErrorAs(t, With(Harness, inner), &hf)
	require.Same(t, inner, hf)
}

func TestSilent(t *testing.T) {
	require.True(t, IsSilent(Silent(Lint)))
	require.True(t, IsSilent(fmt.Errorf("x: %w", Silent(Lint))))
	require.EqualError(t, Silent(Lint), "exit status 3")
	require.False(t, IsSilent(nil))
	require.False(t, IsSilent(errors.New("boom")))
	require.False(t, IsSilent(With(Usage, errors.New("bad flag"))), "a reason not yet printed is printed")
	// A code put on top of a silent one decides, and its reason is
	// not printed yet.
	require.False(t, IsSilent(With(Harness, Silent(Lint))))
	require.Equal(t, Harness, Of(With(Harness, Silent(Lint))))
}
