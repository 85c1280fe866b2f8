package team

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The Runme attributes drill honours are read into Step.Run, booleans
// as JSON or as the strings Runme writes.
func TestRunmeAttributesRead(t *testing.T) {
	src := "---\nid: r\n---\n## Mitigation\n\n" +
		"```sh {\"name\":\"a\",\"cwd\":\"deploy/./k8s/\",\"interpreter\":\"/bin/sh\",\"background\":\"true\",\"ignoreErrors\":true}\nsleep 1\n```\n\n" +
		"```sh {\"name\":\"b\",\"excludeFromRunAll\":\"yes\",\"promptEnv\":\"auto\",\"continueOnError\":\"true\",\"cwd\":\"/srv\"}\nexport X=1\n```\n\n" +
		"```python {\"name\":\"c\",\"interpreter\":\"zsh\",\"cwd\":\"../up\"}\nprint(1)\n```\n\n" +
		"```python\nprint('an example')\n```\n"
	rb, err := ParseRunbook("runbooks/r.md", []byte(src))
	require.NoError(t, err)
	sec, ok := rb.Section("Mitigation")
	require.True(t, ok)
	require.Len(t, sec.Steps, 3, "an unnamed python block is an example, not a step")
	require.Equal(t, StepRun{Cwd: "deploy/k8s", Interpreter: "sh", Background: true, IgnoreErrors: true}, sec.Steps[0].Run)
	require.Equal(t, StepRun{ExcludeFromRunAll: true, PromptEnv: true, IgnoreErrors: true}, sec.Steps[1].Run, "a cwd of the host is not taken")
	require.Equal(t, StepRun{Interpreter: "python3"}, sec.Steps[2].Run, "a python block runs with python3; zsh is not taken")
}
