// Command test-registry serves the providers of a filesystem mirror by the
// Terraform provider registry protocol over HTTPS on loopback, as release
// zips with SHA256SUMS and a detached OpenPGP signature (a key made at start),
// so that tests can prove the path of a user's machine, where terraform or
// tofu installs the providers from a registry (internal/testregistry). It
// serves tests and the benchmark; production code never runs it.
//
//	test-registry -mirror .providers/mirror -ca-file ca.pem [-listen 127.0.0.1:0] [-corrupt siderolabs/talos] [-log requests.log]
//
// Once listening it prints one JSON line: the URL, the providers.v1 service
// URL, the CA file and every package with its sha256 (the lock file's zh:
// hash). It logs each request (to stderr, or to the -log file) and serves
// until SIGINT or SIGTERM.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/testregistry"
)

var program = cli.Program{Name: "test-registry"}

func main() {
	os.Exit(program.Exit(run(os.Args[1:], cli.Std()), os.Stderr))
}

func run(args []string, stdio cli.IO) error {
	flags := cli.Flags("test-registry", stdio.Stderr)
	mirror := flags.String("mirror", "", "filesystem mirror to serve (<mirror>/<host>/<namespace>/<type>/<version>/<os>_<arch>/<binary>)")
	host := flags.String("host", "registry.terraform.io", "the mirror's host folder to serve")
	listen := flags.String("listen", "127.0.0.1:0", "loopback address to listen on")
	caFile := flags.String("ca-file", "", "where to write the CA certificate (PEM) that signed the server's certificate")
	corrupt := flags.String("corrupt", "", "comma-separated providers (namespace/type) served with one byte of their zip changed")
	protocols := flags.String("protocols", "5.0", "comma-separated plugin protocol versions the providers declare")
	logFile := flags.String("log", "", "file to log each request to (default: stderr)")

	if err := flags.Parse(args); err != nil {
		return err
	}

	if *mirror == "" || *caFile == "" {
		flags.Usage()

		return fmt.Errorf("-mirror and -ca-file are required")
	}

	packages, err := testregistry.LoadMirror(*mirror, *host)
	if err != nil {
		return err
	}

	registry, err := testregistry.New(packages, testregistry.Options{Protocols: split(*protocols), Corrupt: split(*corrupt)})
	if err != nil {
		return err
	}

	log := stdio.Stderr

	if *logFile != "" {
		file, err := os.Create(*logFile)
		if err != nil {
			return err
		}
		defer file.Close()

		log = file
	}

	server, err := testregistry.Start(registry, *listen, *caFile, log)
	if err != nil {
		return err
	}
	defer server.Close()

	if err := cli.PrintJSON(stdio.Stdout, server.Ready()); err != nil {
		return err
	}

	cli.WaitForStop()

	return nil
}

func split(list string) []string {
	if list == "" {
		return nil
	}

	return strings.Split(list, ",")
}
