package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
	"github.com/cloudkoffer/provisioning-k8s-talos/go/contract"
)

// run runs cloudkoffer-talos with args and stdin, and returns its exit status, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()

	var stdout, stderr bytes.Buffer

	status := program.Main(args, cli.IO{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr})

	return status, stdout.String(), stderr.String()
}

func TestFlagsExitAsTheyAlwaysHave(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status int
		stderr string
	}{
		// probe and bootstrapped: as flag.ExitOnError, 0 after -h, 2 after a bad flag.
		{[]string{"probe", "-h"}, 0, "Usage of probe:\n"},
		{[]string{"probe", "-bogus"}, 2, "flag provided but not defined: -bogus\nUsage of probe:\n"},
		{[]string{"bootstrapped", "-help"}, 0, "Usage of bootstrapped:\n"},
		{[]string{"bootstrapped", "-port", "x"}, 2, "invalid value \"x\" for flag -port: parse error\nUsage of bootstrapped:\n"},
		// seal and unseal: the flag error is the command's error, status 1.
		{[]string{"seal", "-h"}, 1, "Usage of seal:\n"},
		{[]string{"unseal", "-bogus"}, 1, "flag provided but not defined: -bogus\nUsage of unseal:\n"},
	} {
		status, stdout, stderr := run(t, "", tc.args...)
		if status != tc.status || stdout != "" || !strings.HasPrefix(stderr, tc.stderr) {
			t.Errorf("%v: %d %q %q; want %d, stderr from %q", tc.args, status, stdout, stderr, tc.status, tc.stderr)
		}
	}

	if _, _, stderr := run(t, "", "seal", "-h"); !strings.HasSuffix(stderr, "\ncloudkoffer-talos: flag: help requested\n") {
		t.Errorf("seal -h: %q", stderr)
	}
}

func TestRequiredFlagsAndArguments(t *testing.T) {
	t.Setenv("CLOUDKOFFER_SECRETS_PASSPHRASE", "")

	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"probe"}, "-node is required"},
		{[]string{"probe", "-node", "127.0.0.1"}, "either -talosconfig or -insecure is required"},
		{[]string{"bootstrapped", "-node", "127.0.0.1"}, "-node and -talosconfig are required"},
		{[]string{"seal"}, "seal: -file is required"},
		{[]string{"seal", "-file", "backup"}, "CLOUDKOFFER_SECRETS_PASSPHRASE is not set: the passphrase of the state (TF_VAR_state_passphrase)"},
		{[]string{"unseal", "-file", "backup"}, "unseal: -file and -out are required"},
		{[]string{"validate", "-h"}, "validate reads its jobs as JSON from stdin and takes no arguments"},
	} {
		if status, stdout, stderr := run(t, "", tc.args...); status != 1 || stdout != "" || stderr != "cloudkoffer-talos: "+tc.stderr+"\n" {
			t.Errorf("%v: %d %q %q", tc.args, status, stdout, stderr)
		}
	}
}

func TestValidatePrintsVerdictsAndExits1WhenOneIsInvalid(t *testing.T) {
	if status, stdout, stderr := run(t, "[]", "validate"); status != 0 || stdout != "[]\n" || stderr != "" {
		t.Fatalf("no jobs: %d %q %q", status, stdout, stderr)
	}

	if status, _, stderr := run(t, "{", "validate"); status != 1 || !strings.HasPrefix(stderr, "cloudkoffer-talos: stdin: ") {
		t.Fatalf("not JSON: %d %q", status, stderr)
	}

	jobs := `[{"name":"cloudkoffer-test","clusterName":"cloudkoffer","clusterEndpoint":"https://127.0.0.254:6443","talosVersion":"v1.7.4",` +
		`"kubernetesVersion":"1.30.1","roles":{"worker":[{"source":"all.yaml","yaml":"machine:\n  instal:\n    disk: /dev/sda\n"}]}}]`

	status, stdout, stderr := run(t, jobs, "validate")
	if status != 1 || stderr != "" || !strings.HasPrefix(stdout, `[{"name":"cloudkoffer-test","role":"worker","valid":false,"source":"all.yaml","errors":[`) {
		t.Fatalf("an invalid patch: %d %q %q", status, stdout, stderr)
	}

	if err := contract.SameShape("validation-result.json", []byte(stdout)); err == nil || !strings.Contains(err.Error(), "warnings: in the golden file, missing here") {
		t.Fatalf("the verdict differs from the contract other than by its warnings: %v", err)
	}
}

func TestProbePrintsWhatItFoundAndExits1WhenTheNodeDidNotAnswer(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}

	port := strconv.Itoa(listener.Addr().(*net.TCPAddr).Port) //nolint:forcetypeassert
	listener.Close()

	status, stdout, stderr := run(t, "", "probe", "-node", "127.0.0.1", "-port", port, "-insecure", "-timeout", "500ms")
	if status != 1 || !strings.HasPrefix(stdout, `{"node":"127.0.0.1","answers":false,"error":"`) || stderr != "cloudkoffer-talos: node 127.0.0.1 did not answer\n" {
		t.Fatalf("probe: %d %q %q", status, stdout, stderr)
	}
}

func TestSealAndUnseal(t *testing.T) {
	t.Setenv("CLOUDKOFFER_SECRETS_PASSPHRASE", "correct horse battery staple")

	dir := t.TempDir()
	file, out := filepath.Join(dir, "backup"), filepath.Join(dir, "secrets.yaml")
	secrets := "cluster:\n  id: abc\n"

	status, stdout, stderr := run(t, secrets, "seal", "-file", file)
	if status != 0 || stderr != "" || stdout != "secrets backup: the cluster secrets are sealed in "+file+" (mode 0600, with the state's passphrase)\n" {
		t.Fatalf("seal: %d %q %q", status, stdout, stderr)
	}

	if sealed, _ := os.ReadFile(file); contract.SameShape("sealed-backup.json", sealed) != nil { //nolint:errcheck
		t.Fatalf("the sealed backup: %s", sealed)
	}

	if status, stdout, _ := run(t, secrets, "seal", "-file", file); status != 0 || stdout != "secrets backup: "+file+" holds these secrets, sealed\n" {
		t.Fatalf("seal again: %d %q", status, stdout)
	}

	if status, stdout, stderr := run(t, "", "unseal", "-file", file, "-out", out); status != 0 || stdout != "" || stderr != "" {
		t.Fatalf("unseal: %d %q %q", status, stdout, stderr)
	}

	if held, _ := os.ReadFile(out); string(held) != secrets { //nolint:errcheck
		t.Fatalf("unsealed: %q", held)
	}

	if status, _, stderr := run(t, "", "unseal", "-file", file, "-out", out); status != 1 || stderr != "cloudkoffer-talos: open "+out+": file exists\n" {
		t.Fatalf("unseal over a file: %d %q", status, stderr)
	}
}
