package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/drillkit/drill/internal/exitcode"
)

// k8sJob is the part of a batch/v1 Job drill depends on (decoded with
// yaml.v3: k8s.io/api would bring all of apimachinery for these fields).
type k8sJob struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    *int   `yaml:"completions"`
		Parallelism    *int   `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string         `yaml:"restartPolicy"`
				Containers    []k8sContainer `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sContainer struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
}

// podWords splits the first command of a sh -c script (up to ;) into
// words, dropping double quotes and expanding $NAME from vars.
func podWords(script string, vars map[string]string) []string {
	cmd, _, _ := strings.Cut(script, ";")
	var out []string
	for _, w := range strings.Fields(cmd) {
		w = strings.ReplaceAll(w, `"`, "")
		out = append(out, os.Expand(w, func(k string) string { return vars[k] }))
	}
	return out
}

// docs/k8s/drill-shards.yaml is an Indexed Job whose completions are the
// shard total drill reads, whose pods run drill run with the history DSN
// from a Secret, each shard planning its own share; and a merge Job.
func TestKubernetesManifest(t *testing.T) {
	f, err := os.Open("../../docs/k8s/drill-shards.yaml")
	require.NoError(t, err)
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var jobs []k8sJob
	for {
		var j k8sJob
		err := dec.Decode(&j)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		jobs = append(jobs, j)
	}
	require.Len(t, jobs, 2)
	for _, j := range jobs {
		require.Equal(t, "batch/v1", j.APIVersion)
		require.Equal(t, "Job", j.Kind)
		require.Equal(t, "Never", j.Spec.Template.Spec.RestartPolicy, j.Metadata.Name)
		require.Len(t, j.Spec.Template.Spec.Containers, 1)
	}

	shards := jobs[0]
	require.Equal(t, "Indexed", shards.Spec.CompletionMode, "JOB_COMPLETION_INDEX is set only in Indexed mode")
	require.NotNil(t, shards.Spec.Completions)
	n := *shards.Spec.Completions
	require.Equal(t, n, *shards.Spec.Parallelism, "every shard at once")
	c := shards.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	var secret string
	for _, e := range c.Env {
		env[e.Name] = e.Value
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			secret = e.Name
		}
	}
	require.Equal(t, strconv.Itoa(n), env["DRILL_SHARD_TOTAL"], "completions = the shard total")
	require.Equal(t, "DRILL_HISTORY", secret, "the Postgres DSN comes from a Secret")
	require.Equal(t, []string{"sh", "-c"}, c.Command)
	require.Len(t, c.Args, 1)
	require.Contains(t, c.Args[0], `[ "$code" -le 1 ] || exit "$code"`, "a failed drill is the merge's to judge")

	// the first and the last pod's drill command, as the pod would run
	// it, plans its shard
	for _, i := range []int{0, n - 1} {
		vars := map[string]string{"JOB_COMPLETION_INDEX": strconv.Itoa(i), "DRILL_SHARD_TOTAL": env["DRILL_SHARD_TOTAL"],
			"DRILL_HISTORY": "postgres://drill@127.0.0.1:1/drill?sslmode=disable&connect_timeout=2"}
		words := podWords(c.Args[0], vars)
		require.Equal(t, []string{"drill", "run"}, words[:2])
		require.Contains(t, words, "--out=/results/shard-"+strconv.Itoa(i))
		require.Contains(t, words, "--history="+vars["DRILL_HISTORY"])
		args := []string{"run", "--plan"}
		for _, w := range words[2:] {
			if w != "--team=/team" { // the demo team stands in for the cloned one
				args = append(args, w)
			}
		}
		code, out, stderr := runCLIEnv(t, func(k string) string { return vars[k] }, args...)
		require.Equal(t, exitcode.OK, code, stderr)
		require.Contains(t, out, fmt.Sprintf("shard %d of %d (from 0)", i, n))
		require.Contains(t, stderr, "--shard-plan: the history cannot be read", "no server here: the count split, said")
	}

	merge := jobs[1].Spec.Template.Spec.Containers[0]
	require.Equal(t, shards.Spec.Template.Spec.Containers[0].Image, merge.Image, "one image")
	require.Len(t, merge.Args, 1)
	words := podWords(merge.Args[0], nil)
	require.Equal(t, []string{"drill", "merge", "--out", "/results/merged"}, words[:4])
	require.Equal(t, "/results/shard-*", words[len(words)-1])
	code, out, _ := runCLI(t, "help", "merge")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, out, "--gate")
}
