package main

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
	"github.com/cloudkoffer/provisioning-k8s-talos/go/contract"
	"github.com/siderolabs/crypto/x509"
)

// run runs talos-sim with args, and returns its exit status, stdout and stderr.
func run(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer

	status := program.Main(args, cli.IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})

	return status, stdout.String(), stderr.String()
}

func TestUsageAndErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status int
		stderr string
	}{
		{nil, 2, program.Usage},
		{[]string{"talosctl"}, 2, program.Usage},
		{[]string{"serve", "-h"}, 0, "Usage of serve:\n"},
		{[]string{"serve", "-bogus"}, 2, "flag provided but not defined: -bogus\nUsage of serve:\n"},
		{[]string{"serve", "-nodes", "127.0.0.1", "-kubeconfig-validity", "0"}, 1, "talos-sim: -kubeconfig-validity: 0s is not a positive duration\n"},
		{[]string{"serve", "-nodes", " , "}, 1, "talos-sim: -nodes: at least one node address is required\n"},
		{[]string{"serve", "-nodes", "127.0.0.1", "-kube-apiserver", "/nonexistent/kube-apiserver"}, 1, "talos-sim: -kube-apiserver: stat /nonexistent/kube-apiserver: no such file or directory\n"},
		{[]string{"serve", "-nodes", "127.0.0.1", "-talosctl", "/"}, 1, "talos-sim: -talosctl: / is not an executable file\n"},
		{[]string{"serve", "-nodes", "192.168.1.1"}, 1, "talos-sim: \"192.168.1.1\" is not a loopback address: the simulator serves on 127.0.0.0/8 only\n"},
		{[]string{"talosctl", "", "version", "--nodes=127.0.0.1"}, 1, "talos-sim: no talosctl to run: name the real talosctl first\n"},
		{[]string{"talosctl", "/bin/false", "upgrade-k8s", "--to=1.30", "--nodes=127.0.0.1"}, 1, "talos-sim: --to \"1.30\" is not a Kubernetes version\n"},
		{[]string{"client-cert", "-h"}, 1, "Usage of client-cert:\n"},
		{[]string{"client-cert", "-not-before", "yesterday"}, 1, "talos-sim: -not-before: parsing time \"yesterday\""},
	} {
		status, stdout, stderr := run(tc.args...)
		if status != tc.status || stdout != "" || !strings.HasPrefix(stderr, tc.stderr) {
			t.Errorf("%v: %d %q %q; want %d, stderr from %q", tc.args, status, stdout, stderr, tc.status, tc.stderr)
		}
	}

	if _, _, stderr := run("talosctl", "/bin/false", "version", "--nodes=192.168.1.1"); !strings.HasPrefix(stderr, "talos-sim: refusing to run talosctl: --nodes names \"192.168.1.1\"") {
		t.Errorf("not loopback: %q", stderr)
	}
}

func TestClientCertPrintsTheSignedCertificateAsTheContractSays(t *testing.T) {
	ca, err := x509.NewSelfSignedCertificateAuthority(x509.Organization("talos"), x509.ECDSA(false))
	if err != nil {
		t.Fatal(err)
	}

	encode := base64.StdEncoding.EncodeToString

	status, stdout, stderr := run("client-cert", "-ca-cert", encode(ca.CrtPEM), "-ca-key", encode(ca.KeyPEM),
		"-not-before", "2024-01-01T00:00:00Z", "-not-after", "2025-01-01T00:00:00Z")
	if status != 0 || stderr != "" || !strings.HasPrefix(stdout, `{"client_certificate":"`) || !strings.HasSuffix(stdout, "\"}\n") {
		t.Fatalf("client-cert: %d %q %q", status, stdout, stderr)
	}

	if err := contract.SameShape("client-cert.json", []byte(stdout)); err != nil {
		t.Fatal(err)
	}
}
