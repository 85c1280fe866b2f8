package console_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every stream, follower and browser a test starts ends with it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
