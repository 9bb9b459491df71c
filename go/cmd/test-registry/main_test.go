package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
)

// exit runs test-registry with args up to its exit status, and returns it with stdout and stderr.
func exit(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer

	status := program.Exit(run(args, cli.IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}), &stderr)

	return status, stdout.String(), stderr.String()
}

func TestFlagErrorsAndRequiredFlags(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		stderr, suffix string
	}{
		{[]string{"-h"}, "Usage of test-registry:\n", "\ntest-registry: flag: help requested\n"},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus\nUsage of test-registry:\n", "\ntest-registry: flag provided but not defined: -bogus\n"},
		{[]string{"-mirror", "m"}, "Usage of test-registry:\n", "\ntest-registry: -mirror and -ca-file are required\n"},
		{[]string{"-mirror", t.TempDir(), "-ca-file", "ca.pem"}, "test-registry: lstat ", "/registry.terraform.io: no such file or directory\n"},
	} {
		status, stdout, stderr := exit(tc.args...)
		if status != 1 || stdout != "" || !strings.HasPrefix(stderr, tc.stderr) || !strings.HasSuffix(stderr, tc.suffix) {
			t.Errorf("%v: %d %q %q", tc.args, status, stdout, stderr)
		}
	}
}

func TestSplitKeepsWhatItIsGiven(t *testing.T) {
	if split("") != nil || strings.Join(split("a,,b"), "|") != "a||b" {
		t.Fatalf("split: %q %q", split(""), split("a,,b"))
	}
}
